/**
 * The call state machine: `transition(state, event, ctx)` → next state and the effects to run.
 * Pure (no I/O, no timers, no logger); the diagram and the meaning of each state are in
 * `call-state.ts`. Every state handles every event explicitly: the switches are exhaustive, so
 * a new event or state that is not handled fails to compile. The states before `connected`
 * ignore a transfer's events through one named guard ({@link isTransferEvent}) ahead of their
 * switches.
 */
import { fromConnected } from './call-connected.js';
import {
  assertNever,
  end,
  ignore,
  OPERATOR_ENDED,
  pendingAnswer,
  REQUEST_TERMINATED,
  requesterCause,
  SHUTTING_DOWN,
  stay,
} from './call-steps.js';
import type {
  CallEffect,
  CallEvent,
  CallEventType,
  CallMachineContext,
  CallState,
  EndCause,
  Transition,
} from './call-state.js';

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
      return fromConnected(state, event, ctx);
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
  if (isTransferEvent(event)) return ignore(state);
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
  if (isTransferEvent(event)) return ignore(state);
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
      if (event.leg === 'human') return ignore(state);
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
  if (isTransferEvent(event)) return ignore(state);
  switch (event.type) {
    case 'caller-acked':
      return stay({ name: 'connected' }, [{ type: 'ack-agent', sdp: event.sdp }]);
    case 'hungup':
      if (event.leg === 'human') return ignore(state);
      // The agent's 200 is still un-ACKed: its hang-up ACKs it first (the SIP layer knows how).
      return end('answered', event.leg === 'caller' ? 'caller-hangup' : 'agent-hangup', [
        { type: 'hangup', leg: event.leg === 'caller' ? 'agent' : 'caller' },
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
    case 'leg-up':
      // A far leg that answered after the call ended (a human racing the caller's BYE): release it.
      return ignore(state, [{ type: 'hangup', leg: event.leg }]);
    case 'transfer-started':
    case 'transfer-ended':
    case 'release':
    case 'bridge-started':
    case 'bridged':
    case 'bridge-failed':
    case 'agent-redial':
    case 'agent-redial-failed':
      return ignore(state);
    default:
      return assertNever(event);
  }
}

/**
 * The events of a transfer. Transfers happen while connected, so before that nothing of theirs
 * can be under way: the states before `connected` ignore them all, and their switches cover the
 * rest (the type guard narrows `event`, so those switches stay exhaustive).
 */
const TRANSFER_EVENTS = [
  'transfer-started',
  'transfer-ended',
  'release',
  'bridge-started',
  'bridged',
  'bridge-failed',
  'agent-redial',
  'agent-redial-failed',
  'leg-up',
] as const satisfies readonly CallEventType[];

type TransferEvent = Extract<CallEvent, { type: (typeof TRANSFER_EVENTS)[number] }>;

function isTransferEvent(event: CallEvent): event is TransferEvent {
  return (TRANSFER_EVENTS as readonly CallEventType[]).includes(event.type);
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
