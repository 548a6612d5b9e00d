/**
 * RFC 4475 torture messages sent byte for byte to the running engine, over UDP and over TCP,
 * with a real drachtio-srf app behind it that answers whatever it is handed (486 for INVITE,
 * 200 for the rest). Each message must get the outcome RFC 4475 gives it. The unit test
 * `test/unit/rfc4475-parser.test.ts` says which layer decides, and how. After every message,
 * an OPTIONS from the same client must still be answered 200 by the app.
 *
 * How UDP responses find us: the messages' Vias name sent-by hosts such as
 * `host5.example.com` or `192.0.2.15`, mostly without rport. The engine therefore adds
 * `received=<source address>` and answers to that address at the sent-by port, or 5060
 * (RFC 3261 §18.2.1, §18.2.2). Each message is sent from a socket bound to that very port, so
 * the response comes back to where it was sent from and the bytes stay untouched. We use a
 * loopback address of our own (CLIENT_HOST) so as not to need 127.0.0.1:5060, which a SIP
 * tool running beside us may hold. Special cases, by RFC 4475 section:
 * - §3.1.1.11 mpart01 has `rport`, so RFC 3581 §4 sends its answer to the source port.
 * - §3.1.2.1 badinv01 and §3.1.2.16 badvers have Vias the engine cannot read. Their 400 and
 *   505 go to the source address and port, which is the same socket here.
 * - §3.1.2.6 quotbal names port 5050, so it is sent from (and answered to) port 5050.
 * - §3.3.10 bcast names 255.255.255.255 in its second Via. It is a response, so nothing is
 *   ever sent there.
 * No message in the corpus has an IPv6 sent-by.
 *
 * Over TCP, responses come back on the connection (RFC 3261 §18.2.2). Each message gets a fresh
 * connection, and the probe reuses it unless the framing broke (the engine closes it, or the
 * message never ends). When the connection is gone before an answer is ready, §18.2.2 has the
 * server connect to `received` at the sent-by port, so we listen on TCP there too.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Srf from 'drachtio-srf';
import type { SipMessage } from '../../engine/sip/message.js';
import { parseVia, topVia } from '../../engine/sip/header-values.js';
import { parseMessage } from '../../engine/sip/parser.js';
import { readTopVia, serverKey } from '../../engine/transaction/transaction-keys.js';
import { RFC4475_DIR, readManifest, type TortureFile } from '../fuzz/corpus.js';
import { connectApp, startEngine, type EngineUnderTest } from '../support/engine-harness.js';
import {
  Inbox,
  TcpPeer,
  UdpPeer,
  ackFor,
  optionsProbe,
  type Endpoint,
  type Received,
  type TcpListener,
} from '../support/raw-sip-client.js';

/** Small T1 so transactions (and Timer J, 64·T1) end quickly; see `waitOutTransaction`. */
const T1 = 20;
/** A loopback address only this test uses, so binding its port 5060 collides with nobody. */
const CLIENT_HOST = '127.0.44.75';
const DEFAULT_SIP_PORT = 5060;
/** The longest we wait for an answer that should come. */
const ANSWER_WAIT_MS = 3000;
/** After the probe's 200, how long a late answer to the message under test still counts. */
const QUIET_MS = 150;

type Outcome =
  /** Handed to the app, which answers; the sender gets the app's final response. */
  | { kind: 'app' }
  /** Answered by the engine with this status (and header), never reaching the app. */
  | { kind: 'engine'; status: number; header?: [name: string, value: RegExp] }
  /** Neither answered nor handed to the app. */
  | { kind: 'silent' };

interface Expectation {
  outcome: Outcome;
  /** Over TCP, when it differs from UDP. */
  tcp?: Outcome;
  /**
   * TCP framing: `closes`, the engine answers and closes the connection (the stream cannot be
   * framed any further); `incomplete`, the message never ends, so the sender gives up.
   */
  tcpStream?: 'closes' | 'incomplete';
  /** The method as the app sees it, when drachtio-srf shows another than the wire's. */
  appSees?: string;
  /** TCP: the next message the same stream carries (by Call-ID), and its outcome. */
  tcpNext?: { callId: string; requestUri: string; outcome: Outcome };
}

const app = { outcome: { kind: 'app' } } as const satisfies Expectation;
const silent = { outcome: { kind: 'silent' } } as const satisfies Expectation;
const engine = (status: number, header?: [string, RegExp]): Outcome =>
  header ? { kind: 'engine', status, header } : { kind: 'engine', status };
const rejected = (status: number, header?: [string, RegExp]): Expectation => ({
  outcome: engine(status, header),
});

const EXPECTED: Record<string, Expectation> = {
  // §3.1.1.1: valid, but To carries a tag, so the INVITE claims a dialog this UA never had:
  // 481 (RFC 3261 §12.2.2).
  'wsinv.dat': rejected(481),
  'intmeth.dat': app,
  'esc01.dat': app,
  'escnull.dat': app,
  // §3.1.1.5: RE%47IST%45R is an unknown method, "not equivalent to REGISTER". The engine routes
  // it as such, but drachtio-srf's parser unescapes the method, so the app is shown REGISTER.
  'esc02.dat': { ...app, appSees: 'REGISTER' },
  'lwsdisp.dat': app,
  'longreq.dat': app,
  // §3.1.1.8: in a datagram, the octets after the empty body are noise (RFC 3261 §18.3). On a
  // stream they are the next message: an INVITE without the Contact that RFC 3261 §8.1.1.8
  // requires, so 400. Its body is 155 octets for a Content-Length of 150, and the 5 left over
  // ("C" CRLF CRLF) are a message without Content-Length: the stream is lost, and the engine
  // closes it. The app's 200 to the REGISTER then comes over a new connection to the sent-by
  // (RFC 3261 §18.2.2).
  'dblreq.dat': {
    outcome: { kind: 'app' },
    tcpStream: 'closes',
    tcpNext: {
      callId: 'dblreq.0ha0isnda977644900765@192.0.2.15',
      requestUri: 'sip:joe@example.com',
      outcome: engine(400),
    },
  },
  'semiuri.dat': app,
  'transports.dat': app,
  'mpart01.dat': app,
  // §3.1.1.12, §3.1.1.13: responses that match no transaction. They are dropped and never
  // answered (RFC 3261 §17.1.3, §18.1.2).
  'unreason.dat': silent,
  'noreason.dat': silent,
  'badinv01.dat': rejected(400),
  // §3.1.2.2: over UDP, a 400. On a stream there is "not much you can do but wait for more
  // data": no answer, and nothing reaches the app.
  'clerr.dat': { outcome: engine(400), tcp: { kind: 'silent' }, tcpStream: 'incomplete' },
  // §3.1.2.3: "the framing error is not recoverable, and the connection should be closed".
  'ncl.dat': { outcome: engine(400), tcpStream: 'closes' },
  'scalar02.dat': rejected(400),
  // §3.1.2.5, §3.1.2.19: broken responses are simply discarded.
  'scalarlg.dat': silent,
  'quotbal.dat': rejected(400),
  'ltgtruri.dat': rejected(400),
  'lwsruri.dat': rejected(400),
  'lwsstart.dat': rejected(400),
  'trws.dat': rejected(400),
  'escruri.dat': rejected(400),
  'baddate.dat': rejected(400),
  'regbadct.dat': rejected(400),
  'badaspec.dat': rejected(400),
  // §3.1.2.15: the archived file ends without the blank line that closes the header section
  // (RFC 3261 §7). In a datagram, the end of the datagram ends the message: 400. On a stream
  // the message is not over yet, so there is no answer and nothing reaches the app.
  'baddn.dat': { outcome: engine(400), tcp: { kind: 'silent' }, tcpStream: 'incomplete' },
  'badvers.dat': rejected(505),
  'mismatch01.dat': rejected(400),
  'mismatch02.dat': rejected(400),
  'bigcode.dat': silent,
  'badbranch.dat': rejected(400),
  // §3.3.1: "Ideally, it will respond with a 400 Bad Request error" (MANIFEST: semantic-400).
  'insuf.dat': rejected(400),
  'unkscm.dat': rejected(416),
  'novelsc.dat': rejected(416),
  'unksm2.dat': rejected(400),
  'bext01.dat': rejected(420, ['unsupported', /^nothingSupportsThis, nothingSupportsThisEither$/]),
  'invut.dat': rejected(415, ['accept', /\bapplication\/sdp\b/]),
  // §3.3.7: an unknown Authorization scheme is for the application to judge.
  'regaut01.dat': app,
  'multi01.dat': rejected(400),
  // §3.3.9: over TCP "the framing error is not recoverable, and the connection should be closed".
  'mcl01.dat': { outcome: engine(400), tcpStream: 'closes' },
  // §3.3.10: a response with two Vias is not for a UAC (RFC 3261 §8.1.3.3): discarded.
  'bcast.dat': silent,
  // §3.3.11: "process the request as if the Max-Forwards field value were still positive".
  'zeromf.dat': app,
  'cparam01.dat': app,
  'cparam02.dat': app,
  'regescrt.dat': app,
  'sdp01.dat': rejected(406, ['warning', /^399 /]),
  // §3.4.1: RFC 2543 syntax (no branch, no From tag, no Contact) is to be accepted. Over TCP
  // the missing Content-Length leaves the stream unframeable (RFC 3261 §18.3): 400 and close.
  'inv2543.dat': { outcome: { kind: 'app' }, tcp: engine(400), tcpStream: 'closes' },
};

/** What the test needs to know about one corpus message, read from its exact bytes. */
interface Subject {
  name: string;
  bytes: Buffer;
  isRequest: boolean;
  method: string;
  requestUri: string;
  callId: string | undefined;
  /** Where a UDP answer goes: the sent-by port, unless rport sends it to the source. */
  udpFromPort: number;
  /** The top Via sent-by port (or 5060): where a TCP answer goes when its connection is gone. */
  sentByPort: number;
  /** Server transaction key (RFC 3261 §17.2.3) when the message reaches the transaction layer. */
  txKey: string | undefined;
}

function subjectOf(file: TortureFile): Subject {
  const bytes = readFileSync(join(RFC4475_DIR, file.name));
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== file.sha256)
    throw new Error(`${file.name}: sha256 ${digest}, MANIFEST.tsv says ${file.sha256}`);
  const parsed = parseMessage(bytes);
  const msg: SipMessage | undefined = parsed.ok ? parsed.message : parsed.partial;
  const firstLine = /^(\S+) +(\S+)/.exec(bytes.toString('latin1'));
  const isResponse = bytes.toString('latin1', 0, 4) === 'SIP/';
  const via = parseVia(topVia(msg?.getAll('via') ?? []) ?? '');
  const top = parsed.ok ? readTopVia(parsed.message) : undefined;
  return {
    name: file.name,
    bytes,
    isRequest: !isResponse,
    method: isResponse ? '' : msg?.method || firstLine?.[1] || '',
    requestUri: isResponse ? '' : msg?.uri || firstLine?.[2] || '',
    callId: msg?.get('call-id'),
    udpFromPort: via && !via.params.has('rport') ? (via.port ?? DEFAULT_SIP_PORT) : DEFAULT_SIP_PORT,
    sentByPort: via?.port ?? DEFAULT_SIP_PORT,
    txKey:
      parsed.ok && top && !isResponse ? serverKey(parsed.message, top, parsed.message.method) : undefined,
  };
}

const cases = readManifest().filter((f) => f.expected !== 'unreferenced');
const subjects = cases.map(subjectOf);

let eut: EngineUnderTest;
let srf: Srf;
let udp: UdpPeer;
/** Everything that comes back over TCP: on our connections, and on connections the engine opens. */
const tcpInbox = new Inbox();
let tcpListeners: TcpListener[] = [];
let target: Endpoint;
/** Requests the app was handed, in order. */
const delivered: Array<{ method: string; callId: string }> = [];
/** When each server transaction key was last answered (see `waitOutTransaction`). */
const answeredAt = new Map<string, number>();
let probeCount = 0;

beforeAll(async () => {
  eut = await startEngine({ t1: T1 });
  target = { host: '127.0.0.1', port: eut.sipPort };
  srf = await connectApp(eut);
  // srf.invite, srf.register … are `use` bound to the verb (drachtio-srf lib/connect.js); `use`
  // with a verb routes methods srf has no shortcut for, such as intmeth's.
  const verbs = new Set([
    'options',
    ...subjects.filter((s) => s.isRequest).map((s) => s.method.toLowerCase()),
  ]);
  for (const verb of verbs) {
    srf.use(verb, (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      delivered.push({ method: req.method, callId: req.get('Call-ID') ?? '' });
      res.send(req.method === 'INVITE' ? 486 : 200);
    });
  }
  await new Promise((r) => setTimeout(r, 50)); // let the route frames land
  const ports = new Set([DEFAULT_SIP_PORT, ...subjects.map((s) => s.udpFromPort)]);
  udp = await UdpPeer.bind(CLIENT_HOST, [...ports]);
  for (const port of new Set([DEFAULT_SIP_PORT, ...subjects.map((s) => s.sentByPort)])) {
    tcpListeners.push(await TcpPeer.listen(CLIENT_HOST, port, tcpInbox));
  }
});

afterAll(async () => {
  await udp?.close();
  await Promise.all(tcpListeners.map((l) => l.close()));
  tcpListeners = [];
  await eut?.close();
});

/**
 * Corpus messages reuse branches: escnull and regescrt, unkscm and novelsc, cparam01 and
 * cparam02 share branch, sent-by and method, so an RFC 3261 server rightly takes the second for
 * a retransmission of the first (§17.2.3) while its transaction lives. The same holds for one
 * message sent again over the other transport. These tests are independent, so the second
 * waits until the first's transaction is over: Timer J (64·T1) at the longest.
 */
async function waitOutTransaction(key: string | undefined): Promise<void> {
  const at = key === undefined ? undefined : answeredAt.get(key);
  if (at === undefined) return;
  const left = at + 64 * T1 + 100 - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a message's outcome looks like from outside; compared whole, so a failure shows it all. */
interface Observed {
  finals: number[];
  provisionals: number[];
  header?: string | undefined;
  delivered: string[];
}

function expectedView(outcome: Outcome, method: string, appSees = method): Observed {
  switch (outcome.kind) {
    case 'app':
      return {
        finals: [method === 'INVITE' ? 486 : 200],
        // RFC 3261 §17.2.1: the engine sends 100 Trying for an INVITE it hands on.
        provisionals: method === 'INVITE' ? [100] : [],
        delivered: [appSees],
      };
    case 'engine': {
      const view: Observed = { finals: [outcome.status], provisionals: [], delivered: [] };
      if (outcome.header) view.header = expect.stringMatching(outcome.header[1]);
      return view;
    }
    case 'silent':
      return { finals: [], provisionals: [], delivered: [] };
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

function observedView(got: Received[], callId: string | undefined, outcome: Outcome): Observed {
  const responses = got.filter((r) => r.status !== undefined && r.get('call-id') === callId);
  const statuses = (final: boolean): number[] =>
    // Distinct: a UDP final may be retransmitted before our ACK lands (RFC 3261 §17.2.1).
    [...new Set(responses.map((r) => r.status!).filter((st) => st >= 200 === final))];
  const view: Observed = {
    finals: statuses(true),
    provisionals: statuses(false),
    delivered: delivered.filter((d) => d.callId === (callId ?? '')).map((d) => d.method),
  };
  if (outcome.kind === 'engine' && outcome.header) {
    view.header = responses.find((r) => r.status! >= 200)?.get(outcome.header[0]);
  }
  return view;
}

/** A final response to the request with this Call-ID. */
function isFinalFor(callId: string | undefined): (r: Received) => boolean {
  return (r) => r.status !== undefined && r.status >= 200 && r.get('call-id') === callId;
}

/** RFC 3261 §17.1.1.3: a UAC ACKs every non-2xx final response to its INVITE. */
async function ackFailures(
  got: Received[],
  requestUri: (callId: string | undefined) => string,
  send: (ack: Buffer) => Promise<void>,
): Promise<void> {
  for (const r of got) {
    if (r.status === undefined || r.status < 300 || !/\bINVITE\s*$/.test(r.get('cseq') ?? '')) continue;
    const ack = ackFor(requestUri(r.get('call-id')), r);
    if (ack) await send(ack);
  }
}

/**
 * An OPTIONS from the same client, to show the engine lives on: over UDP from our port 5060,
 * over TCP on `conn` when given (the stream is still sound), else on a new connection. Returns
 * the status of the final response, if one came.
 */
async function probe(
  transport: 'udp' | 'tcp',
  conn: TcpPeer | undefined,
  from: number,
): Promise<number | undefined> {
  const id = `probe-${transport}-${++probeCount}`;
  const inbox = transport === 'udp' ? udp.inbox : tcpInbox;
  const own =
    transport === 'tcp' && (!conn || conn.ended)
      ? await TcpPeer.connect(CLIENT_HOST, target, inbox)
      : undefined;
  const via = own ?? conn;
  const port = via ? via.localPort : DEFAULT_SIP_PORT;
  const request = optionsProbe(transport, { host: CLIENT_HOST, port }, target, id);
  await (via ? via.send(request) : udp.send(request, DEFAULT_SIP_PORT, target));
  const answer = await inbox.waitFor(isFinalFor(`${id}@${CLIENT_HOST}`), ANSWER_WAIT_MS, from);
  own?.close();
  return answer?.status;
}

describe('RFC 4475 corpus on the wire', () => {
  it('covers all 49 referenced messages, each read with its MANIFEST sha256', () => {
    expect(subjects).toHaveLength(49);
    expect(subjects.map((s) => s.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });
});

describe.each(['udp', 'tcp'] as const)('RFC 4475 messages over %s', (transport) => {
  it.each(cases)('$name ($section, $expected)', { timeout: 15_000 }, async ({ name }) => {
    const s = subjects.find((x) => x.name === name)!;
    const exp = EXPECTED[name]!;
    const outcome = transport === 'tcp' ? (exp.tcp ?? exp.outcome) : exp.outcome;
    const stream = transport === 'tcp' ? exp.tcpStream : undefined;
    const next = transport === 'tcp' ? exp.tcpNext : undefined;
    await waitOutTransaction(s.txKey);
    delivered.length = 0;
    const coreBefore = eut.engine.core.stats();

    // Send the exact bytes, and wait for the answer that should come (if any).
    const inbox = transport === 'udp' ? udp.inbox : tcpInbox;
    const from = inbox.messages.length;
    const conn = transport === 'tcp' ? await TcpPeer.connect(CLIENT_HOST, target, inbox) : undefined;
    await (conn ? conn.send(s.bytes) : udp.send(s.bytes, s.udpFromPort, target));
    if (outcome.kind !== 'silent') await inbox.waitFor(isFinalFor(s.callId), ANSWER_WAIT_MS, from);
    if (next && next.outcome.kind !== 'silent')
      await inbox.waitFor(isFinalFor(next.callId), ANSWER_WAIT_MS, from);
    const closed = stream === 'closes' && conn ? await conn.waitEnded(ANSWER_WAIT_MS) : false;
    if (s.txKey) answeredAt.set(s.txKey, Date.now());

    const requestUri = (callId: string | undefined): string =>
      next && callId === next.callId ? next.requestUri : s.requestUri;
    await ackFailures(inbox.messages.slice(from), requestUri, (ack) =>
      conn ? (conn.ended ? Promise.resolve() : conn.send(ack)) : udp.send(ack, s.udpFromPort, target),
    );
    const probeStatus = await probe(transport, stream === undefined ? conn : undefined, from);
    await sleep(QUIET_MS);

    const got = inbox.messages.slice(from);
    const observed: Record<string, unknown> = {
      message: observedView(got, s.callId, outcome),
      probe: probeStatus,
      // Every request handed to the app was answered: no call or transaction is left behind.
      core: eut.engine.core.stats(),
    };
    const expected: Record<string, unknown> = {
      message: expectedView(outcome, s.method, exp.appSees),
      probe: 200,
      core: coreBefore,
    };
    if (next) {
      observed.next = observedView(got, next.callId, next.outcome);
      expected.next = expectedView(next.outcome, 'INVITE');
    }
    if (conn) {
      observed.engineClosedConnection = stream === 'closes' ? closed : conn.ended;
      expected.engineClosedConnection = stream === 'closes';
    }
    conn?.close();
    expect(observed).toEqual(expected);
  });
});
