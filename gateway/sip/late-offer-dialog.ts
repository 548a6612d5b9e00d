/**
 * The agent's leg of a late-offer call (RFC 3261 §13.2.1: Baton's INVITE had no SDP because the
 * caller's had none). The agent's 200 carries the offer; the dialog is confirmed only by the ACK
 * that carries the answer, which comes from the caller's ACK. drachtio-srf's `createUAC` with
 * `noAck` returns that half-made dialog as `{ sdp, ack, destroy }`; this adapter makes it a
 * {@link DialogPort} that becomes a {@link DrachtioDialog} once ACKed.
 */
import type Srf from 'drachtio-srf';
import {
  DialogRequestError,
  type DialogHandlers,
  type DialogPort,
  type InDialogAnswer,
  type InDialogRequest,
  type PendingAck,
} from '../call/ports.js';
import { DrachtioDialog } from './drachtio-dialog.js';
import type { SipCounters } from './sip-counters.js';

/** What `createUAC({ noAck: true })` resolves with when the 200 carries an offer. */
export interface UnackedAnswer {
  sdp: string;
  res: Srf.SrfResponse;
  ack(sdp: string | undefined): Promise<Srf.Dialog>;
  /** ACK (with the far end's own SDP) and BYE, for a call abandoned before the answer came. */
  destroy(): Promise<void>;
}

export function isUnackedAnswer(value: unknown): value is UnackedAnswer {
  return (
    typeof value === 'object' && value !== null && 'ack' in value && 'destroy' in value && 'sdp' in value
  );
}

export class LateOfferDialog implements DialogPort, PendingAck {
  readonly sipCallId: string;
  private readonly pending: UnackedAnswer;
  private readonly counters: SipCounters;
  private confirmed: DrachtioDialog | undefined;
  private handlers: DialogHandlers | undefined;
  private ended = false;

  constructor(pending: UnackedAnswer, counters: SipCounters) {
    this.pending = pending;
    this.counters = counters;
    this.sipCallId = pending.res.get('Call-ID');
  }

  get remoteSdp(): string | undefined {
    return this.confirmed?.remoteSdp ?? this.pending.sdp;
  }

  setHandlers(handlers: DialogHandlers): void {
    this.handlers = handlers;
    this.confirmed?.setHandlers(handlers);
  }

  async ack(sdp: string | undefined): Promise<void> {
    if (this.ended) return;
    this.counters.requestOut('ACK');
    const dialog = new DrachtioDialog(await this.pending.ack(sdp), this.counters);
    this.confirmed = dialog;
    if (this.handlers !== undefined) dialog.setHandlers(this.handlers);
    // The call ended while the ACK was on its way: release the dialog it confirmed.
    if (this.ended) await dialog.hangup();
  }

  reinvite(sdp: string | undefined): Promise<string | undefined> {
    // RFC 3261 §14.1: no re-INVITE before the INVITE transaction is complete.
    if (this.confirmed === undefined)
      return Promise.reject(new DialogRequestError('re-INVITE', 491, 'Request Pending'));
    return this.confirmed.reinvite(sdp);
  }

  request(request: InDialogRequest): Promise<InDialogAnswer> {
    // RFC 3261 §12.2.1.1 needs a confirmed dialog; before the ACK there is none to send in.
    if (this.confirmed === undefined)
      return Promise.reject(new DialogRequestError(request.method, 491, 'Request Pending'));
    return this.confirmed.request(request);
  }

  hangup(headers?: Readonly<Record<string, string>>): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    if (this.confirmed !== undefined) return this.confirmed.hangup(headers);
    this.counters.requestOut('BYE');
    return this.pending.destroy();
  }
}
