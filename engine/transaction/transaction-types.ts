/**
 * The transaction layer's contract (RFC 3261 §17, RFC 6026) with the dialog core above it.
 * Timers come from three base values and an injected clock, so tests can run them fast or fake.
 */
import type { SipMessage } from '../sip/message.js';
import type { Hop, InboundMessage, SendResult } from '../transport/transport-types.js';

/** RFC 3261 §17.1.1.1 base timer values, in milliseconds. */
export interface TimerSettings {
  /** RTT estimate; default 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses; default 4 s. */
  T2: number;
  /** Maximum duration a message remains in the network; default 5 s. */
  T4: number;
}

export const DEFAULT_TIMERS: Readonly<TimerSettings> = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });

/** Scheduling through an injected clock (timers are never module globals). */
export interface Clock {
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  now(): number;
}

export interface TimerHandle {
  readonly __timer: unique symbol;
}

export const systemClock: Clock = {
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t as unknown as TimerHandle;
  },
  clearTimer: (h) => clearTimeout(h as unknown as NodeJS.Timeout),
  now: () => Date.now(),
};

export type ClientTransactionEnd = 'completed' | 'timeout' | 'transport-error';

export interface ClientTransactionHandlers {
  /** Every response that the transaction passes up (RFC 3261 §17.1: 1xx, the final, and for INVITE 2xx retransmissions in Accepted state). */
  onResponse(res: SipMessage, inbound: InboundMessage): void;
  /** Timer B / F fired: the TU synthesizes a 408 (RFC 3261 §8.1.3.1). */
  onTimeout(): void;
  /** The transport failed: the TU synthesizes a 503 (RFC 3261 §8.1.3.1). */
  onTransportError(err: Error): void;
}

export interface ClientTransaction {
  readonly branch: string;
  readonly request: SipMessage;
  readonly hop: Hop;
  /** Where the request actually went (set once it was handed to the socket). */
  readonly sent: Promise<SendResult>;
  /** The request exactly as handed to the transport (the engine echoes these bytes to the app). */
  readonly bytes: Buffer;
  /** INVITE only: CANCEL this transaction (RFC 3261 §9.1). Deferred until a provisional arrives. Returns the CANCEL's own client transaction, or undefined when it is too late (final response seen). */
  cancel?(
    extraHeaders?: Array<[string, string]>,
    handlers?: Partial<ClientTransactionHandlers>,
  ): ClientTransaction | undefined;
  /** Provisional seen (so a CANCEL may be sent at once). */
  readonly provisionalSeen: boolean;
  /** Final response seen. */
  readonly finalSeen: boolean;
}

/** A response sent through a server transaction: what the socket used and the bytes it carried. */
export interface SentResponse {
  result: SendResult;
  bytes: Buffer;
}

export interface ServerTransaction {
  readonly branch: string;
  readonly request: SipMessage;
  readonly inbound: InboundMessage;
  /** Last response sent, if any. */
  readonly lastStatus: number;
  /**
   * Send a response through the transaction: retransmitted per the FSM (INVITE non-2xx:
   * Timer G until ACK, Timer H; 2xx goes to Accepted per RFC 6026 and is NOT retransmitted by
   * the transaction — the dialog core does that). Resolves with what was sent.
   */
  respond(res: SipMessage): Promise<SendResult>;
  /**
   * Like `respond`, also giving the exact bytes sent (the engine echoes them to the app).
   * `serialized`, when given, must be `serializeMessage(res)`: it saves serializing twice.
   */
  sendResponse(res: SipMessage, serialized?: Buffer): Promise<SentResponse>;
  /** True once a final response was sent. */
  readonly finalSent: boolean;
}

export interface TransactionLayerHandlers {
  /**
   * A new request (not a retransmission). `tx` is the server transaction created for it;
   * for ACK there is none (an ACK that matched an INVITE server transaction in Completed state
   * is absorbed and never reaches here; ACK for 2xx arrives with `tx` undefined).
   * For CANCEL, `cancelled` is the INVITE server transaction it matches (RFC 3261 §9.2), if any.
   */
  onRequest(
    req: SipMessage,
    tx: ServerTransaction | undefined,
    inbound: InboundMessage,
    cancelled?: ServerTransaction,
  ): void;
  /** A response matching no client transaction (e.g. a 2xx retransmission after Timer M). */
  onStrayResponse(res: SipMessage, inbound: InboundMessage): void;
  /** INVITE server transaction: Timer H fired without an ACK for a non-2xx final response. */
  onServerTimeout?(tx: ServerTransaction): void;
}
