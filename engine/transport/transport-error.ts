/**
 * Why a send failed. The code is the verdict: the transaction layer turns any of these into a
 * transport error (RFC 3261 §8.1.3.1: treated as a 503), and the control server reports
 * ENOTRANSPORT with drachtio-server's own text.
 */
export type TransportErrorCode =
  /** No listener of the hop's protocol and address family. */
  | 'ENOTRANSPORT'
  /** The hop's host name did not resolve (A/AAAA through dns.lookup). */
  | 'ERESOLVE'
  /** A TCP connection to the hop could not be opened. */
  | 'ECONNECT'
  /** The socket refused the bytes (closed, reset, …). */
  | 'ESEND'
  /** The transport layer is closed. */
  | 'ECLOSED';

/** drachtio-server's text for "no transport fits", which apps may show (wire protocol §1.6). */
export const NO_TRANSPORT_TEXT = 'requested protocol/transport not available';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}
