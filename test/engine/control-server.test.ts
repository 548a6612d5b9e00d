/**
 * The control-protocol server against a real, unmodified drachtio-srf 5.0.29 client (and, for
 * protocol corners srf never exercises, a raw TCP client). The SIP core behind it is a fake
 * that records what the server hands it.
 */
import net from 'node:net';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlServer } from '../../engine/control/control-server.js';
import { encodeFrame, FrameDecoder, splitLeader } from '../../engine/control/framing.js';
import { formatMetaTime, metaTokens } from '../../engine/control/frames.js';
import type {
  AppClient,
  AppSipResult,
  FrameMeta,
  SipCore,
  SipDelivery,
} from '../../engine/control/sip-core-port.js';

const SECRET = 'cymru';
const HOSTPORTS = 'udp/127.0.0.1:5090,tcp/127.0.0.1:5090';

// ---------------------------------------------------------------- fake SIP core

interface AppSipCall {
  client: AppClient;
  txnId: string;
  dialogId: string;
  proxyUri: string;
  raw: string;
}

class FakeCore implements SipCore {
  readonly calls: AppSipCall[] = [];
  readonly gone: AppClient[] = [];
  answer: (call: AppSipCall) => Promise<AppSipResult> = (call) =>
    Promise.resolve({
      ok: true,
      tokens: [...metaTokens(meta(call.raw, 'application')), 'txn-out', 'Msg sent:', ''],
      echo: call.raw,
    });

  handleAppSip(
    client: AppClient,
    txnId: string,
    dialogId: string,
    proxyUri: string,
    raw: string,
  ): Promise<AppSipResult> {
    const call = { client, txnId, dialogId, proxyUri, raw };
    this.calls.push(call);
    return this.answer(call);
  }

  clientGone(client: AppClient): void {
    this.gone.push(client);
  }

  hostports(): string {
    return HOSTPORTS;
  }
}

function meta(raw: string, source: FrameMeta['source'] = 'network'): FrameMeta {
  return {
    source,
    bytes: Buffer.byteLength(raw),
    protocol: 'udp',
    address: '127.0.0.1',
    port: 5099,
    time: formatMetaTime(new Date()),
  };
}

function optionsRequest(callId: string, extra = ''): string {
  return (
    'OPTIONS sip:app@127.0.0.1:5090 SIP/2.0\r\n' +
    `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-${callId};rport\r\n` +
    'Max-Forwards: 70\r\n' +
    'From: <sip:carrier@127.0.0.1:5099>;tag=from-1\r\n' +
    'To: <sip:app@127.0.0.1:5090>\r\n' +
    `Call-ID: ${callId}\r\n` +
    'CSeq: 1 OPTIONS\r\n' +
    extra +
    'Content-Length: 0\r\n\r\n'
  );
}

function newRequestDelivery(txnId: string, raw: string): SipDelivery {
  return { meta: meta(raw), txnId, dialogId: '', receivedOn: { host: '127.0.0.1', port: 5090 }, raw };
}

// ---------------------------------------------------------------- drachtio-srf, narrowly typed

interface SrfRequest {
  method: string;
  receivedOn?: string;
  stackTxnId: string;
  get(name: string): string;
  on(event: 'response', fn: (res: { status: number; get(name: string): string }) => void): void;
}
interface SrfResponse {
  send(status: number, opts?: { headers?: Record<string, string> }): void;
}
type Handler = (req: SrfRequest, res: SrfResponse) => void;
interface SrfConnectOptions {
  host: string;
  port: number;
  secret: string;
  enablePing?: boolean;
  pingInterval?: number;
  reconnect?: { maxAttempts: number };
  logger?: (line: string) => void;
}
/** The subset of the Srf API these tests use (its shipped typings omit several of them). */
interface TestSrf {
  connect(opts: SrfConnectOptions): unknown;
  disconnect(): void;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  invite(fn: Handler): void;
  options(fn: Handler): void;
  request(uri: string, opts: { method: string; headers?: Record<string, string> }): Promise<SrfRequest>;
  unregisterForMessages(verb: string): void;
}

interface Connected {
  hostport: unknown;
  version: unknown;
  localHostports: unknown;
}

const apps: TestSrf[] = [];
const servers: ControlServer[] = [];
const rawSockets: net.Socket[] = [];

afterEach(async () => {
  for (const srf of apps.splice(0)) {
    try {
      srf.disconnect();
    } catch {
      // srf throws when its socket is already gone (e.g. after a rejected secret).
    }
  }
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(
  core: SipCore,
  extra: { authTimeoutMs?: number } = {},
): Promise<{ server: ControlServer; port: number }> {
  const server = new ControlServer({ host: '127.0.0.1', port: 0, secret: SECRET, core, ...extra });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port };
}

function makeSrf(tags: string[] = []): TestSrf {
  const srf = new Srf(tags) as unknown as TestSrf;
  srf.on('error', () => undefined);
  apps.push(srf);
  return srf;
}

function connect(srf: TestSrf, port: number, extra: Partial<SrfConnectOptions> = {}): Promise<Connected> {
  return new Promise((resolve, reject) => {
    srf.on('connect', (err, hostport, version, localHostports) => {
      if (err instanceof Error) reject(err);
      else resolve({ hostport, version, localHostports });
    });
    srf.connect({ host: '127.0.0.1', port, secret: SECRET, reconnect: { maxAttempts: 1 }, ...extra });
  });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---------------------------------------------------------------- raw protocol client

class RawClient {
  readonly frames: string[] = [];
  readonly closed: Promise<void>;
  readonly #socket: net.Socket;
  readonly #decoder = new FrameDecoder((payload) => this.frames.push(payload));

  constructor(port: number) {
    this.#socket = net.connect({ host: '127.0.0.1', port });
    rawSockets.push(this.#socket);
    this.#socket.on('data', (chunk: Buffer) => this.#decoder.push(chunk));
    this.#socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.#socket.on('close', () => resolve()));
  }

  send(payload: string): void {
    this.#socket.write(encodeFrame(payload));
  }

  write(bytes: Buffer | string): void {
    this.#socket.write(bytes);
  }

  /** Wait for the reply to request `id`; returns its tokens after `response|<id>|` and body. */
  async reply(id: string): Promise<{ tokens: string[]; body: string }> {
    let found: string | undefined;
    await waitFor(
      () => (found = this.frames.find((f) => splitLeader(f).tokens[2] === id)) !== undefined,
      `reply to ${id}`,
    );
    const { tokens, body } = splitLeader(found as string);
    expect(tokens[1]).toBe('response');
    return { tokens: tokens.slice(3), body };
  }

  async authenticate(): Promise<void> {
    this.send(`auth-1|authenticate|${SECRET}|`);
    expect((await this.reply('auth-1')).tokens[0]).toBe('OK');
  }
}

// ---------------------------------------------------------------- tests

describe('ControlServer with drachtio-srf', () => {
  it('authenticates an app and gives it the hostports, version and local hostports', async () => {
    const { port } = await startServer(new FakeCore());
    const connected = await connect(makeSrf(), port);
    expect(connected).toEqual({ hostport: HOSTPORTS, version: 'v0.9.4', localHostports: HOSTPORTS });
  });

  it('refuses an app with the wrong secret and closes its connection', async () => {
    const core = new FakeCore();
    const { server, port } = await startServer(core);
    const srf = makeSrf();
    const closed = new Promise((resolve) => srf.on('close', resolve));
    await expect(connect(srf, port, { secret: 'wrong' })).rejects.toThrow('failed to authenticate');
    await closed;
    expect(server.connectionCount).toBe(0);
    expect(core.gone).toEqual([]);
  });

  it('routes the verbs an app registers and picks that app for them', async () => {
    const { server, port } = await startServer(new FakeCore());
    const srf = makeSrf();
    srf.invite(() => undefined);
    srf.options(() => undefined);
    await connect(srf, port);
    await waitFor(() => server.registry.clientsFor('options').length === 1, 'options route');
    const client = server.router.pickClient('invite');
    expect(client).toBeDefined();
    expect(server.router.pickClient('options')).toBe(client);
    expect(server.router.pickClient('register')).toBeUndefined();
    expect([...server.registry.verbsOf(client as AppClient)].sort()).toEqual(['invite', 'options']);
  });

  it('round-robins new requests across two apps that routed the same verb', async () => {
    const core = new FakeCore();
    const { server, port } = await startServer(core);
    const appFor = new Map<string, string>();
    for (const name of ['a', 'b']) {
      const srf = makeSrf();
      srf.options((req, res) => {
        appFor.set(req.get('Call-ID'), name);
        res.send(200);
      });
      await connect(srf, port);
    }
    await waitFor(() => server.registry.clientsFor('options').length === 2, 'two options routes');
    for (let i = 0; i < 4; i++) {
      server.router
        .pickClient('options')
        ?.deliverSip(newRequestDelivery(`net-${i}`, optionsRequest(`rr-${i}`)));
    }
    await waitFor(() => core.calls.length === 4, 'four answers');
    const order = [0, 1, 2, 3].map((i) => appFor.get(`rr-${i}`));
    expect(new Set(order)).toEqual(new Set(['a', 'b']));
    expect(order).toEqual([order[0], order[1], order[0], order[1]]);
  });

  it('picks only apps carrying a requested tag', async () => {
    const { server, port } = await startServer(new FakeCore());
    for (const tags of [[], ['blue', 'green'], []]) {
      const srf = makeSrf(tags);
      srf.invite(() => undefined);
      await connect(srf, port);
    }
    await waitFor(() => server.registry.clientsFor('invite').length === 3, 'three invite routes');
    const picks = [1, 2, 3].map(() => server.registry.pickClient('invite', 'green'));
    expect(picks.every((c) => c !== undefined && c === picks[0])).toBe(true);
    expect(picks[0]?.tags).toEqual(['blue', 'green']);
    expect(server.registry.pickClient('invite', 'red')).toBeUndefined();
  });

  it('delivers a network request to the app and returns its response to the core with the txnId', async () => {
    const core = new FakeCore();
    const { server, port } = await startServer(core);
    const srf = makeSrf();
    const received: SrfRequest[] = [];
    srf.options((req, res) => {
      received.push(req);
      res.send(200, { headers: { 'X-Answer': 'ok' } });
    });
    await connect(srf, port);
    await waitFor(() => server.registry.clientsFor('options').length === 1, 'options route');

    const caller = 'Zoë 😀 日本語';
    server.router
      .pickClient('options')
      ?.deliverSip(newRequestDelivery('net-txn-1', optionsRequest('utf8-1', `X-Caller: ${caller}\r\n`)));
    await waitFor(() => core.calls.length === 1, 'the app response');

    const req = received[0] as SrfRequest;
    expect(req.method).toBe('OPTIONS');
    expect(req.get('X-Caller')).toBe(caller);
    expect(req.receivedOn).toBe('127.0.0.1:5090');
    expect(req.stackTxnId).toBe('net-txn-1');
    const call = core.calls[0] as AppSipCall;
    expect(call).toMatchObject({ txnId: 'net-txn-1', dialogId: '', proxyUri: '' });
    expect(call.client).toBe(server.router.pickClient('options'));
    expect(call.raw.startsWith('SIP/2.0 200 OK\r\n')).toBe(true);
    expect(call.raw).toMatch(/\r\nX-Answer: ok\r\n/i);
    expect(call.raw).toMatch(/\r\nCall-ID: utf8-1\r\n/i);
  });

  it('sends a request for the app, hands it the engine txnId and delivers the response under it', async () => {
    const core = new FakeCore();
    const { server, port } = await startServer(core);
    const srf = makeSrf();
    await connect(srf, port);
    const sent = await srf.request('sip:bob@127.0.0.1:5099', {
      method: 'OPTIONS',
      headers: { 'X-Test': 'uac' },
    });
    expect(core.calls[0]?.raw.startsWith('OPTIONS sip:bob@127.0.0.1:5099 SIP/2.0\r\n')).toBe(true);
    expect(sent.stackTxnId).toBe('txn-out');

    const status = new Promise<number>((resolve) => sent.on('response', (res) => resolve(res.status)));
    const ok =
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-out\r\n' +
      'From: <sip:app@127.0.0.1:5090>;tag=t1\r\nTo: <sip:bob@127.0.0.1:5099>;tag=t2\r\n' +
      'Call-ID: out-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    (core.calls[0] as AppSipCall).client.deliverSip({
      meta: meta(ok),
      txnId: 'txn-out',
      dialogId: '',
      raw: ok,
    });
    expect(await status).toBe(200);
    expect(server.connectionCount).toBe(1);
  });

  it('reports a SIP failure from the core to the app as a rejected request', async () => {
    const core = new FakeCore();
    core.answer = () => Promise.resolve({ ok: false, reason: 'requested protocol/transport not available' });
    const { port } = await startServer(core);
    const srf = makeSrf();
    await connect(srf, port);
    const failure = srf.request('sip:bob@127.0.0.1:5099;transport=sctp', { method: 'OPTIONS' });
    await expect(failure).rejects.toMatchObject({
      code: 'EDRACHTIO',
      message: 'requested protocol/transport not available',
    });
  });

  it('removes only the verb an app unregisters', async () => {
    const { server, port } = await startServer(new FakeCore());
    const srf = makeSrf();
    srf.invite(() => undefined);
    srf.options(() => undefined);
    await connect(srf, port);
    await waitFor(() => server.registry.clientsFor('options').length === 1, 'options route');
    srf.unregisterForMessages('options');
    await waitFor(() => server.registry.clientsFor('options').length === 0, 'options route removed');
    expect(server.registry.clientsFor('invite')).toHaveLength(1);
  });

  it('delivers CDRs to an app that asked for them', async () => {
    const { server, port } = await startServer(new FakeCore());
    const srf = makeSrf();
    const cdr = new Promise<unknown[]>((resolve) => srf.on('cdr:start', (...args) => resolve(args)));
    await connect(srf, port);
    await waitFor(() => server.registry.clientsFor('cdr:start').length === 1, 'cdr:start route');
    const raw = optionsRequest('cdr-1');
    server.router
      .pickCdrClient('cdr:start')
      ?.deliverCdr({ kind: 'cdr:start', source: 'network', time: '10:00:00.000000', extra: 'uas', raw });
    const [source, time, role, msg] = await cdr;
    expect([source, time, role]).toEqual(['network', '10:00:00.000000', 'uas']);
    expect((msg as { get(name: string): string }).get('Call-ID')).toBe('cdr-1');
    expect(server.router.pickCdrClient('cdr:stop')).toBeUndefined();
  });

  it('forgets a disconnected app: routes removed and the core told once', async () => {
    const core = new FakeCore();
    const { server, port } = await startServer(core);
    const srf = makeSrf();
    srf.invite(() => undefined);
    await connect(srf, port);
    await waitFor(() => server.registry.clientsFor('invite').length === 1, 'invite route');
    const client = server.router.pickClient('invite');
    srf.disconnect();
    await waitFor(() => core.gone.length === 1, 'clientGone');
    expect(core.gone[0]).toBe(client);
    expect(server.router.pickClient('invite')).toBeUndefined();
    expect(server.connectionCount).toBe(0);
  });

  it('gets keep-alive pings from srf outside NODE_ENV=test and answers them', async () => {
    const { server, port } = await startServer(new FakeCore());
    const sent: string[] = [];
    const previous = process.env.NODE_ENV;
    // srf skips its version check when NODE_ENV=test (which vitest sets); production
    // behaviour is what matters: pings only start if the claimed version is new enough.
    process.env.NODE_ENV = 'production';
    try {
      const srf = makeSrf();
      await connect(srf, port, { enablePing: true, pingInterval: 5_000, logger: (line) => sent.push(line) });
      await waitFor(() => sent.some((l) => /\|ping\r\n$/.test(l)), 'a ping from srf', 8_000);
    } finally {
      process.env.NODE_ENV = previous;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(server.connectionCount).toBe(1);
  }, 15_000);
});

describe('ControlServer protocol edges (raw client)', () => {
  it('answers ping with OK|pong', async () => {
    const { port } = await startServer(new FakeCore());
    const client = new RawClient(port);
    await client.authenticate();
    client.send('p-1|ping');
    expect((await client.reply('p-1')).tokens).toEqual(['OK', 'pong']);
  });

  it('rejects commands before authentication and closes', async () => {
    const core = new FakeCore();
    const { port } = await startServer(core);
    const client = new RawClient(port);
    client.send('r-1|route|invite');
    expect((await client.reply('r-1')).tokens).toEqual(['NO', 'authentication required']);
    await client.closed;
    expect(core.gone).toEqual([]);
  });

  it('answers an unknown message type with NO and drops the app', async () => {
    const core = new FakeCore();
    const { server, port } = await startServer(core);
    const client = new RawClient(port);
    await client.authenticate();
    client.send('r-1|route|invite');
    await client.reply('r-1');
    client.send('x-1|subscribe_everything|now');
    expect((await client.reply('x-1')).tokens).toEqual(['NO', 'Unknown message type']);
    await client.closed;
    expect(core.gone).toHaveLength(1);
    expect(server.router.pickClient('invite')).toBeUndefined();
  });

  it('closes a connection with malformed framing and keeps serving others', async () => {
    const core = new FakeCore();
    const { server, port } = await startServer(core);
    const bad = new RawClient(port);
    await bad.authenticate();
    bad.write('{"json":"from the obsolete protocol"}');
    await bad.closed;
    expect(core.gone).toHaveLength(1);
    const good = new RawClient(port);
    await good.authenticate();
    expect(server.connectionCount).toBe(1);
  });

  it('reassembles a command split across TCP writes', async () => {
    const core = new FakeCore();
    const { port } = await startServer(core);
    const client = new RawClient(port);
    await client.authenticate();
    const frame = encodeFrame(`s-1|sip||\r\n${optionsRequest('split-1', 'X-Name: 日本語\r\n')}`);
    const cut = frame.indexOf(Buffer.from('日')) + 1;
    client.write(frame.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 20));
    client.write(frame.subarray(cut));
    expect((await client.reply('s-1')).tokens[0]).toBe('OK');
    expect(core.calls[0]?.raw).toContain('X-Name: 日本語\r\n');
  });

  it('accepts a sip command larger than 100,000 bytes', async () => {
    const core = new FakeCore();
    const { port } = await startServer(core);
    const client = new RawClient(port);
    await client.authenticate();
    const sdp = 'v=0\r\n' + 'a=x-filler:0123456789abcdef\r\n'.repeat(5_000);
    const invite =
      optionsRequest('big-1').replace('Content-Length: 0', `Content-Length: ${sdp.length}`) + sdp;
    client.send(`big|sip||\r\n${invite}`);
    const { tokens, body } = await client.reply('big');
    expect(tokens.slice(0, 2)).toEqual(['OK', 'application']);
    expect(Buffer.byteLength(body)).toBeGreaterThan(100_000);
    expect(core.calls[0]?.raw).toBe(invite);
  });

  it('passes txnId, dialogId and the outbound proxy to the core, and echoes its tokens', async () => {
    const core = new FakeCore();
    core.answer = (call) =>
      Promise.resolve({
        ok: true,
        tokens: [...metaTokens(meta(call.raw, 'application')), 't-9', 'd-9', '', 'Msg sent:', ''],
        echo: call.raw,
      });
    const { port } = await startServer(core);
    const client = new RawClient(port);
    await client.authenticate();
    const info = 'INFO sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n';
    client.send(`i-1|sip|t-9|d-9|sip:proxy@127.0.0.1:5070\r\n${info}`);
    const { tokens, body } = await client.reply('i-1');
    expect(core.calls[0]).toMatchObject({
      txnId: 't-9',
      dialogId: 'd-9',
      proxyUri: 'sip:proxy@127.0.0.1:5070',
      raw: info,
    });
    expect(tokens).toHaveLength(12);
    expect(tokens.slice(7)).toEqual(['t-9', 'd-9', '', 'Msg sent:', '']);
    expect(body).toBe(info);
  });

  it('answers NOK, and keeps the connection, for a sip command the core cannot handle', async () => {
    const core = new FakeCore();
    core.answer = () => Promise.reject(new Error('core bug'));
    const { server, port } = await startServer(core);
    const client = new RawClient(port);
    await client.authenticate();
    client.send(`s-1|sip||\r\n${optionsRequest('fail-1')}`);
    expect((await client.reply('s-1')).tokens).toEqual(['NOK', 'internal engine error']);
    client.send('s-2|sip|only-three-tokens');
    expect((await client.reply('s-2')).tokens[0]).toBe('NOK');
    core.answer = () => Promise.resolve({ ok: false, reason: 'bad|reason\r\nsplit' });
    client.send(`s-3|sip||\r\n${optionsRequest('fail-3')}`);
    expect((await client.reply('s-3')).tokens).toEqual(['NOK', 'bad reason  split']);
    expect(server.connectionCount).toBe(1);
  });

  it('declines proxy requests with NOK', async () => {
    const { port } = await startServer(new FakeCore());
    const client = new RawClient(port);
    await client.authenticate();
    client.send(
      'px-1|proxy|t-1||fullResponse||serial|||sip:b@127.0.0.1:5099\r\nINVITE sip:b@127.0.0.1:5099 SIP/2.0\r\n\r\n',
    );
    expect((await client.reply('px-1')).tokens).toEqual([
      'NOK',
      'proxy not supported by the embedded engine',
    ]);
  });

  it('closes a connection that never authenticates', async () => {
    const { server, port } = await startServer(new FakeCore(), { authTimeoutMs: 50 });
    const client = new RawClient(port);
    await client.closed;
    expect(server.connectionCount).toBe(0);
  });

  it('closes every app connection on close() and tells the core', async () => {
    const core = new FakeCore();
    const { server, port } = await startServer(core);
    const client = new RawClient(port);
    await client.authenticate();
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    await client.closed;
    expect(core.gone).toHaveLength(1);
  });
});
