import { describe, it, expect, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildResponse } from '../../engine/sip/error-response.js';
import { parseVia, topVia } from '../../engine/sip/header-values.js';
import type { SipMessage } from '../../engine/sip/message.js';
import type { ParseFailure } from '../../engine/sip/parser.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import { TransportError } from '../../engine/transport/transport-error.js';
import {
  createTransportLayer,
  responseHop,
  type EngineTransportLayer,
  type TransportLayerOptions,
} from '../../engine/transport/transport-layer.js';
import type { InboundMessage, MessageSource } from '../../engine/transport/transport-types.js';

// Ports: the layer binds port 0; fixed ports only in 25000–25999 (sipp, and a port nobody listens on).
const SIPP_PORT = 25710;
const SIPP_MEDIA_PORT = 25720;
const NOBODY_PORT = 25731;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Items arriving asynchronously, awaited one at a time. */
class Inbox<T> {
  readonly items: T[] = [];
  #wake: (() => void) | undefined;
  push(item: T): void {
    this.items.push(item);
    this.#wake?.();
  }
  async next(timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length === 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for an item');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.items.shift()!;
  }
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Harness {
  layer: EngineTransportLayer;
  inbound: Inbox<InboundMessage>;
  failures: Inbox<{ failure: ParseFailure; source: MessageSource }>;
}

async function startLayer(
  listen: string[] = ['sip:127.0.0.1:0;transport=udp,tcp', 'sip:[::1]:0;transport=udp,tcp'],
  extra: Partial<TransportLayerOptions> = {},
): Promise<Harness> {
  const inbound = new Inbox<InboundMessage>();
  const failures = new Inbox<{ failure: ParseFailure; source: MessageSource }>();
  const layer = await createTransportLayer({
    listen,
    events: {
      onMessage: (m) => inbound.push(m),
      onParseFailure: (failure, source) => failures.push({ failure, source }),
    },
    ...extra,
  });
  cleanups.push(() => layer.close());
  return { layer, inbound, failures };
}

function portOf(layer: EngineTransportLayer, protocol: 'udp' | 'tcp', family: 4 | 6): number {
  const lp = layer.listenPointFor(protocol, family);
  if (!lp) throw new Error(`no ${protocol}/${family} listener`);
  return lp.port;
}

interface RequestParts {
  method?: string;
  via: string;
  callId?: string;
  extra?: string[];
  body?: string;
  contentLength?: boolean;
}

function request(p: RequestParts): string {
  const method = p.method ?? 'OPTIONS';
  const body = p.body ?? '';
  const lines = [
    `${method} sip:engine@127.0.0.1 SIP/2.0`,
    `Via: ${p.via}`,
    'Max-Forwards: 70',
    'From: <sip:peer@127.0.0.1>;tag=f1',
    'To: <sip:engine@127.0.0.1>',
    `Call-ID: ${p.callId ?? 'call-1'}`,
    `CSeq: 1 ${method}`,
    ...(p.extra ?? []),
  ];
  if (p.contentLength !== false) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

interface UdpPeer {
  socket: UdpSocket;
  port: number;
  inbox: Inbox<{ text: string; port: number; address: string }>;
  send(text: string | Buffer, port: number): void;
}

async function udpPeer(family: 4 | 6): Promise<UdpPeer> {
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  const host = family === 6 ? '::1' : '127.0.0.1';
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const inbox = new Inbox<{ text: string; port: number; address: string }>();
  socket.on('message', (data, rinfo) =>
    inbox.push({ text: data.toString('utf8'), port: rinfo.port, address: rinfo.address }),
  );
  return { socket, port: socket.address().port, inbox, send: (text, port) => socket.send(text, port, host) };
}

interface TcpPeer {
  socket: Socket;
  port: number;
  received: () => string;
  closed: () => boolean;
}

async function tcpPeer(family: 4 | 6, port: number): Promise<TcpPeer> {
  const host = family === 6 ? '::1' : '127.0.0.1';
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  cleanups.push(() => void socket.destroy());
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  return { socket, port: socket.localPort!, received: () => text, closed: () => closed };
}

/** A TCP server standing in for a remote SIP peer: counts connections, keeps what arrives. */
async function tcpServerPeer(): Promise<{ port: number; connections: Socket[]; received: () => string }> {
  const connections: Socket[] = [];
  let text = '';
  const server = createServer((s) => {
    connections.push(s);
    s.on('data', (d: Buffer) => (text += d.toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of connections) s.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { port: address.port, connections, received: () => text };
}

function answer(inbound: InboundMessage, status: number, reason: string, toTag?: string): Buffer {
  const res = buildResponse(inbound.message, status, reason, toTag);
  if (!res) throw new Error('cannot answer');
  return serializeMessage(res);
}

function hopFor(inbound: InboundMessage) {
  return responseHop(parseVia(topVia(inbound.message.getAll('via')) ?? ''), inbound.source);
}

function statusLines(text: string): string[] {
  return text.split('\r\n').filter((l) => l.startsWith('SIP/2.0 '));
}

describe('transport layer: receiving', () => {
  it.each<[4 | 6]>([[4], [6]])('receives a request over UDP IPv%i with its source', async (family) => {
    const { layer, inbound } = await startLayer();
    const peer = await udpPeer(family);
    const host = family === 6 ? '[::1]' : '127.0.0.1';
    const text = request({ via: `SIP/2.0/UDP ${host}:${peer.port};branch=z9hG4bK-u${family}` });
    peer.send(text, portOf(layer, 'udp', family));

    const got = await inbound.next();
    expect(got.message.method).toBe('OPTIONS');
    expect(got.bytes).toBe(Buffer.byteLength(text));
    expect(got.source).toEqual({
      protocol: 'udp',
      remoteAddress: family === 6 ? '::1' : '127.0.0.1',
      remotePort: peer.port,
      localAddress: family === 6 ? '::1' : '127.0.0.1',
      localPort: portOf(layer, 'udp', family),
    });
    // sent-by is the source address and there is no rport: the Via is left as written
    expect(got.message.get('via')).toBe(`SIP/2.0/UDP ${host}:${peer.port};branch=z9hG4bK-u${family}`);
  });

  it.each<[4 | 6]>([[4], [6]])('receives requests over TCP IPv%i, split across writes', async (family) => {
    const { layer, inbound } = await startLayer();
    const peer = await tcpPeer(family, portOf(layer, 'tcp', family));
    const host = family === 6 ? '[::1]' : '127.0.0.1';
    const text = request({
      method: 'INVITE',
      via: `SIP/2.0/TCP ${host}:5099;branch=z9hG4bK-t`,
      body: 'v=0\r\n',
    });
    peer.socket.write(text.slice(0, 50));
    await new Promise((r) => setTimeout(r, 20));
    peer.socket.write(text.slice(50) + text.replace('call-1', 'call-2'));

    const first = await inbound.next();
    const second = await inbound.next();
    expect(first.message.get('call-id')).toBe('call-1');
    expect(second.message.get('call-id')).toBe('call-2');
    expect(first.message.body.toString()).toBe('v=0\r\n');
    expect(first.source.protocol).toBe('tcp');
    expect(first.source.remotePort).toBe(peer.port);
    expect(first.source.localPort).toBe(portOf(layer, 'tcp', family));
    expect(first.source.connectionId).toBeDefined();
    expect(second.source.connectionId).toBe(first.source.connectionId);
  });

  it('stamps received and rport on the top Via only (RFC 3261 §18.2.1, RFC 3581 §4)', async () => {
    const { layer, inbound } = await startLayer();
    const peer = await udpPeer(4);
    const via =
      'SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bK-nat;rport, SIP/2.0/UDP 10.8.8.8;branch=z9hG4bK-0;rport';
    peer.send(request({ via, extra: ['Via: SIP/2.0/UDP 10.7.7.7;rport'] }), portOf(layer, 'udp', 4));

    const got = await inbound.next();
    expect(got.message.getAll('via')).toEqual([
      `SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bK-nat;rport=${peer.port};received=127.0.0.1, SIP/2.0/UDP 10.8.8.8;branch=z9hG4bK-0;rport`,
      'SIP/2.0/UDP 10.7.7.7;rport',
    ]);
    // ... and the response hop follows the stamp back to the NAT binding: the peer's socket
    expect(hopFor(got)).toEqual({ protocol: 'udp', host: '127.0.0.1', port: peer.port });
    await layer.send(answer(got, 200, 'OK', 'tt'), hopFor(got));
    const reply = await peer.inbox.next();
    expect(statusLines(reply.text)).toEqual(['SIP/2.0 200 OK']);
    expect(reply.port).toBe(portOf(layer, 'udp', 4));
  });

  it('ignores CRLF keep-alive datagrams', async () => {
    const { layer, inbound, failures } = await startLayer();
    const peer = await udpPeer(4);
    peer.send('\r\n\r\n', portOf(layer, 'udp', 4));
    peer.send(
      request({ via: `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-after` }),
      portOf(layer, 'udp', 4),
    );
    const got = await inbound.next();
    expect(got.message.method).toBe('OPTIONS');
    expect(failures.items).toEqual([]);
  });
});

describe('transport layer: malformed input', () => {
  it('answers a malformed UDP request with 400 to its sender, then carries on', async () => {
    const { layer, inbound, failures } = await startLayer();
    const peer = await udpPeer(4);
    const port = portOf(layer, 'udp', 4);
    const via = `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-bad;rport`;
    peer.send(request({ via, extra: ['This line has no colon'] }), port);

    const reply = await peer.inbox.next();
    expect(statusLines(reply.text)).toEqual([expect.stringMatching(/^SIP\/2\.0 400 /)]);
    expect(reply.text).toContain(`Via: ${via.replace('rport', `rport=${peer.port}`)};received=127.0.0.1\r\n`);
    expect(reply.text).toContain('Call-ID: call-1\r\n');
    const failure = await failures.next();
    expect(failure.failure.status).toBe(400);
    expect(failure.source.remotePort).toBe(peer.port);

    peer.send(
      request({ via: `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-good`, callId: 'call-2' }),
      port,
    );
    expect((await inbound.next()).message.get('call-id')).toBe('call-2');
  });

  it('does not answer a malformed response or ACK, and survives garbage', async () => {
    const { layer, inbound, failures } = await startLayer();
    const peer = await udpPeer(4);
    const port = portOf(layer, 'udp', 4);
    const via = `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-x`;
    peer.send(request({ via }).replace('OPTIONS sip:engine@127.0.0.1 SIP/2.0', 'SIP/2.0 2xx OK'), port);
    peer.send(request({ via, method: 'ACK', extra: ['no colon'] }), port);
    peer.send(Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10, 0]), port);
    peer.send(request({ via, callId: 'after-garbage' }), port);

    expect((await inbound.next()).message.get('call-id')).toBe('after-garbage');
    await until(() => failures.items.length === 3);
    expect(peer.inbox.items).toEqual([]);
  });

  it('survives random bytes and mutilated requests on UDP and TCP', async () => {
    const { layer, inbound } = await startLayer(['sip:127.0.0.1:0;transport=udp,tcp']);
    const peer = await udpPeer(4);
    const good = request({
      method: 'INVITE',
      via: `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-f`,
      body: 'v=0\r\n',
    });
    // mulberry32: a seeded generator, so a failure can be replayed
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const inputs: Buffer[] = [];
    for (let i = 0; i < 150; i++) {
      const bytes = Buffer.from(good);
      if (i % 3 === 0) {
        for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(random() * 256);
      } else {
        for (let k = 0; k < 1 + (i % 7); k++)
          bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      inputs.push(i % 5 === 0 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes);
    }
    for (const bytes of inputs) peer.send(bytes, portOf(layer, 'udp', 4));
    const tcp = await tcpPeer(4, portOf(layer, 'tcp', 4));
    tcp.socket.write(Buffer.concat(inputs));
    await until(() => tcp.closed() || layer.tcpConnectionCount === 1);

    peer.send(good.replace('call-1', 'still-alive'), portOf(layer, 'udp', 4));
    await until(() => inbound.items.some((m) => m.message.get('call-id') === 'still-alive'));
    const tcpAfter = await tcpPeer(4, portOf(layer, 'tcp', 4));
    tcpAfter.socket.write(good.replace('call-1', 'tcp-alive').replace('/UDP', '/TCP'));
    await until(() => inbound.items.some((m) => m.message.get('call-id') === 'tcp-alive'));
  });

  it('answers a malformed TCP request with 400 on its connection, which stays usable', async () => {
    const { layer, inbound, failures } = await startLayer();
    const peer = await tcpPeer(4, portOf(layer, 'tcp', 4));
    const via = `SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bK-bad`;
    peer.socket.write(request({ via, extra: ['CSeq: 2 OPTIONS'] }));
    await until(() => peer.received().includes('\r\n\r\n'));
    expect(statusLines(peer.received())).toEqual([expect.stringMatching(/^SIP\/2\.0 400 /)]);
    expect((await failures.next()).source.protocol).toBe('tcp');

    peer.socket.write(
      request({ via: `SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bK-ok`, callId: 'call-2' }),
    );
    const got = await inbound.next();
    expect(got.message.get('call-id')).toBe('call-2');
    expect(peer.closed()).toBe(false);
  });

  it('answers a TCP request without Content-Length with 400 and closes the connection', async () => {
    const { layer, failures } = await startLayer();
    const peer = await tcpPeer(4, portOf(layer, 'tcp', 4));
    peer.socket.write(
      request({ via: `SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bK-nocl`, contentLength: false }),
    );
    await until(() => peer.closed());
    expect(statusLines(peer.received())).toEqual(['SIP/2.0 400 Missing Content-Length']);
    expect((await failures.next()).failure.status).toBe(400);
    await until(() => layer.tcpConnectionCount === 0);
  });

  it('answers an oversized TCP request with 513 and closes the connection', async () => {
    const { layer } = await startLayer(['sip:127.0.0.1:0;transport=tcp'], {
      limits: { maxMessageBytes: 2048, maxHeaders: 64, maxUriLength: 1024, maxHeaderLineBytes: 1024 },
    });
    const peer = await tcpPeer(4, portOf(layer, 'tcp', 4));
    const via = `SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bK-big`;
    peer.socket.write(request({ method: 'MESSAGE', via, body: 'x'.repeat(5000) }));
    await until(() => peer.closed());
    expect(statusLines(peer.received())).toEqual(['SIP/2.0 513 Message Too Large']);
  });
});

describe('transport layer: TCP connections', () => {
  it('reuses one connection for two sends to the same peer', async () => {
    const { layer } = await startLayer();
    const remote = await tcpServerPeer();
    const hop = { protocol: 'tcp' as const, host: '127.0.0.1', port: remote.port };
    const bytes = Buffer.from(request({ via: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-out' }));
    const [first, second] = await Promise.all([layer.send(bytes, hop), layer.send(bytes, hop)]);
    const third = await layer.send(bytes, hop);

    await until(() => remote.received().length === 3 * bytes.length);
    expect(remote.connections).toHaveLength(1);
    expect(layer.tcpConnectionCount).toBe(1);
    expect(first.localPort).toBe(second.localPort);
    expect(third.localPort).toBe(first.localPort);
    expect(third).toMatchObject({ protocol: 'tcp', remoteAddress: '127.0.0.1', remotePort: remote.port });
    expect(remote.connections[0]!.remotePort).toBe(first.localPort);
  });

  it('sends a response back on the connection the request came on, and reuses it for the peer', async () => {
    const { layer, inbound } = await startLayer();
    const peer = await tcpPeer(4, portOf(layer, 'tcp', 4));
    // The peer claims to listen on NOBODY_PORT (nothing does): a new request to that sent-by
    // can only arrive if the layer reuses the peer's inbound connection.
    peer.socket.write(
      request({ method: 'INVITE', via: `SIP/2.0/TCP 127.0.0.1:${NOBODY_PORT};branch=z9hG4bK-in` }),
    );
    const got = await inbound.next();

    const hop = hopFor(got);
    expect(hop).toEqual({ protocol: 'tcp', host: '127.0.0.1', port: NOBODY_PORT });
    const sent = await layer.send(answer(got, 180, 'Ringing', 'tt'), hop, {
      connectionId: got.source.connectionId,
    });
    expect(sent.remotePort).toBe(peer.port);
    await layer.send(answer(got, 200, 'OK', 'tt'), hop);
    await until(() => statusLines(peer.received()).length === 2);
    expect(statusLines(peer.received())).toEqual(['SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
    expect(layer.tcpConnectionCount).toBe(1);
  });

  it('answers a CRLF CRLF ping with a CRLF pong (RFC 5626 §4.4.1)', async () => {
    const { layer, inbound } = await startLayer();
    const peer = await tcpPeer(4, portOf(layer, 'tcp', 4));
    peer.socket.write('\r\n\r\n');
    await until(() => peer.received() === '\r\n');
    // a lone CRLF gets nothing, and messages still frame after keep-alives
    peer.socket.write('\r\n' + request({ via: `SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bK-k` }));
    expect((await inbound.next()).message.method).toBe('OPTIONS');
    expect(peer.received()).toBe('\r\n');
  });

  it('closes idle connections', async () => {
    const { layer } = await startLayer(['sip:127.0.0.1:0;transport=tcp'], { tcpIdleTimeoutMs: 100 });
    const peer = await tcpPeer(4, portOf(layer, 'tcp', 4));
    await until(() => layer.tcpConnectionCount === 1);
    await until(() => peer.closed());
    expect(layer.tcpConnectionCount).toBe(0);
  });

  it('rejects with ECONNECT when the peer refuses the connection', async () => {
    const { layer } = await startLayer();
    const err: unknown = await layer
      .send(Buffer.from('x'), { protocol: 'tcp', host: '127.0.0.1', port: NOBODY_PORT })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ECONNECT');
  });
});

describe('transport layer: sending', () => {
  it.each<[4 | 6]>([[4], [6]])('sends UDP IPv%i from the listening port', async (family) => {
    const { layer } = await startLayer();
    const peer = await udpPeer(family);
    const host = family === 6 ? '::1' : '127.0.0.1';
    const bytes = Buffer.from(request({ via: 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-s' }));
    const result = await layer.send(bytes, { protocol: 'udp', host, port: peer.port });
    const got = await peer.inbox.next();
    expect(got.text).toBe(bytes.toString());
    expect(got.port).toBe(portOf(layer, 'udp', family));
    expect(result).toEqual({
      protocol: 'udp',
      localAddress: host,
      localPort: portOf(layer, 'udp', family),
      remoteAddress: host,
      remotePort: peer.port,
      bytes: bytes.length,
    });
  });

  it('resolves host names (A/AAAA lookup) to a family it listens on', async () => {
    const { layer } = await startLayer(['sip:127.0.0.1:0;transport=udp']);
    const peer = await udpPeer(4);
    await layer.send(Buffer.from('hello'), { protocol: 'udp', host: 'localhost', port: peer.port });
    expect((await peer.inbox.next()).text).toBe('hello');

    const err: unknown = await layer
      .send(Buffer.from('x'), { protocol: 'udp', host: 'no-such-host.invalid', port: 5060 })
      .catch((e: unknown) => e);
    expect((err as TransportError).code).toBe('ERESOLVE');
  });

  it.each(['udp', 'tcp'] as const)(
    'rejects a %s hop with a bad port as a TransportError',
    async (protocol) => {
      const { layer } = await startLayer();
      const err: unknown = await layer
        .send(Buffer.from('x'), { protocol, host: '127.0.0.1', port: 70000 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe(protocol === 'udp' ? 'ESEND' : 'ECONNECT');
    },
  );

  it('rejects with ENOTRANSPORT when no listener has the protocol or family', async () => {
    const { layer } = await startLayer(['sip:127.0.0.1:0;transport=udp']);
    for (const hop of [
      { protocol: 'tcp' as const, host: '127.0.0.1', port: 5060 },
      { protocol: 'udp' as const, host: '::1', port: 5060 },
    ]) {
      const err: unknown = await layer.send(Buffer.from('x'), hop).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('ENOTRANSPORT');
      expect((err as TransportError).message).toContain('requested protocol/transport not available');
    }
  });

  it('reports the listen points as bound, with wildcard binds advertised as loopback', async () => {
    const { layer } = await startLayer(['sip:0.0.0.0:0;transport=udp,tcp', 'sip:[::1]:0;transport=udp']);
    expect(layer.listenPoints.map((lp) => [lp.protocol, lp.bindHost, lp.advertisedHost, lp.family])).toEqual([
      ['udp', '0.0.0.0', '127.0.0.1', 4],
      ['tcp', '0.0.0.0', '127.0.0.1', 4],
      ['udp', '::1', '::1', 6],
    ]);
    for (const lp of layer.listenPoints) expect(lp.port).toBeGreaterThan(0);
    expect(layer.listenPointFor('tcp', 6)).toBeUndefined();
  });

  it('rejects a bad contact at creation', async () => {
    await expect(
      createTransportLayer({ listen: ['sip:example.com'], events: { onMessage: () => undefined } }),
    ).rejects.toMatchObject({ code: 'EBADCONTACT', problem: 'host' });
  });
});

describe('transport layer against sipp', () => {
  it.each<['udp' | 'tcp', string, number]>([
    ['udp', 'u1', SIPP_PORT],
    ['tcp', 't1', SIPP_PORT + 1],
  ])('carries a full sipp uac call (INVITE/200/ACK/BYE/200) over %s', async (protocol, mode, sippPort) => {
    const { layer, inbound } = await startLayer([`sip:127.0.0.1:0;transport=${protocol}`]);
    const seen: string[] = [];
    let running = true;
    const serve = (async () => {
      while (running) {
        let got: InboundMessage;
        try {
          got = await inbound.next(500);
        } catch {
          continue;
        }
        const msg: SipMessage = got.message;
        seen.push(msg.method || String(msg.status));
        if (msg.method === 'INVITE' || msg.method === 'BYE') {
          await layer.send(answer(got, 200, 'OK', 'baton-tag'), hopFor(got), {
            connectionId: got.source.connectionId,
          });
        }
      }
    })();
    cleanups.push(async () => {
      running = false;
      await serve;
    });

    const cwd = mkdtempSync(join(tmpdir(), 'baton-sipp-'));
    cleanups.push(() => rmSync(cwd, { recursive: true, force: true }));
    const args = [
      '-sn', 'uac', '-m', '1', '-d', '10', '-nostdin',
      '-i', '127.0.0.1', '-p', String(sippPort), '-mp', String(SIPP_MEDIA_PORT), '-t', mode,
      '-timeout', '15s', '-timeout_error',
      `127.0.0.1:${portOf(layer, protocol, 4)}`,
    ]; // prettier-ignore
    const child = spawn('sipp', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => void (child.exitCode === null && child.kill('SIGKILL')));
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(seen).toEqual(['INVITE', 'ACK', 'BYE']);
  });
});
