/**
 * Requests that arrive from the network and the apps' responses to them (the UAS half of the
 * core): hand new requests to an app (100 Trying first for INVITE, 503 when no app routed the
 * method), in-dialog dispatch (481, 491, CSeq order), CANCEL in its three cases, reliable
 * provisionals (RFC 3262), and the 2xx retransmission until ACK with the ACK-timeout BYE
 * (RFC 3261 §13.3.1.4).
 */
import type { AppClient, AppSipResult } from '../control/sip-core-port.js';
import { formatMetaTime, metaTokens } from '../control/frames.js';
import { buildResponse } from '../sip/error-response.js';
import { checkRequestSyntax, validateRequest } from '../sip/message-validation.js';
import { getTag, parseCSeq, parseRAck, parseVia, splitList, topVia } from '../sip/header-values.js';
import type { SipMessage } from '../sip/message.js';
import { serializeMessage } from '../sip/serializer.js';
import type { ServerTransaction } from '../transaction/transaction-types.js';
import type { InboundMessage } from '../transport/transport-types.js';
import { defaultContentType, substituteLocalhost } from './app-message.js';
import { CoreContext, responseHopFor, type ServerEntry } from './core-context.js';
import { Dialog, contactUri, recordRoutes } from './dialog.js';
import { retransmitReliable, startPendingAck } from './uas-retransmission.js';
import { MAGIC_COOKIE, dialogIdOf, initialCSeq, newTag, newTxnId } from './ids.js';

/** Methods whose 2xx (or 1xx for INVITE) carries our Contact (RFC 3261 §12.1.1, §13.3.1.4; RFC 6665). */
const CONTACT_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'UPDATE', 'REFER', 'NOTIFY']);

export class NetworkRequests {
  constructor(private readonly ctx: CoreContext) {}

  /** Entry point from the transaction layer for every request. */
  onRequest(
    req: SipMessage,
    tx: ServerTransaction | undefined,
    inbound: InboundMessage,
    cancelled?: ServerTransaction,
  ): void {
    const method = req.method;
    if (method === 'ACK') {
      this.onAck(req, inbound);
      return;
    }
    if (!tx) return;
    if (method === 'CANCEL') {
      this.onCancel(tx, inbound, cancelled);
      return;
    }
    if (getTag(req.get('to')) !== undefined) this.onInDialog(req, tx, inbound);
    else this.onNewRequest(req, tx, inbound);
  }

  /** Find the dialog a network request belongs to, whichever side created it. */
  findDialog(req: SipMessage): Dialog | undefined {
    const callId = req.get('call-id') ?? '';
    const fromTag = getTag(req.get('from')) ?? '';
    const toTag = getTag(req.get('to')) ?? '';
    const asUas = this.ctx.dialogs.get(dialogIdOf(callId, fromTag));
    if (asUas && asUas.role === 'uas' && asUas.localTag === toTag) return asUas;
    const asUac = this.ctx.dialogs.get(dialogIdOf(callId, toTag));
    if (asUac && asUac.role === 'uac' && asUac.remoteTag === fromTag) return asUac;
    return undefined;
  }

  private reply(
    tx: ServerTransaction,
    req: SipMessage,
    status: number,
    reason: string,
    extra: Array<[string, string]> = [],
  ): void {
    const res = buildResponse(req, status, reason, status > 100 ? newTag() : undefined, extra);
    if (res) this.respond(tx, res);
  }

  private respond(tx: ServerTransaction, res: SipMessage): void {
    tx.respond(res).catch((err: unknown) => this.ctx.logger.warn({ err }, 'response send failed'));
  }

  private onNewRequest(req: SipMessage, tx: ServerTransaction, inbound: InboundMessage): void {
    const method = req.method;
    // RFC 3261 §8.2 checks a UAS makes before acting: method/CSeq match, URI scheme (416),
    // Require (420), body type (415) … — RFC 4475 §3.1.2 / §3.3 name the cases.
    const verdict = validateRequest(req, this.ctx.capabilities);
    if (!verdict.ok) {
      this.reply(tx, req, verdict.status, verdict.reason, verdict.extraHeaders);
      return;
    }
    if (method === 'INVITE' && !isRfc2543(req)) {
      // drachtio-server's checks before an INVITE reaches an app: a Contact with a host, and a
      // From tag (RFC 3261 §8.1.1.3 makes the tag mandatory; §8.1.1.8 the Contact). RFC 2543
      // peers had neither rule, and RFC 3261 §8.2 / RFC 4475 §3.4.1 ask us to serve them.
      const contact = contactUri(req);
      if (!contact || !getTag(req.get('from'))) {
        this.reply(tx, req, 400, contact ? 'Missing From tag' : 'Missing Contact');
        return;
      }
    }
    const client = this.ctx.router.pickClient(method.toLowerCase());
    if (!client) {
      this.reply(tx, req, 503, 'Service Unavailable');
      return;
    }
    // RFC 3261 §17.2.1: a stateful proxy/UAS should send 100 Trying at once for INVITE so the
    // caller stops retransmitting while the app decides.
    if (method === 'INVITE') this.reply(tx, req, 100, 'Trying');
    const entry: ServerEntry = {
      txnId: newTxnId(),
      client,
      tx,
      request: req,
      inbound,
      toTag: undefined,
      dialog: undefined,
      cancelled: false,
      finalSent: false,
    };
    this.ctx.serverEntries.set(entry.txnId, entry);
    if (method === 'INVITE') this.ctx.entriesByInviteTx.set(tx, entry);
    this.ctx.deliverNetwork(client, inbound, entry.txnId, '', {
      host: inbound.source.localAddress,
      port: inbound.source.localPort,
    });
    if (method === 'INVITE') this.cdr('cdr:attempt', inbound, req);
  }

  private onInDialog(req: SipMessage, tx: ServerTransaction, inbound: InboundMessage): void {
    const syntax = checkRequestSyntax(req);
    if (!syntax.ok) {
      this.reply(tx, req, syntax.status, syntax.reason, syntax.extraHeaders);
      return;
    }
    const d = this.findDialog(req);
    if (!d) {
      // RFC 3261 §12.2.2: a request with a To tag that matches no dialog gets 481.
      this.reply(tx, req, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const cseq = parseCSeq(req.get('cseq') ?? '');
    if (!cseq) {
      this.reply(tx, req, 400, 'Bad CSeq');
      return;
    }
    // RFC 3261 §12.2.2: lower CSeq than the last one seen is out of order → 500.
    if (d.remoteSeq !== undefined && cseq.seq < d.remoteSeq) {
      this.reply(tx, req, 500, 'Out of Order', [['Retry-After', '1']]);
      return;
    }
    d.remoteSeq = cseq.seq;
    const method = req.method;
    if (method === 'INVITE') {
      // RFC 3261 §14.2: an INVITE while one of ours is pending, or before the previous one's
      // ACK, is glare → 491.
      if (d.incomingInviteOpen || d.pendingAck || (d.outgoingInvite && d.outgoingInvite.finalStatus === 0)) {
        this.reply(tx, req, 491, 'Request Pending');
        return;
      }
      d.incomingInviteOpen = true;
      this.reply(tx, req, 100, 'Trying');
    }
    if (method === 'INVITE' || method === 'UPDATE') {
      // Target refresh (RFC 3261 §12.2.2).
      const target = contactUri(req);
      if (target) d.remoteTarget = target;
    }
    if (method === 'PRACK' && !this.matchPrack(d, req)) {
      this.reply(tx, req, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    if (method === 'BYE') {
      // The dialog ends with the BYE (RFC 3261 §15.1.2); the app still answers it.
      this.ctx.removeDialog(d);
    }
    const entry: ServerEntry = {
      txnId: newTxnId(),
      client: d.owner,
      tx,
      request: req,
      inbound,
      toTag: d.localTag,
      dialog: d,
      cancelled: false,
      finalSent: false,
    };
    this.ctx.serverEntries.set(entry.txnId, entry);
    this.ctx.deliverNetwork(d.owner, inbound, entry.txnId, d.id);
    if (method === 'BYE') this.cdr('cdr:stop', inbound, req, 'normal-release');
  }

  /** RFC 3262 §3: a PRACK whose RAck names a reliable provisional we sent stops its retransmission. */
  private matchPrack(d: Dialog, req: SipMessage): boolean {
    const rack = parseRAck(req.get('rack') ?? '');
    if (!rack) return false;
    const rp = d.reliableProvisionals.get(rack.rseq);
    if (!rp) return false;
    if (rp.retransmitTimer) this.ctx.clock.clearTimer(rp.retransmitTimer);
    if (rp.giveUpTimer) this.ctx.clock.clearTimer(rp.giveUpTimer);
    d.reliableProvisionals.delete(rack.rseq);
    return true;
  }

  private onAck(ack: SipMessage, inbound: InboundMessage): void {
    const d = this.findDialog(ack);
    if (!d || !d.pendingAck) return;
    const cseq = parseCSeq(ack.get('cseq') ?? '');
    if (!cseq || cseq.seq !== d.pendingAck.cseq) return;
    this.ctx.stopPendingAck(d);
    d.state = 'confirmed';
    // A CANCEL can no longer race this INVITE; let its transaction stop holding the call state.
    if (d.inviteTx) {
      this.ctx.entriesByInviteTx.delete(d.inviteTx);
      d.inviteTx = undefined;
    }
    this.ctx.deliverNetwork(d.owner, inbound, newTxnId(), d.id);
  }

  /** RFC 3261 §9.2 and drachtio's CANCEL cases: before/after a provisional, after the 200. */
  private onCancel(
    cancelTx: ServerTransaction,
    inbound: InboundMessage,
    inviteTx: ServerTransaction | undefined,
  ): void {
    const cancel = cancelTx.request;
    const entry = inviteTx ? this.ctx.entriesByInviteTx.get(inviteTx) : undefined;
    if (!entry) {
      this.reply(cancelTx, cancel, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    if (entry.finalSent) {
      const d = entry.dialog;
      if (d && inviteTx && inviteTx.lastStatus >= 200 && inviteTx.lastStatus < 300) {
        // The call is up: answer 481 and end it, as drachtio-server does ("CANCEL after 200 OK").
        this.reply(cancelTx, cancel, 481, 'Call/Transaction Does Not Exist');
        this.engineBye(d, 'SIP ;cause=200 ;text="CANCEL after 200 OK"');
      } else {
        this.reply(cancelTx, cancel, 200, 'OK');
      }
      return;
    }
    this.reply(cancelTx, cancel, 200, 'OK');
    const res = buildResponse(entry.request, 487, 'Request Terminated', entry.toTag ?? newTag());
    if (res) this.respond(entry.tx, res);
    entry.cancelled = true;
    entry.finalSent = true;
    this.ctx.serverEntries.delete(entry.txnId);
    if (entry.dialog) this.ctx.removeDialog(entry.dialog);
    // srf finds the INVITE by Call-ID and emits 'cancel' on it.
    this.ctx.deliverNetwork(entry.client, inbound, entry.txnId, '');
    this.cdr('cdr:stop', inbound, entry.request, 'call-canceled');
  }

  /** The app's response could not be used: answer 500 for it so the transaction completes. */
  failOnAppError(client: AppClient, txnId: string): void {
    const entry = this.ctx.serverEntries.get(txnId);
    if (!entry || entry.client !== client || entry.finalSent) return;
    entry.finalSent = true;
    this.ctx.serverEntries.delete(txnId);
    const res = buildResponse(entry.request, 500, 'Server Internal Error', entry.toTag ?? newTag());
    if (res) this.respond(entry.tx, res);
  }

  /** An app's response to a request it was handed. */
  handleAppResponse(client: AppClient, txnId: string, app: SipMessage): AppSipResult {
    const entry = this.ctx.serverEntries.get(txnId);
    if (!entry || entry.client !== client) return { ok: false, reason: `unknown transaction id: ${txnId}` };
    if (entry.cancelled) return { ok: false, reason: 'transaction was cancelled' };
    if (entry.finalSent) return { ok: false, reason: 'final response already sent' };
    const req = entry.request;
    const status = app.status;
    const method = req.method;
    const inDialog = getTag(req.get('to')) !== undefined;
    if (status > 100 && entry.toTag === undefined) {
      // The app may choose the To tag (srf puts it in To); otherwise we mint one.
      const m = /;\s*tag=([^;>\s]+)/.exec(app.get('to') ?? '');
      entry.toTag = m?.[1] ?? newTag();
    }
    const res = buildResponse(req, status, app.reason, entry.toTag);
    if (!res) return { ok: false, reason: 'request cannot be answered' };
    for (const h of app.headers) {
      if (h.key === 'from' || h.key === 'to' || h.key === 'call-id' || h.key === 'cseq') continue;
      res.headers.push(h);
    }
    res.body = app.body;
    const lp = this.ctx.listenPoint(entry.inbound.source.protocol, entry.inbound.source.remoteAddress);
    const createsDialog =
      !inDialog &&
      ((method === 'INVITE' && status > 100 && status < 300) ||
        (method === 'SUBSCRIBE' && status >= 200 && status < 300));
    if (createsDialog) {
      // RFC 3261 §12.1.1: the UAS copies Record-Route into dialog-creating responses.
      for (const rr of req.getAll('record-route')) res.append('Record-Route', rr);
    }
    if (lp && CONTACT_METHODS.has(method) && status > 100 && status < 300 && !res.has('contact')) {
      res.append('Contact', this.ctx.localContact(lp));
    }
    if (lp) substituteLocalhost(res, this.ctx.hostport(lp));
    if (!defaultContentType(res)) return { ok: false, reason: 'Content-Type required for a non-SDP body' };

    const reliable = method === 'INVITE' && status > 100 && status < 200 && requires100rel(app);
    let dialog = entry.dialog;
    if (createsDialog && lp && (status >= 200 || reliable) && !dialog) {
      dialog = this.createUasDialog(entry, res, lp);
      entry.dialog = dialog;
    }
    if (reliable && dialog) {
      const rseq = dialog.nextRSeq++;
      res.append('RSeq', String(rseq));
    }
    const bytes = serializeMessage(res);
    entry.tx
      .sendResponse(res, bytes)
      .catch((err: unknown) => this.ctx.logger.warn({ err }, 'response send failed'));
    const { hop, opts } = responseHopFor(req, entry.inbound);
    if (reliable && dialog) {
      // RFC 3262 §3: no PRACK within 64·T1 → the UAS SHOULD reject the INVITE with a 5xx.
      const onNoPrack = (): void => this.failOnAppError(entry.client, txnId);
      retransmitReliable(this.ctx, dialog, Number(res.get('rseq')), bytes, hop, opts.connectionId, onNoPrack);
    }

    if (status >= 200) {
      entry.finalSent = true;
      this.ctx.serverEntries.delete(txnId);
      if (method === 'INVITE') {
        if (dialog) dialog.incomingInviteOpen = false;
        if (status < 300 && dialog) {
          dialog.state = 'confirmed';
          if (!inDialog) dialog.inviteTx = entry.tx;
          const confirmed = dialog;
          const onAckTimeout = (): void => this.engineBye(confirmed, 'SIP ;cause=200 ;text="ACK timeout"');
          const cseq = parseCSeq(req.get('cseq') ?? '')?.seq ?? 0;
          startPendingAck(this.ctx, confirmed, cseq, bytes, hop, opts.connectionId, onAckTimeout);
          if (!inDialog) this.cdr('cdr:start', entry.inbound, res, 'uas');
        } else if (!inDialog && dialog) {
          this.ctx.removeDialog(dialog);
          entry.dialog = undefined;
          dialog = undefined;
        }
        if (status >= 300 && !inDialog) this.cdr('cdr:stop', entry.inbound, res, 'call-rejected');
      }
    }
    const dialogId =
      method === 'INVITE' && !inDialog
        ? dialogIdOf(req.get('call-id') ?? '', getTag(req.get('from')) ?? '')
        : (dialog?.id ?? '');
    const meta = this.ctx.meta('application', bytes.length, hop.protocol, hop.host, hop.port);
    return {
      ok: true,
      tokens: [...metaTokens(meta), txnId, dialogId, '', 'Msg sent:', ''],
      echo: bytes.toString('utf8'),
    };
  }

  private createUasDialog(
    entry: ServerEntry,
    res: SipMessage,
    lp: NonNullable<ReturnType<CoreContext['listenPoint']>>,
  ): Dialog {
    const req = entry.request;
    const callId = req.get('call-id') ?? '';
    const from = req.get('from') ?? '';
    const remoteTag = getTag(from) ?? '';
    const d = new Dialog({
      id: dialogIdOf(callId, remoteTag),
      callId,
      role: 'uas',
      localTag: entry.toTag ?? '',
      remoteTag,
      localParty: res.get('to') ?? '',
      remoteParty: from,
      remoteTarget: contactUri(req) ?? req.uri,
      // RFC 3261 §12.1.1: the UAS route set is the Record-Route list in order.
      routeSet: recordRoutes(req),
      localSeq: initialCSeq(),
      remoteSeq: parseCSeq(req.get('cseq') ?? '')?.seq,
      state: 'early',
      owner: entry.client,
      protocol: entry.inbound.source.protocol,
      listenPoint: lp,
      ...(entry.inbound.source.connectionId ? { connectionId: entry.inbound.source.connectionId } : {}),
    });
    this.ctx.addDialog(d);
    return d;
  }

  /** A BYE the engine sends on its own, reported to the owning app as `unsolicited`. */
  engineBye(d: Dialog, reason: string): void {
    this.ctx.removeDialog(d);
    const sent = this.ctx.sendEngineRequest(d, 'BYE', [['Reason', reason]]);
    if (sent) this.ctx.deliverUnsolicited(d.owner, d.id, sent.bytes, sent.hop);
  }

  private cdr(
    kind: 'cdr:attempt' | 'cdr:start' | 'cdr:stop',
    inbound: InboundMessage,
    msg: SipMessage,
    extra?: string,
  ): void {
    const client = this.ctx.router.pickCdrClient(kind);
    if (!client) return;
    const d: Parameters<AppClient['deliverCdr']>[0] = {
      kind,
      source: 'network',
      time: formatMetaTime(new Date()),
      raw: serializeMessage(msg).toString('utf8'),
    };
    if (extra !== undefined) d.extra = extra;
    client.deliverCdr(d);
  }
}

/** A request from an RFC 2543 peer: its top Via branch lacks the RFC 3261 magic cookie. */
function isRfc2543(req: SipMessage): boolean {
  const via = parseVia(topVia(req.getAll('via')) ?? '');
  return !(via?.params.get('branch') ?? '').startsWith(MAGIC_COOKIE);
}

function requires100rel(msg: SipMessage): boolean {
  for (const v of msg.getAll('require')) {
    if (splitList(v).some((t) => t.toLowerCase() === '100rel')) return true;
  }
  return false;
}
