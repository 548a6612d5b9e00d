/**
 * The call machine's side of transfers (`call-connected.ts`): which trigger starts a transfer,
 * where re-INVITEs go once the caller talks to a human, who ends the call when a leg goes, and
 * the races (a caller re-INVITE while Baton moves the media, BYEs crossing a release). Pure.
 */
import { describe, expect, it } from 'vitest';
import { transition } from '../../gateway/call/call-machine.js';
import { INITIAL_LEGS, transferAllowed } from '../../gateway/call/call-connected.js';
import type {
  CallEvent,
  CallMachineContext,
  CallState,
  LegSet,
  Transition,
} from '../../gateway/call/call-state.js';
import type { InboundRefer } from '../../gateway/call/ports.js';

const ctx: CallMachineContext = { failureAnswer: { status: 486, reason: 'Busy Here' }, transfers: true };
const refer: InboundRefer = {
  referTo: '<sip:support@baton.example>',
  cseq: 1,
  headers: [['X-Intent', 'billing']],
};
const connectedEvents: CallEvent[] = [
  { type: 'start' },
  { type: 'agent-answered', sdp: 'v=0 agent', lateOffer: false },
  { type: 'caller-answered' },
];

function run(events: CallEvent[], context: CallMachineContext = ctx): Transition {
  let state: CallState = { name: 'new' };
  let last: Transition | undefined;
  for (const e of [...connectedEvents, ...events]) {
    last = transition(state, e, context);
    state = last.state;
  }
  if (last === undefined) throw new Error('no events');
  return last;
}

const legs = (patch: Partial<LegSet>): LegSet => ({ ...INITIAL_LEGS, ...patch });
const referEvent: CallEvent = { type: 'refer', from: 'agent', requestId: 7, refer };
/** The caller talks to the human, the AI leg released, the transfer session still running. */
const withHuman: CallEvent[] = [
  referEvent,
  { type: 'leg-up', leg: 'human' },
  { type: 'bridge-started' },
  { type: 'bridged', to: 'human' },
  { type: 'release', leg: 'agent' },
];

describe('call machine: what starts a transfer', () => {
  it('REFER from the AI leg starts one, carrying the REFER and its pending answer', () => {
    const t = run([referEvent]);
    expect(t.state).toEqual({ name: 'connected', legs: legs({ transfer: true }) });
    expect(t.effects).toEqual([{ type: 'start-transfer', trigger: { kind: 'refer', requestId: 7, refer } }]);
  });

  it('REFER without transfers configured: 501, as before issue 4', () => {
    const t = run([referEvent], { failureAnswer: ctx.failureAnswer });
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 7, answer: { status: 501, reason: 'Not Implemented' } },
    ]);
  });

  it.each([
    ['caller', 501],
    ['human', 501],
  ] as const)('REFER from the %s leg is refused with %i', (from, status) => {
    const t = run([{ ...referEvent, from }]);
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 7, answer: expect.objectContaining({ status }) as unknown },
    ]);
  });

  it('a second REFER while a transfer runs gets 491', () => {
    const t = run([referEvent, { ...referEvent, requestId: 8 }]);
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 8, answer: { status: 491, reason: 'Request Pending' } },
    ]);
  });

  it('a REFER that could not be read gets 400', () => {
    const t = run([{ type: 'refer', from: 'agent', requestId: 7 }]);
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 7, answer: { status: 400, reason: 'Bad Request' } },
    ]);
  });

  it('the AI leg’s BYE with X-Transfer-Target starts one; the caller stays', () => {
    const headers = [['X-Transfer-Target', 'support']] as const;
    const t = run([{ type: 'hungup', leg: 'agent', transfer: headers }]);
    expect(t.state).toEqual({ name: 'connected', legs: legs({ agent: 'gone', transfer: true }) });
    expect(t.effects).toEqual([{ type: 'start-transfer', trigger: { kind: 'bye', headers } }]);
  });

  it('a plain BYE from the AI leg still ends the call', () => {
    const t = run([{ type: 'hungup', leg: 'agent' }]);
    expect(t.state).toEqual({ name: 'ended', result: 'answered', cause: 'agent-hangup' });
  });

  it('the API may transfer only a caller talking to the AI agent with no transfer running', () => {
    const connected = run([]).state;
    expect(transferAllowed(connected)).toBe(true);
    const started = transition(connected, { type: 'transfer-started' }, ctx).state;
    expect(transferAllowed(started)).toBe(false);
    expect(transferAllowed({ name: 'dialing-agent' })).toBe(false);
  });

  it('a refused trigger (transfer-ended) leaves the call as it was', () => {
    expect(run([referEvent, { type: 'transfer-ended', completed: false }]).state).toEqual({
      name: 'connected',
    });
  });

  it('a refused BYE trigger ends the call: the caller has nobody left', () => {
    const t = run([
      { type: 'hungup', leg: 'agent', transfer: [['X-Transfer-Target', 'nowhere']] },
      { type: 'transfer-ended', completed: false },
    ]);
    expect(t.state).toEqual({ name: 'ended', result: 'answered', cause: 'agent-hangup' });
    expect(t.effects).toEqual([
      { type: 'hangup', leg: 'caller' },
      { type: 'finish', result: 'answered', cause: 'agent-hangup' },
    ]);
  });
});

describe('call machine: while a transfer runs', () => {
  it('the caller hangs up: the transfer hears it first (to CANCEL the human), then the BYEs', () => {
    const t = run([referEvent, { type: 'leg-up', leg: 'human' }, { type: 'hungup', leg: 'caller' }]);
    expect(t.effects).toEqual([
      { type: 'transfer-event', event: 'caller-hungup' },
      { type: 'hangup', leg: 'agent' },
      { type: 'hangup', leg: 'human' },
      { type: 'finish', result: 'answered', cause: 'caller-hangup' },
    ]);
  });

  it('the AI agent hangs up after its REFER: the caller stays, the transfer is told', () => {
    const t = run([referEvent, { type: 'hungup', leg: 'agent' }]);
    expect(t.state).toEqual({ name: 'connected', legs: legs({ agent: 'gone', transfer: true }) });
    expect(t.effects).toEqual([{ type: 'transfer-event', event: 'agent-hungup' }]);
  });

  it('the caller’s re-INVITE while Baton moves its media gets 491 (RFC 3261 §14.1)', () => {
    const t = run([
      referEvent,
      { type: 'bridge-started' },
      { type: 'reinvite', from: 'caller', requestId: 9, sdp: 'x' },
    ]);
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 9, answer: { status: 491, reason: 'Request Pending' } },
    ]);
  });

  it('bridged to the human: re-INVITEs pass between the caller and the human', () => {
    const fromCaller = run([...withHuman, { type: 'reinvite', from: 'caller', requestId: 9, sdp: 'hold' }]);
    expect(fromCaller.effects).toEqual([{ type: 'forward-reinvite', to: 'human', sdp: 'hold' }]);
    const fromHuman = run([...withHuman, { type: 'reinvite', from: 'human', requestId: 9, sdp: 'hold' }]);
    expect(fromHuman.effects).toEqual([{ type: 'forward-reinvite', to: 'caller', sdp: 'hold' }]);
  });

  it('the released AI leg’s BYE crossing Baton’s is ignored', () => {
    const t = run([...withHuman, { type: 'hungup', leg: 'agent' }]);
    expect(t.ignored).toBe(true);
  });

  it('the human hangs up: the transfer decides (onHumanHangup)', () => {
    const t = run([...withHuman, { type: 'hungup', leg: 'human' }]);
    expect(t.state.name).toBe('connected');
    expect(t.effects).toEqual([{ type: 'transfer-event', event: 'human-hungup' }]);
  });

  it('the transfer releases the caller: the call ends with its cause', () => {
    const t = run([
      ...withHuman,
      { type: 'hungup', leg: 'human' },
      { type: 'release', leg: 'caller', cause: 'human-hangup' },
    ]);
    expect(t.state).toEqual({ name: 'ended', result: 'answered', cause: 'human-hangup' });
    expect(t.effects).toEqual([
      { type: 'hangup', leg: 'caller' },
      { type: 'finish', result: 'answered', cause: 'human-hangup' },
    ]);
  });

  it('return-to-agent by dialling the agent again: the call waits for it, then the media moves back', () => {
    const back = run([
      ...withHuman,
      { type: 'hungup', leg: 'human' },
      { type: 'agent-redial' },
      { type: 'transfer-ended', completed: true },
    ]);
    expect(back.state).toEqual({
      name: 'connected',
      legs: legs({ agent: 'dialing', partner: 'agent' }),
    });
    const answered = run([
      ...withHuman,
      { type: 'hungup', leg: 'human' },
      { type: 'agent-redial' },
      { type: 'transfer-ended', completed: true },
      { type: 'leg-up', leg: 'agent' },
      { type: 'bridge-started' },
      { type: 'bridged', to: 'agent' },
    ]);
    // Back where a call starts: another transfer may follow.
    expect(answered.state).toEqual({ name: 'connected' });
  });

  it('the agent cannot be dialled again: the call ends', () => {
    const t = run([
      { type: 'hungup', leg: 'agent', transfer: [['X-Transfer-Target', 'support']] },
      { type: 'agent-redial' },
      { type: 'transfer-ended', completed: false },
      { type: 'agent-redial-failed' },
    ]);
    expect(t.state).toEqual({ name: 'ended', result: 'answered', cause: 'agent-unreachable' });
  });

  it('an operator hangs up mid-transfer: the transfer is told, every leg released', () => {
    const t = run([
      referEvent,
      { type: 'leg-up', leg: 'human' },
      { type: 'hangup-requested', by: 'operator' },
    ]);
    expect(t.effects).toEqual([
      { type: 'transfer-event', event: 'caller-hungup' },
      { type: 'hangup', leg: 'caller' },
      { type: 'hangup', leg: 'agent' },
      { type: 'hangup', leg: 'human' },
      { type: 'finish', result: 'answered', cause: 'operator-hangup' },
    ]);
  });

  it('a human leg that answers after the call ended is hung up', () => {
    const t = run([
      { type: 'hungup', leg: 'caller' },
      { type: 'leg-up', leg: 'human' },
    ]);
    expect(t.effects).toEqual([{ type: 'hangup', leg: 'human' }]);
  });
});
