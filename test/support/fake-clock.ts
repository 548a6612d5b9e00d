/**
 * A manual `Clock` for engine tests: nothing fires until `advance(ms)`, which runs due timers in
 * time order (ties in the order they were set), moving `now()` to each one's due time so that
 * timers set from a callback are scheduled relative to the right instant.
 */
import type { Clock, TimerHandle } from '../../engine/transaction/transaction-types.js';

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private current = 0;
  private seq = 0;
  private readonly timers = new Map<number, Scheduled>();

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.current + Math.max(0, ms), seq: id, fn });
    return id as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as unknown as number);
  }

  now(): number {
    return this.current;
  }

  /** Number of timers still scheduled. */
  get pending(): number {
    return this.timers.size;
  }

  /** Milliseconds until the next timer fires, or undefined when none is scheduled. */
  nextDueIn(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers.values()) if (next === undefined || t.at < next) next = t.at;
    return next === undefined ? undefined : next - this.current;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let due: [number, Scheduled] | undefined;
      for (const entry of this.timers) {
        const t = entry[1];
        if (t.at > end) continue;
        if (!due || t.at < due[1].at || (t.at === due[1].at && t.seq < due[1].seq)) due = entry;
      }
      if (!due) break;
      this.timers.delete(due[0]);
      this.current = due[1].at;
      due[1].fn();
    }
    this.current = end;
  }
}
