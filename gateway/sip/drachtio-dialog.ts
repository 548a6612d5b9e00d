/**
 * {@link DialogPort} over a drachtio-srf `Dialog` (any leg: a caller's UAS dialog, an agent's or a
 * human's UAC dialog). Owns the mechanics: listening for BYE, re-INVITE, REFER and NOTIFY, sending
 * re-INVITE, REFER, NOTIFY and BYE, and counting that traffic. Events that arrive before the call layer has set
 * its handlers are held and delivered when it does, so nothing is lost between the 200 and the
 * first turn of the event loop.
 */
import type Srf from 'drachtio-srf';
import {
  DialogRequestError,
  type DialogEnd,
  type DialogHandlers,
  type DialogPort,
  type InboundNotify,
  type InboundRefer,
  type InDialogAnswer,
  type InDialogRequest,
  type RequestReply,
  type SipAnswer,
} from '../call/ports.js';
import type { SipCounters } from './sip-counters.js';
import { dialogCalls } from './srf-types.js';

type HeldEvent = (handlers: DialogHandlers) => void;

export class DrachtioDialog implements DialogPort {
  readonly sipCallId: string;
  private readonly dialog: Srf.Dialog;
  private readonly counters: SipCounters;
  private handlers: DialogHandlers | undefined;
  private held: HeldEvent[] = [];
  private ended = false;

  constructor(dialog: Srf.Dialog, counters: SipCounters) {
    this.dialog = dialog;
    this.counters = counters;
    this.sipCallId = dialog.sip.callId;
    dialog.on('destroy', (msg: Srf.SrfRequest, reason?: string) => {
      this.ended = true;
      this.counters.requestIn('BYE');
      this.counters.responseOut('BYE', 200);
      const end: DialogEnd = { reason: reason ?? 'normal release', headers: xHeaders(msg) };
      this.deliver((h) => h.onEnded(end));
    });
    dialog.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      this.counters.requestIn('INVITE');
      const reply = this.replyTo('INVITE', res);
      this.deliver((h) => h.onReinvite(req.body === '' ? undefined : req.body, reply));
    });
    // srf emits 'ack' on the dialog it answered (createUAS); in a late-offer call the answer is in it.
    dialog.on('ack', (ack: Srf.SrfRequest) => {
      this.counters.requestIn('ACK');
      const sdp = typeof ack.body === 'string' && ack.body !== '' ? ack.body : undefined;
      this.deliver((h) => h.onAck(sdp));
    });
    dialog.on('refer', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      this.counters.requestIn('REFER');
      // RFC 3515 §2.4.2: a REFER the call takes is answered 202 Accepted, not 200.
      const reply = this.replyTo('REFER', res, 202);
      const refer: InboundRefer = {
        referTo: req.get('Refer-To') ?? '',
        cseq: cseqNumber(req.get('CSeq')) ?? 0,
        headers: headerList(req),
      };
      this.deliver((h) => h.onRefer(refer, reply));
    });
    // With a listener srf no longer answers NOTIFY itself: the call layer always replies.
    dialog.on('notify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      this.counters.requestIn('NOTIFY');
      const reply = this.replyTo('NOTIFY', res);
      const notify: InboundNotify = {
        event: req.get('Event'),
        subscriptionState: req.get('Subscription-State'),
        contentType: req.get('Content-Type'),
        body: typeof req.body === 'string' ? req.body : '',
      };
      this.deliver((h) => h.onNotify(notify, reply));
    });
  }

  get remoteSdp(): string | undefined {
    const sdp = this.dialog.remote.sdp;
    return sdp === '' ? undefined : sdp;
  }

  setHandlers(handlers: DialogHandlers): void {
    this.handlers = handlers;
    const held = this.held;
    this.held = [];
    for (const event of held) event(handlers);
  }

  reinvite(sdp: string | undefined): Promise<string | undefined> {
    this.counters.requestOut('INVITE');
    return new Promise((resolve, reject) => {
      const done = (err: unknown, answer?: unknown): void => {
        if (err) {
          const status = sipStatusOf(err);
          if (status !== undefined) {
            this.counters.responseIn('INVITE', status);
            reject(new DialogRequestError('re-INVITE', status, reasonOf(err)));
          } else {
            reject(asError(err));
          }
          return;
        }
        this.counters.responseIn('INVITE', 200);
        resolve(typeof answer === 'string' && answer !== '' ? answer : undefined);
      };
      // srf's modify() takes the SDP to offer; a re-INVITE without SDP (RFC 3261 §14.1 allows it)
      // would make srf expect the application to ACK, which a pass-through cannot do.
      this.dialog.modify(
        sdp ?? this.dialog.local.sdp,
        { noAck: false },
        done as (err: unknown, res: Srf.SrfResponse) => void,
      );
    });
  }

  request(request: InDialogRequest): Promise<InDialogAnswer> {
    if (this.ended) return Promise.reject(new Error(`${request.method} on an ended dialog`));
    this.counters.requestOut(request.method);
    return new Promise((resolve, reject) => {
      const opts = {
        method: request.method,
        headers: Object.fromEntries(request.headers),
        ...(request.body !== undefined && { body: request.body }),
        ...(request.auth !== undefined && { auth: { ...request.auth } }),
      };
      dialogCalls(this.dialog).request(opts, (err, res) => {
        if (err) {
          reject(asError(err));
          return;
        }
        this.counters.responseIn(request.method, res.status);
        resolve({ status: res.status, reason: res.reason, cseq: cseqNumber(res.get('CSeq')) });
      });
    });
  }

  hangup(headers?: Readonly<Record<string, string>>): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    this.counters.requestOut('BYE');
    return new Promise((resolve, reject) => {
      this.dialog.destroy(headers === undefined ? undefined : { headers: { ...headers } }, (err: unknown) => {
        if (err) reject(asError(err));
        else resolve();
      });
    });
  }

  private deliver(event: HeldEvent): void {
    if (this.handlers !== undefined) event(this.handlers);
    else this.held.push(event);
  }

  private replyTo(method: string, res: Srf.SrfResponse, okStatus = 200): RequestReply {
    return {
      accept: (sdp) => {
        this.counters.responseOut(method, okStatus);
        if (sdp === undefined) res.send(okStatus);
        else res.send(200, { body: sdp, headers: { 'Content-Type': 'application/sdp' } });
      },
      reject: (answer: SipAnswer) => {
        this.counters.responseOut(method, answer.status);
        if (answer.reason === undefined) res.send(answer.status);
        else res.send(answer.status, answer.reason, {});
      },
    };
  }
}

/** The status a drachtio-srf `SipError` carries, if `err` is one. */
export function sipStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) return undefined;
  const status = err.status;
  return typeof status === 'number' && status >= 300 && status <= 699 ? status : undefined;
}

/** drachtio-srf calls back with Error objects and, now and then, with plain values. */
export function asError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}

function reasonOf(err: unknown): string {
  const reason = (err as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : '';
}

/** The number of a CSeq value (`2 REFER` → 2). */
export function cseqNumber(value: string | undefined): number | undefined {
  const m = /^\s*([0-9]{1,10})\s/.exec(value ?? '');
  return m === null ? undefined : Number(m[1]);
}

/** Every header of a request with a string value, names as drachtio-srf keeps them. */
function headerList(msg: Srf.SrfRequest): Array<readonly [string, string]> {
  return Object.entries(msg.headers ?? {}).flatMap(([name, value]) =>
    typeof value === 'string' ? [[name, value] as const] : [],
  );
}

/** The `X-…` headers of a message (names as drachtio-srf keeps them: X- names keep their case). */
function xHeaders(msg: Srf.SrfRequest | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = msg?.headers;
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (/^x-/i.test(name) && typeof value === 'string') out[name] = value;
  }
  return out;
}
