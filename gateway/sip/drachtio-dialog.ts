/**
 * {@link DialogPort} over a drachtio-srf `Dialog` (either side: a caller's UAS dialog or an
 * agent's UAC dialog). Owns the mechanics: listening for BYE, re-INVITE and REFER, sending
 * re-INVITE and BYE, and counting that traffic. Events that arrive before the call layer has set
 * its handlers are held and delivered when it does, so nothing is lost between the 200 and the
 * first turn of the event loop.
 */
import type Srf from 'drachtio-srf';
import {
  DialogRequestError,
  type DialogEnd,
  type DialogHandlers,
  type DialogPort,
  type RequestReply,
  type SipAnswer,
} from '../call/ports.js';
import type { SipCounters } from './sip-counters.js';

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
      const reply = this.replyTo('REFER', res);
      this.deliver((h) => h.onRefer(req.get('Refer-To') ?? '', reply));
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

  hangup(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    this.counters.requestOut('BYE');
    return new Promise((resolve, reject) => {
      this.dialog.destroy(undefined, (err: unknown) => {
        if (err) reject(asError(err));
        else resolve();
      });
    });
  }

  private deliver(event: HeldEvent): void {
    if (this.handlers !== undefined) event(this.handlers);
    else this.held.push(event);
  }

  private replyTo(method: string, res: Srf.SrfResponse): RequestReply {
    return {
      accept: (sdp) => {
        this.counters.responseOut(method, 200);
        if (sdp === undefined) res.send(200);
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
