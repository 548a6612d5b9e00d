/**
 * RFC 3261 transaction timers (Appendix A, "Table of Timer Values") and the two added by
 * RFC 6026 §8.11 (Timers L and M), derived from the three base values T1/T2/T4.
 *
 * Deriving everything from T1/T2/T4 keeps one knob per RFC concept: a test or an operator who
 * shrinks T1 shrinks every timeout that is a multiple of it, as the RFC intends.
 * Pure: no clock, no scheduling (the transactions schedule through the injected `Clock`).
 */
import type { TimerSettings } from './transaction-types.js';
import { TransactionError } from './transaction-error.js';

/** Every timer a transaction may run, in milliseconds, for one kind of transport. */
export interface TransactionTimers {
  readonly T1: number;
  readonly T2: number;
  readonly T4: number;
  /** Whether requests (Timers A, E) and INVITE final responses (Timer G) are retransmitted: unreliable transports only (§17.1.1.2, §17.1.2.2, §17.2.1). */
  readonly retransmit: boolean;
  /** INVITE request retransmit interval, initially T1, doubling each time (Appendix A: "initially T1", §17.1.1.2). */
  readonly A: number;
  /** INVITE transaction timeout: 64·T1 (Appendix A, §17.1.1.2). */
  readonly B: number;
  /** Proxy INVITE transaction timeout, "> 3 min" (Appendix A, §16.6 step 11). Not used by a UA; listed for completeness. */
  readonly C: number;
  /** Wait time for response retransmits: "> 32 s for UDP, 0 s for TCP/SCTP" (Appendix A, §17.1.1.2). */
  readonly D: number;
  /** non-INVITE request retransmit interval, initially T1, doubling up to T2 (Appendix A, §17.1.2.2). */
  readonly E: number;
  /** non-INVITE transaction timeout: 64·T1 (Appendix A, §17.1.2.2). */
  readonly F: number;
  /** INVITE final-response retransmit interval, initially T1, doubling up to T2 (Appendix A, §17.2.1). */
  readonly G: number;
  /** Wait time for ACK receipt: 64·T1 (Appendix A, §17.2.1). */
  readonly H: number;
  /** Wait time for ACK retransmits: T4 for UDP, 0 s for TCP/SCTP (Appendix A, §17.2.1). */
  readonly I: number;
  /** Wait time for non-INVITE request retransmits: 64·T1 for UDP, 0 s for TCP/SCTP (Appendix A, §17.2.2). */
  readonly J: number;
  /** Wait time for response retransmits: T4 for UDP, 0 s for TCP/SCTP (Appendix A, §17.1.2.2). */
  readonly K: number;
  /** Wait time for accepted INVITE request retransmits: 64·T1 (RFC 6026 §8.11, server Accepted state). */
  readonly L: number;
  /** Wait time for retransmission of 2xx to INVITE or additional 2xx from other branches: 64·T1 (RFC 6026 §8.11, client Accepted state). */
  readonly M: number;
}

/**
 * Timer D is "at least 32 seconds" (§17.1.1.2) rather than a multiple of our T1: it covers the
 * *peer's* Timer H window (64·T1 at the peer's default T1 of 500 ms), and the peer's T1 does not
 * shrink because ours did.
 */
export const TIMER_D_UNRELIABLE_MS = 32_000;

/** Timer C, "> 3 min" (Appendix A). */
export const TIMER_C_MS = 180_000;

/**
 * Derive every transaction timer for one transport kind.
 * @param reliable true for TCP (no retransmissions; D, I, J, K are zero), false for UDP.
 * @throws TransactionError `invalid-timer-settings` when T1/T2/T4 are not positive or T2 < T1.
 */
export function deriveTimers(settings: TimerSettings, reliable: boolean): TransactionTimers {
  const { T1, T2, T4 } = settings;
  if (!(T1 > 0) || !(T2 >= T1) || !(T4 > 0) || ![T1, T2, T4].every(Number.isFinite)) {
    throw new TransactionError(
      'invalid-timer-settings',
      `Timer settings need 0 < T1 <= T2 and T4 > 0 (got T1=${T1}, T2=${T2}, T4=${T4})`,
    );
  }
  const sixtyFourT1 = 64 * T1;
  return Object.freeze({
    T1,
    T2,
    T4,
    retransmit: !reliable,
    A: T1,
    B: sixtyFourT1,
    C: TIMER_C_MS,
    D: reliable ? 0 : TIMER_D_UNRELIABLE_MS,
    E: T1,
    F: sixtyFourT1,
    G: T1,
    H: sixtyFourT1,
    I: reliable ? 0 : T4,
    J: reliable ? 0 : sixtyFourT1,
    K: reliable ? 0 : T4,
    L: sixtyFourT1,
    M: sixtyFourT1,
  });
}

/** Next Timer A interval: INVITE requests back off by doubling without a cap (§17.1.1.2). */
export function nextInviteRequestInterval(current: number): number {
  return current * 2;
}

/**
 * Next Timer E / Timer G interval: doubling, capped at T2 (§17.1.2.2 "MIN(2*T1, T2)" …,
 * §17.2.1 "min(2*T1, T2)" …).
 */
export function nextCappedInterval(current: number, T2: number): number {
  return Math.min(current * 2, T2);
}
