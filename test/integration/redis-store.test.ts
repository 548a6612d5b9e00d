import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSchema } from '../../config/schema/store.js';
import { createStore } from '../../gateway/store/create-store.js';
import { RedisStore } from '../../gateway/store/redis-store.js';
import type { CallRecord, Store, TransferSessionRecord } from '../../gateway/store/store-port.js';
import { allocPort, releasePort } from '../support/ports.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { storeContract } from './store-contract.js';

let server: RedisServer;
/** A plain client for looking at the keys the store wrote. */
let inspector: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  inspector = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await inspector.connect();
});

afterAll(async () => {
  await inspector?.quit();
  await server?.stop();
});

/** A key prefix no other test uses, so tests share one server without seeing each other. */
function uniquePrefix(): string {
  return `baton-test:${randomUUID()}:`;
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await inspector.keys(`${prefix}*`)).sort();
}

storeContract('Redis', () => {
  const keyPrefix = uniquePrefix();
  const make = (): RedisStore => new RedisStore({ url: server.url, keyPrefix });
  return Promise.resolve({
    store: make(),
    twin: make,
    cleanup: async () => {
      const keys = await inspector.keys(`${keyPrefix}*`);
      if (keys.length > 0) await inspector.del(...keys);
    },
  });
});

const call: CallRecord = {
  id: '5b0f6c1e-3f7a-4c1e-9a57-0d1f2e3a4b5c',
  conversationId: '8d2c4e6f-0a1b-4c3d-8e5f-6a7b8c9d0e1f',
  trunk: 'carrier-a',
  caller: { uri: 'sip:+15551230000@203.0.113.5', user: '+15551230000' },
  callee: { uri: 'sip:+15559870000@baton.example', user: '+15559870000' },
  source: '203.0.113.5:5060',
  instanceId: 'baton-1',
  state: 'answered',
  startedAt: new Date('2026-01-15T09:30:00.000Z'),
  answeredAt: new Date('2026-01-15T09:30:02.000Z'),
};

const session: TransferSessionRecord = {
  id: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b',
  callId: call.id,
  target: 'support-desk',
  mode: 'bye',
  state: 'active',
  createdAt: new Date('2026-01-15T09:31:00.000Z'),
  updatedAt: new Date('2026-01-15T09:31:05.000Z'),
  vars: { reason: 'billing' },
  history: [{ state: 'pending', at: new Date('2026-01-15T09:31:00.000Z') }],
};

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RedisStore', () => {
  it('keeps records under <prefix>call:<id> and <prefix>transfer:<id>, with no expiry', async () => {
    const keyPrefix = uniquePrefix();
    const store = new RedisStore({ url: server.url, keyPrefix });
    await store.open();
    try {
      await store.putCall(call);
      await store.putTransferSession(session);
      const callKey = `${keyPrefix}call:${call.id}`;
      const transferKey = `${keyPrefix}transfer:${session.id}`;
      expect(await inspector.type(callKey)).toBe('hash');
      expect(await inspector.ttl(callKey)).toBe(-1);
      expect(await inspector.ttl(transferKey)).toBe(-1);
      const stored = JSON.parse((await inspector.hget(callKey, 'json')) ?? 'null');
      expect(stored).toMatchObject({ id: call.id, state: 'answered', startedAt: call.startedAt.getTime() });
      expect(await keysUnder(keyPrefix)).toEqual(
        [
          callKey,
          transferKey,
          `${keyPrefix}calls:all`,
          `${keyPrefix}calls:state:answered`,
          `${keyPrefix}calls:instance:baton-1`,
          `${keyPrefix}transfers:all`,
          `${keyPrefix}transfers:state:active`,
          `${keyPrefix}transfers:call:${call.id}`,
        ].sort(),
      );
      for (const key of await keysUnder(keyPrefix)) expect(await inspector.ttl(key), key).toBe(-1);
    } finally {
      await store.close();
    }
  });

  it('leaves no key behind once every record has ended and been purged', async () => {
    const keyPrefix = uniquePrefix();
    const store = new RedisStore({ url: server.url, keyPrefix });
    await store.open();
    try {
      const endedAt = new Date('2026-01-15T09:40:00.000Z');
      await store.putCall(call);
      await store.putCall({ ...call, state: 'ended', result: 'answered', endedAt });
      await store.putTransferSession(session);
      await store.putTransferSession({ ...session, state: 'ended', outcome: 'completed', endedAt });
      expect(await keysUnder(keyPrefix)).toContain(`${keyPrefix}calls:ended`);
      expect(await keysUnder(keyPrefix)).not.toContain(`${keyPrefix}calls:state:answered`);

      expect(await store.purgeEnded(new Date(endedAt.getTime() + 1))).toEqual({
        calls: 1,
        transferSessions: 1,
      });
      expect(await keysUnder(keyPrefix)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('purges more records than one script run deletes', async () => {
    const keyPrefix = uniquePrefix();
    const store = new RedisStore({ url: server.url, keyPrefix });
    await store.open();
    try {
      const endedAt = new Date('2026-01-15T10:00:00.000Z');
      const count = 1234;
      for (let i = 0; i < count; i++) {
        await store.putCall({ ...call, id: `call-${i}`, state: 'ended', result: 'answered', endedAt });
      }
      expect(await store.purgeEnded(new Date(endedAt.getTime() + 1))).toEqual({
        calls: count,
        transferSessions: 0,
      });
      expect(await keysUnder(keyPrefix)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('keeps deployments with different key prefixes apart', async () => {
    const a = new RedisStore({ url: server.url, keyPrefix: uniquePrefix() });
    const b = new RedisStore({ url: server.url, keyPrefix: uniquePrefix() });
    await a.open();
    await b.open();
    try {
      await a.putCall(call);
      expect(await b.getCall(call.id)).toBeUndefined();
      expect(await b.listCalls()).toEqual([]);
      expect(await a.listCalls()).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reports a stored value it cannot decode as store-corrupt', async () => {
    const keyPrefix = uniquePrefix();
    const store = new RedisStore({ url: server.url, keyPrefix });
    await store.open();
    try {
      await inspector.hset(`${keyPrefix}call:broken`, 'json', '{"id":"broken","state":"flying"}');
      await inspector.hset(`${keyPrefix}call:garbled`, 'json', '{not json');
      await inspector.set(`${keyPrefix}transfer:wrong-type`, 'a string, not a hash');
      await expect(store.getCall('broken')).rejects.toMatchObject({ code: 'store-corrupt' });
      await expect(store.getCall('garbled')).rejects.toMatchObject({ code: 'store-corrupt' });
      await expect(store.getTransferSession('wrong-type')).rejects.toMatchObject({ code: 'store-corrupt' });
    } finally {
      await store.close();
    }
  });

  it('fails open() with store-unavailable when nothing listens on the port', async () => {
    const port = await allocPort();
    try {
      const store = new RedisStore({
        url: `redis://:hunter2@127.0.0.1:${port}/0`,
        keyPrefix: 'baton:',
        connectTimeoutMs: 2000,
      });
      const failure = await store.open().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toMatchObject({ name: 'StoreError', code: 'store-unavailable', retryable: true });
      // The message names the server but never its password.
      expect((failure as Error).message).toContain(`127.0.0.1:${port}`);
      expect((failure as Error).message).not.toContain('hunter2');
      expect(store.isOpen()).toBe(false);
      await expect(store.getCall(call.id)).rejects.toMatchObject({ code: 'store-closed' });
    } finally {
      releasePort(port);
    }
  });

  it('fails open() with store-unavailable when Redis refuses the credentials', async () => {
    const guarded = await startRedisServer({ args: ['--requirepass', 'right-password'] });
    try {
      for (const url of [guarded.url, guarded.url.replace('redis://', 'redis://:wrong-password@')]) {
        const store = new RedisStore({ url, keyPrefix: 'baton:' });
        await expect(store.open()).rejects.toMatchObject({ code: 'store-unavailable' });
        expect(store.isOpen()).toBe(false);
      }
      const store = new RedisStore({
        url: guarded.url.replace('redis://', 'redis://:right-password@'),
        keyPrefix: 'baton:',
      });
      await store.open();
      await store.putCall(call);
      await store.close();
    } finally {
      await guarded.stop();
    }
  });

  it('fails open() with store-unavailable once the connect timeout passes when the server never answers', async () => {
    // Accepts TCP connections and says nothing, like a hung server or the wrong service.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      // Read (and ignore) what the client sends, so its closing FIN is seen.
      socket.resume();
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const connectTimeoutMs = 400;
      const store = new RedisStore({
        url: `redis://127.0.0.1:${port}`,
        keyPrefix: 'baton:',
        connectTimeoutMs,
      });
      const started = Date.now();
      await expect(store.open()).rejects.toMatchObject({ code: 'store-unavailable' });
      const waited = Date.now() - started;
      // It waited for the timeout (not an instant refusal) and gave up on it (not hanging on).
      expect(waited).toBeGreaterThanOrEqual(connectTimeoutMs - 20);
      expect(waited).toBeLessThan(connectTimeoutMs + 5000);
      expect(store.isOpen()).toBe(false);
      await waitFor(() => sockets.size === 0, 5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports not open and fails fast while Redis is down, and recovers when it returns', async () => {
    const port = await allocPort();
    let own = await startRedisServer({ port });
    const logged: string[] = [];
    const logger = {
      warn: (_fields: object, message: string) => logged.push(`warn: ${message}`),
      info: (_fields: object, message: string) => logged.push(`info: ${message}`),
    };
    const store: Store = new RedisStore({
      url: own.url,
      keyPrefix: uniquePrefix(),
      commandTimeoutMs: 1000,
      logger,
    });
    try {
      await store.open();
      await store.putCall(call);
      expect(store.isOpen()).toBe(true);

      await own.stop();
      await waitFor(() => !store.isOpen(), 5000);
      await expect(store.putCall(call)).rejects.toMatchObject({ code: 'store-unavailable', retryable: true });
      await expect(store.listCalls()).rejects.toMatchObject({ code: 'store-unavailable' });

      own = await startRedisServer({ port });
      await waitFor(() => store.isOpen(), 10_000);
      // A fresh server (memory only): the scripts are reloaded and the store works again.
      await store.putCall(call);
      expect(await store.getCall(call.id)).toStrictEqual(call);
      // One outage, one warning and one recovery line, however many reconnect attempts failed.
      expect(logged).toEqual([
        'warn: Redis store connection lost; reconnecting',
        'info: Redis store connection restored',
      ]);
    } finally {
      await store.close();
      await own.stop();
      releasePort(port);
    }
  });

  it('is built by createStore from the store config section', async () => {
    const keyPrefix = uniquePrefix();
    const config = storeSchema.parse({ kind: 'redis', redisUrl: server.url, keyPrefix });
    const store = createStore(config);
    expect(store.kind).toBe('redis');
    await store.open();
    try {
      await store.putTransferSession(session);
      expect(await inspector.exists(`${keyPrefix}transfer:${session.id}`)).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('shares one connection attempt between concurrent open() calls', async () => {
    const store = new RedisStore({ url: server.url, keyPrefix: uniquePrefix() });
    const before = Number(/connected_clients:(\d+)/.exec(await inspector.info('clients'))?.[1]);
    await Promise.all([store.open(), store.open(), store.open()]);
    try {
      const during = Number(/connected_clients:(\d+)/.exec(await inspector.info('clients'))?.[1]);
      expect(during - before).toBe(1);
      expect(store.isOpen()).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('refuses to build a Redis store without a URL', () => {
    expect(() => createStore({ kind: 'redis', sqlitePath: './data/baton.db', keyPrefix: 'baton:' })).toThrow(
      expect.objectContaining({ code: 'store-invalid-argument' }),
    );
  });
});
