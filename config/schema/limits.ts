/** `limits:` admission control for new calls (answered with 503 + Retry-After when exceeded). */
import { z } from 'zod';

export const limitsSchema = z.strictObject({
  maxCalls: z
    .number()
    .int()
    .min(1)
    .default(2000)
    .describe('Most calls in progress at once (count); a new INVITE beyond it gets 503.'),
  maxCallsPerSecond: z
    .number()
    .int()
    .min(1)
    .default(200)
    .describe(
      'New calls accepted per second (calls/s), as a token bucket: it refills at this rate and holds ' +
        'this many, so a burst of this size after a quiet second gets through and sustained load is ' +
        'held to the rate; more get 503.',
    ),
  retryAfterSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(5)
    .describe(
      'Retry-After value on 503 answers for overload and draining, in seconds (RFC 3261 §21.5.4, §20.33).',
    ),
});
