/**
 * SIP over TCP (RFC 3261 §18): listeners for every TCP listen point, plus one pool of
 * connections shared by all of them — accepted and opened on demand alike — keyed by id (so a
 * response can go back on the connection its request came on, §18.2.2) and by peer `ip:port`
 * (so a new request to a peer reuses a connection already open to it, §18.1.1).
 *
 * Each connection has a stream framer (`stream-framer.ts`); keep-alive pings are answered here,
 * framed messages and framing failures go to the owner.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { advertisedHostOf, isWildcardHost, type ListenSpec } from './contact-spec.js';
import { StreamFramer, type FramingError } from './stream-framer.js';
import { TransportError } from './transport-error.js';
import type { ListenPoint, SendResult } from './transport-types.js';

/**
 * A connection nobody used for this long is closed (either side may close an idle SIP
 * connection; the next request opens a new one). The socket's own inactivity timer does the
 * timing: it is reset by any traffic in either direction, which a Clock-driven sweep would have
 * to re-implement per message.
 */
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 180_000;
/** How long a connect may take before the send fails with ECONNECT (the OS default is minutes). */
export const DEFAULT_TCP_CONNECT_TIMEOUT_MS = 5_000;

const CRLF = Buffer.from('\r\n');

/** What the owner learns about a connection. */
export interface TcpConnection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** True when we opened it (to send a request), false when the peer did. */
  readonly outbound: boolean;
}

export interface TcpTransportOptions {
  specs: readonly ListenSpec[];
  maxMessageBytes: number;
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  onMessage(frame: Buffer, conn: TcpConnection): void;
  /**
   * The connection's byte stream cannot be framed any more. Return the bytes of a response to
   * send (400 / 513) before the connection is closed, or undefined to just close it.
   */
  onFramingError(err: FramingError, conn: TcpConnection): Buffer | undefined;
  /** Socket-level trouble, for logging; the transport already handled it. */
  onError(err: Error, conn?: TcpConnection): void;
}

export interface TcpTransport {
  readonly listenPoints: readonly ListenPoint[];
  readonly connectionCount: number;
  /**
   * Send to `address:port` (an IP literal of `family`): on connection `connectionId` when it is
   * still open, else on any open connection to that peer, else on a new connection made from
   * the family's listener address (ephemeral port, as usual for SIP over TCP).
   */
  send(
    bytes: Buffer,
    address: string,
    port: number,
    family: 4 | 6,
    connectionId?: string,
  ): Promise<SendResult>;
  /** Also reach this connection's peer as `address:port` (its Via sent-by), unless that key is taken. */
  alias(connectionId: string, address: string, port: number): void;
  close(): Promise<void>;
}

/** Start listening on every TCP listen spec; resolves once all are bound. */
export async function openTcpTransport(opts: TcpTransportOptions): Promise<TcpTransport> {
  const transport = new TcpPool(opts);
  try {
    await transport.listen();
  } catch (err) {
    await transport.close();
    throw err;
  }
  return transport;
}

/** A connection that can still carry a message (not closed, not half-closed by either side). */
function usable(conn: Connection | undefined): Connection | undefined {
  return conn && !conn.closed && conn.socket.writable ? conn : undefined;
}

/** Map key of a peer: `ip:port`, IPv6 bracketed. */
export function peerKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

class Connection implements TcpConnection {
  readonly outbound: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Peer keys in the pool's map that point here. */
  readonly keys: string[] = [];
  readonly socket: Socket;
  framer: StreamFramer | undefined;
  closed = false;

  constructor(
    readonly id: string,
    socket: Socket,
    outbound: boolean,
  ) {
    this.socket = socket;
    this.outbound = outbound;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
  }

  write(bytes: Buffer): Promise<SendResult> {
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (err) => {
        if (err) {
          reject(
            new TransportError('ESEND', `TCP send on ${this.id} failed: ${err.message}`, { cause: err }),
          );
          return;
        }
        resolve({
          protocol: 'tcp',
          localAddress: this.localAddress,
          localPort: this.localPort,
          remoteAddress: this.remoteAddress,
          remotePort: this.remotePort,
          bytes: bytes.length,
        });
      });
    });
  }
}

class TcpPool implements TcpTransport {
  listenPoints: ListenPoint[] = [];
  readonly #opts: TcpTransportOptions;
  readonly #idleMs: number;
  readonly #connectMs: number;
  readonly #servers: Server[] = [];
  readonly #byId = new Map<string, Connection>();
  readonly #byPeer = new Map<string, Connection>();
  readonly #connecting = new Map<string, Promise<Connection>>();
  #nextId = 0;
  #closed = false;

  constructor(opts: TcpTransportOptions) {
    this.#opts = opts;
    this.#idleMs = opts.idleTimeoutMs ?? DEFAULT_TCP_IDLE_TIMEOUT_MS;
    this.#connectMs = opts.connectTimeoutMs ?? DEFAULT_TCP_CONNECT_TIMEOUT_MS;
  }

  get connectionCount(): number {
    return this.#byId.size;
  }

  async listen(): Promise<void> {
    for (const spec of this.#opts.specs) {
      const server = createServer({ noDelay: true }, (socket) => this.#adopt(socket, false));
      this.#servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(
          { host: spec.bindHost, port: spec.port, ipv6Only: spec.family === 6, exclusive: true },
          () => {
            server.off('error', reject);
            resolve();
          },
        );
      });
      server.on('error', (err) => this.#opts.onError(err));
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : spec.port;
      this.listenPoints.push({
        protocol: 'tcp',
        bindHost: spec.bindHost,
        advertisedHost: advertisedHostOf(spec),
        port,
        family: spec.family,
      });
    }
  }

  async send(
    bytes: Buffer,
    address: string,
    port: number,
    family: 4 | 6,
    connectionId?: string,
  ): Promise<SendResult> {
    if (this.#closed) throw new TransportError('ECLOSED', 'TCP transport closed');
    let conn = connectionId === undefined ? undefined : usable(this.#byId.get(connectionId));
    conn ??= usable(this.#byPeer.get(peerKey(address, port)));
    conn ??= await this.#connect(address, port, family);
    return conn.write(bytes);
  }

  alias(connectionId: string, address: string, port: number): void {
    const conn = this.#byId.get(connectionId);
    if (!conn) return;
    const key = peerKey(address, port);
    if (this.#byPeer.has(key)) return;
    this.#byPeer.set(key, conn);
    conn.keys.push(key);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const conn of this.#byId.values()) conn.socket.destroy();
    await Promise.all(
      this.#servers.map(
        (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
      ),
    );
  }

  #connect(address: string, port: number, family: 4 | 6): Promise<Connection> {
    const key = peerKey(address, port);
    const pending = this.#connecting.get(key);
    if (pending) return pending;
    const from = this.listenPoints.find((lp) => lp.family === family);
    const localAddress = from && !isWildcardHost(from.bindHost) ? from.bindHost : undefined;
    const attempt = new Promise<Connection>((resolve, reject) => {
      const failed = (err: Error): void =>
        reject(
          new TransportError('ECONNECT', `TCP connect to ${key} failed: ${err.message}`, { cause: err }),
        );
      let socket: Socket;
      try {
        socket = connect({ host: address, port, family, localAddress, noDelay: true });
      } catch (err) {
        // Argument errors (a bad port) are thrown synchronously by net.connect.
        failed(err as Error);
        return;
      }
      const fail = (err: Error): void => {
        socket.destroy();
        failed(err);
      };
      const onTimeout = (): void => fail(new Error(`no answer within ${this.#connectMs} ms`));
      socket.setTimeout(this.#connectMs);
      socket.once('error', fail);
      socket.once('timeout', onTimeout);
      socket.once('connect', () => {
        socket.off('error', fail);
        socket.off('timeout', onTimeout);
        if (this.#closed) {
          fail(new Error('transport closed'));
          return;
        }
        resolve(this.#adopt(socket, true));
      });
    });
    this.#connecting.set(key, attempt);
    const forget = (): void => {
      this.#connecting.delete(key);
    };
    attempt.then(forget, forget);
    return attempt;
  }

  #adopt(socket: Socket, outbound: boolean): Connection {
    const conn = new Connection(`tcp-${++this.#nextId}`, socket, outbound);
    if (this.#closed) {
      socket.destroy();
      return conn;
    }
    socket.setTimeout(this.#idleMs);
    if (!outbound) socket.setNoDelay(true);
    this.#byId.set(conn.id, conn);
    const key = peerKey(conn.remoteAddress, conn.remotePort);
    this.#byPeer.set(key, conn);
    conn.keys.push(key);

    const opts = this.#opts;
    conn.framer = new StreamFramer(
      {
        onMessage: (frame) => opts.onMessage(frame, conn),
        // RFC 5626 §4.4.1: answer a CRLFCRLF ping with a single CRLF pong.
        onPing: () => void socket.write(CRLF),
        onError: (err) => {
          this.#forget(conn);
          const answer = opts.onFramingError(err, conn);
          // Half-close: the answer is flushed before FIN, and no RST races it as a destroy
          // with unread input would. The idle timer destroys the socket if the peer lingers.
          if (answer) socket.end(answer);
          else socket.end();
        },
      },
      { maxMessageBytes: opts.maxMessageBytes },
    );
    const framer = conn.framer;
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('timeout', () => socket.destroy());
    socket.on('error', (err) => opts.onError(err, conn));
    socket.on('close', () => this.#forget(conn));
    return conn;
  }

  #forget(conn: Connection): void {
    conn.closed = true;
    this.#byId.delete(conn.id);
    for (const key of conn.keys) {
      if (this.#byPeer.get(key) === conn) this.#byPeer.delete(key);
    }
  }
}
