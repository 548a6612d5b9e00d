/**
 * Modes `invite` (bridge) and `bye` (INVITE then BYE): Baton dials the target and, once it
 * answers, moves the caller's media to it; the session machine then releases the AI leg. Baton
 * stays in the signalling path (a B2BUA) until either side hangs up. The two modes send the same
 * requests: `bye` names what happens to the AI leg, which both do once the caller is bridged.
 *
 * Offer/answer: the caller's session is already established with the AI agent, so the INVITE to
 * the target carries no SDP (RFC 3261 §13.2.1 late offer). The target's 200 carries its offer; the
 * caller gets it in a re-INVITE and its answer goes back to the target in the ACK (RFC 3264 §5,
 * RFC 3725 §4.1 flow I). No media is anchored: with no media layer the caller hears the AI agent,
 * not ringback, while the target rings (a 180 after the caller's 200 has no meaning, RFC 3261
 * §13.3.1.1).
 */
import { formatNameAddr } from '../call/agent-invite.js';
import type { DialFailure, DialogPort, PendingAck } from '../call/ports.js';
import {
  inertHandle,
  refuseNotify,
  type AttemptContext,
  type AttemptHandle,
  type TransferStrategy,
} from './transfer-strategy.js';
import { failureFromStatus, TransferFailure } from './transfer-types.js';

export const inviteBridge: TransferStrategy = {
  start(ctx: AttemptContext): AttemptHandle {
    const { request } = ctx;
    const uri = request.target.requestUri;
    if (uri === undefined) {
      ctx.report({ type: 'failed', failure: new TransferFailure('bad-target') });
      return inertHandle();
    }
    let answered: { dialog: DialogPort; ack: PendingAck | undefined } | undefined;
    const outgoing = ctx.call.dial(
      {
        uri,
        // The caller's identity, as the target's desktop wants it (a from-transferee caller ID).
        from: formatNameAddr(ctx.parties.caller),
        to: `<${uri}>`,
        // Baton's context headers last: configured headers cannot shadow them.
        headers: { ...Object.fromEntries(request.headers), ...ctx.contextHeaders },
        sdp: undefined,
        ...(ctx.auth !== undefined && { auth: ctx.auth }),
      },
      {
        onProvisional: (status, reason) => ctx.report({ type: 'progress', status, reason }),
        onAnswered: (dialog, ack) => {
          answered = { dialog, ack };
          ctx.call.adoptHuman(dialog);
          ctx.report({ type: 'answered', status: 200 });
        },
        onFailed: (failure) => ctx.report({ type: 'failed', failure: dialFailure(failure) }),
      },
    );
    return {
      cancel: () => outgoing.cancel(),
      bridge: () => {
        if (answered === undefined) {
          ctx.report({ type: 'failed', failure: new TransferFailure('internal') });
          return;
        }
        ctx.call.bridgeCaller(answered.dialog, answered.ack).then(
          () => ctx.report({ type: 'bridged' }),
          (err: unknown) => {
            ctx.log.info({ err }, 'the caller could not be moved to the target');
            const failure =
              err instanceof TransferFailure ? err : new TransferFailure('internal', { cause: err });
            ctx.report({ type: 'failed', failure });
          },
        );
      },
      onCallerNotify: (_notify, reply) => refuseNotify(reply),
    };
  },
};

/**
 * A target that refused (4xx–6xx) fails by its status; one that could not be reached at all
 * (transport error, Timer B, RFC 3261 §17.1.1.2) is unavailable.
 */
function dialFailure(failure: DialFailure): TransferFailure {
  if (failure.kind === 'rejected') {
    return (
      failureFromStatus(failure.status, 'invite', failure.reason) ??
      new TransferFailure('other', { status: failure.status, reason: failure.reason, phase: 'invite' })
    );
  }
  return new TransferFailure('unavailable', { cause: new Error(failure.detail) });
}
