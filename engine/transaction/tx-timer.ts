/**
 * One named transaction timer slot (Timer A, Timer B, …) scheduled through the injected `Clock`.
 * The callback is bound once per slot, so re-arming a retransmission timer allocates no closure.
 */
import type { Clock, TimerHandle } from './transaction-types.js';

export class TxTimer {
  private handle: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
  ) {}

  /** (Re)start the timer: a running one is cancelled first. */
  start(ms: number): void {
    this.stop();
    this.handle = this.clock.setTimer(this.onFire, ms);
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimer(this.handle);
    this.handle = undefined;
  }

  get running(): boolean {
    return this.handle !== undefined;
  }

  private readonly onFire = (): void => {
    this.handle = undefined;
    this.fire();
  };
}
