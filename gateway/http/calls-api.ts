/**
 * What the control API needs from the call layer. The HTTP server depends on this interface only;
 * the call registry implements it, and tests pass a fake.
 */
import type { TransferSessionRecord } from '../store/store-port.js';

/** `POST /api/calls/{id}/transfer`: what to transfer to, as received (validated by the transfer layer). */
export interface TransferRequestBody {
  /** A configured target name, a number or a SIP URI that `transfer.allow` admits. */
  readonly target: unknown;
  /** Values for `{{vars.*}}` in the target's headers and UUI. */
  readonly vars?: unknown;
  /** Per-call overrides of the target's settings (method, headers, uui, fallback…). */
  readonly overrides?: unknown;
}

/** One call as the control API shows it. */
export interface CallSummary {
  /** Baton's call id (also the `callId` field of every log line of the call). */
  readonly id: string;
  /** Configured trunk the call came in on, or null when it was not matched to one. */
  readonly trunk: string | null;
  /** Name of the call's current state in the call state machine (e.g. `agent-connected`). */
  readonly state: string;
  /** The caller's From URI. */
  readonly from: string;
  /** The Request-URI of the caller's INVITE (the number or address dialled). */
  readonly to: string;
  /** When the INVITE arrived, ISO 8601 UTC. */
  readonly startedAt: string;
  /** When the caller's leg was answered, ISO 8601 UTC; absent before that. */
  readonly answeredAt?: string;
}

export interface CallsApi {
  /** Calls in progress, oldest first. */
  list(): readonly CallSummary[];
  get(id: string): CallSummary | undefined;
  /**
   * Hang up every leg of the call (BYE to answered legs, CANCEL or an error answer to the rest).
   * @returns false when no such call exists
   */
  hangup(id: string): Promise<boolean>;
  /**
   * Transfer the call's caller; the outcome comes in the session record.
   * @returns the transfer session id, or undefined when no such call exists
   * @throws GatewayError: transfer-conflict (409), target-not-allowed (403), invalid-transfer-request (400)
   */
  transfer(id: string, body: TransferRequestBody): { transferId: string } | undefined;
  /** A transfer session, live or stored; undefined when there is none with that id. */
  getTransfer(id: string): Promise<TransferSessionRecord | undefined>;
}
