/**
 * The `connected` state of the call machine: re-INVITEs passed between the caller and the far leg
 * it talks to, hang-ups, and the call's side of transfers (see the diagram in `call-state.ts`).
 * A `connected` state without `legs` is the call as answered ({@link INITIAL_LEGS}); the first
 * transfer adds them. Pure.
 */
import {
  BAD_REFER,
  end,
  ignore,
  NOT_ACCEPTABLE_HERE,
  pendingAnswer,
  REFER_NOT_SUPPORTED,
  REQUEST_PENDING,
  requesterCause,
  settlePending,
  stay,
  assertNever,
} from './call-steps.js';
import type {
  CallEffect,
  CallEvent,
  CallMachineContext,
  CallState,
  EndCause,
  Leg,
  LegSet,
  PendingReinvite,
  Transition,
} from './call-state.js';

type Connected = CallState & { name: 'connected' };

/** The legs of a call as answered: the caller talks to the AI agent. */
export const INITIAL_LEGS: LegSet = {
  partner: 'agent',
  agent: 'up',
  human: false,
  transfer: false,
  bridging: false,
};

export function legsOf(state: Connected): LegSet {
  return state.legs ?? INITIAL_LEGS;
}

/**
 * Whether a transfer may start now: the caller talks to the AI agent, whose leg is up, and no
 * transfer or media move is under way. The control API checks this before it starts one.
 */
export function transferAllowed(state: CallState): boolean {
  if (state.name !== 'connected') return false;
  const legs = legsOf(state);
  return legs.partner === 'agent' && legs.agent === 'up' && !legs.transfer && !legs.bridging;
}

export function fromConnected(state: Connected, event: CallEvent, ctx: CallMachineContext): Transition {
  const legs = legsOf(state);
  /** The legs patched; the pending re-INVITE kept unless `reinvite` is given (null clears it). */
  const next = (patch: Partial<LegSet>, reinvite?: PendingReinvite | null): CallState =>
    connected(reinvite === undefined ? state.reinvite : (reinvite ?? undefined), { ...legs, ...patch });
  switch (event.type) {
    case 'hungup':
      return hungup(state, legs, event.leg, event.transfer, ctx);
    case 'hangup-requested':
      return end('answered', requesterCause(event.by), [
        ...settlePending(state.reinvite),
        ...(legs.transfer ? [transferEvent('caller-hungup')] : []),
        { type: 'hangup', leg: 'caller' },
        ...farHangups(legs),
      ]);
    case 'reinvite': {
      if (state.reinvite !== undefined || legs.bridging) return stay(state, [pendingAnswer(event.requestId)]);
      const to = reinviteTarget(legs, event.from);
      if (to === 'none') {
        return stay(state, [
          { type: 'reject-request', requestId: event.requestId, answer: NOT_ACCEPTABLE_HERE },
        ]);
      }
      // The caller's partner is gone for now (a transfer is finding it a new one): ask it to retry.
      if (to === 'away') return stay(state, [pendingAnswer(event.requestId)]);
      // Hold, resume and codec changes pass through unchanged: Baton is not in the media path.
      return stay(next({}, { from: event.from, requestId: event.requestId }), [
        { type: 'forward-reinvite', to, sdp: event.sdp },
      ]);
    }
    case 'reinvite-answered':
      if (state.reinvite === undefined) return ignore(state);
      return stay(next({}, null), [
        { type: 'accept-request', requestId: state.reinvite.requestId, sdp: event.sdp },
      ]);
    case 'reinvite-failed':
      if (state.reinvite === undefined) return ignore(state);
      return stay(next({}, null), [
        { type: 'reject-request', requestId: state.reinvite.requestId, answer: event.answer },
      ]);
    case 'refer':
      return refer(state, legs, event, ctx);
    case 'transfer-started':
      if (!transferAllowed(state)) return ignore(state);
      return stay(next({ transfer: true }));
    case 'transfer-ended':
      if (!legs.transfer) return ignore(state);
      return afterTransfer(state, { ...legs, transfer: false }, event.completed);
    case 'leg-up':
      return stay(next(event.leg === 'agent' ? { agent: 'up' } : { human: true }));
    case 'release':
      return release(state, legs, event.leg, event.cause);
    case 'bridge-started':
      return stay(next({ bridging: true }));
    case 'bridged':
      return stay(next({ bridging: false, partner: event.to }));
    case 'bridge-failed':
      return stay(next({ bridging: false }));
    case 'agent-redial':
      // The caller is about to be moved back to the agent; until then its partner is on the way.
      return stay(next({ agent: 'dialing', partner: 'agent' }));
    case 'agent-redial-failed': {
      const after: LegSet = { ...legs, agent: 'gone' };
      if (after.transfer || after.partner !== 'agent') return stay(connected(state.reinvite, after));
      return end('answered', 'agent-unreachable', [
        ...settlePending(state.reinvite),
        { type: 'hangup', leg: 'caller' },
        ...farHangups(after),
      ]);
    }
    case 'start':
    case 'agent-provisional':
    case 'agent-answered':
    case 'agent-failed':
    case 'agent-answer-timeout':
    case 'caller-cancelled':
    case 'caller-answered':
    case 'caller-answer-failed':
    case 'caller-acked':
      return ignore(state);
    default:
      return assertNever(event);
  }
}

function hungup(
  state: Connected,
  legs: LegSet,
  leg: Leg,
  transfer: ReadonlyArray<readonly [string, string]> | undefined,
  ctx: CallMachineContext,
): Transition {
  if (leg === 'caller') {
    return end('answered', 'caller-hangup', [
      ...settlePending(state.reinvite),
      // The transfer first: it cancels a human still ringing before the BYEs go out.
      ...(legs.transfer ? [transferEvent('caller-hungup')] : []),
      ...farHangups(legs),
    ]);
  }
  if (leg === 'agent' ? legs.agent !== 'up' : !legs.human) return ignore(state);
  // A re-INVITE forwarded to or from the leg that left gets 487.
  const touched = legs.partner === leg && state.reinvite !== undefined;
  const settle = touched ? settlePending(state.reinvite) : [];
  const reinvite = touched ? undefined : state.reinvite;
  const gone: LegSet = leg === 'agent' ? { ...legs, agent: 'gone' } : { ...legs, human: false };
  if (legs.transfer) {
    return stay(connected(reinvite, gone), [
      ...settle,
      transferEvent(leg === 'agent' ? 'agent-hungup' : 'human-hungup'),
    ]);
  }
  if (leg === 'agent' && transfer !== undefined && ctx.transfers === true && transferAllowed(state)) {
    // The AI agent hung up asking for a transfer (X-Transfer-Target): the caller stays.
    return stay(connected(reinvite, { ...gone, transfer: true }), [
      ...settle,
      { type: 'start-transfer', trigger: { kind: 'bye', headers: transfer } },
    ]);
  }
  if (legs.partner !== leg) return stay(connected(reinvite, gone), settle);
  return end('answered', leg === 'agent' ? 'agent-hangup' : 'human-hangup', [
    ...settle,
    { type: 'hangup', leg: 'caller' },
    ...farHangups(gone),
  ]);
}

function refer(
  state: Connected,
  legs: LegSet,
  event: CallEvent & { type: 'refer' },
  ctx: CallMachineContext,
): Transition {
  const answer = (status: typeof REFER_NOT_SUPPORTED): Transition =>
    stay(state, [{ type: 'reject-request', requestId: event.requestId, answer: status }]);
  if (ctx.transfers !== true || event.from !== 'agent' || legs.partner !== 'agent') {
    return answer(REFER_NOT_SUPPORTED);
  }
  // One transfer at a time: the AI agent may ask again once this one has ended.
  if (!transferAllowed(state)) return answer(REQUEST_PENDING);
  if (event.refer === undefined) return answer(BAD_REFER);
  return stay(connected(state.reinvite, { ...legs, transfer: true }), [
    { type: 'start-transfer', trigger: { kind: 'refer', requestId: event.requestId, refer: event.refer } },
  ]);
}

function release(state: Connected, legs: LegSet, leg: Leg, cause: EndCause | undefined): Transition {
  if (leg === 'caller') {
    return end('answered', cause ?? 'transferred', [
      ...settlePending(state.reinvite),
      { type: 'hangup', leg: 'caller' },
      ...farHangups(legs),
    ]);
  }
  if (leg === 'agent' ? legs.agent === 'gone' : !legs.human) return ignore(state);
  const touched = legs.partner === leg && state.reinvite !== undefined;
  const after: LegSet = leg === 'agent' ? { ...legs, agent: 'gone' } : { ...legs, human: false };
  const effects: CallEffect[] = [
    ...(touched ? settlePending(state.reinvite) : []),
    leg === 'agent' && legs.agent === 'dialing' ? { type: 'cancel-agent' } : { type: 'hangup', leg },
  ];
  return stay(connected(touched ? undefined : state.reinvite, after), effects);
}

/** The transfer is over (or back with the AI agent): the call goes on if the caller has a partner. */
function afterTransfer(state: Connected, legs: LegSet, completed: boolean): Transition {
  const partnerUp = legs.partner === 'agent' ? legs.agent !== 'gone' : legs.human;
  if (partnerUp) return stay(connected(state.reinvite, legs));
  const cause: EndCause = completed
    ? 'transferred'
    : legs.partner === 'agent'
      ? 'agent-hangup'
      : 'human-hangup';
  return end('answered', cause, [
    ...settlePending(state.reinvite),
    { type: 'hangup', leg: 'caller' },
    ...farHangups(legs),
  ]);
}

/**
 * Where a re-INVITE from `from` goes: the caller's goes to its partner, the partner's to the
 * caller. `away`: the partner is not up; `none`: `from` is not part of the caller's media path.
 */
function reinviteTarget(legs: LegSet, from: Leg): Leg | 'away' | 'none' {
  if (from === 'caller') {
    const up = legs.partner === 'agent' ? legs.agent === 'up' : legs.human;
    return up ? legs.partner : 'away';
  }
  return from === legs.partner ? 'caller' : 'none';
}

/** BYE (or CANCEL) every far leg still up. */
function farHangups(legs: LegSet): CallEffect[] {
  const effects: CallEffect[] = [];
  if (legs.agent === 'up') effects.push({ type: 'hangup', leg: 'agent' });
  if (legs.agent === 'dialing') effects.push({ type: 'cancel-agent' });
  if (legs.human) effects.push({ type: 'hangup', leg: 'human' });
  return effects;
}

function transferEvent(event: 'caller-hungup' | 'agent-hungup' | 'human-hungup'): CallEffect {
  return { type: 'transfer-event', event };
}

/** A `connected` state; the legs are left out while they are still those of the call as answered. */
function connected(reinvite: PendingReinvite | undefined, legs: LegSet): CallState {
  const initial =
    legs.partner === INITIAL_LEGS.partner &&
    legs.agent === INITIAL_LEGS.agent &&
    legs.human === INITIAL_LEGS.human &&
    legs.transfer === INITIAL_LEGS.transfer &&
    legs.bridging === INITIAL_LEGS.bridging;
  return {
    name: 'connected',
    ...(reinvite !== undefined && { reinvite }),
    ...(!initial && { legs }),
  };
}
