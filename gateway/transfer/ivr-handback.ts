/**
 * Mode `ivr`: hand the caller back to the IVR that sent it, with the target's transfer tags as
 * headers so the IVR can count containment. By BYE (the default): the caller's leg is ended with
 * the tags on the BYE, and the IVR carries on with its own call. By REFER: as mode `refer`, the
 * tags on the REFER (or in its Refer-To).
 */
import { blindRefer } from './blind-refer.js';
import {
  inertHandle,
  type AttemptContext,
  type AttemptHandle,
  type TransferStrategy,
} from './transfer-strategy.js';

export const ivrHandback: TransferStrategy = {
  start(ctx: AttemptContext): AttemptHandle {
    if (ctx.request.target.method === 'refer') return blindRefer.start(ctx);
    // The BYE goes out first: a REFER-triggered hand-back then tells the AI agent (final NOTIFY)
    // and releases its leg, and by then the IVR already has the tags.
    ctx.call.byeCaller(Object.fromEntries(ctx.request.headers)).then(
      () => undefined,
      (err: unknown) => ctx.log.warn({ err }, 'hand-back BYE failed'),
    );
    ctx.report({ type: 'answered', status: 200 });
    return inertHandle();
  },
};
