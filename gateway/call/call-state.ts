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
 *
 * Transfers (issue 4) live inside `connected`. The transfer itself is the transfer session's
 * business (`gateway/transfer/`); the call only keeps the facts about its legs ({@link LegSet}):
 * who the caller talks to, which far legs are up, whether a transfer runs and whether Baton's own
 * re-INVITE is moving the caller's media. While a transfer runs, the far legs' hang-ups are the
 * transfer's to judge (`transfer-event`); otherwise the call ends when the caller's partner goes.
 *
 *   connected ── REFER from the agent / BYE with X-Transfer-Target / API ──▶ connected (transfer)
 *      (start-transfer)   human answers: leg-up ▸ bridge-started ▸ bridged(human)   │
 *                         the AI leg released: release(agent)                      │
 *      ◀───────────────────────────── transfer-ended ──────────────────────────────┘
 *      a transfer that ends with nobody left on the caller's far side ends the call
 */
import type { CallResult } from '../observability/metrics.js';
import type { DialFailure, InboundRefer, SipAnswer } from './ports.js';

/** The legs of a call, by role. */
export type Leg = 'caller' | 'agent' | 'human';

/** The legs on the caller's far side: the caller's media flows to one of them. */
export type FarLeg = 'agent' | 'human';

/** Why a call ended; the log field `cause` and the store's end reason. */
export type EndCause =
  | 'caller-hangup'
  | 'agent-hangup'
  | 'caller-cancel'
  | 'agent-rejected'
  | 'agent-unreachable'
  | 'agent-timeout'
  | 'operator-hangup'
  | 'shutdown'
  /** The human the caller was transferred to hung up. */
  | 'human-hangup'
  /** The caller left Baton by a transfer (a REFER that succeeded, an IVR hand-back). */
  | 'transferred'
  /** A transfer failed and its fallback was to end the call. */
  | 'transfer-failed';

/** Who asked Baton itself to end a call. */
export type HangupRequester = 'operator' | 'shutdown';

/** A re-INVITE forwarded from one leg to the other, waiting for the other leg's answer. */
export interface PendingReinvite {
  readonly from: Leg;
  /** The session's handle for the request whose answer is owed to `from`. */
  readonly requestId: number;
}

/**
 * What a call knows about its far legs once transfers are in play. A `connected` state without
 * it is a call as it was answered: the caller talks to the AI agent, whose leg is up.
 */
export interface LegSet {
  /** Whose media the caller's leg carries. */
  readonly partner: FarLeg;
  /**
   * The AI agent's leg: `gone` after its BYE or Baton's (released after a bridge), `dialing` while
   * Baton dials it again to return the caller to it.
   */
  readonly agent: 'up' | 'gone' | 'dialing';
  /** A human's leg is up (answered). */
  readonly human: boolean;
  /** A transfer session runs and judges the far legs' hang-ups. */
  readonly transfer: boolean;
  /** Baton's re-INVITE moving the caller's media is in flight (RFC 3261 §14.1: one at a time). */
  readonly bridging: boolean;
}

/** What asked for a transfer on a SIP leg (the API asks through the session, see `transfer-started`). */
export type CallTransferTrigger =
  /** An in-dialog REFER from the AI leg, still owed its answer (`requestId`). */
  | { readonly kind: 'refer'; readonly requestId: number; readonly refer: InboundRefer }
  /** The AI leg's BYE carrying X-Transfer-Target; the leg is gone. */
  | { readonly kind: 'bye'; readonly headers: ReadonlyArray<readonly [name: string, value: string]> };

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
  /** The caller is answered and talks to a far leg (see {@link LegSet}). */
  | { readonly name: 'connected'; readonly reinvite?: PendingReinvite; readonly legs?: LegSet }
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
  /**
   * The leg's far end sent BYE (or the stack ended the dialog). `transfer`: the AI leg's BYE
   * carried X-Transfer-Target; its headers (vars, overrides).
   */
  | {
      readonly type: 'hungup';
      readonly leg: Leg;
      readonly transfer?: ReadonlyArray<readonly [name: string, value: string]>;
    }
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
  /** An in-dialog REFER on `from`; `refer` is what it says (absent: unreadable). */
  | { readonly type: 'refer'; readonly from: Leg; readonly requestId: number; readonly refer?: InboundRefer }
  | { readonly type: 'hangup-requested'; readonly by: HangupRequester }
  /** The control API started a transfer (the session checked {@link LegSet} first). */
  | { readonly type: 'transfer-started' }
  /**
   * The transfer session ended, or handed the caller back to the AI agent (post_agent);
   * `completed`: the caller reached the target.
   */
  | { readonly type: 'transfer-ended'; readonly completed: boolean }
  /** A far leg Baton dialled answered: a human, or the AI agent dialled again. */
  | { readonly type: 'leg-up'; readonly leg: FarLeg }
  /** The transfer asks Baton to end a leg (BYE); ending the caller's ends the call with `cause`. */
  | { readonly type: 'release'; readonly leg: Leg; readonly cause?: EndCause }
  /** Baton's re-INVITE moving the caller's media to another far leg went out. */
  | { readonly type: 'bridge-started' }
  /** The caller's media now flows to `to`. */
  | { readonly type: 'bridged'; readonly to: FarLeg }
  /** The caller refused the move (its media stays where it was). */
  | { readonly type: 'bridge-failed' }
  /** Baton dials the AI agent again to return the caller to it (return-to-agent). */
  | { readonly type: 'agent-redial' }
  /** That INVITE failed. */
  | { readonly type: 'agent-redial-failed' };

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
  /** Resolve a transfer trigger and start the transfer session (or refuse it: 403 / 400). */
  | { readonly type: 'start-transfer'; readonly trigger: CallTransferTrigger }
  /** Tell the running transfer session that a leg went away. */
  | { readonly type: 'transfer-event'; readonly event: 'caller-hungup' | 'agent-hungup' | 'human-hungup' }
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
  /** Transfers are configured (targets or `allow`): a REFER from the AI leg starts one, else 501. */
  readonly transfers?: boolean;
}

export interface Transition {
  readonly state: CallState;
  readonly effects: readonly CallEffect[];
  /** True when the event meant nothing in this state (a late or crossing message). */
  readonly ignored: boolean;
}
