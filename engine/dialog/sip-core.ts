/**
 * The SIP core: drachtio-server's semantics between the transaction layer and the control
 * protocol. Dispatches app `sip` commands by the shape drachtio defines (which of txnId and
 * dialogId is set, request or response) and network requests by dialog membership.
 */
import type { AppClient, AppSipResult, SipCore } from '../control/sip-core-port.js';
import { formatHost } from '../sip/header-values.js';
import type { SipMessage } from '../sip/message.js';
import type { ServerTransaction, TransactionLayerHandlers } from '../transaction/transaction-types.js';
import type { InboundMessage } from '../transport/transport-types.js';
import { parseAppMessage } from './app-message.js';
import { AppRequests } from './app-requests.js';
import { CoreContext, type CoreOptions } from './core-context.js';
import { buildResponse } from '../sip/error-response.js';
import { newTag } from './ids.js';
import { NetworkRequests } from './network-requests.js';

export class EngineSipCore implements SipCore {
  readonly ctx: CoreContext;
  private readonly net: NetworkRequests;
  private readonly app: AppRequests;

  constructor(opts: CoreOptions) {
    this.ctx = new CoreContext(opts);
    this.net = new NetworkRequests(this.ctx);
    this.app = new AppRequests(this.ctx, this.net);
  }

  /** Handlers the transaction layer calls. */
  readonly transactionHandlers: TransactionLayerHandlers = {
    onRequest: (
      req: SipMessage,
      tx: ServerTransaction | undefined,
      inbound: InboundMessage,
      cancelled?: ServerTransaction,
    ) => this.net.onRequest(req, tx, inbound, cancelled),
    onStrayResponse: (res: SipMessage) => {
      // RFC 6026 §7.2: 2xx retransmissions outlive the INVITE client transaction; re-ACK them.
      if (res.status >= 200 && res.status < 300 && res.get('cseq')?.endsWith('INVITE')) this.app.reAck(res);
    },
  };

  handleAppSip(
    client: AppClient,
    txnId: string,
    dialogId: string,
    proxyUri: string,
    raw: string,
  ): Promise<AppSipResult> {
    return Promise.resolve(this.dispatch(client, txnId, dialogId, proxyUri, raw));
  }

  private dispatch(
    client: AppClient,
    txnId: string,
    dialogId: string,
    proxyUri: string,
    raw: string,
  ): AppSipResult {
    const parsed = parseAppMessage(raw);
    if (!parsed.ok) {
      // An app's unusable answer must not leave the caller's transaction hanging forever.
      if (txnId && !dialogId && raw.startsWith('SIP/')) this.net.failOnAppError(client, txnId);
      return { ok: false, reason: parsed.reason };
    }
    const msg = parsed.message;
    if (!msg.isRequest) {
      if (!txnId) return { ok: false, reason: 'a response needs the transaction id of its request' };
      return this.net.handleAppResponse(client, txnId, msg);
    }
    if (txnId && !dialogId) {
      if (msg.method === 'CANCEL') return this.app.handleCancel(client, txnId, msg);
      return { ok: false, reason: 'only CANCEL may name a transaction id' };
    }
    if (dialogId) return this.app.handleInDialog(client, dialogId, msg);
    return this.app.handleOutOfDialog(client, msg, proxyUri);
  }

  /**
   * An app went away: its calls must not linger. Confirmed dialogs get a BYE, unanswered
   * INVITEs it was handed get 480, and INVITEs it sent are cancelled.
   */
  clientGone(client: AppClient): void {
    const ctx = this.ctx;
    for (const d of [...ctx.dialogs.values()]) {
      if (d.owner !== client) continue;
      if (d.state === 'confirmed') {
        ctx.removeDialog(d);
        ctx.sendEngineRequest(d, 'BYE', [['Reason', 'SIP ;cause=480 ;text="application disconnected"']]);
      } else {
        ctx.removeDialog(d);
      }
    }
    for (const entry of [...ctx.serverEntries.values()]) {
      if (entry.client !== client) continue;
      ctx.serverEntries.delete(entry.txnId);
      if (entry.finalSent || entry.request.method === 'ACK') continue;
      const res = buildResponse(entry.request, 480, 'Temporarily Unavailable', entry.toTag ?? newTag());
      if (res) entry.tx.respond(res).catch(() => undefined);
    }
    for (const entry of [...ctx.clientEntries.values()]) {
      if (entry.client !== client) continue;
      ctx.clientEntries.delete(entry.txnId);
      if (entry.request.method === 'INVITE' && !entry.finalSeen) entry.tx.cancel?.();
    }
  }

  hostports(): string {
    return this.ctx.transport.listenPoints
      .map((lp) => `${lp.protocol}/${formatHost(lp.advertisedHost)}:${lp.port}`)
      .join(',');
  }

  /** Counts for tests and metrics. */
  stats(): { dialogs: number; serverEntries: number; clientEntries: number } {
    return {
      dialogs: this.ctx.dialogs.size,
      serverEntries: this.ctx.serverEntries.size,
      clientEntries: this.ctx.clientEntries.size,
    };
  }
}
