/**
 * `store.retainEndedDays` against a real SQLite store: the retention timer purges at start and
 * then every interval (a manual clock stands in for the interval, an injected wall clock for
 * the cut-off), keeps what is in progress or recent, survives a failing store, and stops.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../gateway/call/ports.js';
import { createRootLogger } from '../../gateway/observability/logger.js';
import { RecordRetention } from '../../gateway/store/record-retention.js';
import { SqliteStore } from '../../gateway/store/sqlite-store.js';
import type { CallRecord, PurgeResult, TransferSessionRecord } from '../../gateway/store/store-port.js';
import { FakeClock } from '../support/fake-clock.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const NOW = new Date('2026-06-01T12:00:00Z');

function daysAgo(days: number, from = NOW): Date {
  return new Date(from.getTime() - days * DAY_MS);
}

function call(id: string, startedDaysAgo: number, endedDaysAgo?: number): CallRecord {
  const base = {
    id,
    conversationId: `conv-${id}`,
    trunk: 'carrier-a',
    caller: { uri: 'sip:+15550100@carrier.example', user: '+15550100' },
    callee: { uri: 'sip:+4930123@baton.example', user: '+4930123' },
    source: '192.0.2.10:5060',
    instanceId: 'test',
    startedAt: daysAgo(startedDaysAgo),
  };
  return endedDaysAgo === undefined
    ? { ...base, state: 'answered', answeredAt: daysAgo(startedDaysAgo) }
    : {
        ...base,
        state: 'ended',
        result: 'answered',
        endedAt: daysAgo(endedDaysAgo),
        endReason: 'caller-hangup',
      };
}

function endedTransfer(id: string, callId: string, endedDaysAgo: number): TransferSessionRecord {
  const at = daysAgo(endedDaysAgo);
  return {
    id,
    callId,
    target: 'support',
    mode: 'invite',
    createdAt: at,
    updatedAt: at,
    vars: {},
    history: [{ state: 'ended', at }],
    state: 'ended',
    outcome: 'completed',
    endedAt: at,
  };
}

/** A logger whose lines the test reads back. */
function capturingLogger(): {
  logger: ReturnType<typeof createRootLogger>;
  lines: Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createRootLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** Let the purge's promise chain (store call, then the rescheduling) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RecordRetention with SQLite', () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baton-retention-'));
    store = new SqliteStore({ path: join(dir, 'baton.db') });
    await store.open();
    await store.putCall(call('old-ended', 41, 40));
    await store.putCall(call('recent-ended', 30, 29));
    // In progress for 40 days (a stuck record): never purged, however old.
    await store.putCall(call('old-active', 40));
    await store.putTransferSession(endedTransfer('old-transfer', 'old-ended', 40));
    await store.putTransferSession(endedTransfer('recent-transfer', 'recent-ended', 29));
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('purges at start, then every interval with the cut-off moving with the wall clock, until stopped', async () => {
    const clock = new FakeClock();
    let wallNow = NOW;
    const { logger, lines } = capturingLogger();
    const retention = new RecordRetention({
      store,
      retainEndedDays: 30,
      purgeIntervalMs: HOUR_MS,
      clock: clock as unknown as Clock,
      wallClock: () => wallNow,
      logger,
    });

    retention.start();
    await settle();
    expect(await store.getCall('old-ended')).toBeUndefined();
    expect(await store.getTransferSession('old-transfer')).toBeUndefined();
    expect(await store.getCall('recent-ended')).toBeDefined();
    expect(await store.getCall('old-active')).toBeDefined();
    expect(lines.filter((l) => l.msg === 'purged ended records')).toMatchObject([
      { calls: 1, transferSessions: 1, olderThan: daysAgo(30).toISOString(), component: 'retention' },
    ]);
    // The next purge waits for the interval.
    expect(clock.nextDueIn()).toBe(HOUR_MS);

    wallNow = new Date(NOW.getTime() + 2 * DAY_MS);
    clock.advance(HOUR_MS - 1);
    await settle();
    expect(await store.getCall('recent-ended')).toBeDefined();
    clock.advance(1);
    await settle();
    expect(await store.getCall('recent-ended')).toBeUndefined();
    expect(await store.getTransferSession('recent-transfer')).toBeUndefined();
    expect(await store.getCall('old-active')).toBeDefined();

    await retention.stop();
    expect(clock.pending).toBe(0);
    // Nothing to purge: no log line for an empty purge.
    expect(lines.filter((l) => l.msg === 'purged ended records')).toHaveLength(2);
  });

  it('purgeNow deletes only what ended more than retainEndedDays ago', async () => {
    const retention = new RecordRetention({
      store,
      retainEndedDays: 29,
      purgeIntervalMs: HOUR_MS,
      clock: new FakeClock() as unknown as Clock,
      // 29 days and one hour after the recent call ended.
      wallClock: () => new Date(NOW.getTime() + HOUR_MS),
      logger: createRootLogger({ level: 'silent' }),
    });
    expect(await retention.purgeNow()).toEqual({ calls: 2, transferSessions: 2 });
    expect((await store.listCalls()).map((c) => c.id)).toEqual(['old-active']);
  });

  it('a failing store is logged and tried again at the next interval; stop waits for a purge in progress', async () => {
    const clock = new FakeClock();
    const { logger, lines } = capturingLogger();
    let attempts = 0;
    let release: (r: PurgeResult) => void = () => undefined;
    const flaky = {
      purgeEnded: (): Promise<PurgeResult> => {
        attempts += 1;
        if (attempts === 1) return Promise.reject(new Error('disk I/O error'));
        return new Promise<PurgeResult>((resolve) => (release = resolve));
      },
    };
    const retention = new RecordRetention({
      store: flaky,
      retainEndedDays: 30,
      purgeIntervalMs: HOUR_MS,
      clock: clock as unknown as Clock,
      wallClock: () => NOW,
      logger,
    });
    retention.start();
    await settle();
    expect(lines.find((l) => String(l.msg).startsWith('purging ended records failed'))).toMatchObject({
      level: 40,
      err: { message: 'disk I/O error' },
    });
    expect(clock.nextDueIn()).toBe(HOUR_MS);

    clock.advance(HOUR_MS);
    expect(attempts).toBe(2);
    // The second purge hangs: no third is scheduled meanwhile (one purge at a time).
    expect(clock.pending).toBe(0);
    let stopped = false;
    const stopping = retention.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    release({ calls: 0, transferSessions: 0 });
    await stopping;
    expect(stopped).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('refuses a retention below one day or an interval that is not positive', () => {
    const base = {
      store,
      clock: new FakeClock() as unknown as Clock,
      logger: createRootLogger({ level: 'silent' }),
    };
    expect(() => new RecordRetention({ ...base, retainEndedDays: 0, purgeIntervalMs: HOUR_MS })).toThrow(
      RangeError,
    );
    expect(() => new RecordRetention({ ...base, retainEndedDays: 30, purgeIntervalMs: 0 })).toThrow(
      RangeError,
    );
  });
});
