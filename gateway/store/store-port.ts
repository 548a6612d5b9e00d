/**
 * The gateway's store: where call records and transfer sessions are kept, behind one interface
 * with two adapters (SQLite on one machine, Redis when several Baton instances share sessions).
 * Records are plain typed objects; which fields exist depends on the state (an ended record has a
 * result and an end time), so the compiler checks what the call and transfer layers write.
 *
 * Nothing expires by itself: a voice session lives as long as its call, however long that is.
 * Ended records stay until {@link Store.purgeEnded} removes them (retention is the caller's policy).
 */
import type { CallResult } from '../observability/metrics.js';

export type { CallResult } from '../observability/metrics.js';

/** Every {@link CallResult}, checked complete by the compiler (for validating stored records). */
const CALL_RESULT_NAMES: Readonly<Record<CallResult, true>> = {
  answered: true,
  cancelled: true,
  failed: true,
  rejected: true,
};
export const CALL_RESULTS = Object.keys(CALL_RESULT_NAMES) as readonly CallResult[];

/** Where a call is: `setup` until the caller hears ringing, then `ringing`, `answered`, `ended`. */
export const CALL_STATES = ['setup', 'ringing', 'answered', 'ended'] as const;
export type CallState = (typeof CALL_STATES)[number];

/** A party of the call as its SIP header named it. */
export interface PartyRecord {
  /** The URI of From (caller) or To / Request-URI (callee), e.g. `sip:+15551230000@carrier.example`. */
  readonly uri: string;
  /** The user part of the URI (usually the number), when it has one. */
  readonly user?: string;
}

interface CallRecordFields {
  /** Baton's call id (a UUID): the same id in logs, metrics, the API and `X-Baton-Call-Id`. */
  readonly id: string;
  /** `X-Baton-Conversation-Id`: stays the same across transfers of one conversation. */
  readonly conversationId: string;
  /** Configured trunk the call came in on; null when the source matched no trunk. */
  readonly trunk: string | null;
  readonly caller: PartyRecord;
  readonly callee: PartyRecord;
  /** Where the INVITE came from, `address:port` (IPv6 in brackets), e.g. `203.0.113.5:5060`. */
  readonly source: string;
  /** The Baton instance that owns the call's dialogs (several share one Redis store). */
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly answeredAt?: Date;
  /** Why the call ended or was refused, as a stable code (e.g. `caller-hangup`, `over-limit`). */
  readonly endReason?: string;
  /** The SIP status that decided the outcome (e.g. the agent's 486), when one did. */
  readonly sipStatus?: number;
}

export interface ActiveCallRecord extends CallRecordFields {
  readonly state: Exclude<CallState, 'ended'>;
  readonly result?: undefined;
  readonly endedAt?: undefined;
}

export interface EndedCallRecord extends CallRecordFields {
  readonly state: 'ended';
  readonly result: CallResult;
  readonly endedAt: Date;
}

export type CallRecord = ActiveCallRecord | EndedCallRecord;

/** How a transfer hands the caller over (issue 4: invite-bridge, refer, invite-then-bye, ivr hand-back). */
export const TRANSFER_MODES = ['invite', 'refer', 'bye', 'ivr'] as const;
export type TransferMode = (typeof TRANSFER_MODES)[number];

/**
 * A transfer session's life: `pending` (requested, not started), `queued` (waiting for a target
 * or a slot), `active` (dialling or connected to the target), `post_agent` (the target's part is
 * over and the caller is back with an agent or the IVR), `ended` (the caller's side is gone).
 */
export const TRANSFER_STATES = ['pending', 'queued', 'active', 'post_agent', 'ended'] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];

/**
 * How an ended transfer session turned out: `completed` (the caller reached the target),
 * `failed` (the target was not reached; `failureReason` and `sipStatus` say why), `cancelled`
 * (withdrawn by the agent or the API before it connected), `abandoned` (the caller hung up first).
 */
export const TRANSFER_OUTCOMES = ['completed', 'failed', 'cancelled', 'abandoned'] as const;
export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number];

/** One step of a transfer session, appended by the transfer layer at each state change. */
export interface TransferHistoryEntry {
  readonly state: TransferState;
  readonly at: Date;
  /** What happened, for people reading the session (e.g. `human leg 180 Ringing`). */
  readonly detail?: string;
}

interface TransferSessionFields {
  /** The session id (a UUID). */
  readonly id: string;
  /** The Baton call whose caller is being transferred. */
  readonly callId: string;
  /** Name of the configured transfer target. */
  readonly target: string;
  readonly mode: TransferMode;
  /** Why the latest attempt failed, as a stable code; may be set before the end (a fallback follows). */
  readonly failureReason?: string;
  /** The SIP status behind the outcome or the failure, when there was one. */
  readonly sipStatus?: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Context passed along with the transfer (from X-Transfer-* headers or the API body). */
  readonly vars: Readonly<Record<string, string>>;
  /** Oldest first. The store keeps what it is given; the transfer layer appends and puts. */
  readonly history: readonly TransferHistoryEntry[];
}

export interface ActiveTransferSessionRecord extends TransferSessionFields {
  readonly state: Exclude<TransferState, 'ended'>;
  readonly outcome?: undefined;
  readonly endedAt?: undefined;
}

export interface EndedTransferSessionRecord extends TransferSessionFields {
  readonly state: 'ended';
  readonly outcome: TransferOutcome;
  readonly endedAt: Date;
}

export type TransferSessionRecord = ActiveTransferSessionRecord | EndedTransferSessionRecord;

export interface CallListFilter {
  readonly state?: CallState;
  readonly instanceId?: string;
  /** At most this many records (a non-negative integer); all when absent. */
  readonly limit?: number;
}

export interface TransferSessionListFilter {
  readonly callId?: string;
  readonly state?: TransferState;
  /** At most this many records (a non-negative integer); all when absent. */
  readonly limit?: number;
}

export interface PurgeResult {
  readonly calls: number;
  readonly transferSessions: number;
}

export type StoreKind = 'sqlite' | 'redis';

/**
 * The store port. All methods but `isOpen` are async (the SQLite adapter is synchronous
 * underneath and only wraps). Every failure is a {@link StoreError}.
 */
export interface Store {
  readonly kind: StoreKind;
  /** Connect (Redis) or open and migrate the database (SQLite). Calling it when open does nothing. */
  open(): Promise<void>;
  /** Release the connection or file. Calling it when closed does nothing. */
  close(): Promise<void>;
  /** Whether the store can serve requests now (for /readyz): false before open, after close, while Redis is down. */
  isOpen(): boolean;
  /** Insert or replace the call record with this id. */
  putCall(record: CallRecord): Promise<void>;
  getCall(id: string): Promise<CallRecord | undefined>;
  /** Newest first: by `startedAt` descending, ties by id descending. */
  listCalls(filter?: CallListFilter): Promise<CallRecord[]>;
  /** Insert or replace the transfer session with this id (history included, as given). */
  putTransferSession(session: TransferSessionRecord): Promise<void>;
  getTransferSession(id: string): Promise<TransferSessionRecord | undefined>;
  /** Newest first: by `createdAt` descending, ties by id descending. */
  listTransferSessions(filter?: TransferSessionListFilter): Promise<TransferSessionRecord[]>;
  /** Delete ended calls and transfer sessions whose `endedAt` is before `olderThan`; active ones are kept. */
  purgeEnded(olderThan: Date): Promise<PurgeResult>;
}

export type StoreErrorCode =
  /** The backend cannot be reached or cannot do I/O now (Redis down, disk full, file locked). */
  | 'store-unavailable'
  /** Stored data cannot be read back (not a database file, a record that fails validation). */
  | 'store-corrupt'
  /** Used before `open()` or after `close()`. */
  | 'store-closed'
  /** The database was written by a newer Baton (its schema version is higher than this one knows). */
  | 'store-schema-unsupported'
  /** A caller passed something the store cannot take (a negative limit, no Redis URL). */
  | 'store-invalid-argument'
  /** The backend refused in a way none of the above explains. */
  | 'store-failed';

/** Codes where the same operation may succeed later. */
const RETRYABLE: ReadonlySet<StoreErrorCode> = new Set(['store-unavailable']);

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly retryable: boolean;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
    this.retryable = RETRYABLE.has(code);
  }
}
