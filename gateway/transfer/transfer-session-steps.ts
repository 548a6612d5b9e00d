/**
 * The steps the transfer session machine (`transfer-session-machine.ts`) shares between states:
 * starting an attempt, its success, its failure and the fallback that follows, the early ends
 * (caller hung up, transfer withdrawn), and the small constructors of transitions. Pure.
 */
import type {
  AgentLeg,
  AttemptTarget,
  TransferMachineContext,
  TransferSessionEffect as Effect,
  TransferSessionState as State,
  TransferTransition as Transition,
} from './transfer-session-state.js';
import { reasonPhrase, TransferFailure, type CancelledBy, type TransferOutcome } from './transfer-types.js';

export type Attempt = Exclude<State, { name: 'ended' }>;
export type Dialling = State & { name: 'pending' | 'queued' };
/** States an attempt can still fail in: dialling, or answered but not yet bridged. */
export type Failable = Dialling | (State & { name: 'active' });

/** Send the attempt, and arm its timer (a REFER's timer waits for the 202). */
export function begin(state: State & { name: 'pending' }, ctx: TransferMachineContext): Transition {
  const effects: Effect[] = [{ type: 'start-attempt', target: state.target, attempt: state.attempt }];
  if (isBridge(state.target)) effects.push({ type: 'start-timer', timer: 'ring' });
  // RFC 6665 §4.2.1: the notifier sends a NOTIFY as soon as the subscription exists (after the 202).
  if (state.attempt === 1) effects.push(...notify(ctx, state.agentLeg, 100, reasonPhrase(100), false));
  return take(state, effects);
}

export function succeed(state: Dialling, ctx: TransferMachineContext): Transition {
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
export function fail(
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

export function runAction(
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
export function endEarly(
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

export function cancel(state: Dialling, by: CancelledBy, ctx: TransferMachineContext): Transition {
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
export function clearTimers(state: Failable): Effect[] {
  if (state.name === 'active') return state.releasing ? [{ type: 'clear-timer', timer: 'refer-bye' }] : [];
  if (isBridge(state.target) && (state.name === 'queued' || state.started)) {
    return [{ type: 'clear-timer', timer: 'ring' }];
  }
  if (isRefer(state.target) && state.referAccepted) return [{ type: 'clear-timer', timer: 'notify' }];
  return [];
}

/** A NOTIFY for the AI leg's REFER, when a REFER triggered and that leg is still up. */
export function notify(
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

export function lateAnswerCleanup(target: AttemptTarget): Effect[] {
  return isBridge(target) ? [{ type: 'release', leg: 'human' }] : [];
}

/** INVITE the target and bridge (method invite or bye, kinds internal and external). */
export function isBridge(target: AttemptTarget): boolean {
  return target.method === 'invite' || (target.method === 'bye' && target.mode !== 'ivr');
}

export function isRefer(target: AttemptTarget): boolean {
  return target.method === 'refer';
}

export function completed(state: Attempt): TransferOutcome {
  return { outcome: 'completed', mode: state.target.mode, target: state.target.name };
}

export function failed(
  state: Attempt,
  failure: TransferFailure,
  fallback: 'return-to-agent' | 'hangup' | 'none',
): TransferOutcome {
  return { outcome: 'failed', mode: state.target.mode, target: state.target.name, failure, fallback };
}

export function take(state: State, effects: Effect[]): Transition {
  return { state, effects };
}

export function finish(effects: Effect[], outcome: TransferOutcome): Transition {
  return { state: { name: 'ended', outcome }, effects: [...effects, { type: 'finish', outcome }] };
}

export function reject(state: State, reason: string, effects: Effect[] = []): Transition {
  return { state, effects, rejected: reason };
}

export function assertNever(value: never): never {
  throw new Error(`unhandled transfer machine input: ${JSON.stringify(value)}`);
}
