/**
 * A transfer session (TransferService → TransferRun → the real strategies) against a fake call
 * (`TransferHost`) and a manual clock: the orderings and timers the SIPp tests cannot pin down
 * (a NOTIFY that overtakes the 202, the REFER-BYE grace, the ring timer), and what reaches the
 * store and the metrics. The wire itself is proven in test/integration/gateway-transfers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { transferSchema } from '../../config/schema/transfer.js';
import type {
  Clock,
  DialEvents,
  DialRequest,
  InboundNotify,
  InDialogAnswer,
  InDialogRequest,
  RequestReply,
  SipAnswer,
} from '../../gateway/call/ports.js';
import { createRootLogger } from '../../gateway/observability/logger.js';
import type { TransferSessionRecord } from '../../gateway/store/store-port.js';
import type { NotifyMessage } from '../../gateway/transfer/refer-headers.js';
import type { TransferHost } from '../../gateway/transfer/transfer-host.js';
import { TransferService } from '../../gateway/transfer/transfer-service.js';
import { transferStrategies } from '../../gateway/transfer/transfer-strategies.js';
import type { TransferTrigger } from '../../gateway/transfer/transfer-types.js';
import { FakeClock } from '../support/fake-clock.js';

const config = transferSchema.parse({
  ringTimeoutMs: 5000,
  notifyTimeoutMs: 4000,
  referByeGraceMs: 1000,
  targets: {
    support: {
      kind: 'internal',
      destination: 'sip:queue@cc.example.com',
      headers: { 'X-Intent': '{{vars.intent}}' },
    },
    pstn: { kind: 'external', method: 'refer', destination: 'sip:desk@cc.example.com' },
  },
});

class FakeHost implements TransferHost {
  readonly log: string[] = [];
  dials: Array<{ request: DialRequest; events: DialEvents; cancelled: boolean }> = [];
  refers: Array<{ request: InDialogRequest; answer: (a: InDialogAnswer) => void }> = [];
  readonly notifies: string[] = [];

  dial(request: DialRequest, events: DialEvents) {
    const entry = { request, events, cancelled: false };
    this.dials.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }
  adoptHuman(): void {
    this.log.push('adopt human');
  }
  bridgeCaller(): Promise<void> {
    this.log.push('bridge');
    return Promise.resolve();
  }
  referCaller(request: InDialogRequest): Promise<InDialogAnswer> {
    return new Promise((answer) => this.refers.push({ request, answer }));
  }
  byeCaller(): Promise<void> {
    this.log.push('bye caller');
    return Promise.resolve();
  }
  notifyAgent(notify: NotifyMessage): void {
    this.notifies.push(notify.body.trim());
  }
  release(leg: string, cause: string): void {
    this.log.push(`release ${leg} (${cause})`);
  }
  redialAgent(headers: Readonly<Record<string, string>>): void {
    this.log.push(`redial ${JSON.stringify(headers)}`);
  }
  transferEnded(completed: boolean): void {
    this.log.push(`ended ${completed}`);
  }
}

function setup(target: string, trigger: TransferTrigger = 'refer') {
  const clock = new FakeClock();
  const host = new FakeHost();
  const records: TransferSessionRecord[] = [];
  const counted: string[] = [];
  const service = new TransferService({
    config,
    trunks: [],
    isLocalHost: (h) => h === 'baton.example',
    strategies: transferStrategies,
    clock: clock as unknown as Clock,
    metrics: {
      transfersTotal: { inc: (l) => counted.push(`total ${l.mode} ${l.result}`) },
      transferFailuresTotal: { inc: (l) => counted.push(`failure ${l.reason} ${l.status ?? 'none'}`) },
      transfersActive: { inc: () => undefined, dec: () => undefined, set: () => undefined },
      transferDurationSeconds: { observe: (l, s) => counted.push(`duration ${l.mode} ${s}`) },
    },
    store: {
      putTransferSession: (r) => (records.push(r), Promise.resolve()),
      getTransferSession: () => Promise.resolve(undefined),
    },
    newId: () => 'transfer-1',
  });
  const run = service.begin({
    callId: 'call-1',
    conversationId: 'conv-1',
    trunk: undefined,
    trigger,
    input: { target: `sip:${target}@baton.example`, headers: [['X-Intent', 'billing']] },
    referCseq: trigger === 'refer' ? 3 : undefined,
    values: {
      'call.id': 'call-1',
      'call.from.user': '+15550100',
      'call.to.user': '+4930123',
      conversationId: 'conv-1',
      trunk: '',
    },
    parties: {
      caller: { uri: 'sip:+15550100@carrier.example', user: '+15550100' },
      called: { uri: 'sip:+4930123@baton.example', user: '+4930123' },
    },
    host,
    logger: createRootLogger({ level: 'silent' }),
  });
  return { clock, host, records, counted, run };
}

function notify(status: string, state: string, id = '7'): InboundNotify {
  return {
    event: `refer;id=${id}`,
    subscriptionState: state,
    contentType: 'message/sipfrag;version=2.0',
    body: `SIP/2.0 ${status}\r\n`,
  };
}

function reply(): RequestReply & { answers: Array<number> } {
  const answers: number[] = [];
  return {
    answers,
    accept: () => void answers.push(200),
    reject: (a: SipAnswer) => void answers.push(a.status),
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('transfer runner: mode refer', () => {
  it('a NOTIFY that overtakes the 202 is held and read once the REFER is answered (RFC 6665 §4.1.2.4)', async () => {
    const t = setup('pstn');
    t.run.start();
    expect(t.host.refers[0]?.request.headers).toContainEqual(['Refer-To', '<sip:desk@cc.example.com>']);
    const early = reply();
    t.run.onCallerNotify(notify('180 Ringing', 'active;expires=60'), early);
    expect(early.answers).toEqual([]);
    t.host.refers[0]?.answer({ status: 202, reason: 'Accepted', cseq: 7 });
    await flush();
    expect(early.answers).toEqual([200]);
    expect(t.run.state.name).toBe('queued');
    expect(t.host.notifies).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing']);
  });

  it('a NOTIFY for another REFER gets 481 and changes nothing', async () => {
    const t = setup('pstn');
    t.run.start();
    t.host.refers[0]?.answer({ status: 202, reason: 'Accepted', cseq: 7 });
    await flush();
    const other = reply();
    t.run.onCallerNotify(notify('200 OK', 'terminated', '99'), other);
    expect(other.answers).toEqual([481]);
    expect(t.run.state.name).toBe('pending');
  });

  it('success: the AI leg gets SIP/2.0 200 and is released; without the carrier’s BYE the caller’s leg goes after referByeGraceMs', async () => {
    const t = setup('pstn');
    t.run.start();
    t.host.refers[0]?.answer({ status: 202, reason: 'Accepted', cseq: 7 });
    await flush();
    t.run.onCallerNotify(notify('200 OK', 'terminated;reason=noresource'), reply());
    expect(t.host.notifies.at(-1)).toBe('SIP/2.0 200 OK');
    expect(t.host.log).toEqual(['release agent (transferred)']);
    t.clock.advance(999);
    expect(t.host.log).toHaveLength(1);
    t.clock.advance(1);
    expect(t.host.log).toEqual(['release agent (transferred)', 'release caller (transferred)', 'ended true']);
    expect(t.counted).toContain('total refer completed');
  });

  it('no final NOTIFY within notifyTimeoutMs: timeout, SIP/2.0 408 to the AI leg, the caller stays', async () => {
    const t = setup('pstn');
    t.run.start();
    t.host.refers[0]?.answer({ status: 202, reason: 'Accepted', cseq: 7 });
    await flush();
    t.clock.advance(4000);
    expect(t.host.notifies.at(-1)).toBe('SIP/2.0 408 Request Timeout');
    expect(t.counted).toContain('failure timeout none');
    expect(t.host.log).toEqual(['ended false']);
  });
});

describe('transfer runner: mode invite', () => {
  it('ring timeout: CANCEL at ringTimeoutMs, no-answer, the AI agent told SIP/2.0 480', () => {
    const t = setup('support');
    t.run.start();
    const dial = t.host.dials[0];
    expect(dial?.request).toMatchObject({
      uri: 'sip:queue@cc.example.com',
      sdp: undefined,
      headers: { 'X-Intent': 'billing', 'X-Baton-Call-Id': 'call-1', 'X-Baton-Transfer-Id': 'transfer-1' },
    });
    dial?.events.onProvisional(180, 'Ringing', undefined);
    t.clock.advance(4999);
    expect(dial?.cancelled).toBe(false);
    t.clock.advance(1);
    expect(dial?.cancelled).toBe(true);
    expect(t.host.notifies).toEqual([
      'SIP/2.0 100 Trying',
      'SIP/2.0 180 Ringing',
      'SIP/2.0 480 Temporarily Unavailable',
    ]);
    expect(t.counted).toEqual(['failure no-answer none', 'total invite failed']);
  });

  it('answered and bridged: the AI leg released after its final NOTIFY; the record goes pending → queued → active', async () => {
    const t = setup('support');
    t.run.start();
    const dial = t.host.dials[0];
    dial?.events.onProvisional(180, 'Ringing', undefined);
    dial?.events.onAnswered({
      sipCallId: 'human-1',
      remoteSdp: 'v=0 human',
      setHandlers: () => undefined,
      reinvite: () => Promise.resolve(undefined),
      request: () => Promise.reject(new Error('unused')),
      hangup: () => Promise.resolve(),
    });
    await flush();
    expect(t.host.log).toEqual(['adopt human', 'bridge', 'release agent (transferred)']);
    expect(t.host.notifies.at(-1)).toBe('SIP/2.0 200 OK');
    expect(t.run.record).toMatchObject({ state: 'active', target: 'support', vars: { intent: 'billing' } });
    expect(t.records.map((r) => r.state)).toEqual(['pending', 'queued', 'active']);
  });

  it('a BYE trigger: the AI leg is gone, so a failure dials the agent again with the reason', () => {
    const t = setup('support', 'bye');
    t.run.start();
    t.host.dials[0]?.events.onFailed({ kind: 'rejected', status: 486, reason: 'Busy Here' });
    expect(t.host.notifies).toEqual([]);
    expect(t.host.log).toEqual([
      'redial {"X-Baton-Transfer-Status":"486","X-Baton-Transfer-Reason":"busy"}',
      'ended false',
    ]);
  });
});
