/**
 * CallRegistry + CallSession against fake SIP ports and a manual clock: the orchestration
 * around the pure machine (effects reach the right leg, timers fire, events that race are
 * serialised, metrics and store see each call once), with no sockets.
 */
import { describe, expect, it } from 'vitest';
import { CallRegistry } from '../../gateway/call/call-registry.js';
import {
  DialogRequestError,
  type Clock,
  type DialerPort,
  type DialEvents,
  type DialogHandlers,
  type DialogPort,
  type DialRequest,
  type InboundInvite,
  type InDialogAnswer,
  type PendingInvitePort,
  type RequestReply,
  type SipAnswer,
} from '../../gateway/call/ports.js';
import { createRootLogger } from '../../gateway/observability/logger.js';
import { RECORD_FLUSH_MS } from '../../gateway/call/record-writer.js';
import type { CallRecord } from '../../gateway/store/store-port.js';
import { FakeClock } from '../support/fake-clock.js';

class FakeDialog implements DialogPort {
  readonly sipCallId: string;
  remoteSdp: string | undefined;
  handlers: DialogHandlers | undefined;
  hangups = 0;
  reinvites: Array<{ sdp: string | undefined; resolve: (sdp: string) => void; reject: (e: Error) => void }> =
    [];

  constructor(id: string, sdp: string) {
    this.sipCallId = id;
    this.remoteSdp = sdp;
  }
  setHandlers(handlers: DialogHandlers): void {
    this.handlers = handlers;
  }
  reinvite(sdp: string | undefined): Promise<string | undefined> {
    return new Promise((resolve, reject) => this.reinvites.push({ sdp, resolve, reject }));
  }
  hangup(): Promise<void> {
    this.hangups += 1;
    return Promise.resolve();
  }
  request(): Promise<InDialogAnswer> {
    return Promise.resolve({ status: 200, reason: 'OK', cseq: 1 });
  }
}

class FakeCaller implements PendingInvitePort {
  provisionals: Array<[number, string | undefined]> = [];
  rejected: SipAnswer | undefined;
  answeredWith: string | undefined;
  dialog = new FakeDialog('caller-leg', 'v=0 caller');
  cancel: (() => void) | undefined;
  answerFails = false;

  sendProvisional(status: number, reason: string | undefined): void {
    this.provisionals.push([status, reason]);
  }
  answer(sdp: string): Promise<DialogPort> {
    this.answeredWith = sdp;
    return this.answerFails ? Promise.reject(new Error('cancelled')) : Promise.resolve(this.dialog);
  }
  reject(answer: SipAnswer): void {
    this.rejected = answer;
  }
  onCancel(handler: () => void): void {
    this.cancel = handler;
  }
}

class FakeDialer implements DialerPort {
  requests: DialRequest[] = [];
  events: DialEvents | undefined;
  cancels = 0;
  dial(request: DialRequest, events: DialEvents) {
    this.requests.push(request);
    this.events = events;
    return { cancel: () => void (this.cancels += 1) };
  }
}

const invite: InboundInvite = {
  sipCallId: 'sip-call-1',
  requestUri: 'sip:+4930123@baton',
  from: { uri: 'sip:+15550100@carrier', user: '+15550100' },
  to: { uri: 'sip:+4930123@baton', user: '+4930123' },
  sdp: 'v=0 caller',
  source: { address: '127.0.0.1', port: 5060, protocol: 'udp' },
};

function setup() {
  const clock = new FakeClock();
  const dialer = new FakeDialer();
  const counters: Record<string, number> = {};
  const bump = (key: string) => (counters[key] = (counters[key] ?? 0) + 1);
  const records: CallRecord[] = [];
  let released = 0;
  const registry = new CallRegistry({
    dialer,
    agent: {
      uri: 'sip:agent@10.0.0.5',
      headerTemplates: [],
      answerTimeoutMs: 15_000,
      failureAnswer: { status: 503 },
    },
    clock: clock as unknown as Clock,
    logger: createRootLogger({ level: 'silent' }),
    metrics: {
      callsTotal: { inc: ({ trunk, result }) => bump(`calls{${trunk},${result}}`) },
      callsActive: { inc: () => bump('active+'), dec: () => bump('active-'), set: () => undefined },
      callSetupSeconds: { observe: () => bump('setup') },
    },
    store: { putCall: (r) => (records.push(r), Promise.resolve()) },
    instanceId: 'test',
    newId: (() => {
      let n = 0;
      return () => `id-${++n}`;
    })(),
  });
  const caller = new FakeCaller();
  const call = registry.startCall({
    invite,
    trunk: 'carrier-a',
    caller,
    release: () => void (released += 1),
  });
  return { clock, dialer, counters, records, registry, caller, call, released: () => released };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('a call through the registry', () => {
  it('agent rings and answers, caller is answered with the agent SDP, agent hangs up → caller gets BYE', async () => {
    const t = setup();
    expect(t.dialer.requests[0]).toMatchObject({ uri: 'sip:agent@10.0.0.5', sdp: 'v=0 caller' });
    expect(t.dialer.requests[0]?.headers).toMatchObject({
      'X-Baton-Call-Id': 'id-1',
      'X-Baton-Trunk': 'carrier-a',
    });
    t.dialer.events?.onProvisional(180, 'Ringing', undefined);
    expect(t.caller.provisionals).toEqual([[180, 'Ringing']]);
    const agentDialog = new FakeDialog('agent-leg', 'v=0 agent');
    t.dialer.events?.onAnswered(agentDialog);
    expect(t.caller.answeredWith).toBe('v=0 agent');
    await flush();
    expect(t.call.state.name).toBe('connected');
    expect(t.registry.list()).toMatchObject([{ id: 'id-1', state: 'connected', trunk: 'carrier-a' }]);
    expect(t.counters.setup).toBe(1);

    agentDialog.handlers?.onEnded({ reason: 'normal release', headers: {} });
    expect(t.caller.dialog.hangups).toBe(1);
    await t.call.settled();
    expect(t.counters['calls{carrier-a,answered}']).toBe(1);
    expect([t.counters['active+'], t.counters['active-']]).toEqual([1, 1]);
    expect(t.released()).toBe(1);
    // Setup, answer and end within one flush interval: one write, of the latest state.
    expect(t.records).toEqual([]);
    t.clock.advance(RECORD_FLUSH_MS);
    await flush();
    expect(t.records.map((r) => r.state)).toEqual(['ended']);
    expect(t.records[0]).toMatchObject({ result: 'answered', endReason: 'agent-hangup', trunk: 'carrier-a' });
    expect(t.registry.size).toBe(0);
    await t.registry.whenIdle();
  });

  it('agent never answers: at answerTimeoutMs the agent is cancelled and the caller gets the failure answer', () => {
    const t = setup();
    t.clock.advance(14_999);
    expect(t.dialer.cancels).toBe(0);
    t.clock.advance(1);
    expect(t.dialer.cancels).toBe(1);
    expect(t.caller.rejected).toEqual({ status: 503 });
    expect(t.counters['calls{carrier-a,failed}']).toBe(1);
  });

  it('caller CANCEL while ringing: the agent INVITE is cancelled and the timer is cleared', () => {
    const t = setup();
    t.caller.cancel?.();
    expect(t.dialer.cancels).toBe(1);
    // The answer timer is gone: nothing more happens when it would have fired.
    t.clock.advance(20_000);
    expect(t.dialer.cancels).toBe(1);
    expect(t.caller.rejected).toBeUndefined();
    expect(t.counters['calls{carrier-a,cancelled}']).toBe(1);
  });

  it("caller's answer fails (CANCEL crossed the 200): the agent dialog gets BYE", async () => {
    const t = setup();
    t.caller.answerFails = true;
    const agentDialog = new FakeDialog('agent-leg', 'v=0 agent');
    t.dialer.events?.onAnswered(agentDialog);
    await t.call.settled();
    expect(agentDialog.hangups).toBe(1);
    expect(t.counters['calls{carrier-a,cancelled}']).toBe(1);
  });

  it('re-INVITE from the caller goes to the agent; the agent’s answer or refusal comes back', async () => {
    const t = setup();
    const agentDialog = new FakeDialog('agent-leg', 'v=0 agent');
    t.dialer.events?.onAnswered(agentDialog);
    await flush();
    const replies: string[] = [];
    const reply: RequestReply = {
      accept: (sdp) => replies.push(`200 ${sdp}`),
      reject: (a) => replies.push(`${a.status}`),
    };
    t.caller.dialog.handlers?.onReinvite('a=sendonly', reply);
    expect(agentDialog.reinvites.map((r) => r.sdp)).toEqual(['a=sendonly']);
    // A second one before the first is answered: glare.
    t.caller.dialog.handlers?.onReinvite('again', reply);
    expect(replies).toEqual(['491']);
    agentDialog.reinvites[0]?.resolve('a=recvonly');
    await flush();
    expect(replies).toEqual(['491', '200 a=recvonly']);
    t.caller.dialog.handlers?.onReinvite('a=sendrecv', reply);
    agentDialog.reinvites[1]?.reject(new DialogRequestError('re-INVITE', 488, 'Not Acceptable Here'));
    await flush();
    expect(replies).toEqual(['491', '200 a=recvonly', '488']);
  });

  it('operator hang-up of a connected call: BYE on both legs, hangup() resolves when they are done', async () => {
    const t = setup();
    const agentDialog = new FakeDialog('agent-leg', 'v=0 agent');
    t.dialer.events?.onAnswered(agentDialog);
    await flush();
    expect(await t.registry.hangup('id-1')).toBe(true);
    expect([t.caller.dialog.hangups, agentDialog.hangups]).toEqual([1, 1]);
    expect(await t.registry.hangup('id-1')).toBe(false);
    await t.registry.flushRecords();
    expect(t.records.at(-1)).toMatchObject({ state: 'ended', endReason: 'operator-hangup' });
  });

  it("late offer: the agent's 200 (an offer) answers the caller; the caller's ACK answer is sent in the agent's ACK", async () => {
    const t = setup();
    const agentDialog = new FakeDialog('agent-leg', 'v=0 agent offer');
    const acks: Array<string | undefined> = [];
    t.dialer.events?.onAnswered(agentDialog, { ack: (sdp) => (acks.push(sdp), Promise.resolve()) });
    expect(t.caller.answeredWith).toBe('v=0 agent offer');
    await flush();
    expect(t.call.state.name).toBe('awaiting-caller-ack');
    t.caller.dialog.handlers?.onAck('v=0 caller answer');
    expect(acks).toEqual(['v=0 caller answer']);
    expect(t.call.state.name).toBe('connected');
  });

  it('records are written behind: each flush writes the latest state of each call once', async () => {
    const t = setup();
    t.clock.advance(RECORD_FLUSH_MS);
    await flush();
    expect(t.records.map((r) => r.state)).toEqual(['setup']);
    t.dialer.events?.onAnswered(new FakeDialog('agent-leg', 'v=0 agent'));
    await flush();
    t.clock.advance(RECORD_FLUSH_MS - 1);
    expect(t.records).toHaveLength(1);
    t.clock.advance(1);
    await flush();
    expect(t.records.map((r) => r.state)).toEqual(['setup', 'answered']);
    expect(t.records[1]?.answeredAt).toBeInstanceOf(Date);
  });

  it("the agent's ringing is recorded as `ringing` (100 Trying is not), then `answered`", async () => {
    const t = setup();
    t.clock.advance(RECORD_FLUSH_MS);
    await flush();
    t.dialer.events?.onProvisional(100, 'Trying', undefined);
    t.clock.advance(RECORD_FLUSH_MS);
    await flush();
    t.dialer.events?.onProvisional(180, 'Ringing', undefined);
    t.clock.advance(RECORD_FLUSH_MS);
    await flush();
    // A second provisional (early media after the ringing) changes nothing in the record.
    t.dialer.events?.onProvisional(183, 'Session Progress', 'v=0 early');
    t.clock.advance(RECORD_FLUSH_MS);
    await flush();
    expect(t.records.map((r) => r.state)).toEqual(['setup', 'ringing']);
    expect(t.records[1]?.answeredAt).toBeUndefined();
    t.dialer.events?.onAnswered(new FakeDialog('agent-leg', 'v=0 agent'));
    await flush();
    t.clock.advance(RECORD_FLUSH_MS);
    await flush();
    expect(t.records.map((r) => r.state)).toEqual(['setup', 'ringing', 'answered']);
  });
});
