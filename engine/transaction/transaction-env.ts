/**
 * What the transaction layer gives each transaction it creates (and what it asks back): the
 * transport's `send`, the clock, the timer tables and the layer's bookkeeping hooks. Internal to
 * `engine/transaction/`; the dialog core sees only `transaction-types.ts`.
 */
import type { SipMessage } from '../sip/message.js';
import type {
  Hop,
  InboundMessage,
  SendOptions,
  SendResult,
  TransportProtocol,
} from '../transport/transport-types.js';
import type { TransactionTimers } from './timers.js';
import type { Clock, ServerTransaction } from './transaction-types.js';

/** The subset of a structured logger (pino's shape) the transaction layer writes to. */
export interface TransactionLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TransactionEnv {
  readonly clock: Clock;
  readonly logger: TransactionLogger | undefined;
  send(bytes: Buffer, hop: Hop, opts?: SendOptions): Promise<SendResult>;
  timersFor(protocol: TransportProtocol): TransactionTimers;
  /** A step threw (normally a TU callback): log it, never let it escape into a socket or timer callback. */
  reportError(err: unknown, where: string): void;
}

/** A client transaction as the layer's response map holds it. */
export interface ClientTransactionRecord {
  readonly key: string;
  receiveResponse(res: SipMessage, inbound: InboundMessage): void;
  /** Stop timers and forget, without calling the TU (layer shutdown). */
  dispose(): void;
}

export interface ClientTransactionEnv extends TransactionEnv {
  /** Enter the response map; throws TransactionError `duplicate-transaction` when the key is taken. */
  register(tx: ClientTransactionRecord): void;
  /** Leave the response map (on Terminated). */
  unregister(tx: ClientTransactionRecord): void;
}

/** A server transaction as the layer's request map holds it. */
export interface ServerTransactionRecord {
  readonly key: string;
  /** A retransmission of the request that created the transaction. */
  receiveRequest(inbound: InboundMessage): void;
  dispose(): void;
}

export interface ServerTransactionEnv extends TransactionEnv {
  unregister(tx: ServerTransactionRecord): void;
  /** INVITE server transaction in Accepted: an ACK goes to the TU (RFC 6026 §7.1). */
  passUpAck(ack: SipMessage, inbound: InboundMessage): void;
  /** Timer H fired. */
  serverTimeout(tx: ServerTransaction): void;
}
