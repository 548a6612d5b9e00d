/**
 * Shared pieces for the transaction-layer tests: a fake transport that records what was sent
 * (and can be told to reject), real SIP messages written as text and parsed with `parseMessage`,
 * and a layer wired to a `FakeClock`.
 */
import { buildResponse } from '../../engine/sip/error-response.js';
import type { SipMessage } from '../../engine/sip/message.js';
import { parseMessage } from '../../engine/sip/parser.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import { TransactionLayer } from '../../engine/transaction/transaction-layer.js';
import type {
  ClientTransactionHandlers,
  ServerTransaction,
  TimerSettings,
} from '../../engine/transaction/transaction-types.js';
import type {
  Hop,
  InboundMessage,
  MessageSource,
  SendOptions,
  SendResult,
} from '../../engine/transport/transport-types.js';
import { FakeClock } from '../support/fake-clock.js';

export const TIMERS: TimerSettings = { T1: 500, T2: 4000, T4: 5000 };

export interface SentRecord {
  /** Clock time of the send. */
  at: number;
  bytes: Buffer;
  hop: Hop;
  opts: SendOptions | undefined;
  message: SipMessage;
}

export class FakeTransport {
  readonly sent: SentRecord[] = [];

  constructor(private readonly clock: FakeClock) {}

  /** When set, every send rejects with it (after recording the attempt). */
  failWith: Error | undefined;

  send = (bytes: Buffer, hop: Hop, opts?: SendOptions): Promise<SendResult> => {
    this.sent.push({ at: this.clock.now(), bytes, hop, opts, message: parse(bytes) });
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({
      protocol: hop.protocol,
      localAddress: '127.0.0.1',
      localPort: 5060,
      remoteAddress: hop.host,
      remotePort: hop.port,
      bytes: bytes.length,
    });
  };

  /** Everything sent since the last call. */
  take(): SentRecord[] {
    return this.sent.splice(0, this.sent.length);
  }

  /** Intervals between consecutive sends in `records`. */
  static gaps(records: SentRecord[]): number[] {
    return records.slice(1).map((r, i) => r.at - records[i]!.at);
  }

  /** Start lines of everything sent since the last call. */
  takeLines(): string[] {
    return this.take().map((r) => r.bytes.toString('latin1').split('\r\n')[0]!);
  }
}

/** Parse SIP text (LF line ends are turned into CRLF) or bytes; throws on a parse failure. */
export function parse(text: string | Buffer): SipMessage {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
  const result = parseMessage(buf);
  if (!result.ok) throw new Error(`test message does not parse: ${result.status} ${result.reason}`);
  return result.message;
}

export const PEER_UDP: MessageSource = {
  protocol: 'udp',
  remoteAddress: '127.0.0.2',
  remotePort: 5062,
  localAddress: '127.0.0.1',
  localPort: 5060,
};

export const PEER_TCP: MessageSource = {
  protocol: 'tcp',
  remoteAddress: '127.0.0.2',
  remotePort: 40123,
  localAddress: '127.0.0.1',
  localPort: 5060,
  connectionId: 'conn-7',
};

export const HOP_UDP: Hop = { protocol: 'udp', host: '127.0.0.2', port: 5062 };
export const HOP_TCP: Hop = { protocol: 'tcp', host: '127.0.0.2', port: 5062 };

export function inbound(message: SipMessage, source: MessageSource = PEER_UDP): InboundMessage {
  return { message, bytes: serializeMessage(message).length, source };
}

/** A response to `req` as the peer would send it (§8.2.6 copying), round-tripped through bytes. */
export function responseTo(req: SipMessage, status: number, reason: string, toTag?: string): SipMessage {
  const res = buildResponse(req, status, reason, toTag);
  if (!res) throw new Error('cannot build a response to that request');
  return parse(serializeMessage(res));
}

/**
 * An INVITE as our TU sends it: our Via on top with `branch`, a Route set; a second Via below
 * ours (as when the request is relayed) shows that ACK and CANCEL keep only the top one.
 */
export function outgoingInvite(branch: string, transport = 'UDP'): SipMessage {
  return parse(`INVITE sip:bob@127.0.0.2:5062 SIP/2.0
Via: SIP/2.0/${transport} 127.0.0.1:5060;branch=${branch};rport
Via: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bK-relayed
Max-Forwards: 70
Route: <sip:proxy1.example.com;lr>
Route: <sip:proxy2.example.com;lr>
From: "Alice" <sip:alice@example.com>;tag=a-tag-1
To: <sip:bob@example.com>
Call-ID: call-${branch}@127.0.0.1
CSeq: 314 INVITE
Contact: <sip:alice@127.0.0.1:5060>
Content-Type: application/sdp
Content-Length: 4

v=0
`);
}

export function outgoingRequest(method: string, branch: string, transport = 'UDP'): SipMessage {
  return parse(`${method} sip:bob@127.0.0.2:5062 SIP/2.0
Via: SIP/2.0/${transport} 127.0.0.1:5060;branch=${branch}
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a-tag-2
To: <sip:bob@example.com>;tag=b-tag-2
Call-ID: nict-${branch}@127.0.0.1
CSeq: 7 ${method}
Content-Length: 0

`);
}

/** An INVITE arriving from the peer (with an upstream proxy's Via below the peer's). */
export function incomingInvite(branch: string, transport = 'UDP'): SipMessage {
  return parse(`INVITE sip:service@127.0.0.1:5060 SIP/2.0
Via: SIP/2.0/${transport} 127.0.0.2:5062;branch=${branch};rport=5062;received=127.0.0.2
Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK-upstream
Max-Forwards: 69
From: <sip:carol@example.net>;tag=c-tag-1
To: <sip:service@example.org>
Call-ID: ist-${branch}@127.0.0.2
CSeq: 1 INVITE
Contact: <sip:carol@127.0.0.2:5062>
Content-Length: 0

`);
}

/** The ACK the peer sends for a non-2xx final response to `invite` (same branch, our To tag). */
export function ackFor(invite: SipMessage, toTag: string, branch?: string): SipMessage {
  const via = branch
    ? (invite.get('via') ?? '').replace(/branch=[^;]+/, `branch=${branch}`)
    : (invite.get('via') ?? '');
  return parse(`ACK ${invite.uri} SIP/2.0
Via: ${via}
Max-Forwards: 70
From: ${invite.get('from')}
To: ${invite.get('to')};tag=${toTag}
Call-ID: ${invite.get('call-id')}
CSeq: 1 ACK
Content-Length: 0

`);
}

export function cancelFor(invite: SipMessage): SipMessage {
  return parse(`CANCEL ${invite.uri} SIP/2.0
Via: ${invite.get('via')}
Max-Forwards: 70
From: ${invite.get('from')}
To: ${invite.get('to')}
Call-ID: ${invite.get('call-id')}
CSeq: 1 CANCEL
Reason: SIP;cause=487
Content-Length: 0

`);
}

export function incomingRequest(method: string, branch: string, transport = 'UDP'): SipMessage {
  return parse(`${method} sip:service@127.0.0.1:5060 SIP/2.0
Via: SIP/2.0/${transport} 127.0.0.2:5062;branch=${branch}
Max-Forwards: 70
From: <sip:carol@example.net>;tag=c-tag-2
To: <sip:service@example.org>;tag=s-tag-2
Call-ID: nist-${branch}@127.0.0.2
CSeq: 20 ${method}
Content-Length: 0

`);
}

/** Client handlers that record every callback. */
export function recordingClient(): ClientTransactionHandlers & {
  responses: SipMessage[];
  timeouts: number;
  transportErrors: Error[];
} {
  const rec = {
    responses: [] as SipMessage[],
    timeouts: 0,
    transportErrors: [] as Error[],
    onResponse(res: SipMessage) {
      rec.responses.push(res);
    },
    onTimeout() {
      rec.timeouts++;
    },
    onTransportError(err: Error) {
      rec.transportErrors.push(err);
    },
  };
  return rec;
}

export interface LayerEvents {
  requests: Array<{
    req: SipMessage;
    tx: ServerTransaction | undefined;
    cancelled: ServerTransaction | undefined;
  }>;
  stray: SipMessage[];
  serverTimeouts: ServerTransaction[];
}

/** A layer over a fake transport and a fake clock, recording what reaches the TU. */
export function makeLayer(timers: TimerSettings = TIMERS): {
  layer: TransactionLayer;
  clock: FakeClock;
  transport: FakeTransport;
  events: LayerEvents;
} {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const events: LayerEvents = { requests: [], stray: [], serverTimeouts: [] };
  const layer = new TransactionLayer({
    transport,
    timers,
    clock,
    handlers: {
      onRequest: (req, tx, _inbound, cancelled) => events.requests.push({ req, tx, cancelled }),
      onStrayResponse: (res) => events.stray.push(res),
      onServerTimeout: (tx) => events.serverTimeouts.push(tx),
    },
  });
  return { layer, clock, transport, events };
}

/** Let pending promise callbacks (send results, rejections) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
