/**
 * Admission control for new calls (`limits:`): a cap on calls in progress, a cap on the rate of
 * new calls, and a drain switch for graceful shutdown. A refused INVITE is answered 503 with
 * Retry-After (RFC 3261 §21.5.4, §20.33), which tells a carrier to back off or try another
 * instance rather than fail the call outright.
 *
 * The rate cap is a token bucket: it holds up to `maxCallsPerSecond` tokens, refills at
 * `maxCallsPerSecond` tokens per second, and each admitted call takes one. Sustained load is
 * held to the configured rate while a burst of that size after a quiet spell gets through, which
 * is how carriers actually deliver calls (a sliding-window counter would be stricter over any
 * one-second window, at the price of per-call timestamps). Pure: time comes from the injected
 * clock, nothing is scheduled.
 */
import { DrainingError, OverLimitError, type GatewayError } from '../errors.js';

export interface AdmissionControlOptions {
  /** Most calls in progress at once (`limits.maxCalls`). */
  readonly maxCalls: number;
  /** Sustained new calls per second, and the burst size (`limits.maxCallsPerSecond`). */
  readonly maxCallsPerSecond: number;
  /** Retry-After for every refusal, in seconds (`limits.retryAfterSeconds`). */
  readonly retryAfterSeconds: number;
  readonly clock: { now(): number };
}

/** One call's worth of bucket credit (see `credit`). */
const CALL = 1000;

export type AdmissionRefusalReason = 'max-calls' | 'max-cps' | 'draining';

export interface AdmissionRefused {
  readonly ok: false;
  readonly reason: AdmissionRefusalReason;
  readonly retryAfterSeconds: number;
}

export interface AdmissionGranted {
  readonly ok: true;
  /** The call has ended (or never started): frees its slot. Safe to call more than once. */
  release(): void;
}

export type Admission = AdmissionGranted | AdmissionRefused;

export class AdmissionControl {
  private readonly maxCalls: number;
  private readonly rate: number;
  private readonly capacity: number;
  private readonly retryAfterSeconds: number;
  private readonly clock: { now(): number };
  /**
   * Bucket contents in thousandths of a call, so that refilling by `elapsed ms × calls/s` is
   * exact integer arithmetic with a millisecond clock (0.003 calls/ms is not a binary fraction).
   */
  private credit: number;
  private refilledAt: number;
  private inProgress = 0;
  private isDraining = false;

  constructor(options: AdmissionControlOptions) {
    for (const key of ['maxCalls', 'maxCallsPerSecond', 'retryAfterSeconds'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) {
        throw new RangeError(`AdmissionControl: ${key} must be a positive integer, not ${options[key]}`);
      }
    }
    this.maxCalls = options.maxCalls;
    this.rate = options.maxCallsPerSecond;
    this.capacity = options.maxCallsPerSecond * CALL;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.clock = options.clock;
    // Start full: a freshly started instance may take a burst at once.
    this.credit = this.capacity;
    this.refilledAt = this.clock.now();
  }

  /** Calls admitted and not yet released. */
  get active(): number {
    return this.inProgress;
  }

  get draining(): boolean {
    return this.isDraining;
  }

  /**
   * Admit one new call, or say why not. The checks run cheapest and most final first: a
   * draining instance refuses everything; a full instance refuses without spending a rate
   * token, so calls refused for concurrency do not eat into the rate for later ones.
   */
  tryAdmit(): Admission {
    if (this.isDraining) return this.refuse('draining');
    if (this.inProgress >= this.maxCalls) return this.refuse('max-calls');
    this.refill();
    if (this.credit < CALL) return this.refuse('max-cps');
    this.credit -= CALL;
    this.inProgress += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.inProgress -= 1;
      },
    };
  }

  /** Refuse every new call from now on (SIGTERM); calls already admitted are not affected. */
  startDraining(): void {
    this.isDraining = true;
  }

  private refill(): void {
    const now = this.clock.now();
    // A clock that steps backwards (wall-clock adjustment) must not mint or destroy tokens.
    const elapsed = Math.max(0, now - this.refilledAt);
    this.credit = Math.min(this.capacity, this.credit + elapsed * this.rate);
    this.refilledAt = now;
  }

  private refuse(reason: AdmissionRefusalReason): AdmissionRefused {
    return { ok: false, reason, retryAfterSeconds: this.retryAfterSeconds };
  }
}

/** The gateway error (503 + Retry-After, metrics label) that answers a refused call. */
export function admissionError(refused: AdmissionRefused): GatewayError {
  switch (refused.reason) {
    case 'draining':
      return new DrainingError(refused.retryAfterSeconds);
    case 'max-calls':
      return new OverLimitError('max-calls', refused.retryAfterSeconds);
    case 'max-cps':
      return new OverLimitError('calls-per-second', refused.retryAfterSeconds);
    default: {
      const unreachable: never = refused.reason;
      throw new Error(`unhandled admission refusal ${String(unreachable)}`);
    }
  }
}
