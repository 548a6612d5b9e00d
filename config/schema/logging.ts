/** `logging:` the pino root logger. */
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const loggingSchema = z.strictObject({
  level: z
    .enum(LOG_LEVELS)
    .default('info')
    .describe('Lowest level written (JSON lines on stdout); debug adds per-request SIP summaries.'),
});
