/**
 * `store:` where call records and transfer sessions are kept (SQLite on one machine, Redis across
 * instances), and how long ended ones are kept.
 */
import { z } from 'zod';

export const storeSchema = z
  .strictObject({
    kind: z
      .enum(['sqlite', 'redis'])
      .default('sqlite')
      .describe('Session store: sqlite for one instance, redis when several instances share sessions.'),
    sqlitePath: z
      .string()
      .min(1)
      .default('./data/baton.db')
      .describe(
        'SQLite database file (kind sqlite); relative to the working directory, folder created on start.',
      ),
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, "must be a redis:// or rediss:// URL, e.g. 'redis://127.0.0.1:6379/0'")
      .optional()
      .describe(
        'Redis URL (kind redis), e.g. redis://:password@host:6379/0. Required for kind redis. Secret (password part).',
      ),
    keyPrefix: z
      .string()
      .min(1)
      .default('baton:')
      .describe('Prefix of every Redis key (kind redis), so several deployments can share one Redis.'),
    retainEndedDays: z
      .number()
      .int()
      .min(1)
      .max(36_500)
      .default(30)
      .describe(
        'Days an ended call record or transfer session is kept after it ended; older ones are deleted. ' +
          'Calls and transfers in progress are never deleted.',
      ),
    purgeIntervalMinutes: z
      .number()
      .int()
      .min(1)
      .max(10_080)
      .default(60)
      .describe(
        'How often the gateway deletes ended records older than retainEndedDays, in minutes (also once at ' +
          'start). With several instances on one Redis each one purges; the deletes are idempotent.',
      ),
  })
  .superRefine((store, ctx) => {
    if (store.kind === 'redis' && store.redisUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['redisUrl'], message: 'required when store.kind is redis' });
    }
  });
