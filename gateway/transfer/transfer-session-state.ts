/**
 * The states, events and effects of one transfer session, as plain data. The machine
 * (`transfer-session-machine.ts`) maps (state, event) → (state, effects); the session runner
 * feeds it events from the legs, the REFER subscription and the timers, and carries the effects
 * out. Nothing here holds a SIP object, a timer or a promise.
 *
 * One session may make several attempts: when an attempt fails and the target's fallback names
 * another target, the next attempt starts from `pending` with that target.
 */
import type { TransferState } from '../store/store-port.js';
import type {
  CancelledBy,
  FallbackPlan,
  HumanHangupAction,
  TransferFailure,
  TransferMethod,
  TransferMode,
  TransferOutcome,
  TransferTrigger,
} from './transfer-types.js';

/** What the machine needs of a target; a {@link ResolvedTarget} is one. */
export interface AttemptTarget {
  readonly name: string;
  readonly mode: TransferMode;
  readonly method: TransferMethod;
  readonly fallback: FallbackPlan<AttemptTarget>;
  readonly onHumanHangup: HumanHangupAction;
}

/**
 * The session's timers, each configured (`transfer.*`): `ring` how long a dialled target may ring
 * (`ringTimeoutMs`), `notify` how long after the 202 a REFER's final NOTIFY may take
 * (`notifyTimeoutMs`), `refer-bye` how long the carrier has to send BYE after a successful REFER
 * before Baton sends its own (`referByeGraceMs`).
 */
export type TransferTimer = 'ring' | 'notify' | 'refer-bye';

/** Whether the AI agent's leg is still up: it decides between resuming it and dialling the agent again. */
export type AgentLeg = 'up' | 'gone';

interface AttemptFields {
  readonly target: AttemptTarget;
  /** 1 for the first target, +1 for each fallback target. */
  readonly attempt: number;
  readonly agentLeg: AgentLeg;
}

export type TransferSessionState =
  /** Requested; `started` once the attempt's INVITE, REFER or BYE is out. */
  | (AttemptFields & { readonly name: 'pending'; readonly started: boolean; readonly referAccepted: boolean })
  /** The target is ringing or queued (18x to the INVITE, or a 1xx sipfrag after the REFER). */
  | (AttemptFields & {
      readonly name: 'queued';
      readonly referAccepted: boolean;
      readonly lastStatus: number;
    })
  /**
   * The target answered (200, or a 2xx sipfrag). A bridge is `bridged` once the caller's media
   * flows to the human (only then is the AI leg released); `releasing`: a REFER succeeded and
   * Baton waits for the carrier's BYE on the caller's leg.
   */
  | (AttemptFields & { readonly name: 'active'; readonly bridged: boolean; readonly releasing: boolean })
  /** The human hung up and the caller went back to the AI agent. */
  | (AttemptFields & { readonly name: 'post_agent' })
  /** An attempt failed and the fallback prompt is playing to the caller; its action follows. */
  | (AttemptFields & { readonly name: 'fallback'; readonly failure: TransferFailure })
  /** Over. */
  | { readonly name: 'ended'; readonly outcome: TransferOutcome };

export type TransferSessionStateName = TransferSessionState['name'];

export type TransferSessionEvent =
  /** Send the current attempt. */
  | { readonly type: 'start' }
  /** The caller's side accepted Baton's REFER (202, RFC 3515 §2.4.2). */
  | { readonly type: 'refer-accepted' }
  /** A provisional status: an 18x to the INVITE, or a 1xx sipfrag in a NOTIFY. */
  | { readonly type: 'progress'; readonly status: number; readonly reason: string }
  /** The target answered (2xx to the INVITE, a 2xx sipfrag) or the hand-back BYE went out. */
  | { readonly type: 'answered'; readonly status: number }
  /** The caller's media now flows to the human (after the `bridge` effect). */
  | { readonly type: 'bridged' }
  /**
   * The attempt failed (final status ≥ 300, REFER refused, transport error, the bridge failed). A
   * failure that runs no
   * fallback (`caller-hung-up`, `cancelled`) is refused here: those arrive as their own events.
   */
  | { readonly type: 'failed'; readonly failure: TransferFailure }
  | { readonly type: 'timer'; readonly timer: TransferTimer }
  | { readonly type: 'caller-hungup' }
  /** The AI agent's leg ended (a plain BYE, not the trigger). */
  | { readonly type: 'agent-hungup' }
  /** The human's leg ended (BYE from the target after answering). */
  | { readonly type: 'human-hungup' }
  /** The AI agent (a second REFER/BYE), the API or an operator withdraws the transfer. */
  | { readonly type: 'cancel'; readonly by: CancelledBy }
  /** The fallback prompt ended (or was skipped: no media layer). */
  | { readonly type: 'prompt-done' };

export type TransferSessionEventType = TransferSessionEvent['type'];

export type TransferLeg = 'caller' | 'agent' | 'human';

export type TransferSessionEffect =
  /** Send the attempt: INVITE the target, REFER the caller's leg, or BYE it with the IVR tags. */
  | { readonly type: 'start-attempt'; readonly target: AttemptTarget; readonly attempt: number }
  | { readonly type: 'start-timer'; readonly timer: TransferTimer }
  | { readonly type: 'clear-timer'; readonly timer: TransferTimer }
  /** A NOTIFY to the AI leg's REFER subscription (RFC 3515 §2.4.4); only when a REFER triggered. */
  | {
      readonly type: 'notify-referrer';
      readonly status: number;
      readonly reason: string;
      readonly final: boolean;
    }
  /** Let the caller hear that the target rings (ringback through the media layer). */
  | { readonly type: 'caller-progress'; readonly status: number; readonly reason: string }
  /** CANCEL the INVITE to the target (RFC 3261 §9.1). */
  | { readonly type: 'cancel-target' }
  /** Re-point the caller's media to the human (re-INVITE, or through the media anchor). */
  | { readonly type: 'bridge' }
  /** BYE that leg. */
  | { readonly type: 'release'; readonly leg: TransferLeg }
  | { readonly type: 'play-prompt'; readonly prompt: string }
  /**
   * Put the caller back with the AI agent: `resume` its leg when still up, else INVITE it again
   * with X-Baton-Fallback-Node, X-Baton-Transfer-Status and X-Baton-Transfer-Reason.
   */
  | {
      readonly type: 'return-to-agent';
      readonly resume: boolean;
      readonly node?: string;
      readonly failure?: TransferFailure;
    }
  /** The attempt has its final SIP answer: `baton_transfer_duration_seconds{mode}`. */
  | { readonly type: 'attempt-settled'; readonly mode: TransferMode }
  /** `baton_transfer_failures_total`, and the session record's failure reason and status. */
  | { readonly type: 'count-failure'; readonly failure: TransferFailure }
  /** The session is over; runs once, as the last effect of the transition into `ended`. */
  | { readonly type: 'finish'; readonly outcome: TransferOutcome };

export interface TransferMachineContext {
  readonly trigger: TransferTrigger;
}

export interface TransferTransition {
  readonly state: TransferSessionState;
  readonly effects: readonly TransferSessionEffect[];
  /** Why the event was refused in this state (state unchanged); undefined when it was taken. */
  readonly rejected?: string;
}

/** The state the store keeps: `fallback` is between attempts, so `pending` again. */
export function storeState(state: TransferSessionState): TransferState {
  return state.name === 'fallback' ? 'pending' : state.name;
}
