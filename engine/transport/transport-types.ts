/**
 * The transport layer's contract with the layers above it (transaction and dialog core).
 * Only `engine/transport/` opens sockets; everything above talks to it through these types.
 */
import type { SipMessage } from '../sip/message.js';
import type { ParseFailure } from '../sip/parser.js';

export type TransportProtocol = 'udp' | 'tcp';

/** Where a SIP listener is bound (from a `--contact` URI), as actually bound. */
export interface ListenPoint {
  protocol: TransportProtocol;
  /** Address the socket is bound to (may be 0.0.0.0 / ::). */
  bindHost: string;
  /** Host to advertise in Via sent-by and Contact (the contact URI's host, or a concrete address). */
  advertisedHost: string;
  port: number;
  family: 4 | 6;
}

/** A next hop to send to. */
export interface Hop {
  protocol: TransportProtocol;
  host: string;
  port: number;
}

/** Where a message came from and which local listener took it. */
export interface MessageSource {
  protocol: TransportProtocol;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  /** TCP only: the connection it arrived on, for sending responses back on it (RFC 3261 §18.2.2). */
  connectionId?: string;
}

export interface InboundMessage {
  message: SipMessage;
  /** Byte length of the message as received (for the control protocol's meta). */
  bytes: number;
  source: MessageSource;
}

export interface SendOptions {
  /** Prefer this existing TCP connection (responses go back on the connection the request came on). */
  connectionId?: string;
}

/** What the socket actually used, once the message is handed to it. */
export interface SendResult {
  protocol: TransportProtocol;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  bytes: number;
}

export interface TransportLayerEvents {
  /** A well-formed message arrived. */
  onMessage(inbound: InboundMessage): void;
  /** A message failed to parse (already answered with 4xx/5xx by the transport when it was a request). */
  onParseFailure?(failure: ParseFailure, source: MessageSource): void;
}

export interface TransportLayer {
  /** Listeners as bound (ports resolved when 0 was asked for). */
  readonly listenPoints: readonly ListenPoint[];
  /** The listener to advertise for a hop (same protocol and address family). */
  listenPointFor(protocol: TransportProtocol, family: 4 | 6): ListenPoint | undefined;
  /** Serialize-free send of already-built bytes. Rejects when no transport fits or connect fails. */
  send(bytes: Buffer, hop: Hop, opts?: SendOptions): Promise<SendResult>;
  close(): Promise<void>;
}
