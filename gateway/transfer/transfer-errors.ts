/**
 * Why a transfer request is refused before anything is dialled. Each error carries its verdict:
 * the answer to the AI agent's REFER (RFC 3515 §2.4.2: a REFER that is not accepted gets a final
 * non-2xx answer), the HTTP status for the control API, and the failure reason for metrics. The
 * caller of the resolver turns one into that answer and a log line; nobody matches on the message.
 */
import { withoutControlCharacters } from '../../config/schema/transfer-headers.js';
import type { TransferFailureReason } from '../observability/metrics.js';

export type TransferRequestErrorCode = 'target-not-allowed' | 'invalid-transfer-request';

export abstract class TransferRequestError extends Error {
  abstract readonly code: TransferRequestErrorCode;
  /** The answer to a REFER or BYE trigger (a BYE's answer cannot refuse; it is logged). */
  abstract readonly sipStatus: number;
  abstract readonly sipReason: string;
  abstract readonly httpStatus: number;
  /** `baton_transfer_failures_total{reason}` when the refusal is counted. */
  readonly failureReason: TransferFailureReason = 'bad-target';
}

/**
 * The AI agent named something that is neither a configured target nor admitted by
 * `transfer.allow`. Refused with 403 and logged: no toll fraud through a chatty model.
 */
export class TargetNotAllowedError extends TransferRequestError {
  readonly code = 'target-not-allowed';
  readonly sipStatus = 403;
  readonly sipReason = 'Forbidden';
  readonly httpStatus = 403;
  /** The target as named, cut to 128 characters and stripped of control characters, for the log. */
  readonly target: string;

  constructor(target: string) {
    const shown = withoutControlCharacters(target, '?').slice(0, 128);
    super(`transfer target '${shown}' is neither a configured target nor admitted by transfer.allow`);
    this.name = 'TargetNotAllowedError';
    this.target = shown;
  }
}

/** The trigger's target, vars or overrides do not validate (each problem with its path). */
export class InvalidTransferRequestError extends TransferRequestError {
  readonly code = 'invalid-transfer-request';
  readonly sipStatus = 400;
  readonly sipReason = 'Bad Request';
  readonly httpStatus = 400;
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid transfer request: ${problems.join('; ')}`);
    this.name = 'InvalidTransferRequestError';
    this.problems = problems;
  }
}
