/**
 * {@link DialerPort} over drachtio-srf `createUAC`: sends an INVITE for a new leg (the AI agent's
 * today, a human's with transfers), reports provisionals, the answer (as a {@link DrachtioDialog})
 * or the failure, and cancels on request (RFC 3261 §9.1).
 */
import type Srf from 'drachtio-srf';
import type { DialerPort, DialEvents, DialFailure, DialRequest, OutgoingInvitePort } from '../call/ports.js';
import { DrachtioDialog, sipStatusOf } from './drachtio-dialog.js';
import { isUnackedAnswer, LateOfferDialog } from './late-offer-dialog.js';
import type { SipCounters } from './sip-counters.js';
import { srfCalls } from './srf-types.js';

export class SrfDialer implements DialerPort {
  private readonly srf: Srf;
  private readonly counters: SipCounters;

  constructor(srf: Srf, counters: SipCounters) {
    this.srf = srf;
    this.counters = counters;
  }

  dial(request: DialRequest, events: DialEvents): OutgoingInvitePort {
    return new OutgoingInvite(this.srf, this.counters, request, events);
  }
}

class OutgoingInvite implements OutgoingInvitePort {
  private sent: Srf.SrfRequest | undefined;
  private cancelWanted = false;
  private finished = false;
  private readonly counters: SipCounters;

  constructor(srf: Srf, counters: SipCounters, request: DialRequest, events: DialEvents) {
    this.counters = counters;
    counters.requestOut('INVITE');
    // Without an offer to send (the caller's INVITE had none), srf must not ACK the agent's 200
    // by itself: its ACK carries the caller's answer, which the call supplies later.
    const opts: Srf.CreateUACOptions = {
      headers: { From: request.from, To: request.to, ...request.headers },
      ...(request.sdp !== undefined ? { localSdp: request.sdp } : { noAck: true }),
      ...(request.auth !== undefined && { auth: { ...request.auth } }),
    };
    srfCalls(srf).createUAC(
      request.uri,
      opts,
      {
        cbRequest: (err: unknown, req: Srf.SrfRequest) => {
          if (err) return;
          this.sent = req;
          // cancel() came before the INVITE was on the wire: CANCEL now that there is one to cancel.
          if (this.cancelWanted) this.sendCancel();
        },
        cbProvisional: (res: Srf.SrfResponse) => {
          this.counters.responseIn('INVITE', res.status);
          if (this.finished) return;
          events.onProvisional(res.status, res.reason, res.body === '' ? undefined : res.body);
        },
      },
      (err: unknown, dialog: unknown) => {
        this.finished = true;
        if (err) {
          const failure = failureOf(err);
          if (failure.kind === 'rejected') this.counters.responseIn('INVITE', failure.status);
          events.onFailed(failure);
          return;
        }
        this.counters.responseIn('INVITE', 200);
        if (isUnackedAnswer(dialog)) {
          const late = new LateOfferDialog(dialog, this.counters);
          events.onAnswered(late, late);
        } else {
          events.onAnswered(new DrachtioDialog(dialog as Srf.Dialog, this.counters));
        }
      },
    );
  }

  cancel(): void {
    if (this.finished || this.cancelWanted) return;
    this.cancelWanted = true;
    if (this.sent !== undefined) this.sendCancel();
  }

  private sendCancel(): void {
    const req = this.sent;
    if (req === undefined || this.finished) return;
    this.counters.requestOut('CANCEL');
    req.cancel(() => undefined);
  }
}

/**
 * A final non-2xx from the far end is a refusal. 408 is the stack's own verdict after Timer B
 * (RFC 3261 §17.1.1.2: no answer at all), and an error without a status is a failure to send
 * (transport error, a 200 without Contact): both mean the far end could not be reached.
 */
function failureOf(err: unknown): DialFailure {
  const status = sipStatusOf(err);
  const raw = (err as { reason?: unknown } | null)?.reason;
  const reason = typeof raw === 'string' ? raw : '';
  if (status !== undefined && status !== 408) return { kind: 'rejected', status, reason };
  if (status !== undefined) return { kind: 'unreachable', detail: `${status} ${reason}`.trim() };
  return { kind: 'unreachable', detail: err instanceof Error ? err.message : String(err) };
}
