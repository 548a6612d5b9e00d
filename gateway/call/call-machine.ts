/**
 * The call state machine: `transition(state, event, ctx)` → next state and the effects to run.
 * Pure (no I/O, no timers, no logger); the diagram and the meaning of each state are in
 * `call-state.ts`. Every state handles every event explicitly: the switches are exhaustive, so
 * a new event or state that is not handled fails to compile.
 */
import type { SipAnswer } from './ports.js';
import type {
  CallEffect,
  CallEvent,
  CallMachineContext,
  CallState,
  EndCause,
  HangupRequester,
  Leg,
  PendingReinvite,
  Transition,
} from './call-state.js';
import type { CallResult } from '../observability/metrics.js';

/** RFC 3261 §14.2: a re-INVITE while another is pending on the dialog gets 491. */
const REQUEST_PENDING: SipAnswer = { status: 491, reason: 'Request Pending' };
/** RFC 3261 §9.2 / §15: a request cut short by the call ending. */
const REQUEST_TERMINATED: SipAnswer = { status: 487, reason: 'Request Terminated' };
/**
 * REFER is how the agent will ask for a transfer (issue 4). Until the transfer module exists the
 * request is refused rather than accepted with nothing behind it (RFC 3515 §2.4.2).
 */
const REFER_NOT_SUPPORTED: SipAnswer = { status: 501, reason: 'Not Implemented' };
/** An unanswered caller whose call an operator ends (no CANCEL was sent, so not 487). */
const OPERATOR_ENDED: SipAnswer = { status: 480, reason: 'Temporarily Unavailable' };
/** An unanswered caller whose call shutdown ends: another instance may take it. */
const SHUTTING_DOWN: SipAnswer = { status: 503, reason: 'Service Unavailable' };

const stay = (state: CallState, effects: CallEffect[] = []): Transition => ({
  state,
  effects,
  ignored: false,
});
const ignore = (state: CallState, effects: CallEffect[] = []): Transition => ({
  state,
  effects,
  ignored: true,
});

function end(result: CallResult, cause: EndCause, effects: CallEffect[]): Transition {
  return {
    state: { name: 'ended', result, cause },
    effects: [...effects, { type: 'finish', result, cause }],
    ignored: false,
  };
}

function other(leg: Leg): Leg {
  return leg === 'caller' ? 'agent' : 'caller';
}

function requesterCause(by: HangupRequester): EndCause {
  return by === 'operator' ? 'operator-hangup' : 'shutdown';
}

export function transition(state: CallState, event: CallEvent, ctx: CallMachineContext): Transition {
  switch (state.name) {
    case 'new':
      return fromNew(state, event);
    case 'dialing-agent':
      return fromDialingAgent(state, event, ctx);
    case 'answering-caller':
      return fromAnsweringCaller(state, event);
    case 'awaiting-caller-ack':
      return fromAwaitingCallerAck(state, event);
    case 'connected':
      return fromConnected(state, event);
    case 'ended':
      return fromEnded(state, event);
    default:
      return assertNever(state);
  }
}

function fromNew(state: CallState & { name: 'new' }, event: CallEvent): Transition {
  if (event.type === 'start') {
    return stay({ name: 'dialing-agent' }, [
      { type: 'dial-agent' },
      { type: 'start-timer', timer: 'agent-answer' },
    ]);
  }
  // No dialog exists yet, so no in-dialog request can arrive; answered anyway so none is left hanging.
  if (event.type === 'reinvite' || event.type === 'refer')
    return ignore(state, [pendingAnswer(event.requestId)]);
  return ignore(state);
}

function fromDialingAgent(
  state: CallState & { name: 'dialing-agent' },
  event: CallEvent,
  ctx: CallMachineContext,
): Transition {
  const stopDialing: CallEffect[] = [{ type: 'clear-timer', timer: 'agent-answer' }];
  switch (event.type) {
    case 'agent-provisional':
      // 100 is hop-by-hop (RFC 3261 §21.1.1); the stack already sent one to the caller.
      if (event.status <= 100) return stay(state);
      return stay(state, [
        { type: 'send-provisional', status: event.status, reason: event.reason, sdp: event.sdp },
      ]);
    case 'agent-answered':
      return stay({ name: 'answering-caller', lateOffer: event.lateOffer }, [
        ...stopDialing,
        { type: 'answer-caller', sdp: event.sdp },
      ]);
    case 'agent-failed':
      return end('failed', event.failure.kind === 'rejected' ? 'agent-rejected' : 'agent-unreachable', [
        ...stopDialing,
        { type: 'reject-caller', answer: ctx.failureAnswer },
      ]);
    case 'agent-answer-timeout':
      return end('failed', 'agent-timeout', [
        { type: 'cancel-agent' },
        { type: 'reject-caller', answer: ctx.failureAnswer },
      ]);
    case 'caller-cancelled':
      // The stack has already answered the CANCEL and sent 487 to the caller (RFC 3261 §9.2).
      return end('cancelled', 'caller-cancel', [...stopDialing, { type: 'cancel-agent' }]);
    case 'hangup-requested':
      return end('cancelled', requesterCause(event.by), [
        ...stopDialing,
        { type: 'cancel-agent' },
        { type: 'reject-caller', answer: event.by === 'operator' ? OPERATOR_ENDED : SHUTTING_DOWN },
      ]);
    case 'reinvite':
    case 'refer':
      return ignore(state, [pendingAnswer(event.requestId)]);
    case 'start':
    case 'caller-answered':
    case 'caller-answer-failed':
    case 'caller-acked':
    case 'hungup':
    case 'reinvite-answered':
    case 'reinvite-failed':
      return ignore(state);
    default:
      return assertNever(event);
  }
}

function fromAnsweringCaller(state: CallState & { name: 'answering-caller' }, event: CallEvent): Transition {
  switch (event.type) {
    case 'caller-answered':
      if (state.pendingEnd === undefined) {
        // Late offer: the call is answered, but the agent's 200 waits for the caller's ACK.
        return stay({ name: state.lateOffer ? 'awaiting-caller-ack' : 'connected' }, [
          { type: 'record-answered' },
        ]);
      }
      // A hang-up came while our 200 was on its way: now that the caller's dialog exists, end it.
      return end('answered', state.pendingEnd, [
        { type: 'record-answered' },
        ...hangupsAfter(state.pendingEnd),
      ]);
    case 'caller-answer-failed':
      // The caller went away (CANCEL crossed our 200) or the 200 could not be sent.
      return end(
        'cancelled',
        'caller-cancel',
        state.pendingEnd === 'agent-hangup' ? [] : [{ type: 'hangup', leg: 'agent' }],
      );
    case 'hungup':
      // Remember the BYE until the caller's answer settles (only then can the caller get one).
      return stay({
        ...state,
        pendingEnd: state.pendingEnd ?? (event.leg === 'agent' ? 'agent-hangup' : 'caller-hangup'),
      });
    case 'hangup-requested':
      return stay({ ...state, pendingEnd: state.pendingEnd ?? requesterCause(event.by) });
    case 'reinvite':
    case 'refer':
      return stay(state, [pendingAnswer(event.requestId)]);
    case 'caller-cancelled':
      // createUAS reports a CANCEL that crossed the 200 as caller-answer-failed; nothing to add.
      return ignore(state);
    case 'start':
    case 'agent-provisional':
    case 'agent-answered':
    case 'agent-failed':
    case 'agent-answer-timeout':
    case 'caller-acked':
    case 'reinvite-answered':
    case 'reinvite-failed':
      return ignore(state);
    default:
      return assertNever(event);
  }
}

function fromAwaitingCallerAck(
  state: CallState & { name: 'awaiting-caller-ack' },
  event: CallEvent,
): Transition {
  switch (event.type) {
    case 'caller-acked':
      return stay({ name: 'connected' }, [{ type: 'ack-agent', sdp: event.sdp }]);
    case 'hungup':
      // The agent's 200 is still un-ACKed: its hang-up ACKs it first (the SIP layer knows how).
      return end('answered', event.leg === 'caller' ? 'caller-hangup' : 'agent-hangup', [
        { type: 'hangup', leg: other(event.leg) },
      ]);
    case 'hangup-requested':
      return end('answered', requesterCause(event.by), [
        { type: 'hangup', leg: 'caller' },
        { type: 'hangup', leg: 'agent' },
      ]);
    case 'reinvite':
    case 'refer':
      return stay(state, [pendingAnswer(event.requestId)]);
    case 'start':
    case 'agent-provisional':
    case 'agent-answered':
    case 'agent-failed':
    case 'agent-answer-timeout':
    case 'caller-cancelled':
    case 'caller-answered':
    case 'caller-answer-failed':
    case 'reinvite-answered':
    case 'reinvite-failed':
      return ignore(state);
    default:
      return assertNever(event);
  }
}

function fromConnected(state: CallState & { name: 'connected' }, event: CallEvent): Transition {
  switch (event.type) {
    case 'hungup':
      return end('answered', event.leg === 'caller' ? 'caller-hangup' : 'agent-hangup', [
        ...settlePending(state.reinvite),
        { type: 'hangup', leg: other(event.leg) },
      ]);
    case 'hangup-requested':
      return end('answered', requesterCause(event.by), [
        ...settlePending(state.reinvite),
        { type: 'hangup', leg: 'caller' },
        { type: 'hangup', leg: 'agent' },
      ]);
    case 'reinvite':
      if (state.reinvite !== undefined) return stay(state, [pendingAnswer(event.requestId)]);
      // Hold, resume and codec changes pass through unchanged: Baton is not in the media path yet.
      return stay({ name: 'connected', reinvite: { from: event.from, requestId: event.requestId } }, [
        { type: 'forward-reinvite', to: other(event.from), sdp: event.sdp },
      ]);
    case 'reinvite-answered':
      if (state.reinvite === undefined) return ignore(state);
      return stay({ name: 'connected' }, [
        { type: 'accept-request', requestId: state.reinvite.requestId, sdp: event.sdp },
      ]);
    case 'reinvite-failed':
      if (state.reinvite === undefined) return ignore(state);
      return stay({ name: 'connected' }, [
        { type: 'reject-request', requestId: state.reinvite.requestId, answer: event.answer },
      ]);
    case 'refer':
      return stay(state, [
        { type: 'reject-request', requestId: event.requestId, answer: REFER_NOT_SUPPORTED },
      ]);
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

function fromEnded(state: CallState & { name: 'ended' }, event: CallEvent): Transition {
  switch (event.type) {
    case 'agent-answered':
      // The agent's 200 raced our CANCEL (or came after the timeout): release that dialog.
      return ignore(state, [{ type: 'hangup', leg: 'agent' }]);
    case 'caller-answered':
      return ignore(state, [{ type: 'hangup', leg: 'caller' }]);
    case 'reinvite':
    case 'refer':
      return ignore(state, [
        { type: 'reject-request', requestId: event.requestId, answer: REQUEST_TERMINATED },
      ]);
    case 'start':
    case 'agent-provisional':
    case 'agent-failed':
    case 'agent-answer-timeout':
    case 'caller-cancelled':
    case 'caller-answer-failed':
    case 'caller-acked':
    case 'hungup':
    case 'reinvite-answered':
    case 'reinvite-failed':
    case 'hangup-requested':
      return ignore(state);
    default:
      return assertNever(event);
  }
}

/** BYEs still owed once the caller's answer is out, given what ended the call meanwhile. */
function hangupsAfter(cause: EndCause): CallEffect[] {
  if (cause === 'agent-hangup') return [{ type: 'hangup', leg: 'caller' }];
  if (cause === 'caller-hangup') return [{ type: 'hangup', leg: 'agent' }];
  return [
    { type: 'hangup', leg: 'caller' },
    { type: 'hangup', leg: 'agent' },
  ];
}

function pendingAnswer(requestId: number): CallEffect {
  return { type: 'reject-request', requestId, answer: REQUEST_PENDING };
}

/** A forwarded re-INVITE still owed an answer when the call ends gets 487. */
function settlePending(pending: PendingReinvite | undefined): CallEffect[] {
  return pending === undefined
    ? []
    : [{ type: 'reject-request', requestId: pending.requestId, answer: REQUEST_TERMINATED }];
}

function assertNever(value: never): never {
  throw new Error(`unhandled call machine input: ${JSON.stringify(value)}`);
}
