import { describe, expect, it } from 'vitest';
import { initialState, transition } from '../../gateway/transfer/transfer-session-machine.js';
import {
  storeState,
  type AttemptTarget,
  type TransferMachineContext,
  type TransferSessionEffect,
  type TransferSessionEvent,
  type TransferSessionState,
} from '../../gateway/transfer/transfer-session-state.js';
import {
  failureFromStatus,
  TransferFailure,
  type FallbackPlan,
} from '../../gateway/transfer/transfer-types.js';

const REFER: TransferMachineContext = { trigger: 'refer' };
const API: TransferMachineContext = { trigger: 'api' };
const BYE: TransferMachineContext = { trigger: 'bye' };

function target(
  name: string,
  method: AttemptTarget['method'],
  fallback: FallbackPlan<AttemptTarget> = { action: 'return-to-agent' },
  extra: Partial<AttemptTarget> = {},
): AttemptTarget {
  return { name, mode: method, method, fallback, onHumanHangup: 'hangup', ...extra };
}

const human = target('support', 'invite', { action: 'return-to-agent', node: 'Apology' });
const carrier = target('pstn', 'refer');
const ivr: AttemptTarget = { ...target('ivr-main', 'bye'), mode: 'ivr' };

/** Feed events one by one; fails the test when one is refused. Returns the last state and all effects. */
function run(
  t: AttemptTarget,
  ctx: TransferMachineContext,
  events: TransferSessionEvent[],
): { state: TransferSessionState; effects: TransferSessionEffect[] } {
  let state = initialState(t, ctx);
  const effects: TransferSessionEffect[] = [];
  for (const event of events) {
    const r = transition(state, event, ctx);
    if (r.rejected !== undefined) throw new Error(`${event.type} refused in ${state.name}: ${r.rejected}`);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const types = (effects: TransferSessionEffect[]): string[] =>
  effects.map((e) => {
    switch (e.type) {
      case 'start-timer':
      case 'clear-timer':
        return `${e.type}:${e.timer}`;
      case 'release':
        return `release:${e.leg}`;
      case 'notify-referrer':
        return `notify:${e.status}${e.final ? ':final' : ''}`;
      case 'caller-progress':
        return `ringback:${e.status}`;
      case 'start-attempt':
        return `start:${e.target.name}#${e.attempt}`;
      case 'return-to-agent':
        return `return-to-agent:${e.resume ? 'resume' : 'redial'}${e.node ? `@${e.node}` : ''}`;
      case 'count-failure':
        return `count:${e.failure.code}`;
      case 'finish':
        return `finish:${e.outcome.outcome}`;
      case 'play-prompt':
        return `prompt:${e.prompt}`;
      default:
        return e.type;
    }
  });

describe('invite bridge', () => {
  it('REFER trigger, human answers: ringback, NOTIFYs 100/180/200, bridge, then the AI leg goes', () => {
    const { state, effects } = run(human, REFER, [
      { type: 'start' },
      { type: 'progress', status: 180, reason: 'Ringing' },
      { type: 'answered', status: 200 },
      { type: 'bridged' },
    ]);
    expect(types(effects)).toEqual([
      'start:support#1',
      'start-timer:ring',
      'notify:100',
      'ringback:180',
      'notify:180',
      'clear-timer:ring',
      'attempt-settled',
      'bridge',
      'notify:200:final',
      'release:agent',
    ]);
    expect(state).toMatchObject({ name: 'active', bridged: true, agentLeg: 'gone' });
    expect(storeState(state)).toBe('active');
  });

  it('182 Queued then 180: queued, each new status relayed once', () => {
    const { state, effects } = run(human, API, [
      { type: 'start' },
      { type: 'progress', status: 100, reason: 'Trying' },
      { type: 'progress', status: 182, reason: 'Queued' },
      { type: 'progress', status: 182, reason: 'Queued' },
      { type: 'progress', status: 180, reason: 'Ringing' },
    ]);
    expect(types(effects)).toEqual(['start:support#1', 'start-timer:ring', 'ringback:182', 'ringback:180']);
    expect(state).toMatchObject({ name: 'queued', lastStatus: 180 });
  });

  it('human busy (486): the caller stays, the AI leg is resumed at the fallback node', () => {
    const { state, effects } = run(human, REFER, [
      { type: 'start' },
      { type: 'failed', failure: failureFromStatus(486, 'invite', 'Busy Here')! },
    ]);
    expect(types(effects)).toEqual([
      'start:support#1',
      'start-timer:ring',
      'notify:100',
      'clear-timer:ring',
      'attempt-settled',
      'count:busy',
      'notify:486:final',
      'return-to-agent:resume@Apology',
      'finish:failed',
    ]);
    expect(effects).not.toContainEqual({ type: 'release', leg: 'caller' });
    expect(state).toMatchObject({
      name: 'ended',
      outcome: { outcome: 'failed', fallback: 'return-to-agent' },
    });
  });

  it('no answer: the ring timer cancels the INVITE, nothing settled, fallback runs', () => {
    const { effects } = run(human, API, [{ type: 'start' }, { type: 'timer', timer: 'ring' }]);
    expect(types(effects)).toEqual([
      'start:support#1',
      'start-timer:ring',
      'clear-timer:ring',
      'cancel-target',
      'count:no-answer',
      'return-to-agent:resume@Apology',
      'finish:failed',
    ]);
  });

  it('caller hangs up while the human rings: CANCEL the human, end abandoned', () => {
    const { state, effects } = run(human, REFER, [
      { type: 'start' },
      { type: 'progress', status: 180, reason: 'Ringing' },
      { type: 'caller-hungup' },
    ]);
    expect(types(effects).slice(-5)).toEqual([
      'clear-timer:ring',
      'cancel-target',
      'notify:487:final',
      'count:caller-hung-up',
      'finish:abandoned',
    ]);
    expect(state).toMatchObject({ name: 'ended', outcome: { outcome: 'abandoned', mode: 'invite' } });
  });

  it('the bridge fails: the human is released, the caller falls back to the still-connected agent', () => {
    const { effects } = run(human, API, [
      { type: 'start' },
      { type: 'answered', status: 200 },
      { type: 'failed', failure: new TransferFailure('media-failed') },
    ]);
    expect(types(effects).slice(-4)).toEqual([
      'release:human',
      'count:media-failed',
      'return-to-agent:resume@Apology',
      'finish:failed',
    ]);
  });

  it.each<[string, AttemptTarget['onHumanHangup'], string[], string]>([
    ['ends the call', 'hangup', ['release:caller', 'finish:completed'], 'ended'],
    ['returns the caller to the agent', 'return-to-agent', ['return-to-agent:redial'], 'post_agent'],
  ])('after the bridge, the human hanging up %s', (_title, onHumanHangup, tail, name) => {
    const t = target('support', 'invite', { action: 'return-to-agent' }, { onHumanHangup });
    const { state, effects } = run(t, API, [
      { type: 'start' },
      { type: 'answered', status: 200 },
      { type: 'bridged' },
      { type: 'human-hungup' },
    ]);
    expect(types(effects).slice(-tail.length)).toEqual(tail);
    expect(state.name).toBe(name);
  });

  it('post_agent ends with the call', () => {
    const t = target(
      'support',
      'invite',
      { action: 'return-to-agent' },
      { onHumanHangup: 'return-to-agent' },
    );
    const { state, effects } = run(t, API, [
      { type: 'start' },
      { type: 'answered', status: 200 },
      { type: 'bridged' },
      { type: 'human-hungup' },
      { type: 'caller-hungup' },
    ]);
    expect(types(effects).at(-1)).toBe('finish:completed');
    expect(state).toMatchObject({ name: 'ended', outcome: { outcome: 'completed', target: 'support' } });
  });

  it('the caller hanging up after the bridge ends the human leg', () => {
    const { effects } = run(human, API, [
      { type: 'start' },
      { type: 'answered', status: 200 },
      { type: 'bridged' },
      { type: 'caller-hungup' },
    ]);
    expect(types(effects).slice(-2)).toEqual(['release:human', 'finish:completed']);
  });
});

describe('refer', () => {
  it('202, NOTIFY 100/180/200: both legs released, the caller after the grace period', () => {
    const { state, effects } = run(carrier, REFER, [
      { type: 'start' },
      { type: 'refer-accepted' },
      { type: 'progress', status: 100, reason: 'Trying' },
      { type: 'progress', status: 180, reason: 'Ringing' },
      { type: 'answered', status: 200 },
      { type: 'timer', timer: 'refer-bye' },
    ]);
    expect(types(effects)).toEqual([
      'start:pstn#1',
      'notify:100',
      'start-timer:notify',
      'notify:180',
      'clear-timer:notify',
      'attempt-settled',
      'notify:200:final',
      'release:agent',
      'start-timer:refer-bye',
      'release:caller',
      'finish:completed',
    ]);
    expect(state).toMatchObject({ name: 'ended', outcome: { outcome: 'completed', mode: 'refer' } });
  });

  it("the carrier's BYE inside the grace period: nothing left to release", () => {
    const { effects } = run(carrier, API, [
      { type: 'start' },
      { type: 'refer-accepted' },
      { type: 'answered', status: 200 },
      { type: 'caller-hungup' },
    ]);
    expect(types(effects).slice(-2)).toEqual(['clear-timer:refer-bye', 'finish:completed']);
  });

  it('a NOTIFY that overtakes the 202 starts the NOTIFY timer', () => {
    const { state, effects } = run(carrier, API, [
      { type: 'start' },
      { type: 'progress', status: 180, reason: 'Ringing' },
    ]);
    expect(types(effects)).toEqual(['start:pstn#1', 'start-timer:notify']);
    expect(state).toMatchObject({ name: 'queued', referAccepted: true });
    expect(transition(state, { type: 'refer-accepted' }, API).rejected).toBeDefined();
  });

  it.each([
    [405, 'refer', 'refer-not-supported', 405],
    [403, 'refer', 'rejected', 403],
    [500, 'refer', 'unavailable', 500],
    [486, 'notify', 'busy', 486],
    [503, 'notify', 'unavailable', 503],
  ] as const)('%i to the %s: %s, the caller stays', (status, phase, code, notified) => {
    const events: TransferSessionEvent[] =
      phase === 'refer' ? [{ type: 'start' }] : [{ type: 'start' }, { type: 'refer-accepted' }];
    const { state, effects } = run(carrier, REFER, [
      ...events,
      { type: 'failed', failure: failureFromStatus(status, phase)! },
    ]);
    expect(types(effects)).toContain(`count:${code}`);
    expect(types(effects)).toContain(`notify:${notified}:final`);
    expect(effects).not.toContainEqual({ type: 'release', leg: 'caller' });
    expect(types(effects).slice(-2)).toEqual(['return-to-agent:resume', 'finish:failed']);
    expect(state).toMatchObject({ name: 'ended', outcome: { failure: { code, sipStatus: status } } });
  });

  it('no NOTIFY at all: the NOTIFY timer fails the transfer as timeout', () => {
    const { effects } = run(carrier, REFER, [
      { type: 'start' },
      { type: 'refer-accepted' },
      { type: 'timer', timer: 'notify' },
    ]);
    expect(types(effects).slice(-5)).toEqual([
      'clear-timer:notify',
      'count:timeout',
      'notify:408:final',
      'return-to-agent:resume',
      'finish:failed',
    ]);
  });

  it('cannot be withdrawn once sent', () => {
    const { state } = run(carrier, API, [{ type: 'start' }, { type: 'refer-accepted' }]);
    expect(transition(state, { type: 'cancel', by: 'api' }, API)).toMatchObject({
      state,
      effects: [],
      rejected: 'a REFER or BYE already sent cannot be withdrawn',
    });
  });
});

describe('fallback', () => {
  it('prompt, then another target; the REFER trigger hears one final NOTIFY, at the end', () => {
    const second = target('overflow', 'invite', { action: 'hangup', prompt: 'sorry.wav' });
    const first = target('support', 'invite', {
      action: 'target',
      prompt: 'transfer-failed.wav',
      next: second,
    });
    const { state, effects } = run(first, REFER, [
      { type: 'start' },
      { type: 'failed', failure: failureFromStatus(480, 'invite')! },
      { type: 'prompt-done' },
      { type: 'failed', failure: failureFromStatus(486, 'invite')! },
      { type: 'prompt-done' },
    ]);
    expect(types(effects)).toEqual([
      'start:support#1',
      'start-timer:ring',
      'notify:100',
      'clear-timer:ring',
      'attempt-settled',
      'count:no-answer',
      'prompt:transfer-failed.wav',
      'start:overflow#2',
      'start-timer:ring',
      'clear-timer:ring',
      'attempt-settled',
      'count:busy',
      'notify:486:final',
      'prompt:sorry.wav',
      'release:caller',
      'release:agent',
      'finish:failed',
    ]);
    expect(state).toMatchObject({ name: 'ended', outcome: { target: 'overflow', fallback: 'hangup' } });
  });

  it('the caller hanging up during the prompt ends the session failed, the action not run', () => {
    const t = target('support', 'invite', { action: 'hangup', prompt: 'p.wav' });
    const { state, effects } = run(t, API, [
      { type: 'start' },
      { type: 'failed', failure: failureFromStatus(404, 'invite')! },
      { type: 'caller-hungup' },
    ]);
    expect(types(effects).slice(-2)).toEqual(['prompt:p.wav', 'finish:failed']);
    expect(state).toMatchObject({ outcome: { fallback: 'none', failure: { code: 'not-found' } } });
  });

  it('the fallback state is pending in the store', () => {
    const t = target('support', 'invite', { action: 'hangup', prompt: 'p.wav' });
    const { state } = run(t, API, [
      { type: 'start' },
      { type: 'failed', failure: failureFromStatus(404, 'invite')! },
    ]);
    expect(state.name).toBe('fallback');
    expect(storeState(state)).toBe('pending');
  });
});

describe('BYE trigger and IVR hand-back', () => {
  it('a BYE trigger has no AI leg: a failure dials the agent again', () => {
    const { effects } = run(human, BYE, [
      { type: 'start' },
      { type: 'failed', failure: failureFromStatus(503, 'invite')! },
    ]);
    expect(types(effects)).not.toContain('notify:100');
    expect(types(effects).slice(-2)).toEqual(['return-to-agent:redial@Apology', 'finish:failed']);
  });

  it('cancelling while the AI leg is gone returns the caller to the agent', () => {
    const { effects } = run(human, BYE, [{ type: 'start' }, { type: 'cancel', by: 'operator' }]);
    expect(types(effects).slice(-4)).toEqual([
      'cancel-target',
      'count:cancelled',
      'return-to-agent:redial',
      'finish:cancelled',
    ]);
  });

  it('hand-back by BYE completes once the BYE is out', () => {
    const { state, effects } = run(ivr, REFER, [{ type: 'start' }, { type: 'answered', status: 200 }]);
    expect(types(effects)).toEqual([
      'start:ivr-main#1',
      'notify:100',
      'attempt-settled',
      'notify:200:final',
      'release:agent',
      'finish:completed',
    ]);
    expect(state).toMatchObject({ name: 'ended', outcome: { outcome: 'completed', mode: 'ivr' } });
  });
});

describe('events that mean nothing in a state are refused', () => {
  const ended = run(human, API, [{ type: 'start' }, { type: 'cancel', by: 'api' }]).state;

  it.each<[string, TransferSessionState, TransferSessionEvent]>([
    ['answered before start', initialState(human, API), { type: 'answered', status: 200 }],
    ['a second start', run(human, API, [{ type: 'start' }]).state, { type: 'start' }],
    [
      'a final status as progress',
      run(human, API, [{ type: 'start' }]).state,
      { type: 'progress', status: 200, reason: 'OK' },
    ],
    ['refer-accepted for an INVITE', run(human, API, [{ type: 'start' }]).state, { type: 'refer-accepted' }],
    [
      'a NOTIFY timer for an INVITE',
      run(human, API, [{ type: 'start' }]).state,
      { type: 'timer', timer: 'notify' },
    ],
    ['human-hungup while ringing', run(human, API, [{ type: 'start' }]).state, { type: 'human-hungup' }],
    [
      'caller-hung-up as a failure',
      run(human, API, [{ type: 'start' }]).state,
      { type: 'failed', failure: new TransferFailure('caller-hung-up') },
    ],
    [
      'cancel after the bridge',
      run(human, API, [{ type: 'start' }, { type: 'answered', status: 200 }, { type: 'bridged' }]).state,
      { type: 'cancel', by: 'api' },
    ],
    ['anything after the end', ended, { type: 'caller-hungup' }],
  ])('%s', (_title, state, event) => {
    const r = transition(state, event, API);
    expect(r.rejected).toEqual(expect.any(String));
    expect(r.state).toBe(state);
  });

  it("a 200 that crossed Baton's CANCEL is refused but its dialog released (RFC 3261 §9.1)", () => {
    expect(transition(ended, { type: 'answered', status: 200 }, API)).toMatchObject({
      effects: [{ type: 'release', leg: 'human' }],
      rejected: 'the session has ended',
    });
  });

  it('every state takes every event without throwing', () => {
    const states: TransferSessionState[] = [
      initialState(human, API),
      run(human, API, [{ type: 'start' }]).state,
      run(human, API, [{ type: 'start' }, { type: 'progress', status: 180, reason: 'Ringing' }]).state,
      run(human, API, [{ type: 'start' }, { type: 'answered', status: 200 }]).state,
      run(carrier, API, [{ type: 'start' }, { type: 'refer-accepted' }, { type: 'answered', status: 200 }])
        .state,
      run(target('s', 'invite', { action: 'hangup', prompt: 'p' }), API, [
        { type: 'start' },
        { type: 'failed', failure: new TransferFailure('busy') },
      ]).state,
      ended,
    ];
    const events: TransferSessionEvent[] = [
      { type: 'start' },
      { type: 'refer-accepted' },
      { type: 'progress', status: 180, reason: 'Ringing' },
      { type: 'answered', status: 200 },
      { type: 'bridged' },
      { type: 'failed', failure: new TransferFailure('busy') },
      { type: 'timer', timer: 'ring' },
      { type: 'timer', timer: 'notify' },
      { type: 'timer', timer: 'refer-bye' },
      { type: 'caller-hungup' },
      { type: 'agent-hungup' },
      { type: 'human-hungup' },
      { type: 'cancel', by: 'agent' },
      { type: 'prompt-done' },
    ];
    for (const state of states) {
      for (const event of events) {
        const r = transition(state, event, REFER);
        // A finish is always the last effect of the step into ended, and only then.
        const finishes = r.effects.filter((e) => e.type === 'finish').length;
        expect(finishes).toBe(r.state.name === 'ended' && state.name !== 'ended' ? 1 : 0);
      }
    }
  });
});
