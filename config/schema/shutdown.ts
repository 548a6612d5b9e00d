/** `shutdown:` graceful stop on SIGTERM/SIGINT. */
import { z } from 'zod';
import { millisSchema } from './common.js';

export const shutdownSchema = z.strictObject({
  drainTimeoutMs: millisSchema(0, 3_600_000)
    .default(30_000)
    .describe(
      'On SIGTERM, new calls get 503 while calls in progress may finish for up to this long (ms); ' +
        'calls still up then are hung up. 30 s matches the Kubernetes default termination grace period.',
    ),
});
