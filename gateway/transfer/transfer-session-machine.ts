/**
 * The transfer session state machine: `transition(state, event, ctx)` → next state and the effects
 * to run. Pure (no I/O, no timers, no logger); states, events and effects are in
 * `transfer-session-state.ts`, the steps several states share in `transfer-session-steps.ts`.
 * Every state handles every event explicitly: the switches are exhaustive, so a new event or state that is not handled fails to compile. An event that means
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
 *   active: caller-hungup, or human-hungup with onHumanHangup hangup ▶ ended (completed)
 *   pending / queued: caller-hungup ▶ ended (abandoned); cancel ▶ ended (cancelled)
 *   ended: final; a late 200 from a cancelled INVITE only releases that leg
 *
 * The caller's leg is never released on a failure unless the fallback says hangup: a refused
 * REFER, a busy human or a silent carrier all end with the caller still connected (the transfer
 * flows of RFC 5589 keep the transferor's dialog until the final NOTIFY for exactly this).
 */
import type {
  AttemptTarget,
  TransferMachineContext,
  TransferSessionEffect as Effect,
  TransferSessionEvent as Event,
  TransferSessionState as State,
  TransferTransition as Transition,
} from './transfer-session-state.js';
import {
  begin,
  cancel,
  completed,
  endEarly,
  fail,
  failed,
  finish,
  isBridge,
  isRefer,
  lateAnswerCleanup,
  notify,
  reject,
  runAction,
  succeed,
  take,
  assertNever,
  type Dialling,
} from './transfer-session-steps.js';
import { reasonPhrase, TransferFailure } from './transfer-types.js';

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
      // The carrier did not end the caller's leg after the transfer: Baton does (LiveKit waits
      // 1 s the same way).
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
