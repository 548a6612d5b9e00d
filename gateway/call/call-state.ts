/**
 * The states, events and effects of one call, as plain data. `call-machine.ts` maps
 * (state, event) → (state, effects); `call-session.ts` feeds it events from the SIP legs and
 * timers and carries the effects out. Nothing here holds a SIP object, a timer or a promise.
 *
 * A call owns a caller leg and an AI-agent leg (and, with transfers, a human leg):
 *
 *          start                      agent-answered                 caller-answered
 *   new ──────────▶ dialing-agent ───────────────────▶ answering-caller ──────────────▶ connected
 *    (dial agent,     │  ▲    │ agent-provisional        │  │ (200 to the caller     ▲  ▲  │ re-INVITE from
 *     start the       │  └────┘ (relayed to the caller)  │  │  in flight; a hang-up  │  └──┘ either leg, passed
 *     answer timer)   │                                  │  │  meanwhile is held in  │       to the other (one
 *                     │                                  │  │  pendingEnd)           │       at a time: 491 glare)
 *                     │                                  │  │ late offer:            │ caller-acked (the ACK's
 *                     │                                  │  │ caller-answered        │ answer goes to the agent
 *                     │                                  │  ▼                        │ in its ACK, RFC 3264 §5)
 *                     │                                  │ awaiting-caller-ack ──────┘
 *                     │ caller-cancelled                 │        │
 *                     │ agent-failed / agent-answer-     │ caller-answer-failed      │ caller-hungup / agent-hungup /
 *                     │ timeout → configured answer      │ (caller gone: BYE agent)  │ hangup-requested → BYE the rest
 *                     │ hangup-requested                 │        │                  │
 *                     ▼                                  ▼        ▼                  ▼
 *                   ended ◀──────────────────────────────┴────────┴──────────────────┘
 *
 * `ended` is final: late events (an agent 200 racing our CANCEL, a BYE crossing ours) only
 * produce clean-up effects there.
 */
import type { CallResult } from '../observability/metrics.js';
import type { DialFailure, SipAnswer } from './ports.js';

/** The legs of a call, by role. */
export type Leg = 'caller' | 'agent';

/** Why a call ended; the log field `cause` and the store's end reason. */
export type EndCause =
  | 'caller-hangup'
  | 'agent-hangup'
  | 'caller-cancel'
  | 'agent-rejected'
  | 'agent-unreachable'
  | 'agent-timeout'
  | 'operator-hangup'
  | 'shutdown';

/** Who asked Baton itself to end a call. */
export type HangupRequester = 'operator' | 'shutdown';

/** A re-INVITE forwarded from one leg to the other, waiting for the other leg's answer. */
export interface PendingReinvite {
  readonly from: Leg;
  /** The session's handle for the request whose answer is owed to `from`. */
  readonly requestId: number;
}

export type CallState =
  /** Created, nothing sent yet. */
  | { readonly name: 'new' }
  /** INVITE sent to the agent; the caller's INVITE is unanswered. */
  | { readonly name: 'dialing-agent' }
  /**
   * The agent answered; our 200 to the caller is being sent. `lateOffer`: the caller's INVITE
   * had no SDP, so that 200 carries the agent's offer and the caller's ACK brings the answer.
   */
  | { readonly name: 'answering-caller'; readonly lateOffer: boolean; readonly pendingEnd?: EndCause }
  /** Late offer: the caller has our 200 (the agent's offer); its ACK with the answer is due. */
  | { readonly name: 'awaiting-caller-ack' }
  /** Both legs up. */
  | { readonly name: 'connected'; readonly reinvite?: PendingReinvite }
  /** Over; `result` is the metrics label, `cause` the reason. */
  | { readonly name: 'ended'; readonly result: CallResult; readonly cause: EndCause };

export type CallStateName = CallState['name'];

export type CallEvent =
  | { readonly type: 'start' }
  | {
      readonly type: 'agent-provisional';
      readonly status: number;
      readonly reason: string;
      readonly sdp?: string;
    }
  /** `lateOffer`: the agent's 200 is an offer and waits for an ACK with the answer. */
  | { readonly type: 'agent-answered'; readonly sdp: string | undefined; readonly lateOffer: boolean }
  | { readonly type: 'agent-failed'; readonly failure: DialFailure }
  | { readonly type: 'agent-answer-timeout' }
  | { readonly type: 'caller-cancelled' }
  | { readonly type: 'caller-answered' }
  | { readonly type: 'caller-answer-failed' }
  /** The caller ACKed our 200; in a late-offer call its SDP is the answer to the agent's offer. */
  | { readonly type: 'caller-acked'; readonly sdp: string | undefined }
  | { readonly type: 'hungup'; readonly leg: Leg }
  /** A re-INVITE arrived on `from`; `requestId` names the answer owed to it. */
  | {
      readonly type: 'reinvite';
      readonly from: Leg;
      readonly requestId: number;
      readonly sdp: string | undefined;
    }
  /** The other leg answered the re-INVITE Baton forwarded. */
  | { readonly type: 'reinvite-answered'; readonly sdp: string | undefined }
  | { readonly type: 'reinvite-failed'; readonly answer: SipAnswer }
  /** An in-dialog REFER on `from` (transfers come with the transfer module). */
  | { readonly type: 'refer'; readonly from: Leg; readonly requestId: number }
  | { readonly type: 'hangup-requested'; readonly by: HangupRequester };

export type CallEventType = CallEvent['type'];

/** The one timer a call runs today: how long the agent may take to answer. */
export type CallTimer = 'agent-answer';

export type CallEffect =
  | { readonly type: 'dial-agent' }
  | { readonly type: 'start-timer'; readonly timer: CallTimer }
  | { readonly type: 'clear-timer'; readonly timer: CallTimer }
  | {
      readonly type: 'send-provisional';
      readonly status: number;
      readonly reason: string;
      readonly sdp?: string;
    }
  | { readonly type: 'answer-caller'; readonly sdp: string | undefined }
  | { readonly type: 'reject-caller'; readonly answer: SipAnswer }
  | { readonly type: 'cancel-agent' }
  /** Late offer: send the agent the ACK for its 200, with the caller's answer. */
  | { readonly type: 'ack-agent'; readonly sdp: string | undefined }
  | { readonly type: 'hangup'; readonly leg: Leg }
  | { readonly type: 'forward-reinvite'; readonly to: Leg; readonly sdp: string | undefined }
  | { readonly type: 'accept-request'; readonly requestId: number; readonly sdp: string | undefined }
  | { readonly type: 'reject-request'; readonly requestId: number; readonly answer: SipAnswer }
  /** The caller's leg is answered: the setup time is known. */
  | { readonly type: 'record-answered' }
  /** The call is over; runs once, as the last effect of the transition into `ended`. */
  | { readonly type: 'finish'; readonly result: CallResult; readonly cause: EndCause };

/** What the machine needs from configuration. */
export interface CallMachineContext {
  /** `aiAgent.onFailure`: the caller's answer when the agent leg fails. */
  readonly failureAnswer: SipAnswer;
}

export interface Transition {
  readonly state: CallState;
  readonly effects: readonly CallEffect[];
  /** True when the event meant nothing in this state (a late or crossing message). */
  readonly ignored: boolean;
}
