/**
 * The transport layer (RFC 3261 §18): binds every listen point, turns datagrams and framed TCP
 * messages into `SipMessage`s for the layer above, answers what cannot be parsed, and sends
 * bytes to a hop over the transport that fits it.
 *
 * On receipt of a request the top Via is stamped with `received` / `rport` (RFC 3261 §18.2.1,
 * RFC 3581 §4) before the message is handed up, so the response hop (`responseHop`) can be
 * computed from the message alone. Nothing here throws into a socket callback: a handler that
 * throws is logged, and malformed input is answered (if it is a request that can be answered)
 * or dropped.
 */
import { lookup } from 'node:dns/promises';
import type { RemoteInfo } from 'node:dgram';
import type { EngineLogger } from '../logger.js';
import { buildResponse } from '../sip/error-response.js';
import { parseVia, topVia } from '../sip/header-values.js';
import type { SipMessage } from '../sip/message.js';
import { DEFAULT_PARSE_LIMITS, parseMessage, type ParseFailure, type ParseLimits } from '../sip/parser.js';
import { serializeMessage } from '../sip/serializer.js';
import { DEFAULT_SIP_PORT, parseContactSpec, type ListenSpec } from './contact-spec.js';
import { responseHop } from './response-hop.js';
import type { FramingError, FramingProblem } from './stream-framer.js';
import { openTcpTransport, type TcpConnection, type TcpTransport } from './tcp-transport.js';
import { NO_TRANSPORT_TEXT, TransportError } from './transport-error.js';
import type {
  Hop,
  ListenPoint,
  MessageSource,
  SendOptions,
  SendResult,
  TransportLayer,
  TransportLayerEvents,
  TransportProtocol,
} from './transport-types.js';
import { openUdpTransport, type UdpTransport } from './udp-transport.js';
import { stampTopVia } from './via-stamp.js';

export { responseHop } from './response-hop.js';

/** The part of the engine logger the transport uses. */
export type TransportLogger = Pick<EngineLogger, 'debug' | 'warn'>;

/** A name → address resolver shaped like `dns.promises.lookup` with a family. */
export type HostResolver = (host: string, family: 0 | 4 | 6) => Promise<{ address: string; family: number }>;

export interface TransportLayerOptions {
  /** Listen points: parsed specs, or drachtio `--contact` values (`sip:127.0.0.1:5060;transport=udp,tcp`). */
  listen: ReadonlyArray<ListenSpec | string>;
  limits?: ParseLimits;
  events: TransportLayerEvents;
  logger?: TransportLogger;
  /** Close TCP connections idle this long (default `DEFAULT_TCP_IDLE_TIMEOUT_MS`). */
  tcpIdleTimeoutMs?: number;
  /** Fail a TCP connect after this long (default `DEFAULT_TCP_CONNECT_TIMEOUT_MS`). */
  tcpConnectTimeoutMs?: number;
  /** SO_RCVBUF for UDP sockets (default `DEFAULT_UDP_RECV_BUFFER_BYTES`). */
  udpRecvBufferBytes?: number;
  /** Host name resolution for hops that are not IP literals (default: dns.lookup). */
  resolve?: HostResolver;
}

export interface EngineTransportLayer extends TransportLayer {
  /** Open TCP connections, accepted and outbound (for tests and metrics). */
  readonly tcpConnectionCount: number;
}

const NOOP_LOGGER: TransportLogger = { debug: () => undefined, warn: () => undefined };

/**
 * Plain A/AAAA resolution. RFC 3263 NAPTR/SRV is deliberately not done: next hops come from
 * Contact / Route URIs or configuration with explicit ports, as they do for drachtio apps.
 */
const dnsResolve: HostResolver = (host, family) => lookup(host, { family });

const FRAMING_REASONS: Readonly<Record<FramingProblem, string>> = {
  'missing-content-length': 'Missing Content-Length',
  'bad-content-length': 'Bad Content-Length',
  'too-large': 'Message Too Large',
};

/** Bind every listener and return the layer once all are up (ports 0 resolved). */
export async function createTransportLayer(opts: TransportLayerOptions): Promise<EngineTransportLayer> {
  const specs: ListenSpec[] = [];
  for (const entry of opts.listen) {
    if (typeof entry !== 'string') {
      specs.push(entry);
      continue;
    }
    const parsed = parseContactSpec(entry);
    if (!parsed.ok) throw parsed.error;
    specs.push(...parsed.specs);
  }
  const layer = new SipTransportLayer(opts);
  try {
    await layer.bind(specs);
  } catch (err) {
    await layer.close();
    throw err;
  }
  return layer;
}

class SipTransportLayer implements EngineTransportLayer {
  listenPoints: ListenPoint[] = [];
  readonly #events: TransportLayerEvents;
  readonly #limits: ParseLimits;
  readonly #log: TransportLogger;
  readonly #resolve: HostResolver;
  readonly #opts: TransportLayerOptions;
  readonly #udp: UdpTransport[] = [];
  #tcp: TcpTransport | undefined;
  #closed = false;

  constructor(opts: TransportLayerOptions) {
    this.#opts = opts;
    this.#events = opts.events;
    this.#limits = opts.limits ?? DEFAULT_PARSE_LIMITS;
    this.#log = opts.logger ?? NOOP_LOGGER;
    this.#resolve = opts.resolve ?? dnsResolve;
  }

  get tcpConnectionCount(): number {
    return this.#tcp?.connectionCount ?? 0;
  }

  async bind(specs: readonly ListenSpec[]): Promise<void> {
    const opts = this.#opts;
    for (const spec of specs) {
      if (spec.protocol !== 'udp') continue;
      const udp = await openUdpTransport({
        spec,
        recvBufferBytes: opts.udpRecvBufferBytes,
        onDatagram: (data, rinfo, t) => this.#onDatagram(data, rinfo, t),
        onError: (err, t) => this.#log.warn({ err, listenPoint: t.listenPoint }, 'UDP socket error'),
      });
      this.#udp.push(udp);
    }
    const tcpSpecs = specs.filter((s) => s.protocol === 'tcp');
    if (tcpSpecs.length > 0) {
      this.#tcp = await openTcpTransport({
        specs: tcpSpecs,
        maxMessageBytes: this.#limits.maxMessageBytes,
        idleTimeoutMs: opts.tcpIdleTimeoutMs,
        connectTimeoutMs: opts.tcpConnectTimeoutMs,
        onMessage: (frame, conn) => this.#deliver(frame, tcpSource(conn)),
        onFramingError: (err, conn) => this.#onFramingError(err, conn),
        onError: (err, conn) => this.#log.debug({ err, connectionId: conn?.id }, 'TCP socket error'),
      });
    }
    // Report listen points in the order they were asked for.
    let u = 0;
    let t = 0;
    const tcpPoints = this.#tcp?.listenPoints ?? [];
    for (const spec of specs) {
      const lp = spec.protocol === 'udp' ? this.#udp[u++]?.listenPoint : tcpPoints[t++];
      if (lp) this.listenPoints.push(lp);
    }
  }

  listenPointFor(protocol: TransportProtocol, family: 4 | 6): ListenPoint | undefined {
    return this.listenPoints.find((lp) => lp.protocol === protocol && lp.family === family);
  }

  async send(bytes: Buffer, hop: Hop, opts?: SendOptions): Promise<SendResult> {
    if (this.#closed) throw new TransportError('ECLOSED', 'transport layer closed');
    let host = hop.host.startsWith('[') && hop.host.endsWith(']') ? hop.host.slice(1, -1) : hop.host;
    let family = ipFamily(host);
    if (family === 0) [host, family] = await this.#lookup(host, hop.protocol);
    if (hop.protocol === 'udp') {
      const udp = this.#udp.find((u) => u.listenPoint.family === family);
      if (!udp) throw noTransport(hop, family);
      return udp.send(bytes, host, hop.port);
    }
    if (!this.#tcp || !this.listenPointFor('tcp', family)) throw noTransport(hop, family);
    return this.#tcp.send(bytes, host, hop.port, family, opts?.connectionId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#udp.map((u) => u.close()), this.#tcp?.close()]);
  }

  /** Resolve a host name to an address of a family we have a listener for. */
  async #lookup(host: string, protocol: TransportProtocol): Promise<[string, 4 | 6]> {
    const has4 = this.listenPointFor(protocol, 4) !== undefined;
    const has6 = this.listenPointFor(protocol, 6) !== undefined;
    const wanted = has4 === has6 ? 0 : has4 ? 4 : 6;
    try {
      const { address, family } = await this.#resolve(host, wanted);
      return [address, family === 6 ? 6 : 4];
    } catch (err) {
      throw new TransportError('ERESOLVE', `cannot resolve ${host}`, { cause: err });
    }
  }

  #onDatagram(data: Buffer, rinfo: RemoteInfo, udp: UdpTransport): void {
    // CRLF keep-alives some devices send over UDP (RFC 5626 uses STUN there): nothing to do.
    if (isLineEndingsOnly(data)) return;
    this.#deliver(data, {
      protocol: 'udp',
      remoteAddress: rinfo.address,
      remotePort: rinfo.port,
      localAddress: udp.localAddress,
      localPort: udp.listenPoint.port,
    });
  }

  /**
   * Parse one complete message and hand it up, or answer / drop it when malformed. Runs inside
   * socket callbacks, where an exception would take the process down: whatever throws below
   * (a handler, or a parser bug on hostile input) is logged and the message dropped.
   */
  #deliver(data: Buffer, source: MessageSource): void {
    try {
      const result = parseMessage(data, this.#limits);
      if (!result.ok) {
        this.#onMalformed(data, result, source);
        return;
      }
      const message = result.message;
      if (message.isRequest) this.#stampRequest(message, source);
      this.#events.onMessage({ message, bytes: data.length, source });
    } catch (err) {
      this.#log.warn({ err, source }, 'inbound SIP message dropped: handler or parser threw');
    }
  }

  /** RFC 3261 §18.2.1 / RFC 3581 §4 on the top Via; over TCP, also learn the peer's sent-by. */
  #stampRequest(message: SipMessage, source: MessageSource): void {
    const via = message.headers.find((h) => h.key === 'via');
    if (!via) return;
    const stamp = stampTopVia(via.value, source.remoteAddress, source.remotePort);
    if (!stamp) return;
    if (stamp.value !== undefined) via.value = stamp.value;
    // A peer that connected to us from an ephemeral port listens on its sent-by port: later
    // requests to it (e.g. a BYE to its Contact) can reuse this connection. Only when sent-by
    // names the very address the connection comes from, so nobody can claim another's key.
    if (source.connectionId && this.#tcp && stamp.sentByHost === source.remoteAddress) {
      const port = stamp.sentByPort ?? DEFAULT_SIP_PORT;
      if (port !== source.remotePort) this.#tcp.alias(source.connectionId, source.remoteAddress, port);
    }
  }

  #onMalformed(data: Buffer, failure: ParseFailure, source: MessageSource): void {
    this.#reportFailure(failure, source);
    const answer = isResponseBytes(data) ? undefined : this.#statelessAnswer(failure, source);
    if (!answer) return;
    const hop = responseHop(parseVia(topVia(answer.getAll('via')) ?? ''), source);
    this.send(serializeMessage(answer), hop, { connectionId: source.connectionId }).catch((err: unknown) =>
      this.#log.debug({ err, hop }, 'stateless error response not sent'),
    );
  }

  /** The TCP stream broke; answer 400 / 513 on the connection (it is closed right after). */
  #onFramingError(err: FramingError, conn: TcpConnection): Buffer | undefined {
    const source = tcpSource(conn);
    try {
      let partial: SipMessage | undefined;
      if (err.head && !isResponseBytes(err.head)) {
        // The head holds no body, so the size limit (already exceeded for 513) is lifted here.
        const parsed = parseMessage(err.head, { ...this.#limits, maxMessageBytes: Number.MAX_SAFE_INTEGER });
        partial = parsed.ok ? parsed.message : parsed.partial;
      }
      const failure: ParseFailure = { ok: false, status: err.status, reason: FRAMING_REASONS[err.problem] };
      if (partial) failure.partial = partial;
      this.#reportFailure(failure, source);
      const answer = this.#statelessAnswer(failure, source);
      return answer ? serializeMessage(answer) : undefined;
    } catch (e) {
      this.#log.warn({ err: e, source }, 'framing error not answered');
      return undefined;
    }
  }

  /**
   * The response a malformed request gets (RFC 3261 §8.2.6 / §21.4.1 400, §21.5.14 513), when
   * its partial parse has what a response needs; never for an ACK (§17.2.1).
   */
  #statelessAnswer(failure: ParseFailure, source: MessageSource): SipMessage | undefined {
    const partial = failure.partial;
    if (!partial || !partial.isRequest) return undefined;
    // The start line may have been unreadable (method unknown): the CSeq method still tells.
    const cseq = partial.get('cseq');
    if (cseq !== undefined && /\sACK\s*$/i.test(cseq)) return undefined;
    this.#stampRequest(partial, { ...source, connectionId: undefined });
    return buildResponse(partial, failure.status, failure.reason);
  }

  #reportFailure(failure: ParseFailure, source: MessageSource): void {
    this.#log.debug({ status: failure.status, reason: failure.reason, source }, 'malformed SIP message');
    try {
      this.#events.onParseFailure?.(failure, source);
    } catch (err) {
      this.#log.warn({ err, source }, 'onParseFailure handler threw');
    }
  }
}

function tcpSource(conn: TcpConnection): MessageSource {
  return {
    protocol: 'tcp',
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    localAddress: conn.localAddress,
    localPort: conn.localPort,
    connectionId: conn.id,
  };
}

function noTransport(hop: Hop, family: 4 | 6): TransportError {
  return new TransportError('ENOTRANSPORT', `${NO_TRANSPORT_TEXT} (${hop.protocol}, IPv${family})`);
}

/**
 * 4 or 6 for an IP literal, 0 for a host name. Cheap on purpose (runs per send): a host name
 * never contains ':', and a dotted quad is only digits and three dots.
 */
export function ipFamily(host: string): 0 | 4 | 6 {
  if (host.includes(':')) return 6;
  let dots = 0;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x2e) dots++;
    else if (c < 0x30 || c > 0x39) return 0;
  }
  return dots === 3 ? 4 : 0;
}

/** A response's first line starts with the SIP version (RFC 3261 §7.2); responses are never answered. */
function isResponseBytes(data: Buffer): boolean {
  let i = 0;
  while (i < data.length && (data[i] === 0x0d || data[i] === 0x0a)) i++;
  return data.length - i >= 4 && data.toString('latin1', i, i + 4).toUpperCase() === 'SIP/';
}

function isLineEndingsOnly(data: Buffer): boolean {
  if (data.length > 4) return false;
  for (const b of data) if (b !== 0x0d && b !== 0x0a) return false;
  return true;
}
