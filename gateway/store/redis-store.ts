/**
 * The store shared by several Baton instances: Redis through ioredis. Records and their indexes
 * change together in server-side scripts (redis-scripts.ts). Nothing gets a TTL: a call lasts
 * as long as it lasts, and ended records go only through purgeEnded.
 *
 * Failure policy: a voice gateway must not stall a call on its store. Commands are never queued
 * while Redis is unreachable (they fail at once with `store-unavailable`), nor retried after a
 * reconnect, and each has a timeout; the client keeps reconnecting in the background and
 * `isOpen()` reports false meanwhile, which /readyz shows.
 */
import { Redis, ReplyError, type Result } from 'ioredis';
import { redactUrlPassword } from '../../config/redact.js';
import {
  checkLimit,
  decodeCall,
  decodeTransferSession,
  encodeCall,
  encodeTransferSession,
  parseStoredJson,
} from './record-codec.js';
import { RedisKeys } from './redis-keys.js';
import { LIST_RECORDS_LUA, PURGE_ENDED_LUA, PUT_RECORD_LUA } from './redis-scripts.js';
import {
  StoreError,
  type CallListFilter,
  type CallRecord,
  type PurgeResult,
  type Store,
  type TransferSessionListFilter,
  type TransferSessionRecord,
} from './store-port.js';

declare module 'ioredis' {
  // ioredis's documented way to type commands added with defineCommand.
  interface RedisCommander<Context> {
    batonPutRecord(
      recordKey: string,
      id: string,
      json: string,
      ...indexScorePairs: string[]
    ): Result<number, Context>;
    batonListRecords(indexCount: number, ...keysThenArgs: string[]): Result<string[], Context>;
    batonPurgeEnded(
      endedIndex: string,
      cutoffMs: string,
      recordPrefix: string,
      batch: string,
    ): Result<number, Context>;
  }
}

/** Something to report connection loss and recovery to (a pino logger fits). */
export interface StoreLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface RedisStoreOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` for TLS. */
  readonly url: string;
  /** Prefix of every key, e.g. `baton:`. */
  readonly keyPrefix: string;
  /** How long open() waits for a usable connection before failing with `store-unavailable`. */
  readonly connectTimeoutMs?: number;
  /** How long one command may take before it fails with `store-unavailable`. */
  readonly commandTimeoutMs?: number;
  readonly logger?: StoreLogger;
}

export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2000;
/** Longest pause between reconnect attempts after the connection is lost. */
const MAX_RECONNECT_DELAY_MS = 2000;
/** Records deleted per purge script run, so one run never blocks Redis for long. */
const PURGE_BATCH = 500;

/**
 * RESP error kinds (the first word of an error reply, RESP spec "Simple errors") that mean the
 * server cannot serve now or will not serve this client: unavailability, not a data problem.
 */
const UNAVAILABLE_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'OOM',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'NOAUTH',
  'WRONGPASS',
  'NOPERM',
]);

export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly #url: string;
  readonly #keys: RedisKeys;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #logger: StoreLogger | undefined;
  #redis: Redis | undefined;
  /** The open() under way, so concurrent callers share one connection attempt. */
  #opening: Promise<void> | undefined;
  /** Set while the connection is lost, so one outage logs one warning, not one per retry. */
  #down = false;

  constructor(options: RedisStoreOptions) {
    this.#url = options.url;
    this.#keys = new RedisKeys(options.keyPrefix);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
    this.#logger = options.logger;
  }

  open(): Promise<void> {
    if (this.#redis !== undefined) return Promise.resolve();
    this.#opening ??= this.#connect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #connect(): Promise<void> {
    const redis = new Redis(this.#url, {
      lazyConnect: true,
      connectTimeout: this.#connectTimeoutMs,
      commandTimeout: this.#commandTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    });
    redis.defineCommand('batonPutRecord', { numberOfKeys: 1, lua: PUT_RECORD_LUA });
    redis.defineCommand('batonListRecords', { lua: LIST_RECORDS_LUA, readOnly: true });
    redis.defineCommand('batonPurgeEnded', { numberOfKeys: 1, lua: PURGE_ENDED_LUA });
    let lastError: Error | undefined;
    // ioredis emits 'error' for every failed reconnect attempt; remember it, log on 'close'.
    redis.on('error', (err: Error) => {
      lastError = err;
    });
    redis.on('close', () => {
      if (this.#redis !== redis || this.#down) return;
      this.#down = true;
      this.#logger?.warn(
        { err: lastError, redis: redactUrlPassword(this.#url) },
        'Redis store connection lost; reconnecting',
      );
    });
    redis.on('ready', () => {
      lastError = undefined;
      if (this.#redis !== redis || !this.#down) return;
      this.#down = false;
      this.#logger?.info({ redis: redactUrlPassword(this.#url) }, 'Redis store connection restored');
    });
    try {
      await connectWithin(redis, this.#connectTimeoutMs);
    } catch (err) {
      // Stop the reconnect loop: the caller decides whether to try again.
      redis.disconnect();
      const cause = lastError ?? err;
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new StoreError(
        'store-unavailable',
        `cannot open the Redis store at ${redactUrlPassword(this.#url)}: ${detail}`,
        { cause },
      );
    }
    this.#redis = redis;
    this.#down = false;
  }

  async close(): Promise<void> {
    // Let an open() under way finish (its caller sees its error), so its client is not left behind.
    await this.#opening?.catch(() => undefined);
    const redis = this.#redis;
    this.#redis = undefined;
    if (redis === undefined) return;
    if (redis.status === 'ready') {
      try {
        await redis.quit();
        return;
      } catch {
        // The connection broke while saying goodbye; drop it below.
      }
    }
    redis.disconnect();
  }

  isOpen(): boolean {
    return this.#redis?.status === 'ready';
  }

  putCall(record: CallRecord): Promise<void> {
    return this.#run(`put call ${record.id}`, async (redis) => {
      const wire = encodeCall(record);
      const k = this.#keys;
      const indexes = [
        [k.allCalls, wire.startedAt],
        [k.callsInState(wire.state), wire.startedAt],
        [k.callsOfInstance(wire.instanceId), wire.startedAt],
      ];
      if (wire.endedAt !== null) indexes.push([k.endedCalls, wire.endedAt]);
      await redis.batonPutRecord(
        k.callPrefix + wire.id,
        wire.id,
        JSON.stringify(wire),
        ...indexes.flat().map(String),
      );
    });
  }

  getCall(id: string): Promise<CallRecord | undefined> {
    return this.#run(`get call ${id}`, async (redis) => {
      const json = await redis.hget(this.#keys.callPrefix + id, 'json');
      const what = `call ${id}`;
      return json === null ? undefined : decodeCall(parseStoredJson(json, what), what);
    });
  }

  listCalls(filter: CallListFilter = {}): Promise<CallRecord[]> {
    return this.#run('list calls', async (redis) => {
      checkLimit(filter.limit);
      const k = this.#keys;
      const indexes: string[] = [];
      if (filter.state !== undefined) indexes.push(k.callsInState(filter.state));
      if (filter.instanceId !== undefined) indexes.push(k.callsOfInstance(filter.instanceId));
      if (indexes.length === 0) indexes.push(k.allCalls);
      const rows = await this.#list(redis, indexes, k.callPrefix, filter.limit);
      return rows.map((json) => {
        const parsed = parseStoredJson(json, 'a listed call');
        return decodeCall(parsed, `call ${recordId(parsed)}`);
      });
    });
  }

  putTransferSession(session: TransferSessionRecord): Promise<void> {
    return this.#run(`put transfer session ${session.id}`, async (redis) => {
      const wire = encodeTransferSession(session);
      const k = this.#keys;
      const indexes = [
        [k.allTransfers, wire.createdAt],
        [k.transfersInState(wire.state), wire.createdAt],
        [k.transfersOfCall(wire.callId), wire.createdAt],
      ];
      if (wire.endedAt !== null) indexes.push([k.endedTransfers, wire.endedAt]);
      await redis.batonPutRecord(
        k.transferPrefix + wire.id,
        wire.id,
        JSON.stringify(wire),
        ...indexes.flat().map(String),
      );
    });
  }

  getTransferSession(id: string): Promise<TransferSessionRecord | undefined> {
    return this.#run(`get transfer session ${id}`, async (redis) => {
      const json = await redis.hget(this.#keys.transferPrefix + id, 'json');
      const what = `transfer session ${id}`;
      return json === null ? undefined : decodeTransferSession(parseStoredJson(json, what), what);
    });
  }

  listTransferSessions(filter: TransferSessionListFilter = {}): Promise<TransferSessionRecord[]> {
    return this.#run('list transfer sessions', async (redis) => {
      checkLimit(filter.limit);
      const k = this.#keys;
      const indexes: string[] = [];
      if (filter.callId !== undefined) indexes.push(k.transfersOfCall(filter.callId));
      if (filter.state !== undefined) indexes.push(k.transfersInState(filter.state));
      if (indexes.length === 0) indexes.push(k.allTransfers);
      const rows = await this.#list(redis, indexes, k.transferPrefix, filter.limit);
      return rows.map((json) => {
        const parsed = parseStoredJson(json, 'a listed transfer session');
        return decodeTransferSession(parsed, `transfer session ${recordId(parsed)}`);
      });
    });
  }

  purgeEnded(olderThan: Date): Promise<PurgeResult> {
    return this.#run('purge ended records', async (redis) => {
      const cutoff = olderThan.getTime();
      if (Number.isNaN(cutoff))
        throw new StoreError('store-invalid-argument', 'purgeEnded needs a valid Date');
      const k = this.#keys;
      return {
        calls: await purgeIndex(redis, k.endedCalls, k.callPrefix, cutoff),
        transferSessions: await purgeIndex(redis, k.endedTransfers, k.transferPrefix, cutoff),
      };
    });
  }

  async #list(
    redis: Redis,
    indexes: string[],
    recordPrefix: string,
    limit: number | undefined,
  ): Promise<string[]> {
    if (limit === 0) return [];
    return redis.batonListRecords(indexes.length, ...indexes, recordPrefix, String(limit ?? -1));
  }

  /** Run one operation on the open client, with every failure as a StoreError. */
  async #run<T>(what: string, operation: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = this.#redis;
    if (redis === undefined) throw new StoreError('store-closed', 'the Redis store is not open');
    try {
      return await operation(redis);
    } catch (err) {
      throw toStoreError(err, what);
    }
  }
}

/** connect(), bounded: a server that accepts but never answers would otherwise hold open() forever. */
function connectWithin(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const connectTimer = setTimeout(
      () => reject(new Error(`no ready connection after ${timeoutMs} ms`)),
      timeoutMs,
    );
    redis.connect().then(
      () => {
        clearTimeout(connectTimer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(connectTimer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

async function purgeIndex(
  redis: Redis,
  endedIndex: string,
  recordPrefix: string,
  cutoff: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await redis.batonPurgeEnded(
      endedIndex,
      String(cutoff),
      recordPrefix,
      String(PURGE_BATCH),
    );
    total += deleted;
    if (deleted < PURGE_BATCH) return total;
  }
}

function recordId(parsed: unknown): string {
  const id = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : '(no id)';
}

function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  if (err instanceof (ReplyError as ErrorConstructor)) {
    const kind = err.message.split(' ', 1)[0] ?? '';
    if (kind === 'WRONGTYPE')
      return new StoreError('store-corrupt', `${what}: ${err.message}`, { cause: err });
    const code = UNAVAILABLE_REPLIES.has(kind) ? 'store-unavailable' : 'store-failed';
    return new StoreError(code, `${what}: ${err.message}`, { cause: err });
  }
  // Anything else from the client is about the connection: closed, not writable, timed out.
  const detail = err instanceof Error ? err.message : String(err);
  return new StoreError('store-unavailable', `${what}: ${detail}`, { cause: err });
}
