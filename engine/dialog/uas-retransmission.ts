/**
 * The UAS core's own retransmissions, which the transaction layer does not do for it:
 * a 2xx to INVITE until its ACK (RFC 3261 §13.3.1.4) and reliable provisionals until their PRACK
 * (RFC 3262 §3). Both run on the injected clock from T1/T2, over UDP only (a reliable transport
 * delivers once), and call back when they give up at 64·T1.
 */
import type { Hop } from '../transport/transport-types.js';
import type { CoreContext } from './core-context.js';
import type { Dialog } from './dialog.js';

/** Retransmit the 2xx (T1 doubling to T2) until the ACK stops it; `onTimeout` at 64·T1 (Timer H's span). */
export function startPendingAck(
  ctx: CoreContext,
  d: Dialog,
  cseq: number,
  bytes: Buffer,
  hop: Hop,
  connectionId: string | undefined,
  onTimeout: () => void,
): void {
  ctx.stopPendingAck(d);
  const { T1, T2 } = ctx.timers;
  const pending: NonNullable<Dialog['pendingAck']> = { cseq, bytes, hop, interval: T1 };
  if (connectionId) pending.connectionId = connectionId;
  d.pendingAck = pending;
  const send = connectionId ? { connectionId } : undefined;
  const tick = (): void => {
    if (d.pendingAck !== pending) return;
    ctx.sendRaw(bytes, hop, send);
    pending.interval = Math.min(pending.interval * 2, T2);
    pending.retransmitTimer = ctx.clock.setTimer(tick, pending.interval);
  };
  if (hop.protocol === 'udp') pending.retransmitTimer = ctx.clock.setTimer(tick, T1);
  pending.giveUpTimer = ctx.clock.setTimer(() => {
    if (d.pendingAck !== pending) return;
    ctx.stopPendingAck(d);
    onTimeout();
  }, 64 * T1);
}

/** Retransmit a reliable provisional (T1 doubling) until its PRACK; `onTimeout` at 64·T1. */
export function retransmitReliable(
  ctx: CoreContext,
  d: Dialog,
  rseq: number,
  bytes: Buffer,
  hop: Hop,
  connectionId: string | undefined,
  onTimeout: () => void,
): void {
  const { T1 } = ctx.timers;
  const clock = ctx.clock;
  const state: {
    retransmitTimer?: ReturnType<typeof clock.setTimer>;
    giveUpTimer?: ReturnType<typeof clock.setTimer>;
  } = {};
  d.reliableProvisionals.set(rseq, state);
  const send = connectionId ? { connectionId } : undefined;
  let interval = T1;
  const tick = (): void => {
    if (!d.reliableProvisionals.has(rseq)) return;
    ctx.sendRaw(bytes, hop, send);
    interval *= 2;
    state.retransmitTimer = clock.setTimer(tick, interval);
  };
  if (hop.protocol === 'udp') state.retransmitTimer = clock.setTimer(tick, T1);
  state.giveUpTimer = clock.setTimer(() => {
    if (state.retransmitTimer) clock.clearTimer(state.retransmitTimer);
    if (!d.reliableProvisionals.delete(rseq)) return;
    onTimeout();
  }, 64 * T1);
}
