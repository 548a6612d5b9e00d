/**
 * {@link PendingInvitePort} over the caller's INVITE as drachtio-srf hands it to the gateway
 * (`req`, `res`): provisionals, the 200 that opens the caller's dialog (srf `createUAS`), an
 * error answer, and the caller's CANCEL.
 */
import type Srf from 'drachtio-srf';
import type { DialogPort, PendingInvitePort, SipAnswer } from '../call/ports.js';
import { DrachtioDialog } from './drachtio-dialog.js';
import type { SipCounters } from './sip-counters.js';

/** The caller's INVITE ended before the 200 went out (CANCEL won the race, or the send failed). */
export class CallerGoneError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the caller left before the answer was sent', options);
    this.name = 'CallerGoneError';
  }
}

export class CallerInvite implements PendingInvitePort {
  private readonly srf: Srf;
  private readonly req: Srf.SrfRequest;
  private readonly res: Srf.SrfResponse;
  private readonly counters: SipCounters;
  private cancelled = false;
  private cancelHandler: (() => void) | undefined;

  constructor(srf: Srf, req: Srf.SrfRequest, res: Srf.SrfResponse, counters: SipCounters) {
    this.srf = srf;
    this.req = req;
    this.res = res;
    this.counters = counters;
    // Listen from the start: a CANCEL may arrive before the call layer asks for it.
    req.on('cancel', () => {
      this.counters.requestIn('CANCEL');
      this.cancelled = true;
      this.cancelHandler?.();
    });
  }

  onCancel(handler: () => void): void {
    this.cancelHandler = handler;
    if (this.cancelled) handler();
  }

  sendProvisional(status: number, reason: string | undefined, sdp: string | undefined): void {
    if (this.cancelled || this.res.finalResponseSent) return;
    this.counters.responseOut('INVITE', status);
    const opts = sdp === undefined ? {} : { body: sdp, headers: { 'Content-Type': 'application/sdp' } };
    if (reason === undefined) this.res.send(status, opts);
    else this.res.send(status, reason, opts);
  }

  answer(sdp: string, headers: Readonly<Record<string, string>>): Promise<DialogPort> {
    if (this.cancelled) return Promise.reject(new CallerGoneError());
    return new Promise((resolve, reject) => {
      // The callback form: srf calls it synchronously when the 200 is handed to the server, so the
      // dialog's listeners are in place before a BYE could be read.
      this.srf.createUAS(this.req, this.res, { localSdp: sdp, headers: { ...headers } }, (err, dialog) => {
        if (err) {
          reject(new CallerGoneError({ cause: err }));
          return;
        }
        this.counters.responseOut('INVITE', 200);
        resolve(new DrachtioDialog(dialog, this.counters));
      });
    });
  }

  reject(answer: SipAnswer, headers: Readonly<Record<string, string>>): void {
    if (this.cancelled || this.res.finalResponseSent) return;
    this.counters.responseOut('INVITE', answer.status);
    const opts = { headers: { ...headers } };
    if (answer.reason === undefined) this.res.send(answer.status, opts);
    else this.res.send(answer.status, answer.reason, opts);
  }
}
