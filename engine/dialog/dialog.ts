/**
 * One SIP dialog as the engine keeps it (RFC 3261 §12): identity, route set, remote target,
 * sequence numbers, the app that owns it, and the INVITE work in flight inside it.
 * Building in-dialog requests (§12.2.1.1) is a pure method of this state.
 */
import { SipMessage } from '../sip/message.js';
import { parseNameAddr, parseUriTarget, splitList } from '../sip/header-values.js';
import type { AppClient } from '../control/sip-core-port.js';
import type { Hop, ListenPoint, TransportProtocol } from '../transport/transport-types.js';
import type { ServerTransaction, TimerHandle } from '../transaction/transaction-types.js';

export type DialogRole = 'uas' | 'uac';
export type DialogState = 'early' | 'confirmed' | 'terminating';

/** A 2xx we sent to an INVITE and retransmit until its ACK (RFC 3261 §13.3.1.4). */
export interface PendingAck {
  cseq: number;
  bytes: Buffer;
  hop: Hop;
  connectionId?: string;
  interval: number;
  retransmitTimer?: TimerHandle;
  giveUpTimer?: TimerHandle;
}

/** The INVITE (initial or re-INVITE) we sent in this dialog, until its ACK is done. */
export interface OutgoingInvite {
  cseq: number;
  txnId: string;
  finalStatus: number;
  /** ACK we sent for its 2xx, re-sent on 2xx retransmissions (RFC 3261 §13.2.2.4). */
  ackBytes?: Buffer;
  ackHop?: Hop;
}

export class Dialog {
  readonly id: string;
  readonly callId: string;
  readonly role: DialogRole;
  readonly localTag: string;
  remoteTag: string;
  /** From (uac) / To (uas) value of our side, with our tag. */
  localParty: string;
  /** The other side's party value, with its tag. */
  remoteParty: string;
  remoteTarget: string;
  /** Route header values in the order they must be sent (§12.1.1 / §12.1.2). */
  routeSet: string[];
  localSeq: number;
  remoteSeq: number | undefined;
  state: DialogState;
  owner: AppClient;
  /** Transport the dialog-creating request used; default for URIs without `transport`. */
  protocol: TransportProtocol;
  listenPoint: ListenPoint;
  /** TCP connection the dialog's peer used, reused for our requests while it lasts. */
  connectionId: string | undefined;
  pendingAck: PendingAck | undefined;
  outgoingInvite: OutgoingInvite | undefined;
  /** The initial INVITE's server transaction until its ACK (for CANCEL-after-200 matching). */
  inviteTx: ServerTransaction | undefined;
  /** A re-INVITE from the peer is being handled (RFC 3261 §14.2: a second one gets 491). */
  incomingInviteOpen = false;
  /** Reliable provisionals awaiting PRACK, keyed by RSeq (RFC 3262 §3). */
  readonly reliableProvisionals = new Map<
    number,
    { retransmitTimer?: TimerHandle; giveUpTimer?: TimerHandle }
  >();
  nextRSeq = 1 + Math.floor(Math.random() * 1000);

  constructor(init: {
    id: string;
    callId: string;
    role: DialogRole;
    localTag: string;
    remoteTag: string;
    localParty: string;
    remoteParty: string;
    remoteTarget: string;
    routeSet: string[];
    localSeq: number;
    remoteSeq: number | undefined;
    state: DialogState;
    owner: AppClient;
    protocol: TransportProtocol;
    listenPoint: ListenPoint;
    connectionId?: string;
  }) {
    this.id = init.id;
    this.callId = init.callId;
    this.role = init.role;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localParty = init.localParty;
    this.remoteParty = init.remoteParty;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.state = init.state;
    this.owner = init.owner;
    this.protocol = init.protocol;
    this.listenPoint = init.listenPoint;
    this.connectionId = init.connectionId;
  }

  /**
   * Request-URI, Route values and next hop for a request in this dialog (RFC 3261 §12.2.1.1,
   * §8.1.2). Loose routing when the first route has `lr`; otherwise the strict-routing
   * rewrite that puts the first route in the Request-URI and the remote target last.
   */
  routing(): { requestUri: string; routes: string[]; hop: Hop | undefined } {
    let requestUri = this.remoteTarget;
    let routes = this.routeSet;
    let nextHopUri = this.remoteTarget;
    const first = routes[0];
    if (first !== undefined) {
      const firstUri = parseNameAddr(first)?.uri ?? first;
      const target = parseUriTarget(firstUri);
      if (target && target.params.has('lr')) {
        nextHopUri = firstUri;
      } else {
        requestUri = firstUri;
        routes = [...routes.slice(1), `<${this.remoteTarget}>`];
        nextHopUri = firstUri;
      }
    }
    return { requestUri, routes, hop: hopForUri(nextHopUri, this.protocol) };
  }

  /** Build a request inside this dialog from an app's message (§12.2.1.1). */
  buildRequest(method: string, app: SipMessage, cseq: number): { request: SipMessage; hop: Hop | undefined } {
    const { requestUri, routes, hop } = this.routing();
    const req = SipMessage.request(method, requestUri);
    for (const r of routes) req.append('Route', r);
    req.append('From', this.localParty);
    req.append('To', this.remoteParty);
    req.append('Call-ID', this.callId);
    req.append('CSeq', `${cseq} ${method}`);
    for (const h of app.headers) {
      if (h.key === 'from' || h.key === 'to' || h.key === 'call-id' || h.key === 'cseq') continue;
      req.headers.push(h);
    }
    if (!req.has('max-forwards')) req.append('Max-Forwards', '70');
    req.body = app.body;
    return { request: req, hop };
  }
}

/** Next hop for a SIP URI (RFC 3263 reduced to A/AAAA: host, port or 5060, transport param). */
export function hopForUri(uri: string, defaultProtocol: TransportProtocol): Hop | undefined {
  const t = parseUriTarget(uri);
  if (!t || t.scheme === 'tel') return undefined;
  const maddr = t.params.get('maddr');
  const transport = t.params.get('transport')?.toLowerCase();
  let protocol: TransportProtocol = defaultProtocol;
  if (transport === 'udp' || transport === 'tcp') protocol = transport;
  else if (transport) return undefined;
  if (t.scheme === 'sips') return undefined;
  return { protocol, host: maddr ?? t.host, port: t.port ?? 5060 };
}

/** Record-Route values of a message, in order, one per route (comma lists split). */
export function recordRoutes(msg: SipMessage): string[] {
  const out: string[] = [];
  for (const v of msg.getAll('record-route')) out.push(...splitList(v));
  return out;
}

/** URI of the first Contact of a message. */
export function contactUri(msg: SipMessage): string | undefined {
  const c = msg.get('contact');
  if (c === undefined) return undefined;
  const first = splitList(c)[0];
  return first === undefined ? undefined : parseNameAddr(first)?.uri;
}
