/**
 * The behaviour every Store adapter must show, as one suite each adapter's test file runs
 * against a real backend (a SQLite file, a redis-server process).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  ActiveCallRecord,
  ActiveTransferSessionRecord,
  CallRecord,
  EndedCallRecord,
  EndedTransferSessionRecord,
  CallState,
  Store,
  StoreErrorCode,
  TransferHistoryEntry,
  TransferSessionRecord,
  TransferState,
} from '../../gateway/store/store-port.js';

export interface StoreFixture {
  /** A store over empty data, not yet opened. */
  readonly store: Store;
  /** Another store over the same data (same file, same Redis and prefix), not yet opened. */
  twin(): Store;
  /** Remove what the fixture created (files, keys). */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 15, 9, 30, 0, 123);
const SECOND = 1000;
const DAY = 86_400 * SECOND;

/** `n` as the last digits of a fixed UUID, so ids sort as their numbers do. */
function uuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

function at(offsetMs: number): Date {
  return new Date(T0 + offsetMs);
}

interface CallShape {
  state?: Exclude<CallState, 'ended'>;
  startedAt?: Date;
  instanceId?: string;
}

function activeCall(n: number, shape: CallShape = {}): ActiveCallRecord {
  return {
    id: uuid(n),
    conversationId: uuid(1000 + n),
    trunk: 'carrier-a',
    caller: { uri: 'sip:+15551230000@203.0.113.5', user: '+15551230000' },
    callee: { uri: 'sip:+15559870000@baton.example', user: '+15559870000' },
    source: '203.0.113.5:5060',
    instanceId: shape.instanceId ?? 'baton-1',
    state: shape.state ?? 'answered',
    startedAt: shape.startedAt ?? at(n * SECOND),
  };
}

function endedCall(n: number, endedAt: Date, shape: Omit<CallShape, 'state'> = {}): EndedCallRecord {
  const startedAt = shape.startedAt ?? new Date(endedAt.getTime() - 60 * SECOND);
  return {
    ...activeCall(n, { ...shape, startedAt }),
    state: 'ended',
    result: 'answered',
    answeredAt: new Date(startedAt.getTime() + 2 * SECOND),
    endedAt,
    endReason: 'caller-hangup',
  };
}

interface SessionShape {
  callId?: string;
  state?: Exclude<TransferState, 'ended'>;
  createdAt?: Date;
}

function activeSession(n: number, shape: SessionShape = {}): ActiveTransferSessionRecord {
  const createdAt = shape.createdAt ?? at(n * SECOND);
  return {
    id: uuid(5000 + n),
    callId: shape.callId ?? uuid(1),
    target: 'support-desk',
    mode: 'invite',
    state: shape.state ?? 'pending',
    createdAt,
    updatedAt: createdAt,
    vars: { reason: 'billing' },
    history: [{ state: 'pending', at: createdAt }],
  };
}

function endedSession(
  n: number,
  endedAt: Date,
  shape: Omit<SessionShape, 'state'> = {},
): EndedTransferSessionRecord {
  const createdAt = shape.createdAt ?? new Date(endedAt.getTime() - 30 * SECOND);
  return {
    ...activeSession(n, { ...shape, createdAt }),
    state: 'ended',
    outcome: 'completed',
    updatedAt: endedAt,
    endedAt,
  };
}

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'StoreError', code });
}

export function storeContract(name: string, makeFixture: () => Promise<StoreFixture>): void {
  describe(`${name} store contract`, () => {
    let fixture: StoreFixture;
    let store: Store;
    const extraStores: Store[] = [];

    beforeEach(async () => {
      fixture = await makeFixture();
      store = fixture.store;
      await store.open();
    });

    afterEach(async () => {
      for (const extra of extraStores.splice(0)) await extra.close();
      await store.close();
      await fixture.cleanup();
    });

    function twin(): Store {
      const other = fixture.twin();
      extraStores.push(other);
      return other;
    }

    it('is open only between open() and close(), and refuses work outside that with store-closed', async () => {
      const other = twin();
      expect(other.isOpen()).toBe(false);
      await expectStoreError(other.getCall(uuid(1)), 'store-closed');

      await other.open();
      await other.open();
      expect(other.isOpen()).toBe(true);
      await other.putCall(activeCall(1));

      await other.close();
      expect(other.isOpen()).toBe(false);
      await other.close();
      await expectStoreError(other.putCall(activeCall(2)), 'store-closed');
      await expectStoreError(other.listTransferSessions(), 'store-closed');
    });

    it('round-trips a call record with every field, unicode included', async () => {
      const record: CallRecord = {
        id: uuid(7),
        conversationId: uuid(1007),
        trunk: 'opérateur-北京 ☎',
        caller: { uri: 'sip:%E2%98%8E+33142@example.fr;user=phone', user: 'Zoë 🎧' },
        callee: { uri: 'sips:accueil@baton.example' },
        source: '[2001:db8::5]:5061',
        instanceId: 'baton-ü',
        state: 'ended',
        result: 'failed',
        startedAt: at(0),
        answeredAt: at(1500),
        endedAt: at(61_001),
        endReason: 'agent-unavailable',
        sipStatus: 503,
      };
      await store.putCall(record);
      const got = await store.getCall(record.id);
      expect(got).toStrictEqual(record);
      expect(got?.startedAt).toBeInstanceOf(Date);
    });

    it('round-trips a minimal call record without inventing absent fields', async () => {
      const record: CallRecord = {
        ...activeCall(8, { state: 'setup' }),
        trunk: null,
        caller: { uri: 'sip:anonymous@anonymous.invalid' },
      };
      await store.putCall(record);
      const got = await store.getCall(record.id);
      expect(got).toStrictEqual(record);
      expect(Object.keys(got ?? {})).not.toContain('answeredAt');
      expect(Object.keys(got ?? {})).not.toContain('result');
    });

    it('answers undefined for ids it does not hold', async () => {
      expect(await store.getCall(uuid(404))).toBeUndefined();
      expect(await store.getTransferSession(uuid(404))).toBeUndefined();
    });

    it('replaces a call on put and moves it between the state lists', async () => {
      const setup = activeCall(1, { state: 'setup' });
      const steps: CallRecord[] = [
        setup,
        { ...setup, state: 'ringing' },
        { ...setup, state: 'answered', answeredAt: at(3 * SECOND) },
        endedCall(1, at(90 * SECOND), { startedAt: setup.startedAt }),
      ];
      for (const record of steps) {
        await store.putCall(record);
        expect(await store.getCall(setup.id)).toStrictEqual(record);
        for (const state of ['setup', 'ringing', 'answered', 'ended'] as const) {
          const ids = (await store.listCalls({ state })).map((c) => c.id);
          expect(ids, `state list ${state} after put in ${record.state}`).toEqual(
            state === record.state ? [setup.id] : [],
          );
        }
      }
      expect(await store.listCalls()).toHaveLength(1);
    });

    it('lists calls newest first, by state, by instance, both, and up to a limit', async () => {
      await store.putCall(activeCall(1, { startedAt: at(10 * SECOND), instanceId: 'baton-1' }));
      await store.putCall(
        activeCall(2, { startedAt: at(30 * SECOND), instanceId: 'baton-2', state: 'ringing' }),
      );
      await store.putCall(activeCall(3, { startedAt: at(20 * SECOND), instanceId: 'baton-1' }));
      // Same start as call 3: ties go by id, highest first.
      await store.putCall(activeCall(4, { startedAt: at(20 * SECOND), instanceId: 'baton-2' }));
      await store.putCall(
        endedCall(5, at(40 * SECOND), { startedAt: at(5 * SECOND), instanceId: 'baton-1' }),
      );

      const ids = async (filter?: Parameters<Store['listCalls']>[0]): Promise<string[]> =>
        (await store.listCalls(filter)).map((c) => c.id);

      expect(await ids()).toEqual([uuid(2), uuid(4), uuid(3), uuid(1), uuid(5)]);
      expect(await ids({ state: 'answered' })).toEqual([uuid(4), uuid(3), uuid(1)]);
      expect(await ids({ instanceId: 'baton-1' })).toEqual([uuid(3), uuid(1), uuid(5)]);
      expect(await ids({ state: 'answered', instanceId: 'baton-1' })).toEqual([uuid(3), uuid(1)]);
      expect(await ids({ state: 'answered', instanceId: 'baton-1', limit: 1 })).toEqual([uuid(3)]);
      expect(await ids({ limit: 2 })).toEqual([uuid(2), uuid(4)]);
      expect(await ids({ state: 'ended', limit: 5 })).toEqual([uuid(5)]);
      expect(await ids({ limit: 0 })).toEqual([]);
      expect(await ids({ instanceId: 'baton-9' })).toEqual([]);
      expect(await ids({ state: 'setup' })).toEqual([]);
    });

    it('rejects a limit that is not a non-negative integer with store-invalid-argument', async () => {
      await expectStoreError(store.listCalls({ limit: -1 }), 'store-invalid-argument');
      await expectStoreError(store.listTransferSessions({ limit: 1.5 }), 'store-invalid-argument');
    });

    it('rejects a record it could not read back with store-invalid-argument, storing nothing', async () => {
      await expectStoreError(
        store.putCall(activeCall(1, { startedAt: new Date(Number.NaN) })),
        'store-invalid-argument',
      );
      const endedWithoutResult = { ...activeCall(2), state: 'ended' } as unknown as CallRecord;
      await expectStoreError(store.putCall(endedWithoutResult), 'store-invalid-argument');
      const badVars = { ...activeSession(3), vars: { n: 42 } } as unknown as TransferSessionRecord;
      await expectStoreError(store.putTransferSession(badVars), 'store-invalid-argument');
      expect(await store.listCalls()).toEqual([]);
      expect(await store.listTransferSessions()).toEqual([]);
    });

    it('round-trips a transfer session with unicode vars and its history', async () => {
      const vars = Object.fromEntries([
        ['reason', 'facturación — línea 2'],
        ['客户', '王小明 🙂'],
        ['empty', ''],
        // Var names are data: these must not touch any prototype.
        ['__proto__', 'not a prototype'],
        ['constructor', 'x'],
      ]) as Record<string, string>;
      const history: TransferHistoryEntry[] = [
        { state: 'pending', at: at(0) },
        { state: 'queued', at: at(250), detail: 'waiting for a free agent' },
        { state: 'active', at: at(4_000), detail: 'human leg 200 OK' },
        { state: 'post_agent', at: at(65_000) },
        { state: 'ended', at: at(70_000), detail: 'caller hung up' },
      ];
      const session: TransferSessionRecord = {
        id: uuid(5001),
        callId: uuid(1),
        target: 'Équipe support',
        mode: 'refer',
        state: 'ended',
        outcome: 'failed',
        failureReason: 'target-busy',
        sipStatus: 486,
        createdAt: at(0),
        updatedAt: at(70_000),
        endedAt: at(70_000),
        vars,
        history,
      };
      await store.putTransferSession(session);
      const got = await store.getTransferSession(session.id);
      expect(got).toStrictEqual(session);
      expect(Object.getPrototypeOf(got?.vars)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(got?.vars, '__proto__')?.value).toBe('not a prototype');
    });

    it('appends history by putting the session again', async () => {
      const first = activeSession(1);
      await store.putTransferSession(first);
      const second: TransferSessionRecord = {
        ...first,
        state: 'active',
        updatedAt: at(5 * SECOND),
        history: [...first.history, { state: 'active', at: at(5 * SECOND), detail: 'dialling support-desk' }],
      };
      await store.putTransferSession(second);

      const got = await store.getTransferSession(first.id);
      expect(got?.history.map((h) => h.state)).toEqual(['pending', 'active']);
      expect(got).toStrictEqual(second);
      expect((await store.listTransferSessions({ state: 'pending' })).map((s) => s.id)).toEqual([]);
      expect((await store.listTransferSessions({ state: 'active' })).map((s) => s.id)).toEqual([first.id]);
    });

    it('lists transfer sessions newest first, by call, by state, both, and up to a limit', async () => {
      const callA = uuid(1);
      const callB = uuid(2);
      await store.putTransferSession(activeSession(1, { callId: callA, createdAt: at(10 * SECOND) }));
      await store.putTransferSession(
        activeSession(2, { callId: callB, createdAt: at(20 * SECOND), state: 'queued' }),
      );
      await store.putTransferSession(
        endedSession(3, at(40 * SECOND), { callId: callA, createdAt: at(30 * SECOND) }),
      );
      await store.putTransferSession(
        activeSession(4, { callId: callA, createdAt: at(30 * SECOND), state: 'active' }),
      );

      const ids = async (filter?: Parameters<Store['listTransferSessions']>[0]): Promise<string[]> =>
        (await store.listTransferSessions(filter)).map((s) => s.id);
      const s = (n: number): string => uuid(5000 + n);

      expect(await ids()).toEqual([s(4), s(3), s(2), s(1)]);
      expect(await ids({ callId: callA })).toEqual([s(4), s(3), s(1)]);
      expect(await ids({ callId: callA, state: 'ended' })).toEqual([s(3)]);
      expect(await ids({ state: 'queued' })).toEqual([s(2)]);
      expect(await ids({ callId: callA, limit: 2 })).toEqual([s(4), s(3)]);
      expect(await ids({ callId: uuid(3) })).toEqual([]);
    });

    it('purges ended records that ended before the cutoff, and nothing else', async () => {
      const cutoff = at(0);
      const oldEnded = endedCall(1, at(-10 * DAY));
      const recentEnded = endedCall(2, at(-1 * SECOND + DAY));
      const endedAtCutoff = endedCall(3, cutoff);
      const oldActive = activeCall(4, { startedAt: at(-30 * DAY) });
      for (const c of [oldEnded, recentEnded, endedAtCutoff, oldActive]) await store.putCall(c);
      const oldSession = endedSession(1, at(-2 * DAY));
      const recentSession = endedSession(2, at(2 * DAY));
      const oldActiveSession = activeSession(3, { createdAt: at(-30 * DAY), state: 'active' });
      for (const s of [oldSession, recentSession, oldActiveSession]) await store.putTransferSession(s);

      expect(await store.purgeEnded(cutoff)).toEqual({ calls: 1, transferSessions: 1 });

      expect(await store.getCall(oldEnded.id)).toBeUndefined();
      expect(await store.getTransferSession(oldSession.id)).toBeUndefined();
      const callIds = (await store.listCalls()).map((c) => c.id).sort();
      expect(callIds).toEqual([recentEnded.id, endedAtCutoff.id, oldActive.id].sort());
      expect((await store.listCalls({ state: 'ended' })).map((c) => c.id).sort()).toEqual(
        [recentEnded.id, endedAtCutoff.id].sort(),
      );
      expect((await store.listCalls({ instanceId: 'baton-1' })).map((c) => c.id)).not.toContain(oldEnded.id);
      const sessionIds = (await store.listTransferSessions({ callId: uuid(1) })).map((s) => s.id).sort();
      expect(sessionIds).toEqual([recentSession.id, oldActiveSession.id].sort());

      expect(await store.purgeEnded(cutoff)).toEqual({ calls: 0, transferSessions: 0 });
      expect(await store.purgeEnded(at(10 * DAY))).toEqual({ calls: 2, transferSessions: 1 });
      expect((await store.listCalls()).map((c) => c.id)).toEqual([oldActive.id]);
    });

    it('keeps records across close and a new store over the same data', async () => {
      const call = endedCall(1, at(60 * SECOND));
      const session = activeSession(1, { state: 'queued' });
      await store.putCall(call);
      await store.putTransferSession(session);
      await store.close();

      const reopened = twin();
      await reopened.open();
      expect(await reopened.getCall(call.id)).toStrictEqual(call);
      expect(await reopened.getTransferSession(session.id)).toStrictEqual(session);
      expect((await reopened.listTransferSessions({ state: 'queued' })).map((s) => s.id)).toEqual([
        session.id,
      ]);
    });

    it('lets two stores over the same data see each other’s writes', async () => {
      const other = twin();
      await other.open();
      await store.putCall(activeCall(1, { state: 'ringing' }));
      expect((await other.getCall(uuid(1)))?.state).toBe('ringing');
      await other.putCall(activeCall(1, { state: 'answered' }));
      expect((await store.listCalls({ state: 'answered' })).map((c) => c.id)).toEqual([uuid(1)]);
    });
  });
}
