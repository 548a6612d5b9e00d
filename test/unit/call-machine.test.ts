import { describe, expect, it } from 'vitest';
import { transition } from '../../gateway/call/call-machine.js';
import type { CallEvent, CallState, Transition } from '../../gateway/call/call-state.js';

const ctx = { failureAnswer: { status: 486, reason: 'Busy Here' } };

/** Run events from `new` and return the last transition. */
function run(...events: CallEvent[]): Transition {
  let state: CallState = { name: 'new' };
  let last: Transition | undefined;
  for (const e of events) {
    last = transition(state, e, ctx);
    state = last.state;
  }
  if (last === undefined) throw new Error('no events');
  return last;
}

const start: CallEvent = { type: 'start' };
const agentAnswered: CallEvent = { type: 'agent-answered', sdp: 'v=0 agent', lateOffer: false };
const callerAnswered: CallEvent = { type: 'caller-answered' };
const connected = [start, agentAnswered, callerAnswered];

describe('call machine: setting up the call', () => {
  it('start dials the agent and arms the answer timer', () => {
    const t = run(start);
    expect(t.state).toEqual({ name: 'dialing-agent' });
    expect(t.effects).toEqual([{ type: 'dial-agent' }, { type: 'start-timer', timer: 'agent-answer' }]);
  });

  it.each([
    [180, 'Ringing', undefined],
    [183, 'Session Progress', 'v=0 early'],
  ])('agent %i is relayed to the caller', (status, reason, sdp) => {
    const t = run(start, { type: 'agent-provisional', status, reason, sdp });
    expect(t.state.name).toBe('dialing-agent');
    expect(t.effects).toEqual([{ type: 'send-provisional', status, reason, sdp }]);
  });

  it('agent 100 Trying is hop-by-hop and not relayed (RFC 3261 §21.1.1)', () => {
    expect(run(start, { type: 'agent-provisional', status: 100, reason: 'Trying' }).effects).toEqual([]);
  });

  it('agent answers → the caller is answered with the agent SDP, timer cleared', () => {
    const t = run(start, agentAnswered);
    expect(t.state).toEqual({ name: 'answering-caller', lateOffer: false });
    expect(t.effects).toEqual([
      { type: 'clear-timer', timer: 'agent-answer' },
      { type: 'answer-caller', sdp: 'v=0 agent' },
    ]);
  });

  it('caller answered → connected, setup time recorded', () => {
    const t = run(...connected);
    expect(t.state).toEqual({ name: 'connected' });
    expect(t.effects).toEqual([{ type: 'record-answered' }]);
  });
});

describe('call machine: the agent leg fails', () => {
  it.each([
    ['rejected', { kind: 'rejected', status: 486, reason: 'Busy Here' }, 'agent-rejected'],
    ['unreachable', { kind: 'unreachable', detail: '408 Request Timeout' }, 'agent-unreachable'],
  ] as const)('agent %s → caller gets the configured answer', (_name, failure, cause) => {
    const t = run(start, { type: 'agent-failed', failure });
    expect(t.state).toEqual({ name: 'ended', result: 'failed', cause });
    expect(t.effects).toEqual([
      { type: 'clear-timer', timer: 'agent-answer' },
      { type: 'reject-caller', answer: ctx.failureAnswer },
      { type: 'finish', result: 'failed', cause },
    ]);
  });

  it('answer timeout → CANCEL the agent, caller gets the configured answer', () => {
    const t = run(start, { type: 'agent-answer-timeout' });
    expect(t.state).toEqual({ name: 'ended', result: 'failed', cause: 'agent-timeout' });
    expect(t.effects).toEqual([
      { type: 'cancel-agent' },
      { type: 'reject-caller', answer: ctx.failureAnswer },
      { type: 'finish', result: 'failed', cause: 'agent-timeout' },
    ]);
  });

  it("the agent's 200 after the timeout cancelled it (race) → BYE that dialog", () => {
    const t = run(start, { type: 'agent-answer-timeout' }, agentAnswered);
    expect(t.ignored).toBe(true);
    expect(t.state.name).toBe('ended');
    expect(t.effects).toEqual([{ type: 'hangup', leg: 'agent' }]);
  });
});

describe('call machine: the caller gives up or hangs up', () => {
  it('CANCEL while the agent rings → cancel the agent leg (the stack already sent 487)', () => {
    const t = run(
      start,
      { type: 'agent-provisional', status: 180, reason: 'Ringing' },
      { type: 'caller-cancelled' },
    );
    expect(t.state).toEqual({ name: 'ended', result: 'cancelled', cause: 'caller-cancel' });
    expect(t.effects).toEqual([
      { type: 'clear-timer', timer: 'agent-answer' },
      { type: 'cancel-agent' },
      { type: 'finish', result: 'cancelled', cause: 'caller-cancel' },
    ]);
  });

  it('CANCEL crossing our 200 (answer failed) → BYE the agent', () => {
    const t = run(start, agentAnswered, { type: 'caller-answer-failed' });
    expect(t.state).toEqual({ name: 'ended', result: 'cancelled', cause: 'caller-cancel' });
    expect(t.effects).toEqual([
      { type: 'hangup', leg: 'agent' },
      { type: 'finish', result: 'cancelled', cause: 'caller-cancel' },
    ]);
  });

  it.each([
    ['caller', 'agent', 'caller-hangup'],
    ['agent', 'caller', 'agent-hangup'],
  ] as const)('%s BYE when connected → BYE the %s', (leg, otherLeg, cause) => {
    const t = run(...connected, { type: 'hungup', leg });
    expect(t.state).toEqual({ name: 'ended', result: 'answered', cause });
    expect(t.effects).toEqual([
      { type: 'hangup', leg: otherLeg },
      { type: 'finish', result: 'answered', cause },
    ]);
  });

  it('agent BYE while our 200 to the caller is in flight → held, then the caller gets BYE', () => {
    const held = run(start, agentAnswered, { type: 'hungup', leg: 'agent' });
    expect(held.state).toEqual({ name: 'answering-caller', lateOffer: false, pendingEnd: 'agent-hangup' });
    expect(held.effects).toEqual([]);
    const t = run(start, agentAnswered, { type: 'hungup', leg: 'agent' }, callerAnswered);
    expect(t.state).toEqual({ name: 'ended', result: 'answered', cause: 'agent-hangup' });
    expect(t.effects).toEqual([
      { type: 'record-answered' },
      { type: 'hangup', leg: 'caller' },
      { type: 'finish', result: 'answered', cause: 'agent-hangup' },
    ]);
  });

  it('agent BYE, then the caller never got the 200 → nothing left to hang up', () => {
    const t = run(start, agentAnswered, { type: 'hungup', leg: 'agent' }, { type: 'caller-answer-failed' });
    expect(t.effects).toEqual([{ type: 'finish', result: 'cancelled', cause: 'caller-cancel' }]);
  });

  it('a BYE after the call ended (crossing BYEs) is ignored', () => {
    const t = run(...connected, { type: 'hungup', leg: 'caller' }, { type: 'hungup', leg: 'agent' });
    expect(t.ignored).toBe(true);
    expect(t.effects).toEqual([]);
  });
});

describe('call machine: Baton ends the call (operator, shutdown)', () => {
  it('operator hang-up while dialing → cancel the agent, caller gets 480', () => {
    const t = run(start, { type: 'hangup-requested', by: 'operator' });
    expect(t.state).toEqual({ name: 'ended', result: 'cancelled', cause: 'operator-hangup' });
    expect(t.effects).toContainEqual({ type: 'cancel-agent' });
    expect(t.effects).toContainEqual({
      type: 'reject-caller',
      answer: { status: 480, reason: 'Temporarily Unavailable' },
    });
  });

  it('shutdown while dialing → caller gets 503', () => {
    const t = run(start, { type: 'hangup-requested', by: 'shutdown' });
    expect(t.effects).toContainEqual({
      type: 'reject-caller',
      answer: { status: 503, reason: 'Service Unavailable' },
    });
  });

  it('hang-up when connected → BYE both legs', () => {
    const t = run(...connected, { type: 'hangup-requested', by: 'operator' });
    expect(t.state).toEqual({ name: 'ended', result: 'answered', cause: 'operator-hangup' });
    expect(t.effects).toEqual([
      { type: 'hangup', leg: 'caller' },
      { type: 'hangup', leg: 'agent' },
      { type: 'finish', result: 'answered', cause: 'operator-hangup' },
    ]);
  });

  it('hang-up while answering the caller → both legs get BYE once the answer is out', () => {
    const t = run(start, agentAnswered, { type: 'hangup-requested', by: 'shutdown' }, callerAnswered);
    expect(t.effects).toEqual([
      { type: 'record-answered' },
      { type: 'hangup', leg: 'caller' },
      { type: 'hangup', leg: 'agent' },
      { type: 'finish', result: 'answered', cause: 'shutdown' },
    ]);
  });
});

describe('call machine: late offer (the caller’s INVITE has no SDP)', () => {
  const offered: CallEvent = { type: 'agent-answered', sdp: 'v=0 agent offer', lateOffer: true };

  it("the agent's offer goes to the caller; its ACK's answer goes to the agent", () => {
    const answered = run(start, offered, callerAnswered);
    expect(answered.state).toEqual({ name: 'awaiting-caller-ack' });
    expect(answered.effects).toEqual([{ type: 'record-answered' }]);
    const acked = run(start, offered, callerAnswered, { type: 'caller-acked', sdp: 'v=0 answer' });
    expect(acked.state).toEqual({ name: 'connected' });
    expect(acked.effects).toEqual([{ type: 'ack-agent', sdp: 'v=0 answer' }]);
  });

  it('the caller hangs up before its ACK → the agent leg is released', () => {
    const t = run(start, offered, callerAnswered, { type: 'hungup', leg: 'caller' });
    expect(t.state).toEqual({ name: 'ended', result: 'answered', cause: 'caller-hangup' });
    expect(t.effects).toEqual([
      { type: 'hangup', leg: 'agent' },
      { type: 'finish', result: 'answered', cause: 'caller-hangup' },
    ]);
  });

  it('an ACK in a normal (early-offer) call changes nothing', () => {
    const t = run(...connected, { type: 'caller-acked', sdp: undefined });
    expect(t.ignored).toBe(true);
    expect(t.effects).toEqual([]);
  });
});

describe('call machine: re-INVITE pass-through', () => {
  const hold: CallEvent = { type: 'reinvite', from: 'caller', requestId: 1, sdp: 'a=sendonly' };

  it('caller re-INVITE is forwarded to the agent, and its answer returned', () => {
    const forwarded = run(...connected, hold);
    expect(forwarded.state).toEqual({ name: 'connected', reinvite: { from: 'caller', requestId: 1 } });
    expect(forwarded.effects).toEqual([{ type: 'forward-reinvite', to: 'agent', sdp: 'a=sendonly' }]);
    const answered = run(...connected, hold, { type: 'reinvite-answered', sdp: 'a=recvonly' });
    expect(answered.state).toEqual({ name: 'connected' });
    expect(answered.effects).toEqual([{ type: 'accept-request', requestId: 1, sdp: 'a=recvonly' }]);
  });

  it("the other leg's refusal is passed back with its status", () => {
    const t = run(...connected, hold, {
      type: 'reinvite-failed',
      answer: { status: 488, reason: 'Not Acceptable Here' },
    });
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 1, answer: { status: 488, reason: 'Not Acceptable Here' } },
    ]);
  });

  it('agent re-INVITE while the caller’s is pending → 491 glare (RFC 3261 §14.2)', () => {
    const t = run(...connected, hold, { type: 'reinvite', from: 'agent', requestId: 2, sdp: 'x' });
    expect(t.state).toEqual({ name: 'connected', reinvite: { from: 'caller', requestId: 1 } });
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 2, answer: { status: 491, reason: 'Request Pending' } },
    ]);
  });

  it('BYE while a re-INVITE is pending → the pending one gets 487', () => {
    const t = run(...connected, hold, { type: 'hungup', leg: 'agent' });
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 1, answer: { status: 487, reason: 'Request Terminated' } },
      { type: 'hangup', leg: 'caller' },
      { type: 'finish', result: 'answered', cause: 'agent-hangup' },
    ]);
  });

  it('REFER from the agent is refused until transfers exist', () => {
    const t = run(...connected, { type: 'refer', from: 'agent', requestId: 3 });
    expect(t.effects).toEqual([
      { type: 'reject-request', requestId: 3, answer: { status: 501, reason: 'Not Implemented' } },
    ]);
  });
});

describe('call machine: every state answers every event', () => {
  const states: CallState[] = [
    { name: 'new' },
    { name: 'dialing-agent' },
    { name: 'answering-caller', lateOffer: false },
    { name: 'answering-caller', lateOffer: true },
    { name: 'awaiting-caller-ack' },
    { name: 'connected' },
    { name: 'ended', result: 'answered', cause: 'caller-hangup' },
  ];
  const events: CallEvent[] = [
    start,
    { type: 'agent-provisional', status: 180, reason: 'Ringing' },
    agentAnswered,
    { type: 'agent-failed', failure: { kind: 'unreachable', detail: 'x' } },
    { type: 'agent-answer-timeout' },
    { type: 'caller-cancelled' },
    callerAnswered,
    { type: 'caller-answer-failed' },
    { type: 'caller-acked', sdp: 'v=0' },
    { type: 'hungup', leg: 'caller' },
    { type: 'reinvite', from: 'caller', requestId: 9, sdp: undefined },
    { type: 'reinvite-answered', sdp: undefined },
    { type: 'reinvite-failed', answer: { status: 500 } },
    { type: 'refer', from: 'agent', requestId: 9 },
    { type: 'hangup-requested', by: 'operator' },
  ];

  it.each(states.flatMap((s) => events.map((e) => [s.name, e.type, s, e] as const)))(
    '%s + %s does not throw, and a request is always answered',
    (_s, _e, state, event) => {
      const t = transition(state, event, ctx);
      if (event.type === 'reinvite' || event.type === 'refer') {
        const answered = t.effects.some(
          (f) =>
            (f.type === 'reject-request' || f.type === 'accept-request') && f.requestId === event.requestId,
        );
        const forwarded = t.effects.some((f) => f.type === 'forward-reinvite');
        expect(answered || forwarded).toBe(true);
      }
      const finishes = t.effects.filter((f) => f.type === 'finish').length;
      expect(finishes).toBe(state.name !== 'ended' && t.state.name === 'ended' ? 1 : 0);
    },
  );
});
