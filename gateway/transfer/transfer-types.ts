/**
 * The transfer layer's vocabulary: modes, triggers, what a resolved and rendered transfer request
 * holds, how a transfer turns out, and the closed set of failure reasons, each an error that carries
 * its own verdict (SIP status, metrics labels, what the AI leg is told, whether the fallback runs).
 * `failureFromStatus` maps a final SIP status to that set. Pure: no I/O, no SIP objects.
 */
import type { TransferFailureReason, TransferModeLabel, TransferResult } from '../observability/metrics.js';
import { withoutControlCharacters } from '../../config/schema/transfer-headers.js';
import type { TransferMode, TransferOutcome as StoreTransferOutcome } from '../store/store-port.js';
import type { TransferTemplate } from './transfer-template.js';

export type { TransferFailureReason } from '../observability/metrics.js';
export type { TransferMode } from '../store/store-port.js';

/**
 * The store and the metrics each declare the modes and results (neither may import the transfer
 * layer); these fail to compile if the declarations drift apart.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
type _ModesAgree = Expect<Same<TransferMode, TransferModeLabel>>;
type _ResultsAgree = Expect<Same<StoreTransferOutcome, TransferResult>>;

/**
 * What asked for the transfer: an in-dialog REFER or a BYE (with X-Transfer-Target) from the AI
 * leg, or the control API.
 */
export type TransferTrigger = 'refer' | 'bye' | 'api';

export type TargetKind = 'internal' | 'external' | 'ivr';

/** The SIP request that moves the caller. */
export type TransferMethod = 'invite' | 'refer' | 'bye';

/** The mode a target runs in: an IVR hand-back is its own mode whatever request carries it. */
export function transferMode(kind: TargetKind, method: TransferMethod): TransferMode {
  return kind === 'ivr' ? 'ivr' : method;
}

/** A header as it goes on the wire: name with its exact case, value one line. */
export type Header = readonly [name: string, value: string];

export type UuiHeaderName = 'User-to-User' | 'X-User-to-User';

/** How to build the User-to-User value of a target (RFC 7433), the data still a template. */
export interface UuiPlan {
  readonly data: TransferTemplate;
  readonly encoding: 'hex' | 'ascii';
  readonly purpose?: string;
  readonly content?: string;
  readonly protocolDiscriminator?: number;
  readonly maxOctets: number;
  readonly placement: 'header' | 'refer-to-uri';
  readonly headerName: UuiHeaderName;
}

/** What happens after a failed attempt; `next` is the fallback target, already resolved. */
export type FallbackPlan<T> =
  | { readonly action: 'return-to-agent'; readonly prompt?: string; readonly node?: string }
  | { readonly action: 'hangup'; readonly prompt?: string }
  | { readonly action: 'target'; readonly prompt?: string; readonly next: T };

/** After a bridged call, when the human hangs up. */
export type HumanHangupAction = 'hangup' | 'return-to-agent';

/**
 * A target once the trigger's words are checked against the configuration and the per-call
 * overrides are applied: everything needed to start the attempt, templates not yet rendered.
 */
export interface ResolvedTarget {
  /** The configured target's name, or the number / URI `allow` admitted. */
  readonly name: string;
  readonly source: 'configured' | 'allowed';
  readonly kind: TargetKind;
  readonly method: TransferMethod;
  readonly mode: TransferMode;
  /** Where the INVITE or REFER points (SIP URI); undefined for a BYE hand-back to the IVR leg. */
  readonly requestUri: string | undefined;
  /** The configured trunk it goes through (E.164 routing, digest credentials). */
  readonly trunk: string | undefined;
  /** Extra headers (configured, then overrides), in order, names as configured. */
  readonly headers: ReadonlyArray<readonly [name: string, value: TransferTemplate]>;
  /** Method refer: the headers go inside the Refer-To URI rather than on the REFER. */
  readonly headersInReferTo: boolean;
  /** Kind ivr: the transfer tags for the IVR. */
  readonly tags: ReadonlyArray<readonly [name: string, value: TransferTemplate]>;
  readonly uui: UuiPlan | undefined;
  readonly fallback: FallbackPlan<ResolvedTarget>;
  readonly onHumanHangup: HumanHangupAction;
}

/** A transfer ready to run: the resolved target with every template rendered and checked. */
export interface TransferRequest {
  readonly trigger: TransferTrigger;
  readonly target: ResolvedTarget;
  /** Headers for the INVITE / REFER / BYE, UUI and tags included, names with exact case. */
  readonly headers: readonly Header[];
  /** The Refer-To value (name-addr, headers embedded) for a refer method; undefined otherwise. */
  readonly referTo: string | undefined;
  /** The User-to-User value sent (in a header or inside Refer-To), for logs and the session record. */
  readonly uui: { readonly headerName: UuiHeaderName; readonly value: string } | undefined;
  /** Values from the trigger (`{{vars.*}}`), names lower-case. */
  readonly vars: Readonly<Record<string, string>>;
  /** Headers left out because a value could not be rendered safely (logged, the transfer goes on). */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
}

/** Who withdrew a transfer before it connected. */
export type CancelledBy = 'agent' | 'api' | 'operator';

/**
 * How a transfer session turned out; `outcome` is the store's and the metrics' result.
 * A failed session has already run its fallback (`fallback` says which action ran).
 */
export type TransferOutcome =
  | { readonly outcome: 'completed'; readonly mode: TransferMode; readonly target: string }
  | {
      readonly outcome: 'failed';
      readonly mode: TransferMode;
      readonly target: string;
      readonly failure: TransferFailure;
      readonly fallback: 'return-to-agent' | 'hangup' | 'none';
    }
  | { readonly outcome: 'cancelled'; readonly mode: TransferMode; readonly by: CancelledBy }
  | { readonly outcome: 'abandoned'; readonly mode: TransferMode };

type _OutcomesAgree = Expect<Same<TransferOutcome['outcome'], StoreTransferOutcome>>;

/** Which answer a status came in: to Baton's INVITE, to its REFER, or in a NOTIFY sipfrag (RFC 3515 §2.4.5). */
export type StatusPhase = 'invite' | 'refer' | 'notify';

/** A status line: code and reason phrase. */
export interface StatusLine {
  readonly status: number;
  readonly reason: string;
}

/** Standard reason phrases (RFC 3261 §21 and the extensions transfers meet). */
const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/** The standard phrase of a status, or a generic one for its class. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : 'Failed');
}

interface FailureVerdict {
  readonly message: string;
  /** Status line reported to the AI leg's REFER subscription when no SIP status decided the failure. */
  readonly notify: StatusLine;
  /** Whether the target's fallback runs: not when the caller is gone or the transfer was withdrawn. */
  readonly runsFallback: boolean;
  /** Whether the same target may succeed later (busy, no answer, overload). */
  readonly retryable: boolean;
}

const VERDICTS: Readonly<Record<TransferFailureReason, FailureVerdict>> = {
  busy: { message: 'target busy', notify: line(486), runsFallback: true, retryable: true },
  'no-answer': { message: 'target did not answer', notify: line(480), runsFallback: true, retryable: true },
  rejected: { message: 'target refused the call', notify: line(603), runsFallback: true, retryable: false },
  'not-found': { message: 'target not found', notify: line(404), runsFallback: true, retryable: false },
  unavailable: { message: 'target unavailable', notify: line(503), runsFallback: true, retryable: true },
  'refer-not-supported': {
    message: 'the caller’s side does not accept REFER',
    notify: line(501),
    runsFallback: true,
    retryable: false,
  },
  timeout: { message: 'no final NOTIFY in time', notify: line(408), runsFallback: true, retryable: true },
  cancelled: { message: 'transfer withdrawn', notify: line(487), runsFallback: false, retryable: false },
  'caller-hung-up': {
    message: 'the caller hung up during the transfer',
    notify: line(487),
    runsFallback: false,
    retryable: false,
  },
  'auth-failed': {
    message: 'the carrier refused Baton’s credentials',
    notify: line(403),
    runsFallback: true,
    retryable: false,
  },
  'bad-target': { message: 'target unusable', notify: line(404), runsFallback: true, retryable: false },
  'media-failed': {
    message: 'no common media with the target',
    notify: line(488),
    runsFallback: true,
    retryable: false,
  },
  'loop-detected': { message: 'the request looped', notify: line(482), runsFallback: true, retryable: false },
  internal: { message: 'internal error', notify: line(500), runsFallback: true, retryable: true },
  other: { message: 'transfer failed', notify: line(500), runsFallback: true, retryable: false },
};

/** Every failure reason, from the verdict table (so the list cannot miss one). */
export const TRANSFER_FAILURE_REASONS = Object.keys(VERDICTS) as readonly TransferFailureReason[];

/**
 * One failed transfer attempt. Thrown by the mode strategies and handed to the session machine;
 * whoever catches it reads these fields.
 */
export class TransferFailure extends Error {
  readonly code: TransferFailureReason;
  /**
   * The final status that decided it (a 486 answer, a `SIP/2.0 603` sipfrag); none for timeouts
   * and hang-ups.
   */
  readonly sipStatus: number | undefined;
  readonly sipReason: string | undefined;
  readonly phase: StatusPhase | undefined;
  /** Labels for `baton_transfer_failures_total`. */
  readonly metricLabel: { readonly reason: TransferFailureReason; readonly status: number | undefined };
  /** What the AI leg's final NOTIFY says (RFC 3515 §2.4.5): the real status when there was one. */
  readonly notifyStatus: StatusLine;
  readonly runsFallback: boolean;
  readonly retryable: boolean;

  constructor(
    code: TransferFailureReason,
    detail?: { status?: number; reason?: string; phase?: StatusPhase; cause?: unknown },
  ) {
    const verdict = VERDICTS[code];
    const status = detail?.status;
    super(
      status === undefined
        ? verdict.message
        : `${verdict.message} (${status}${detail?.phase ? ` to ${detail.phase}` : ''})`,
      { cause: detail?.cause },
    );
    this.name = 'TransferFailure';
    this.code = code;
    this.sipStatus = status;
    this.sipReason = detail?.reason;
    this.phase = detail?.phase;
    this.metricLabel = { reason: code, status };
    this.notifyStatus =
      status !== undefined && status >= 300 && status <= 699
        ? { status, reason: oneLine(detail?.reason) || reasonPhrase(status) }
        : verdict.notify;
    this.runsFallback = verdict.runsFallback;
    this.retryable = verdict.retryable;
  }
}

/**
 * The failure a final status means, or undefined for 1xx/2xx (not a failure).
 *
 * The phase matters where one code means different things: 405/501/420/489 to a REFER say the
 * carrier does not take REFER at all (RFC 3261 §21.4.6, §21.5.2, §21.4.15; RFC 6665 §8.3.2), not
 * that the target refused; 408 to a REFER is the REFER transaction timing out, to an INVITE (or in
 * a sipfrag) the target not answering. `cancelled` and `caller-hung-up` never come from a status:
 * Baton decides those itself.
 * Redirects (3xx) are not followed on transfer legs (RFC 3261 §8.1.3.4 leaves it to the UAC).
 */
export function failureFromStatus(
  status: number,
  phase: StatusPhase,
  reason?: string,
): TransferFailure | undefined {
  if (!Number.isInteger(status) || status < 300) return undefined;
  return new TransferFailure(reasonFor(status, phase), { status, reason, phase });
}

function reasonFor(status: number, phase: StatusPhase): TransferFailureReason {
  if (phase === 'refer') {
    if (status === 405 || status === 420 || status === 489 || status === 501) return 'refer-not-supported';
    if (status === 408) return 'timeout';
  }
  switch (status) {
    case 486:
    case 600:
      return 'busy';
    case 408:
    case 480:
      return 'no-answer';
    case 487:
      // Baton's own CANCEL never gets here (the session has ended by then): the far side gave up ringing.
      return phase === 'refer' ? 'other' : 'no-answer';
    case 403:
    case 603:
      return 'rejected';
    case 404:
    case 410:
    case 484:
    case 604:
      return 'not-found';
    case 401:
    case 407:
      // Only reaches here after the retry with the trunk's credentials (or without any to retry).
      return 'auth-failed';
    case 416:
    case 485:
      return 'bad-target';
    case 488:
    case 606:
      return 'media-failed';
    case 482:
    case 483:
      return 'loop-detected';
    default:
      if (status >= 500 && status < 600) return 'unavailable';
      if (status >= 600) return 'rejected';
      return 'other';
  }
}

function line(status: number): StatusLine {
  return { status, reason: reasonPhrase(status) };
}

/** A reason phrase from the network, safe to echo into a status line. */
function oneLine(text: string | undefined): string {
  return withoutControlCharacters(text ?? '').trim();
}
