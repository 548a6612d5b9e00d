/**
 * The store adapter named by the `store` config section. Constructing it does no I/O; the
 * composition root calls `open()` at start-up (and reports a failure there).
 */
import { resolve } from 'node:path';
import type { StoreConfig } from '../../config/schema.js';
import { RedisStore, type StoreLogger } from './redis-store.js';
import { SqliteStore } from './sqlite-store.js';
import { StoreError, type Store } from './store-port.js';

export interface CreateStoreOptions {
  /** Where Redis connection loss and recovery are reported. */
  readonly logger?: StoreLogger;
  /** Base for a relative `sqlitePath`; default the working directory (as the config docs say). */
  readonly cwd?: string;
  readonly redisConnectTimeoutMs?: number;
  readonly redisCommandTimeoutMs?: number;
}

/** The keys that choose and reach the backend; retention is the gateway's business (record-retention.ts). */
export type StoreConnectionConfig = Pick<StoreConfig, 'kind' | 'sqlitePath' | 'redisUrl' | 'keyPrefix'>;

export function createStore(config: StoreConnectionConfig, options: CreateStoreOptions = {}): Store {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteStore({
        path:
          config.sqlitePath === ':memory:'
            ? config.sqlitePath
            : resolve(options.cwd ?? process.cwd(), config.sqlitePath),
      });
    case 'redis':
      // The config schema requires redisUrl for kind redis; this guards hand-built configs.
      if (config.redisUrl === undefined) {
        throw new StoreError('store-invalid-argument', 'store.redisUrl is required when store.kind is redis');
      }
      return new RedisStore({
        url: config.redisUrl,
        keyPrefix: config.keyPrefix,
        logger: options.logger,
        connectTimeoutMs: options.redisConnectTimeoutMs,
        commandTimeoutMs: options.redisCommandTimeoutMs,
      });
    default: {
      const unknownKind: never = config.kind;
      throw new StoreError('store-invalid-argument', `unknown store kind ${String(unknownKind)}`);
    }
  }
}
