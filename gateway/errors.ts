/**
 * The gateway's error catalogue. Each error carries its own verdict: a stable `code`, the SIP
 * answer for a call not yet answered (or none: drop silently), the metrics label, the HTTP status
 * when it reaches the control API, and whether trying again may succeed. Code that catches one
 * reads these fields; nobody matches on message text.
 */
import type { RejectReason } from './observability/metrics.js';

export type GatewayErrorCode =
  | 'unknown-source'
  | 'scanner-blocked'
  | 'auth-failed'
  | 'over-limit'
  | 'draining'
  | 'agent-unavailable'
  | 'call-not-found'
  | 'bad-request'
  | 'unauthorized'
  | 'api-disabled'
  | 'route-not-found'
  | 'method-not-allowed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'transfer-not-found'
  | 'transfer-conflict'
  | 'target-not-allowed'
  | 'invalid-transfer-request'
  | 'internal';

/** The codes the control API can answer with (its OpenAPI error schema lists exactly these). */
export const API_ERROR_CODES = [
  'bad-request',
  'unauthorized',
  'api-disabled',
  'call-not-found',
  'route-not-found',
  'method-not-allowed',
  'payload-too-large',
  'unsupported-media-type',
  'transfer-not-found',
  'transfer-conflict',
  'target-not-allowed',
  'invalid-transfer-request',
  'internal',
] as const satisfies readonly GatewayErrorCode[];

export type Header = readonly [name: string, value: string];

export interface Verdict {
  code: GatewayErrorCode;
  /** Final SIP status for an unanswered call; undefined means send nothing (drop the request). */
  sipStatus: number | undefined;
  /** Reason phrase for `sipStatus`. */
  sipReason?: string;
  /** Headers to add to the SIP answer (e.g. Retry-After). */
  sipHeaders?: readonly Header[];
  /** Label for `baton_calls_rejected_total{reason}`, when the error refuses a call. */
  metricLabel?: RejectReason;
  httpStatus: number;
  /** Headers to add to the HTTP answer (e.g. WWW-Authenticate, Allow). */
  httpHeaders?: readonly Header[];
  /** Whether the same request may succeed later or elsewhere. */
  retryable: boolean;
}

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly sipStatus: number | undefined;
  readonly sipReason: string | undefined;
  readonly sipHeaders: readonly Header[];
  readonly metricLabel: RejectReason | undefined;
  readonly httpStatus: number;
  readonly httpHeaders: readonly Header[];
  readonly retryable: boolean;

  constructor(message: string, verdict: Verdict, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = verdict.code;
    this.sipStatus = verdict.sipStatus;
    this.sipReason = verdict.sipReason;
    this.sipHeaders = verdict.sipHeaders ?? [];
    this.metricLabel = verdict.metricLabel;
    this.httpStatus = verdict.httpStatus;
    this.httpHeaders = verdict.httpHeaders ?? [];
    this.retryable = verdict.retryable;
  }
}

/**
 * A request from an address in no trunk's allowlist. `security.unknownSource` chooses between an
 * explicit 403 (helps a misconfigured carrier) and silence (gives a scanner nothing).
 */
export class UnknownSourceError extends GatewayError {
  constructor(source: string, action: 'reject' | 'drop') {
    super(`request from ${source}, which is in no trunk allowlist`, {
      code: 'unknown-source',
      sipStatus: action === 'reject' ? 403 : undefined,
      sipReason: 'Forbidden',
      metricLabel: 'unknown-source',
      httpStatus: 403,
      retryable: false,
    });
  }
}

/** A request whose User-Agent names a known scanner: never answered. */
export class ScannerBlockedError extends GatewayError {
  constructor(userAgent: string) {
    super(`request from scanner user agent '${userAgent}'`, {
      code: 'scanner-blocked',
      sipStatus: undefined,
      metricLabel: 'scanner',
      httpStatus: 403,
      retryable: false,
    });
  }
}

/**
 * Digest credentials that do not verify. The first challenge (401/407) is not an error; this is
 * the answer to wrong credentials, 403 per RFC 3261 §22.3 rather than another challenge.
 */
export class AuthFailedError extends GatewayError {
  constructor(trunk: string) {
    super(`digest authentication failed for trunk ${trunk}`, {
      code: 'auth-failed',
      sipStatus: 403,
      sipReason: 'Forbidden',
      metricLabel: 'auth-failed',
      httpStatus: 403,
      retryable: false,
    });
  }
}

export type OverLimitKind = 'max-calls' | 'calls-per-second';

/** Admission control refused a new call: 503 with Retry-After (RFC 3261 §21.5.4). */
export class OverLimitError extends GatewayError {
  readonly limit: OverLimitKind;
  readonly retryAfterSeconds: number;

  constructor(limit: OverLimitKind, retryAfterSeconds: number) {
    super(`call refused: ${limit} limit reached`, {
      code: 'over-limit',
      sipStatus: 503,
      sipReason: 'Service Unavailable',
      sipHeaders: [['Retry-After', String(retryAfterSeconds)]],
      metricLabel: 'over-limit',
      httpStatus: 503,
      httpHeaders: [['Retry-After', String(retryAfterSeconds)]],
      retryable: true,
    });
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The instance is shutting down: 503 so the load balancer or carrier tries another instance. */
export class DrainingError extends GatewayError {
  constructor(retryAfterSeconds: number) {
    super('call refused: shutting down', {
      code: 'draining',
      sipStatus: 503,
      sipReason: 'Service Unavailable',
      sipHeaders: [['Retry-After', String(retryAfterSeconds)]],
      metricLabel: 'draining',
      httpStatus: 503,
      retryable: true,
    });
  }
}

/**
 * The AI agent could not take the call (no answer, error status, unreachable). The caller gets
 * the status configured in `aiAgent.onFailure`.
 */
export class AgentUnavailableError extends GatewayError {
  constructor(detail: string, answer: { status: number; reason?: string }, options?: { cause?: unknown }) {
    super(
      `AI agent unavailable: ${detail}`,
      {
        code: 'agent-unavailable',
        sipStatus: answer.status,
        sipReason: answer.reason,
        metricLabel: 'agent-unavailable',
        httpStatus: 502,
        retryable: true,
      },
      options,
    );
  }
}

/** The control API names a call that does not exist (or has ended). */
export class CallNotFoundError extends GatewayError {
  constructor(callId: string) {
    super(`no call with id '${callId}'`, {
      code: 'call-not-found',
      sipStatus: undefined,
      httpStatus: 404,
      retryable: false,
    });
  }
}

/** The control API names a transfer session that does not exist. */
export class TransferNotFoundError extends GatewayError {
  constructor(transferId: string) {
    super(`no transfer session with id '${transferId}'`, {
      code: 'transfer-not-found',
      sipStatus: undefined,
      httpStatus: 404,
      retryable: false,
    });
  }
}

/**
 * A transfer cannot start now: one is already running on the call, or the caller is not (or no
 * longer) talking to the AI agent. Retryable: it may start once the other has ended.
 */
export class TransferConflictError extends GatewayError {
  constructor(callId: string, detail: string) {
    super(`call '${callId}' cannot be transferred now: ${detail}`, {
      code: 'transfer-conflict',
      sipStatus: undefined,
      httpStatus: 409,
      retryable: true,
    });
  }
}

/**
 * A transfer request refused before anything was dialled (the transfer layer's own verdict,
 * `gateway/transfer/transfer-errors.ts`): 403 target not allowed, 400 invalid target, vars or
 * overrides.
 */
export class TransferRefusedError extends GatewayError {
  constructor(
    refusal: { code: 'target-not-allowed' | 'invalid-transfer-request'; httpStatus: number; message: string },
    options?: { cause?: unknown },
  ) {
    super(
      refusal.message,
      { code: refusal.code, sipStatus: undefined, httpStatus: refusal.httpStatus, retryable: false },
      options,
    );
  }
}

/** A control API request that cannot be understood (malformed JSON, bad id, invalid fields). */
export class BadApiRequestError extends GatewayError {
  constructor(detail: string) {
    super(detail, { code: 'bad-request', sipStatus: undefined, httpStatus: 400, retryable: false });
  }
}

/** Missing or wrong bearer token (RFC 6750 §3). */
export class UnauthorizedError extends GatewayError {
  constructor() {
    super('missing or invalid bearer token', {
      code: 'unauthorized',
      sipStatus: undefined,
      httpStatus: 401,
      httpHeaders: [['WWW-Authenticate', 'Bearer realm="baton"']],
      retryable: false,
    });
  }
}

/** No `http.apiToken` is configured, so the control API is off. */
export class ApiDisabledError extends GatewayError {
  constructor() {
    super('the control API is disabled: set http.apiToken (BATON_API_TOKEN) to enable it', {
      code: 'api-disabled',
      sipStatus: undefined,
      httpStatus: 403,
      retryable: false,
    });
  }
}

export class RouteNotFoundError extends GatewayError {
  constructor(path: string) {
    super(`no route for ${path}`, {
      code: 'route-not-found',
      sipStatus: undefined,
      httpStatus: 404,
      retryable: false,
    });
  }
}

export class MethodNotAllowedError extends GatewayError {
  constructor(method: string, allowed: readonly string[]) {
    super(`${method} is not allowed here; use ${allowed.join(', ')}`, {
      code: 'method-not-allowed',
      sipStatus: undefined,
      httpStatus: 405,
      httpHeaders: [['Allow', allowed.join(', ')]],
      retryable: false,
    });
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super(`request body larger than ${limitBytes} bytes`, {
      code: 'payload-too-large',
      sipStatus: undefined,
      httpStatus: 413,
      // The rest of the body is not read; closing tells the client not to reuse the connection.
      httpHeaders: [['Connection', 'close']],
      retryable: false,
    });
  }
}

export class UnsupportedMediaTypeError extends GatewayError {
  constructor(contentType: string) {
    super(`request body must be application/json, not '${contentType}'`, {
      code: 'unsupported-media-type',
      sipStatus: undefined,
      httpStatus: 415,
      retryable: false,
    });
  }
}

/** Anything unexpected, as the API shows it (the cause is logged, not sent). */
export class InternalError extends GatewayError {
  constructor(cause: unknown) {
    super(
      'internal error',
      {
        code: 'internal',
        sipStatus: 500,
        sipReason: 'Server Internal Error',
        httpStatus: 500,
        retryable: true,
      },
      { cause },
    );
  }
}
