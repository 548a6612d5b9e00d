/**
 * Every Prometheus metric Baton exports, declared in this one file with its fixed label set. The
 * only module that imports prom-client: the rest of the gateway sees the typed {@link Metrics}
 * object, whose label values come from closed unions or are normalised here, so no caller can
 * create unbounded series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How a call ended, from the caller's point of view. */
export type CallResult =
  /** Connected (to the AI agent, later perhaps a human) and ended by a hang-up. */
  | 'answered'
  /** The caller hung up (CANCEL) before it was connected. */
  | 'cancelled'
  /** Admitted, but the gateway could not connect it (agent leg failed, media or internal error). */
  | 'failed'
  /** Refused before any leg was dialled (see {@link RejectReason}). */
  | 'rejected';

/** Why a new call (or an out-of-dialog request) was refused. */
export type RejectReason =
  'unknown-source' | 'scanner' | 'auth-failed' | 'over-limit' | 'draining' | 'agent-unavailable';

export type SipDirection = 'inbound' | 'outbound';

/**
 * How a transfer hands the caller over: INVITE and bridge, REFER, INVITE then BYE of the AI leg,
 * hand-back to the IVR. Declared here so label values stay a closed set without this module
 * importing the transfer layer (`gateway/transfer/transfer-types.ts` checks it matches the store's).
 */
export type TransferModeLabel = 'invite' | 'refer' | 'bye' | 'ivr';

/** How a transfer session ended (the store's transfer outcome). */
export type TransferResult = 'completed' | 'failed' | 'cancelled' | 'abandoned';

/**
 * Why one transfer attempt failed: the closed set `gateway/transfer/transfer-types.ts` gives a
 * verdict (SIP status, NOTIFY answer, fallback or not) for each.
 */
export type TransferFailureReason =
  | 'busy'
  | 'no-answer'
  | 'rejected'
  | 'not-found'
  | 'unavailable'
  | 'refer-not-supported'
  | 'timeout'
  | 'cancelled'
  | 'caller-hung-up'
  | 'auth-failed'
  | 'bad-target'
  | 'media-failed'
  | 'loop-detected'
  | 'internal'
  | 'other';

/** RFC 3261 §7.1 and extension methods Baton can meet; anything else is counted as OTHER. */
const SIP_METHODS = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);

/** Statuses worth their own series; any other is counted by class (`4xx`). */
const NAMED_STATUSES = new Set([
  100, 180, 181, 182, 183, 200, 202, 401, 403, 404, 407, 408, 480, 481, 486, 487, 488, 500, 503, 603,
]);

/** Buckets for call setup from INVITE to answer: 10 ms to 10 s. */
const CALL_SETUP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Buckets for trigger → human answered / final NOTIFY: a human rings for seconds, up to the ring timeout. */
const TRANSFER_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 45, 60, 120];

export interface Metrics {
  /** `baton_calls_total{trunk,result}`: finished calls. `trunk` is a configured trunk name or `unknown`. */
  readonly callsTotal: { inc(labels: { trunk: string; result: CallResult }): void };
  /** `baton_calls_active`: calls in progress. */
  readonly callsActive: { inc(): void; dec(): void; set(value: number): void };
  /** `baton_call_setup_seconds`: time from the caller's INVITE to the answer sent back to it. */
  readonly callSetupSeconds: { observe(seconds: number): void };
  /** `baton_calls_rejected_total{reason}`: requests refused before a call existed. */
  readonly callsRejectedTotal: { inc(labels: { reason: RejectReason }): void };
  /** `baton_sip_requests_total{method,direction}`. */
  readonly sipRequestsTotal: { inc(labels: { method: string; direction: SipDirection }): void };
  /** `baton_sip_responses_total{method,status,direction}`; status is the code or its class. */
  readonly sipResponsesTotal: {
    inc(labels: { method: string; status: number; direction: SipDirection }): void;
  };
  /** `baton_engine_connected`: 1 while the drachtio connection (embedded or external) is up. */
  readonly engineConnected: { set(connected: boolean): void };
  /** `baton_transfers_total{mode,result}`: ended transfer sessions, by the mode of their last attempt. */
  readonly transfersTotal: { inc(labels: { mode: TransferModeLabel; result: TransferResult }): void };
  /**
   * `baton_transfer_failures_total{reason,code}`: failed transfer attempts (a session with
   * fallback targets may count several). `code` is the SIP status behind the failure, `none` when
   * there was none (timeouts, hang-ups).
   */
  readonly transferFailuresTotal: {
    inc(labels: { reason: TransferFailureReason; status: number | undefined }): void;
  };
  /** `baton_transfers_active`: transfer sessions not yet ended. */
  readonly transfersActive: { inc(): void; dec(): void; set(value: number): void };
  /**
   * `baton_transfer_duration_seconds{mode}`: from the trigger to the attempt's final SIP answer
   * (the human answered, the target refused, or the final NOTIFY of a REFER).
   */
  readonly transferDurationSeconds: { observe(labels: { mode: TransferModeLabel }, seconds: number): void };
  /** Content-Type of {@link render}'s output. */
  readonly contentType: string;
  /** The Prometheus text exposition of every metric in this registry. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop, GC) prefixed `baton_`; default true. */
  defaultMetrics?: boolean;
}

/** A fresh set of metrics in a registry of its own (never prom-client's global one). */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'baton_' });

  const callsTotal = new Counter({
    name: 'baton_calls_total',
    help: 'Finished calls by trunk and result.',
    labelNames: ['trunk', 'result'] as const,
    registers,
  });
  const callsActive = new Gauge({ name: 'baton_calls_active', help: 'Calls in progress.', registers });
  const callSetupSeconds = new Histogram({
    name: 'baton_call_setup_seconds',
    help: "Seconds from the caller's INVITE to the answer sent back to it.",
    buckets: CALL_SETUP_BUCKETS,
    registers,
  });
  const callsRejectedTotal = new Counter({
    name: 'baton_calls_rejected_total',
    help: 'Requests refused before a call existed, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const sipRequestsTotal = new Counter({
    name: 'baton_sip_requests_total',
    help: 'SIP requests by method and direction.',
    labelNames: ['method', 'direction'] as const,
    registers,
  });
  const sipResponsesTotal = new Counter({
    name: 'baton_sip_responses_total',
    help: 'SIP responses by request method, status (code or class) and direction.',
    labelNames: ['method', 'status', 'direction'] as const,
    registers,
  });
  const engineConnected = new Gauge({
    name: 'baton_engine_connected',
    help: '1 while the connection to the SIP engine (embedded or drachtio-server) is up.',
    registers,
  });
  engineConnected.set(0);
  const transfersTotal = new Counter({
    name: 'baton_transfers_total',
    help: 'Ended transfer sessions by mode (of the last attempt) and result.',
    labelNames: ['mode', 'result'] as const,
    registers,
  });
  const transferFailuresTotal = new Counter({
    name: 'baton_transfer_failures_total',
    help: 'Failed transfer attempts by reason and SIP status (none when no status decided it).',
    labelNames: ['reason', 'code'] as const,
    registers,
  });
  const transfersActive = new Gauge({
    name: 'baton_transfers_active',
    help: 'Transfer sessions not yet ended.',
    registers,
  });
  const transferDurationSeconds = new Histogram({
    name: 'baton_transfer_duration_seconds',
    help: "Seconds from a transfer's trigger to the attempt's final SIP answer (human answered, refused, or final NOTIFY).",
    labelNames: ['mode'] as const,
    buckets: TRANSFER_DURATION_BUCKETS,
    registers,
  });

  return {
    callsTotal: { inc: (labels) => callsTotal.inc(labels) },
    callsActive: {
      inc: () => callsActive.inc(),
      dec: () => callsActive.dec(),
      set: (value) => callsActive.set(value),
    },
    callSetupSeconds: { observe: (seconds) => callSetupSeconds.observe(seconds) },
    callsRejectedTotal: { inc: (labels) => callsRejectedTotal.inc(labels) },
    sipRequestsTotal: {
      inc: ({ method, direction }) => sipRequestsTotal.inc({ method: sipMethodLabel(method), direction }),
    },
    sipResponsesTotal: {
      inc: ({ method, status, direction }) =>
        sipResponsesTotal.inc({ method: sipMethodLabel(method), status: sipStatusLabel(status), direction }),
    },
    engineConnected: { set: (connected) => engineConnected.set(connected ? 1 : 0) },
    transfersTotal: { inc: (labels) => transfersTotal.inc(labels) },
    transferFailuresTotal: {
      inc: ({ reason, status }) => transferFailuresTotal.inc({ reason, code: transferStatusLabel(status) }),
    },
    transfersActive: {
      inc: () => transfersActive.inc(),
      dec: () => transfersActive.dec(),
      set: (value) => transfersActive.set(value),
    },
    transferDurationSeconds: {
      observe: (labels, seconds) => transferDurationSeconds.observe(labels, seconds),
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}

/** A known method as written (upper case), anything else `OTHER`. */
export function sipMethodLabel(method: string): string {
  const m = method.toUpperCase();
  return SIP_METHODS.has(m) ? m : 'OTHER';
}

/** A status worth its own series as its code, any other as its class (`5xx`); nonsense as `other`. */
export function sipStatusLabel(status: number): string {
  if (!Number.isInteger(status) || status < 100 || status > 699) return 'other';
  return NAMED_STATUSES.has(status) ? String(status) : `${Math.floor(status / 100)}xx`;
}

/**
 * The `code` label of a transfer failure: the exact final status (300–699, so at most 400 values,
 * and in practice the few each reason maps from), or `none` when no status decided the failure.
 * Exact because 405 and 403 to a REFER mean different fixes on the carrier's side.
 */
export function transferStatusLabel(status: number | undefined): string {
  if (status === undefined || !Number.isInteger(status) || status < 300 || status > 699) return 'none';
  return String(status);
}
