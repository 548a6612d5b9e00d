/**
 * Write-behind for call records. A call changes state two or three times within its first
 * second (setup, answered, and for short calls ended); writing each change at once costs one
 * store write per change on the signalling thread. Instead the latest record of each call is
 * kept and written every {@link RECORD_FLUSH_MS}, so a fast setup and answer cost one write.
 * What a crash can lose is bounded by that interval; `flush()` on shutdown loses nothing.
 */
import type { Logger } from '../observability/logger.js';
import type { CallRecord, Store } from '../store/store-port.js';
import type { Clock, TimerHandle } from './ports.js';

/**
 * Longer than a typical call setup (so setup and answer coalesce), short enough that the store
 * never lags what the control API shows by more than a blink.
 */
export const RECORD_FLUSH_MS = 200;

export class CallRecordWriter {
  private readonly store: Pick<Store, 'putCall'>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private pending = new Map<string, CallRecord>();
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(store: Pick<Store, 'putCall'>, clock: Clock, log: Logger) {
    this.store = store;
    this.clock = clock;
    this.log = log;
  }

  /** Queue `record`, replacing any not yet written record of the same call. */
  put(record: CallRecord): void {
    this.pending.set(record.id, record);
    this.timer ??= this.clock.setTimer(() => {
      this.timer = undefined;
      void this.flush();
    }, RECORD_FLUSH_MS);
  }

  /** Write everything queued; resolves when the store has taken it (failures are logged). */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
    const batch = [...this.pending.values()];
    this.pending = new Map();
    // The store never holds up SIP: a failed write is logged and the calls go on.
    const writes = batch.map((r) =>
      this.store
        .putCall(r)
        .catch((err: unknown) => this.log.warn({ err, callId: r.id }, 'call record not stored')),
    );
    this.inFlight = Promise.all([this.inFlight, ...writes]).then(() => undefined);
    return this.inFlight;
  }
}
