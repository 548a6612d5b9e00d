/**
 * State and helpers shared by the two halves of the SIP core: `network-requests.ts` (requests
 * from the network, answered by apps) and `app-requests.ts` (requests apps send, answered by
 * the network). Holds the dialog table, the app-facing transaction tables and the frame helpers.
 */
import type { AppClient, AppRouter, FrameMeta, SipDelivery } from '../control/sip-core-port.js';
import { SipMessage } from '../sip/message.js';
import { formatHost, parseVia, topVia } from '../sip/header-values.js';
import { newBranch } from './ids.js';
import { DEFAULT_UAS_CAPABILITIES, type UasCapabilities } from '../sip/message-validation.js';
import { responseHop, responseSendOptions } from '../transport/response-hop.js';
import { serializeMessage } from '../sip/serializer.js';
import type {
  ClientTransaction,
  ClientTransactionHandlers,
  Clock,
  ServerTransaction,
  TimerSettings,
} from '../transaction/transaction-types.js';
import type {
  Hop,
  InboundMessage,
  ListenPoint,
  SendOptions,
  SendResult,
  TransportLayer,
  TransportProtocol,
} from '../transport/transport-types.js';
import type { Dialog } from './dialog.js';
import { formatMetaTime } from '../control/frames.js';
import type { EngineLogger } from '../logger.js';

/** What the core needs of the transaction layer. */
export interface TransactionApi {
  createClientTransaction(
    req: SipMessage,
    hop: Hop,
    handlers: ClientTransactionHandlers,
    opts?: SendOptions,
  ): ClientTransaction;
  sendStateless(msg: SipMessage | Buffer, hop: Hop, opts?: SendOptions): Promise<SendResult>;
}

/** A request from the network handed to an app, until the app's final response. */
export interface ServerEntry {
  txnId: string;
  client: AppClient;
  tx: ServerTransaction;
  request: SipMessage;
  inbound: InboundMessage;
  /** Our To tag for this transaction's responses (set on the first response above 100). */
  toTag: string | undefined;
  dialog: Dialog | undefined;
  cancelled: boolean;
  finalSent: boolean;
  expiryTimer?: ReturnType<Clock['setTimer']>;
}

/** A request an app sent, until its final response. */
export interface ClientEntry {
  txnId: string;
  client: AppClient;
  tx: ClientTransaction;
  request: SipMessage;
  /** drachtio reports the dialog id on every response to an INVITE; '' otherwise. */
  dialogId: string;
  cancelled: boolean;
  finalSeen: boolean;
  /** In-dialog requests: the dialog they were sent in. */
  dialog: Dialog | undefined;
  /** The CANCEL sent for this INVITE, if any. */
  cancelRequest?: SipMessage;
}

export interface CoreOptions {
  transport: TransportLayer;
  transactions: TransactionApi;
  router: AppRouter;
  timers: TimerSettings;
  clock: Clock;
  logger: EngineLogger;
  /** What this engine serves, for RFC 3261 §8.2 request validation. */
  capabilities?: UasCapabilities;
}

export class CoreContext {
  readonly capabilities: UasCapabilities;
  readonly transport: TransportLayer;
  readonly transactions: TransactionApi;
  readonly router: AppRouter;
  readonly timers: TimerSettings;
  readonly clock: Clock;
  readonly logger: EngineLogger;
  readonly dialogs = new Map<string, Dialog>();
  readonly serverEntries = new Map<string, ServerEntry>();
  readonly clientEntries = new Map<string, ClientEntry>();
  /** INVITE server transactions (by branch key) → entry, for CANCEL matching. */
  readonly entriesByInviteTx = new WeakMap<ServerTransaction, ServerEntry>();

  constructor(opts: CoreOptions) {
    this.transport = opts.transport;
    this.transactions = opts.transactions;
    this.router = opts.router;
    this.timers = opts.timers;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.capabilities = opts.capabilities ?? DEFAULT_UAS_CAPABILITIES;
  }

  listenPoint(protocol: TransportProtocol, host: string): ListenPoint | undefined {
    const family = host.includes(':') ? 6 : 4;
    return (
      this.transport.listenPointFor(protocol, family) ??
      this.transport.listenPointFor(protocol, family === 4 ? 6 : 4)
    );
  }

  /** Is this hop one of our own listeners? (drachtio refuses to send to itself.) */
  isSelf(hop: Hop): boolean {
    return this.transport.listenPoints.some(
      (lp) =>
        lp.port === hop.port &&
        (lp.advertisedHost === hop.host || lp.bindHost === hop.host) &&
        lp.protocol === hop.protocol,
    );
  }

  meta(
    source: FrameMeta['source'],
    bytes: number,
    protocol: TransportProtocol,
    address: string,
    port: number,
  ): FrameMeta {
    return { source, bytes, protocol, address, port, time: formatMetaTime(new Date()) };
  }

  /** Deliver a message received from the network to an app. */
  deliverNetwork(
    client: AppClient,
    inbound: InboundMessage,
    txnId: string,
    dialogId: string,
    receivedOn?: SipDelivery['receivedOn'],
  ): void {
    const s = inbound.source;
    const d: SipDelivery = {
      meta: this.meta('network', inbound.bytes, s.protocol, s.remoteAddress, s.remotePort),
      txnId,
      dialogId,
      raw: serializeMessage(inbound.message).toString('utf8'),
    };
    if (receivedOn) d.receivedOn = receivedOn;
    client.deliverSip(d);
  }

  /**
   * Report a request the engine itself sent (ACK-timeout BYE, CANCEL-after-200 BYE …) as an
   * `unsolicited` request from `application`, so srf tears its Dialog down with the reason.
   */
  deliverUnsolicited(client: AppClient, dialogId: string, bytes: Buffer, hop: Hop): void {
    client.deliverSip({
      meta: this.meta('application', bytes.length, hop.protocol, hop.host, hop.port),
      txnId: 'unsolicited',
      dialogId,
      raw: bytes.toString('utf8'),
    });
  }

  /** A response the engine makes up for an app request (408 on timeout, 503 on transport error). */
  deliverSynthetic(entry: ClientEntry, res: SipMessage, hop: Hop): void {
    const bytes = serializeMessage(res);
    entry.client.deliverSip({
      meta: this.meta('network', bytes.length, hop.protocol, hop.host, hop.port),
      txnId: entry.txnId,
      dialogId: entry.dialogId,
      raw: bytes.toString('utf8'),
    });
  }

  addDialog(d: Dialog): void {
    this.dialogs.set(d.id, d);
  }

  removeDialog(d: Dialog): void {
    if (this.dialogs.get(d.id) === d) this.dialogs.delete(d.id);
    if (d.inviteTx) {
      this.entriesByInviteTx.delete(d.inviteTx);
      d.inviteTx = undefined;
    }
    this.stopPendingAck(d);
    for (const rp of d.reliableProvisionals.values()) {
      if (rp.retransmitTimer) this.clock.clearTimer(rp.retransmitTimer);
      if (rp.giveUpTimer) this.clock.clearTimer(rp.giveUpTimer);
    }
    d.reliableProvisionals.clear();
  }

  stopPendingAck(d: Dialog): void {
    const p = d.pendingAck;
    if (!p) return;
    if (p.retransmitTimer) this.clock.clearTimer(p.retransmitTimer);
    if (p.giveUpTimer) this.clock.clearTimer(p.giveUpTimer);
    d.pendingAck = undefined;
  }

  /** Put our Via on top of an outgoing request (RFC 3261 §8.1.1.7; `rport` per RFC 3581 §3). */
  stampVia(req: SipMessage, lp: ListenPoint): string {
    const branch = newBranch();
    req.prepend(
      'Via',
      `SIP/2.0/${lp.protocol.toUpperCase()} ${formatHost(lp.advertisedHost)}:${lp.port};rport;branch=${branch}`,
    );
    return branch;
  }

  /** Our Contact for a listener: a routable URI, so in-dialog requests (NOTIFY!) come back. */
  localContact(lp: ListenPoint): string {
    const transport = lp.protocol === 'udp' ? '' : `;transport=${lp.protocol}`;
    return `<sip:${formatHost(lp.advertisedHost)}:${lp.port}${transport}>`;
  }

  hostport(lp: ListenPoint): string {
    return `${formatHost(lp.advertisedHost)}:${lp.port}`;
  }

  /**
   * Send a request the engine itself originates inside a dialog (ACK-timeout BYE, CANCEL
   * after 200, an app that went away) and return it as sent. Responses are not reported.
   */
  sendEngineRequest(
    d: Dialog,
    method: string,
    headers: Array<[string, string]>,
  ): { bytes: Buffer; hop: Hop } | undefined {
    const app = SipMessage.request(method, 'sip:placeholder', headers);
    d.localSeq += 1;
    const { request, hop } = d.buildRequest(method, app, d.localSeq);
    if (!hop) return undefined;
    const lp = this.listenPoint(hop.protocol, hop.host) ?? d.listenPoint;
    this.stampVia(request, lp);
    const bytes = serializeMessage(request);
    const opts: SendOptions = {};
    if (d.connectionId) opts.connectionId = d.connectionId;
    this.transactions.createClientTransaction(request, hop, IGNORE_RESPONSES, opts);
    return { bytes, hop };
  }

  /** Fire-and-forget send; a failure is logged (the transaction layer reports its own errors). */
  sendRaw(bytes: Buffer, hop: Hop, opts?: SendOptions): void {
    this.transport.send(bytes, hop, opts).catch((err: unknown) => {
      this.logger.warn({ err, hop }, 'send failed');
    });
  }
}

const IGNORE_RESPONSES: ClientTransactionHandlers = {
  onResponse: () => undefined,
  onTimeout: () => undefined,
  onTransportError: () => undefined,
};

/**
 * Where responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4), and the TCP connection to
 * prefer. For TCP the meta names the connection's peer, which is where the bytes really go.
 */
export function responseHopFor(req: SipMessage, inbound: InboundMessage): { hop: Hop; opts: SendOptions } {
  const src = inbound.source;
  const opts = responseSendOptions(src) ?? {};
  if (src.protocol === 'tcp')
    return { hop: { protocol: 'tcp', host: src.remoteAddress, port: src.remotePort }, opts };
  return { hop: responseHop(parseVia(topVia(req.getAll('via')) ?? ''), src), opts };
}
