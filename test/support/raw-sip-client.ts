/**
 * A raw SIP peer for engine tests: sends exact bytes over UDP or TCP and collects what comes
 * back, so a test can wait for a response by predicate. It has no SIP logic of its own beyond
 * reading status and headers of what arrives and cutting a TCP stream into messages (the
 * engine's stream framer), plus the two requests a well-behaved client sends on its own: the
 * ACK for a non-2xx final response and an OPTIONS probe.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { SipMessage, headerKey } from '../../engine/sip/message.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import { StreamFramer } from '../../engine/transport/stream-framer.js';

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * One message received, read leniently: the engine echoes the headers of the request it
 * answers, so the answer to a malformed request may itself be malformed (two From headers, a
 * Via it could not read), and must still be told apart by its status and Call-ID.
 */
export interface Received {
  bytes: Buffer;
  /** Status code of a response; undefined for a request or an unreadable status line. */
  status: number | undefined;
  /** First value of a header (any case, compact forms too), unfolded. */
  get(name: string): string | undefined;
  transport: 'udp' | 'tcp';
  /** Our port it arrived on. */
  localPort: number;
}

type Predicate = (r: Received) => boolean;

/** Everything received, in order, and the waiters for what has not arrived yet. */
export class Inbox {
  readonly messages: Received[] = [];
  #waiters: Array<{ pred: Predicate; resolve: (r: Received) => void }> = [];

  push(r: Received): void {
    this.messages.push(r);
    const ready = this.#waiters.filter((w) => w.pred(r));
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(r);
  }

  /**
   * The first message from index `from` on that satisfies `pred`, already here or arriving
   * within `timeoutMs`; undefined when none does (the caller asserts on what it got).
   */
  waitFor(pred: Predicate, timeoutMs: number, from = 0): Promise<Received | undefined> {
    const here = this.messages.slice(from).find(pred);
    if (here) return Promise.resolve(here);
    return new Promise((resolve) => {
      const waiter = {
        pred,
        resolve: (r: Received | undefined) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}

function received(bytes: Buffer, transport: 'udp' | 'tcp', localPort: number): Received {
  const text = bytes.toString('utf8');
  const headEnd = text.search(/\r?\n\r?\n/);
  const lines = (headEnd < 0 ? text : text.slice(0, headEnd)).split(/\r?\n/);
  const statusMatch = /^SIP\/2\.0 (\d{3}) /.exec(lines[0] ?? '');
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const last = headers[headers.length - 1];
    // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header.
    if (/^[ \t]/.test(line) && last) last[1] += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([headerKey(line.slice(0, colon).trim()), line.slice(colon + 1).trim()]);
    }
  }
  return {
    bytes,
    status: statusMatch ? Number(statusMatch[1]) : undefined,
    get: (name) => headers.find(([key]) => key === headerKey(name))?.[1],
    transport,
    localPort,
  };
}

/**
 * UDP sockets bound to fixed ports of one address, sharing one inbox. A SIP element sends
 * UDP responses to the Via sent-by port (RFC 3261 §18.2.2), so a test that cannot choose the
 * Via must listen where it points.
 */
export class UdpPeer {
  readonly #sockets = new Map<number, DgramSocket>();

  private constructor(
    readonly host: string,
    readonly inbox: Inbox,
  ) {}

  /** Bind `host:port` for every port; fails naming the port when one is taken. */
  static async bind(host: string, ports: readonly number[], inbox = new Inbox()): Promise<UdpPeer> {
    const peer = new UdpPeer(host, inbox);
    try {
      for (const port of ports) peer.#sockets.set(port, await bindUdp(host, port, inbox));
    } catch (err) {
      await peer.close();
      throw err;
    }
    return peer;
  }

  /** Send from our socket on `fromPort` (one of the bound ports). */
  send(bytes: Buffer, fromPort: number, to: Endpoint): Promise<void> {
    const socket = this.#sockets.get(fromPort);
    if (!socket) return Promise.reject(new Error(`no UDP socket bound on port ${fromPort}`));
    return new Promise((resolve, reject) => {
      socket.send(bytes, to.port, to.host, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    const sockets = [...this.#sockets.values()];
    this.#sockets.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function bindUdp(host: string, port: number, inbox: Inbox): Promise<DgramSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(
        new Error(
          `cannot bind UDP ${host}:${port} (${err.code ?? err.message}): the test must receive ` +
            `responses there, where the messages' Via sent-by sends them (RFC 3261 §18.2.2)`,
        ),
      );
    });
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      socket.on('message', (data: Buffer) => inbox.push(received(data, 'udp', port)));
      resolve(socket);
    });
  });
}

/** One TCP connection to the engine, its inbound stream framed into messages. */
export class TcpPeer {
  #ended = false;
  readonly #endWaiters: Array<() => void> = [];

  private constructor(
    private readonly socket: Socket,
    readonly inbox: Inbox,
  ) {
    const framer = new StreamFramer(
      {
        onMessage: (frame) => inbox.push(received(Buffer.from(frame), 'tcp', this.localPort)),
        onPing: () => undefined,
        onError: () => socket.destroy(),
      },
      { maxMessageBytes: 1 << 20 },
    );
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => undefined);
    const ended = (): void => {
      if (this.#ended) return;
      this.#ended = true;
      for (const w of this.#endWaiters.splice(0)) w();
    };
    socket.on('end', ended);
    socket.on('close', ended);
  }

  static connect(localAddress: string, to: Endpoint, inbox = new Inbox()): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: to.host, port: to.port, localAddress, allowHalfOpen: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TcpPeer(socket, inbox));
      });
    });
  }

  /**
   * Accept connections on `host:port`, each framed into `inbox`. A server whose connection to
   * us is gone opens a new one to our Via sent-by to answer (RFC 3261 §18.2.2).
   */
  static async listen(host: string, port: number, inbox: Inbox): Promise<TcpListener> {
    const peers: TcpPeer[] = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => peers.push(new TcpPeer(socket, inbox)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `cannot listen on TCP ${host}:${port} (${err.code ?? err.message}): the test must accept ` +
              `the connections a server opens to the Via sent-by (RFC 3261 §18.2.2)`,
          ),
        ),
      );
      server.listen({ host, port, exclusive: true }, () => resolve());
    });
    return new TcpListener(server, peers);
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  /** The engine ended (or reset) the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  send(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** True once the engine has ended the connection, waiting up to `timeoutMs` for it. */
  waitEnded(timeoutMs: number): Promise<boolean> {
    if (this.#ended) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.#ended), timeoutMs);
      this.#endWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A listening socket and the connections it accepted. */
export class TcpListener {
  constructor(
    private readonly server: Server,
    private readonly peers: TcpPeer[],
  ) {}

  /** How many connections were accepted so far. */
  get accepted(): number {
    return this.peers.length;
  }

  async close(): Promise<void> {
    for (const p of this.peers) p.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The ACK for a non-2xx final response to an INVITE (RFC 3261 §17.1.1.3): the INVITE's
 * Request-URI, its top Via (as the response echoes it), From, Call-ID and CSeq number, and
 * the To of the response (with its tag). Undefined when the response lacks one of them.
 */
export function ackFor(requestUri: string, response: Received): Buffer | undefined {
  const via = response.get('via');
  const from = response.get('from');
  const to = response.get('to');
  const callId = response.get('call-id');
  const seq = /^\s*(\d+)/.exec(response.get('cseq') ?? '')?.[1];
  if (
    via === undefined ||
    from === undefined ||
    to === undefined ||
    callId === undefined ||
    seq === undefined
  ) {
    return undefined;
  }
  const ack = SipMessage.request('ACK', requestUri, [
    ['Via', via],
    ['Max-Forwards', '70'],
    ['From', from],
    ['To', to],
    ['Call-ID', callId],
    ['CSeq', `${seq} ACK`],
  ]);
  return serializeMessage(ack);
}

/** An OPTIONS from `from` (sent-by with rport, so the answer comes back to the source port). */
export function optionsProbe(transport: 'udp' | 'tcp', from: Endpoint, to: Endpoint, id: string): Buffer {
  const req = SipMessage.request('OPTIONS', `sip:probe@${to.host}:${to.port}`, [
    ['Via', `SIP/2.0/${transport.toUpperCase()} ${from.host}:${from.port};branch=z9hG4bK-${id};rport`],
    ['Max-Forwards', '70'],
    ['From', `<sip:probe@${from.host}>;tag=${id}`],
    ['To', `<sip:probe@${to.host}>`],
    ['Call-ID', `${id}@${from.host}`],
    ['CSeq', '1 OPTIONS'],
  ]);
  return serializeMessage(req);
}
