/**
 * The small pieces the call machine's states share (`call-machine.ts`, `call-connected.ts`):
 * transition constructors, the answers Baton gives to requests it cannot take, and the effects
 * that end a call. Pure.
 */
import type { CallResult } from '../observability/metrics.js';
import type { SipAnswer } from './ports.js';
import type {
  CallEffect,
  CallState,
  EndCause,
  HangupRequester,
  PendingReinvite,
  Transition,
} from './call-state.js';

/** RFC 3261 §14.2: a re-INVITE while another is pending on the dialog gets 491. */
export const REQUEST_PENDING: SipAnswer = { status: 491, reason: 'Request Pending' };
/** RFC 3261 §9.2 / §15: a request cut short by the call ending. */
export const REQUEST_TERMINATED: SipAnswer = { status: 487, reason: 'Request Terminated' };
/**
 * A REFER Baton does not act on: from the caller's or a human's leg, or from the AI leg when no
 * transfer is configured. Refused rather than accepted with nothing behind it (RFC 3515 §2.4.2).
 */
export const REFER_NOT_SUPPORTED: SipAnswer = { status: 501, reason: 'Not Implemented' };
/** A REFER without a usable Refer-To (RFC 3515 §2.4.1: exactly one Refer-To). */
export const BAD_REFER: SipAnswer = { status: 400, reason: 'Bad Request' };
/** A re-INVITE from a leg the caller is not talking to has no one to go to (RFC 3261 §21.4.26). */
export const NOT_ACCEPTABLE_HERE: SipAnswer = { status: 488, reason: 'Not Acceptable Here' };
/** An unanswered caller whose call an operator ends (no CANCEL was sent, so not 487). */
export const OPERATOR_ENDED: SipAnswer = { status: 480, reason: 'Temporarily Unavailable' };
/** An unanswered caller whose call shutdown ends: another instance may take it. */
export const SHUTTING_DOWN: SipAnswer = { status: 503, reason: 'Service Unavailable' };

export const stay = (state: CallState, effects: CallEffect[] = []): Transition => ({
  state,
  effects,
  ignored: false,
});

export const ignore = (state: CallState, effects: CallEffect[] = []): Transition => ({
  state,
  effects,
  ignored: true,
});

export function end(result: CallResult, cause: EndCause, effects: CallEffect[]): Transition {
  return {
    state: { name: 'ended', result, cause },
    effects: [...effects, { type: 'finish', result, cause }],
    ignored: false,
  };
}

export function requesterCause(by: HangupRequester): EndCause {
  return by === 'operator' ? 'operator-hangup' : 'shutdown';
}

export function pendingAnswer(requestId: number): CallEffect {
  return { type: 'reject-request', requestId, answer: REQUEST_PENDING };
}

/** A forwarded re-INVITE still owed an answer when the call ends gets 487. */
export function settlePending(pending: PendingReinvite | undefined): CallEffect[] {
  return pending === undefined
    ? []
    : [{ type: 'reject-request', requestId: pending.requestId, answer: REQUEST_TERMINATED }];
}

export function assertNever(value: never): never {
  throw new Error(`unhandled call machine input: ${JSON.stringify(value)}`);
}
