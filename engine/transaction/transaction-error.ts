/**
 * Errors raised by the transaction layer. Each carries a stable `code`, so callers branch on the
 * code and never on the message text.
 */

export type TransactionErrorCode =
  /** T1/T2/T4 out of range. */
  | 'invalid-timer-settings'
  /** A request handed to `createClientTransaction` has no top Via with a branch (§8.1.1.7). */
  | 'missing-branch'
  /** A client transaction with the same branch and method already exists (§17.1.3 keys). */
  | 'duplicate-transaction'
  /** ACK is not sent through a client transaction (§17.1.1.3: ACK for 2xx is the TU's, stateless). */
  | 'ack-not-transactional'
  /** `respond()` with something that is not a response with a status 100–699. */
  | 'invalid-response'
  /** `respond()` the transaction's state forbids (e.g. after a non-2xx final, or once terminated). */
  | 'invalid-state'
  /** A CANCEL held until a provisional arrived was dropped: a final response or Timer B came first (§9.1). */
  | 'cancel-abandoned';

export class TransactionError extends Error {
  readonly code: TransactionErrorCode;

  constructor(code: TransactionErrorCode, message: string) {
    super(message);
    this.name = 'TransactionError';
    this.code = code;
  }
}

/** Anything thrown or rejected, as an Error (transports may reject with non-Errors). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
