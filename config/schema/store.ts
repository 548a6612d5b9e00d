/** `store:` where transfer sessions are kept (SQLite on one machine, Redis across instances). */
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
  })
  .superRefine((store, ctx) => {
    if (store.kind === 'redis' && store.redisUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['redisUrl'], message: 'required when store.kind is redis' });
    }
  });
