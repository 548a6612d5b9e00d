/**
 * Mode `refer` (and an IVR hand-back by REFER): Baton sends REFER on the caller's leg (RFC 3515)
 * with Refer-To (headers and UUI embedded when configured, RFC 3261 §19.1.5) and Referred-By
 * (RFC 3892), then follows the implicit subscription's NOTIFYs: 1xx sipfrag is progress, the
 * first final status decides (RFC 3515 §2.4.5). A challenge (401/407) is answered with the
 * trunk's credentials by the SIP layer and the REFER sent again. The caller's leg stays up
 * whatever happens until the session machine decides (RFC 5589 §6: a transferor keeps its
 * dialog until the final NOTIFY, so a failed transfer can be recovered).
 */
import type { InboundNotify, InDialogAnswer, RequestReply } from '../call/ports.js';
import { buildReferredBy } from './refer-headers.js';
import { readReferNotify } from './sipfrag.js';
import {
  inertHandle,
  type AttemptContext,
  type AttemptHandle,
  type TransferStrategy,
} from './transfer-strategy.js';
import { failureFromStatus, TransferFailure, type Header } from './transfer-types.js';

export const blindRefer: TransferStrategy = {
  start(ctx: AttemptContext): AttemptHandle {
    const { request } = ctx;
    const referredBy = buildReferredBy({
      uri: ctx.parties.called.uri,
      ...(ctx.parties.called.displayName !== undefined && { displayName: ctx.parties.called.displayName }),
    });
    if (request.referTo === undefined || !referredBy.ok) {
      ctx.report({ type: 'failed', failure: new TransferFailure('bad-target') });
      return inertHandle();
    }
    return new ReferAttempt(ctx, [
      ['Refer-To', request.referTo],
      ['Referred-By', referredBy.value],
      ...request.headers,
    ]);
  },
};

class ReferAttempt implements AttemptHandle {
  private readonly ctx: AttemptContext;
  /** The CSeq of the REFER once answered 2xx: the `id` its NOTIFYs carry (RFC 3515 §2.4.6). */
  private referCseq: number | undefined;
  /** NOTIFYs that overtook the REFER's answer (RFC 6665 §4.1.2.4 allows it), read once it comes. */
  private held: Array<{ notify: InboundNotify; reply: RequestReply }> = [];
  private refused = false;

  constructor(ctx: AttemptContext, headers: readonly Header[]) {
    this.ctx = ctx;
    ctx.call
      .referCaller({ method: 'REFER', headers, ...(ctx.auth !== undefined && { auth: ctx.auth }) })
      .then(
        (answer) => this.answered(answer),
        (err: unknown) => {
          ctx.log.info({ err }, 'REFER could not be sent');
          this.refuse();
          ctx.report({ type: 'failed', failure: new TransferFailure('unavailable', { cause: err }) });
        },
      );
  }

  cancel(): void {
    // RFC 3515 defines no way to withdraw a REFER; the session machine never asks.
  }

  bridge(): void {
    this.ctx.report({ type: 'failed', failure: new TransferFailure('internal') });
  }

  onCallerNotify(notify: InboundNotify, reply: RequestReply): void {
    if (this.referCseq === undefined && !this.refused) {
      this.held.push({ notify, reply });
      return;
    }
    if (this.referCseq === undefined) {
      reply.reject({ status: 481, reason: 'Subscription Does Not Exist' });
      return;
    }
    // The first REFER of the dialog as far as this attempt knows: a NOTIFY without `id` is its.
    const read = readReferNotify(notify, { referCseq: this.referCseq, firstInDialog: true });
    if (!read.ok) {
      this.ctx.log.info({ problem: read.problem, status: read.answer.status }, 'NOTIFY refused');
      reply.reject(read.answer);
      return;
    }
    reply.accept(undefined);
    const { progress } = read;
    if (progress.status === undefined) {
      // A subscription ended without a status says nothing of the outcome: the carrier's BYE or
      // the NOTIFY timer decides.
      this.ctx.log.info({ reason: progress.terminationReason }, 'REFER subscription ended without a sipfrag');
      return;
    }
    this.ctx.log.info({ status: progress.status, reason: progress.reason }, 'REFER progress');
    if (progress.status < 200) {
      this.ctx.report({ type: 'progress', status: progress.status, reason: progress.reason });
      return;
    }
    const failure = failureFromStatus(progress.status, 'notify', progress.reason);
    this.ctx.report(
      failure === undefined ? { type: 'answered', status: progress.status } : { type: 'failed', failure },
    );
  }

  private answered(answer: InDialogAnswer): void {
    this.ctx.log.info({ status: answer.status, reason: answer.reason }, 'REFER answered');
    if (answer.status >= 200 && answer.status < 300) {
      this.referCseq = answer.cseq ?? 0;
      this.ctx.report({ type: 'refer-accepted' });
      const held = this.held;
      this.held = [];
      for (const h of held) this.onCallerNotify(h.notify, h.reply);
      return;
    }
    this.refuse();
    const failure =
      failureFromStatus(answer.status, 'refer', answer.reason) ??
      new TransferFailure('other', { status: answer.status, reason: answer.reason, phase: 'refer' });
    this.ctx.report({ type: 'failed', failure });
  }

  private refuse(): void {
    this.refused = true;
    const held = this.held;
    this.held = [];
    for (const h of held) h.reply.reject({ status: 481, reason: 'Subscription Does Not Exist' });
  }
}
