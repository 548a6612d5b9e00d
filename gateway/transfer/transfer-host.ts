/**
 * What a transfer session needs from the call and the configuration besides what one attempt
 * needs (`transfer-strategy.ts`): the AI leg's NOTIFYs, releasing legs, the return to the AI agent,
 * the named waits, and the headers Baton puts on the legs it dials for a transfer.
 */
import type { EndCause, Leg } from '../call/call-state.js';
import type { NotifyMessage } from './refer-headers.js';
import type { TransferCallPort } from './transfer-strategy.js';

/** The session's waits (`transfer.*`), each named after the timer it arms. */
export interface TransferTimerSettings {
  /** `ringTimeoutMs`: how long a dialled target may ring before it is cancelled as no-answer. */
  readonly ringTimeoutMs: number;
  /** `notifyTimeoutMs`: after the 202 to Baton's REFER, how long the final NOTIFY may take. */
  readonly notifyTimeoutMs: number;
  /** `referByeGraceMs`: after a successful REFER, how long the carrier has to BYE the caller. */
  readonly referByeGraceMs: number;
}

/** Headers of the INVITE that returns the caller to the AI agent after a failed transfer. */
export const FALLBACK_NODE_HEADER = 'X-Baton-Fallback-Node';
export const TRANSFER_STATUS_HEADER = 'X-Baton-Transfer-Status';
export const TRANSFER_REASON_HEADER = 'X-Baton-Transfer-Reason';
/** The transfer session a new leg belongs to (the same id as in logs and the API). */
export const TRANSFER_ID_HEADER = 'X-Baton-Transfer-Id';

/** What the runner needs from the call besides what attempts need. */
export interface TransferHost extends TransferCallPort {
  /** NOTIFY the AI leg about its REFER (RFC 3515 §2.4.4); nothing when that leg is gone. */
  notifyAgent(notify: NotifyMessage): void;
  /** BYE (or CANCEL) a leg; releasing the caller ends the call with `cause`. */
  release(leg: Leg, cause: EndCause): void;
  /** Return the caller to the AI agent by dialling it again, the INVITE carrying `headers`. */
  redialAgent(headers: Readonly<Record<string, string>>): void;
  /** The session ended, or handed the caller back to the AI agent (post_agent). */
  transferEnded(completed: boolean): void;
}
