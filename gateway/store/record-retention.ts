/**
 * Retention of ended records (`store.retainEndedDays`): the store keeps what it is given until
 * {@link Store.purgeEnded} removes it, so this timer does that once at start and then every
 * `store.purgeIntervalMinutes`. Calls and transfers in progress are never touched (the store only
 * deletes records with an end time).
 *
 * One purge at a time: the next one is scheduled when the last has finished, so a slow store
 * cannot pile purges up. A failed purge is logged and tried again at the next interval; the store
 * never holds up SIP.
 */
import type { Clock, TimerHandle } from '../call/ports.js';
import type { Logger } from '../observability/logger.js';
import type { PurgeResult, Store } from './store-port.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RecordRetentionOptions {
  readonly store: Pick<Store, 'purgeEnded'>;
  /** `store.retainEndedDays`: records that ended longer ago than this are deleted. */
  readonly retainEndedDays: number;
  /** `store.purgeIntervalMinutes`, in milliseconds: the purge timer's period. */
  readonly purgeIntervalMs: number;
  /** Schedules the purge timer. */
  readonly clock: Pick<Clock, 'setTimer' | 'clearTimer'>;
  /**
   * Wall-clock time, for the cut-off: records carry wall-clock end times, which the monotonic
   * `Clock.now` cannot be compared with.
   */
  readonly wallClock?: () => Date;
  readonly logger: Logger;
}

export class RecordRetention {
  private readonly opts: RecordRetentionOptions;
  private readonly wallClock: () => Date;
  private readonly log: Logger;
  /** The purge timer, while one is scheduled. */
  private purgeTimer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(opts: RecordRetentionOptions) {
    if (!Number.isInteger(opts.retainEndedDays) || opts.retainEndedDays < 1) {
      throw new RangeError(
        `RecordRetention: retainEndedDays must be a positive integer, not ${opts.retainEndedDays}`,
      );
    }
    if (!(opts.purgeIntervalMs > 0)) {
      throw new RangeError(`RecordRetention: purgeIntervalMs must be > 0, not ${opts.purgeIntervalMs}`);
    }
    this.opts = opts;
    this.wallClock = opts.wallClock ?? (() => new Date());
    this.log = opts.logger.child({ component: 'retention' });
  }

  /** Purge now, then every interval until {@link stop}. Calling it when started does nothing. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  /** Cancel the timer; resolves when a purge in progress has finished (before the store closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.purgeTimer !== undefined) {
      this.opts.clock.clearTimer(this.purgeTimer);
      this.purgeTimer = undefined;
    }
    await this.running;
  }

  /**
   * Delete what ended more than `retainEndedDays` ago.
   * @returns what was deleted, or undefined when the store failed (logged)
   */
  async purgeNow(): Promise<PurgeResult | undefined> {
    const olderThan = new Date(this.wallClock().getTime() - this.opts.retainEndedDays * DAY_MS);
    try {
      const purged = await this.opts.store.purgeEnded(olderThan);
      if (purged.calls > 0 || purged.transferSessions > 0) {
        this.log.info({ ...purged, olderThan: olderThan.toISOString() }, 'purged ended records');
      }
      return purged;
    } catch (err) {
      this.log.warn({ err }, 'purging ended records failed; trying again at the next interval');
      return undefined;
    }
  }

  private run(): void {
    const running = this.purgeNow().then(() => {
      this.running = undefined;
      if (this.stopped) return;
      this.purgeTimer = this.opts.clock.setTimer(() => {
        this.purgeTimer = undefined;
        this.run();
      }, this.opts.purgeIntervalMs);
    });
    this.running = running;
  }
}
