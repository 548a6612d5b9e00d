/**
 * A transfer session's timers: the named waits the session machine arms and clears
 * (`ring`, `notify`, `refer-bye-grace`, durations from `transfer.*`), and the one that runs while
 * the fallback prompt plays. All go through the injected clock; each reports its expiry as the
 * session event it stands for.
 */
import type { Clock, TimerHandle } from '../call/ports.js';
import type { TransferTimerSettings } from './transfer-host.js';
import type { TransferSessionEvent, TransferTimer } from './transfer-session-state.js';

/** What an expiry reports to the session. */
export type TimerEvent = Extract<TransferSessionEvent, { type: 'timer' | 'prompt-done' }>;

export class TransferTimers {
  private readonly clock: Clock;
  private readonly settings: TransferTimerSettings;
  private readonly fire: (event: TimerEvent) => void;
  private readonly running: Partial<Record<TransferTimer, TimerHandle>> = {};
  /** Runs while the fallback prompt plays: its end is the prompt's end. */
  private prompt: TimerHandle | undefined;

  constructor(clock: Clock, settings: TransferTimerSettings, fire: (event: TimerEvent) => void) {
    this.clock = clock;
    this.settings = settings;
    this.fire = fire;
  }

  /** (Re)arm a named timer: a running one is cleared first. */
  start(timer: TransferTimer): void {
    this.clear(timer);
    const ms =
      timer === 'ring'
        ? this.settings.ringTimeoutMs
        : timer === 'notify'
          ? this.settings.notifyTimeoutMs
          : this.settings.referByeGraceMs;
    this.running[timer] = this.clock.setTimer(() => {
      delete this.running[timer];
      this.fire({ type: 'timer', timer });
    }, ms);
  }

  clear(timer: TransferTimer): void {
    const handle = this.running[timer];
    if (handle === undefined) return;
    this.clock.clearTimer(handle);
    delete this.running[timer];
  }

  /** Report `prompt-done` once the prompt has played for `durationMs`. */
  startPrompt(durationMs: number): void {
    this.prompt = this.clock.setTimer(() => {
      this.prompt = undefined;
      this.fire({ type: 'prompt-done' });
    }, durationMs);
  }

  /** The session is over: nothing it armed may fire any more. */
  clearAll(): void {
    for (const timer of Object.keys(this.running) as TransferTimer[]) this.clear(timer);
    if (this.prompt !== undefined) {
      this.clock.clearTimer(this.prompt);
      this.prompt = undefined;
    }
  }
}
