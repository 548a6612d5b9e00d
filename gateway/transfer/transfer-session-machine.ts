/**
 * The transfer session state machine: `transition(state, event, ctx)` → next state and the effects
 * to run. Pure (no I/O, no timers, no logger); states, events and effects are in
 * `transfer-session-state.ts`. Every state handles every event explicitly: the switches are
 * exhaustive, so a new event or state that is not handled fails to compile. An event that means
 * nothing in a state is refused (`rejected` says why) and leaves the state as it was.
 *
 *                start              progress (18x, 1xx sipfrag)      answered (2xx, 2xx sipfrag)
 *   pending ─────────────▶ pending ─────────────────────▶ queued ─────────────────────────▶ active
 *   (created)    (INVITE / REFER / BYE out;          (ringback to the caller;     bridge: 'bridged' (media
 *                 ring timer, or NOTIFY timer         1xx NOTIFY to the AI leg)   moved) releases the AI leg;
 *                 from the 202)                           │                       Baton stays in the path.
 *                     │                                   │                       refer: waits for the
 *                     │                                   │                       carrier's BYE, then BYE
 *                     │ failed, ring or NOTIFY timeout    │                             │
 *                     │ (or the bridge failed)            │                             │
 *                     ├───────────────────────────────────┘                             │ human-hungup
 *                     ▼                                                                 ▼ (onHumanHangup
 *   fallback (prompt playing; no prompt: the action at once)                 post_agent  return-to-agent)
 *        │ prompt-done → action: target ─────────▶ pending (attempt n+1)         │
 *        │                       return-to-agent ─▶ ended (failed)               │ caller / agent
 *        │                       hangup ──────────▶ ended (failed)               ▼ hung up
 *        └ caller-hungup ────────────────────────▶ ended (failed)              ended (completed)
 *
 *   pending / queued: caller-hungup ▶ ended (abandoned); cancel ▶ ended (cancelled)
 *   ended: final; a late 200 from a cancelled INVITE only releases that leg
 *
 * The caller's leg is never released on a failure unless the fallback says hangup: a refused
 * REFER, a busy human or a silent carrier all end with the caller still connected (the transfer
 * flows of RFC 5589 keep the transferor's dialog until the final NOTIFY for exactly this).
 */
import type {
  AgentLeg,
  AttemptTarget,
  TransferMachineContext,
  TransferSessionEffect as Effect,
  TransferSessionEvent as Event,
  TransferSessionState as State,
  TransferTransition as Transition,
} from './transfer-session-state.js';
import { reasonPhrase, TransferFailure, type CancelledBy, type TransferOutcome } from './transfer-types.js';

type Attempt = Exclude<State, { name: 'ended' }>;
type Dialling = State & { name: 'pending' | 'queued' };
/** States an attempt can still fail in: dialling, or answered but not yet bridged. */
type Failable = Dialling | (State & { name: 'active' });

/** The state a new session starts in. A BYE trigger has already ended the AI agent's leg. */
export function initialState(target: AttemptTarget, ctx: TransferMachineContext): State {
  return {
    name: 'pending',
    target,
    attempt: 1,
    agentLeg: ctx.trigger === 'bye' ? 'gone' : 'up',
    started: false,
    referAccepted: false,
  };
}

export function transition(state: State, event: Event, ctx: TransferMachineContext): Transition {
  switch (state.name) {
    case 'pending':
    case 'queued':
      return fromDialling(state, event, ctx);
    case 'active':
      return fromActive(state, event, ctx);
    case 'post_agent':
      return fromPostAgent(state, event);
    case 'fallback':
      return fromFallback(state, event, ctx);
    case 'ended':
      return fromEnded(state, event);
    default:
      return assertNever(state);
  }
}

function fromDialling(state: Dialling, event: Event, ctx: TransferMachineContext): Transition {
  const started = state.name === 'queued' || state.started;
  switch (event.type) {
    case 'start':
      if (started) return reject(state, 'the attempt is already out');
      return begin({ ...state, name: 'pending', started: true, referAccepted: false }, ctx);
    case 'refer-accepted':
      if (!started || !isRefer(state.target) || state.referAccepted)
        return reject(state, 'no REFER waiting for its answer');
      return take({ ...state, referAccepted: true }, [{ type: 'start-timer', timer: 'notify' }]);
    case 'progress': {
      if (!started) return reject(state, 'nothing sent yet');
      if (event.status >= 200) return reject(state, `${event.status} is not provisional`);
      // A NOTIFY may overtake the 202 (RFC 6665: subscribers must expect NOTIFYs before the
      // subscription's transaction completes); it proves the REFER was accepted.
      const accepting = isRefer(state.target) && !state.referAccepted;
      const accept: Effect[] = accepting ? [{ type: 'start-timer', timer: 'notify' }] : [];
      const referAccepted = state.referAccepted || accepting;
      // 100 is hop-by-hop (RFC 3261 §21.1.1), and a repeated 18x says nothing new.
      if (event.status <= 100 || (state.name === 'queued' && state.lastStatus === event.status)) {
        return take({ ...state, referAccepted }, accept);
      }
      const ringback: Effect[] = isBridge(state.target)
        ? [{ type: 'caller-progress', status: event.status, reason: event.reason }]
        : [];
      return take({ ...state, name: 'queued', referAccepted, lastStatus: event.status }, [
        ...accept,
        ...ringback,
        ...notify(ctx, state.agentLeg, event.status, event.reason, false),
      ]);
    }
    case 'answered':
      if (!started) return reject(state, 'nothing sent yet');
      return succeed(state, ctx);
    case 'failed':
      if (!started) return reject(state, 'nothing sent yet');
      if (!event.failure.runsFallback) return reject(state, `${event.failure.code} comes as its own event`);
      return fail(state, event.failure, [], ctx);
    case 'timer':
      if (event.timer === 'ring' && started && isBridge(state.target)) {
        return fail(state, new TransferFailure('no-answer'), [{ type: 'cancel-target' }], ctx);
      }
      if (event.timer === 'notify' && state.referAccepted)
        return fail(state, new TransferFailure('timeout'), [], ctx);
      return reject(state, `no ${event.timer} timer runs while ${state.name}`);
    case 'caller-hungup':
      return endEarly(
        state,
        new TransferFailure('caller-hung-up'),
        { outcome: 'abandoned', mode: state.target.mode },
        [],
        ctx,
      );
    case 'agent-hungup':
      return take({ ...state, agentLeg: 'gone' }, []);
    case 'cancel':
      return cancel(state, event.by, ctx);
    case 'human-hungup':
    case 'bridged':
    case 'prompt-done':
      return reject(state, `${event.type} while ${state.name}`);
    default:
      return assertNever(event);
  }
}

function fromActive(
  state: State & { name: 'active' },
  event: Event,
  ctx: TransferMachineContext,
): Transition {
  switch (event.type) {
    case 'bridged':
      if (state.releasing || state.bridged) return reject(state, 'nothing is being bridged');
      return take({ ...state, bridged: true, agentLeg: 'gone' }, [
        ...notify(ctx, state.agentLeg, 200, reasonPhrase(200), true),
        ...(state.agentLeg === 'up' ? [{ type: 'release', leg: 'agent' } as const] : []),
      ]);
    case 'failed':
      if (state.releasing || state.bridged) return reject(state, 'failed after the transfer was done');
      if (!event.failure.runsFallback) return reject(state, `${event.failure.code} comes as its own event`);
      // The human answered but the caller could not be moved: drop the human, keep the caller.
      return fail(state, event.failure, [{ type: 'release', leg: 'human' }], ctx);
    case 'human-hungup':
      if (state.releasing) return reject(state, 'no human leg after a REFER');
      // Before the bridge the caller is still with the AI agent: the attempt simply failed.
      if (!state.bridged) return fail(state, new TransferFailure('other'), [], ctx);
      if (state.target.onHumanHangup === 'return-to-agent') {
        return take({ ...state, name: 'post_agent' }, [
          { type: 'return-to-agent', resume: state.agentLeg === 'up' },
        ]);
      }
      return finish([{ type: 'release', leg: 'caller' }], completed(state));
    case 'caller-hungup':
      if (state.releasing) return finish([{ type: 'clear-timer', timer: 'refer-bye' }], completed(state));
      return finish([{ type: 'release', leg: 'human' }], completed(state));
    case 'timer':
      if (event.timer !== 'refer-bye' || !state.releasing)
        return reject(state, `no ${event.timer} timer runs while active`);
      // The carrier did not end the caller's leg after the transfer: Baton does (LiveKit waits 1 s the same way).
      return finish([{ type: 'release', leg: 'caller' }], completed(state));
    case 'agent-hungup':
      return take({ ...state, agentLeg: 'gone' }, []);
    case 'answered':
    case 'progress':
    case 'refer-accepted':
    case 'start':
    case 'cancel':
    case 'prompt-done':
      return reject(state, `${event.type} after the target answered`);
    default:
      return assertNever(event);
  }
}

function fromPostAgent(state: State & { name: 'post_agent' }, event: Event): Transition {
  switch (event.type) {
    // The call layer ends the other leg; the transfer's part is done either way.
    case 'caller-hungup':
    case 'agent-hungup':
      return finish([], completed(state));
    case 'answered':
    case 'progress':
    case 'failed':
    case 'refer-accepted':
    case 'start':
    case 'timer':
    case 'human-hungup':
    case 'bridged':
    case 'cancel':
    case 'prompt-done':
      return reject(state, `${event.type} after the caller returned to the AI agent`);
    default:
      return assertNever(event);
  }
}

function fromFallback(
  state: State & { name: 'fallback' },
  event: Event,
  ctx: TransferMachineContext,
): Transition {
  switch (event.type) {
    case 'prompt-done':
      return runAction(state, state.failure, [], ctx);
    case 'caller-hungup':
      return finish([], failed(state, state.failure, 'none'));
    case 'agent-hungup':
      return take({ ...state, agentLeg: 'gone' }, []);
    case 'answered':
      // A 200 that crossed Baton's CANCEL (RFC 3261 §9.1): the UAC still has to end that dialog.
      return reject(state, 'the target answered after the attempt failed', lateAnswerCleanup(state.target));
    case 'progress':
    case 'failed':
    case 'refer-accepted':
    case 'start':
    case 'timer':
    case 'human-hungup':
    case 'bridged':
    case 'cancel':
      return reject(state, `${event.type} while the fallback prompt plays`);
    default:
      return assertNever(event);
  }
}

function fromEnded(state: State & { name: 'ended' }, event: Event): Transition {
  switch (event.type) {
    case 'answered': {
      const mode = state.outcome.mode;
      return reject(
        state,
        'the session has ended',
        mode === 'invite' || mode === 'bye' ? [{ type: 'release', leg: 'human' }] : [],
      );
    }
    case 'start':
    case 'refer-accepted':
    case 'progress':
    case 'failed':
    case 'timer':
    case 'caller-hungup':
    case 'agent-hungup':
    case 'human-hungup':
    case 'bridged':
    case 'cancel':
    case 'prompt-done':
      return reject(state, 'the session has ended');
    default:
      return assertNever(event);
  }
}

/** Send the attempt, and arm its timer (a REFER's timer waits for the 202). */
function begin(state: State & { name: 'pending' }, ctx: TransferMachineContext): Transition {
  const effects: Effect[] = [{ type: 'start-attempt', target: state.target, attempt: state.attempt }];
  if (isBridge(state.target)) effects.push({ type: 'start-timer', timer: 'ring' });
  // RFC 6665 §4.2.1: the notifier sends a NOTIFY as soon as the subscription exists (after the 202).
  if (state.attempt === 1) effects.push(...notify(ctx, state.agentLeg, 100, reasonPhrase(100), false));
  return take(state, effects);
}

function succeed(state: Dialling, ctx: TransferMachineContext): Transition {
  const { target, attempt, agentLeg } = state;
  const settled: Effect[] = [...clearTimers(state), { type: 'attempt-settled', mode: target.mode }];
  if (isBridge(target)) {
    // The AI leg stays until the caller's media has moved ('bridged'), so a failed bridge can fall back.
    return take({ name: 'active', target, attempt, agentLeg, bridged: false, releasing: false }, [
      ...settled,
      { type: 'bridge' },
    ]);
  }
  const done: Effect[] = [
    ...settled,
    ...notify(ctx, agentLeg, 200, reasonPhrase(200), true),
    ...(agentLeg === 'up' ? [{ type: 'release', leg: 'agent' } as const] : []),
  ];
  if (!isRefer(target)) return finish(done, completed(state));
  const gone: AgentLeg = 'gone';
  return take({ name: 'active', target, attempt, agentLeg: gone, bridged: false, releasing: true }, [
    ...done,
    { type: 'start-timer', timer: 'refer-bye' },
  ]);
}

/** An attempt failed: the fallback prompt, or straight to the fallback's action. */
function fail(
  state: Failable,
  failure: TransferFailure,
  first: Effect[],
  ctx: TransferMachineContext,
): Transition {
  const { fallback } = state.target;
  const effects: Effect[] = [
    ...clearTimers(state),
    ...first,
    ...(failure.sipStatus !== undefined
      ? [{ type: 'attempt-settled', mode: state.target.mode } as const]
      : []),
    { type: 'count-failure', failure },
  ];
  // The AI leg's subscription ends now unless another target is tried for the same REFER.
  if (fallback.action !== 'target') {
    effects.push(
      ...notify(ctx, state.agentLeg, failure.notifyStatus.status, failure.notifyStatus.reason, true),
    );
  }
  if (!isRefer(state.target) && !isBridge(state.target)) {
    // A BYE hand-back has released the IVR leg whatever happened: nobody is left to fall back for.
    return finish(effects, failed(state, failure, 'none'));
  }
  const next: State & { name: 'fallback' } = {
    name: 'fallback',
    target: state.target,
    attempt: state.attempt,
    agentLeg: state.agentLeg,
    failure,
  };
  if (fallback.prompt !== undefined) {
    return take(next, [...effects, { type: 'play-prompt', prompt: fallback.prompt }]);
  }
  return runAction(next, failure, effects, ctx);
}

function runAction(
  state: State & { name: 'fallback' },
  failure: TransferFailure,
  effects: Effect[],
  ctx: TransferMachineContext,
): Transition {
  const { fallback } = state.target;
  switch (fallback.action) {
    case 'return-to-agent':
      return finish(
        [
          ...effects,
          {
            type: 'return-to-agent',
            resume: state.agentLeg === 'up',
            failure,
            ...(fallback.node !== undefined && { node: fallback.node }),
          },
        ],
        failed(state, failure, 'return-to-agent'),
      );
    case 'hangup':
      return finish(
        [
          ...effects,
          { type: 'release', leg: 'caller' },
          ...(state.agentLeg === 'up' ? [{ type: 'release', leg: 'agent' } as const] : []),
        ],
        failed(state, failure, 'hangup'),
      );
    case 'target': {
      const next: State & { name: 'pending' } = {
        name: 'pending',
        target: fallback.next,
        attempt: state.attempt + 1,
        agentLeg: state.agentLeg,
        started: true,
        referAccepted: false,
      };
      const started = begin(next, ctx);
      return take(started.state, [...effects, ...started.effects]);
    }
    default:
      return assertNever(fallback);
  }
}

/** The caller hung up, or the transfer was withdrawn, before the target answered. */
function endEarly(
  state: Dialling,
  failure: TransferFailure,
  outcome: TransferOutcome,
  then: Effect[],
  ctx: TransferMachineContext,
): Transition {
  const started = state.name === 'queued' || state.started;
  return finish(
    [
      ...clearTimers(state),
      ...(started && isBridge(state.target) ? [{ type: 'cancel-target' } as const] : []),
      ...(started
        ? notify(ctx, state.agentLeg, failure.notifyStatus.status, failure.notifyStatus.reason, true)
        : []),
      { type: 'count-failure', failure },
      ...then,
    ],
    outcome,
  );
}

function cancel(state: Dialling, by: CancelledBy, ctx: TransferMachineContext): Transition {
  const started = state.name === 'queued' || state.started;
  // A REFER cannot be withdrawn once out (RFC 3515 defines no way), nor a BYE taken back.
  if (started && !isBridge(state.target))
    return reject(state, 'a REFER or BYE already sent cannot be withdrawn');
  // With the AI agent's leg gone nobody would be left with the caller: the agent is dialled again.
  const back: Effect[] = state.agentLeg === 'up' ? [] : [{ type: 'return-to-agent', resume: false }];
  return endEarly(
    state,
    new TransferFailure('cancelled'),
    { outcome: 'cancelled', mode: state.target.mode, by },
    back,
    ctx,
  );
}

/** The timer running in a state, cleared when it is left. */
function clearTimers(state: Failable): Effect[] {
  if (state.name === 'active') return state.releasing ? [{ type: 'clear-timer', timer: 'refer-bye' }] : [];
  if (isBridge(state.target) && (state.name === 'queued' || state.started)) {
    return [{ type: 'clear-timer', timer: 'ring' }];
  }
  if (isRefer(state.target) && state.referAccepted) return [{ type: 'clear-timer', timer: 'notify' }];
  return [];
}

/** A NOTIFY for the AI leg's REFER, when a REFER triggered and that leg is still up. */
function notify(
  ctx: TransferMachineContext,
  agentLeg: AgentLeg,
  status: number,
  reason: string,
  final: boolean,
): Effect[] {
  return ctx.trigger === 'refer' && agentLeg === 'up'
    ? [{ type: 'notify-referrer', status, reason, final }]
    : [];
}

function lateAnswerCleanup(target: AttemptTarget): Effect[] {
  return isBridge(target) ? [{ type: 'release', leg: 'human' }] : [];
}

/** INVITE the target and bridge (method invite or bye, kinds internal and external). */
function isBridge(target: AttemptTarget): boolean {
  return target.method === 'invite' || (target.method === 'bye' && target.mode !== 'ivr');
}

function isRefer(target: AttemptTarget): boolean {
  return target.method === 'refer';
}

function completed(state: Attempt): TransferOutcome {
  return { outcome: 'completed', mode: state.target.mode, target: state.target.name };
}

function failed(
  state: Attempt,
  failure: TransferFailure,
  fallback: 'return-to-agent' | 'hangup' | 'none',
): TransferOutcome {
  return { outcome: 'failed', mode: state.target.mode, target: state.target.name, failure, fallback };
}

function take(state: State, effects: Effect[]): Transition {
  return { state, effects };
}

function finish(effects: Effect[], outcome: TransferOutcome): Transition {
  return { state: { name: 'ended', outcome }, effects: [...effects, { type: 'finish', outcome }] };
}

function reject(state: State, reason: string, effects: Effect[] = []): Transition {
  return { state, effects, rejected: reason };
}

function assertNever(value: never): never {
  throw new Error(`unhandled transfer machine input: ${JSON.stringify(value)}`);
}
