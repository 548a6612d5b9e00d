/**
 * The serialised entry point every transaction state machine shares: `handle(input)` runs one
 * input to completion before the next. An input raised while another is being handled (a TU
 * callback that calls back into the same transaction, e.g. `cancel()` from inside `onResponse`)
 * is queued and handled right after, so a step never observes a half-made transition.
 *
 * A step that throws (normally a TU callback) is reported through `onStepError` and does not stop
 * the inputs queued behind it: transactions are driven from socket and timer callbacks, where an
 * escaping exception would take the process down.
 */
export abstract class SerialMachine<I> {
  private busy = false;
  private backlog: I[] | undefined;

  /** Apply one input: transition first, then effects, TU callbacks last. */
  protected abstract step(input: I): void;

  protected abstract onStepError(err: unknown, input: I): void;

  handle(input: I): void {
    if (this.busy) {
      (this.backlog ??= []).push(input);
      return;
    }
    this.busy = true;
    try {
      this.safeStep(input);
      let next: I | undefined;
      while (this.backlog !== undefined && (next = this.backlog.shift()) !== undefined) this.safeStep(next);
    } finally {
      this.busy = false;
    }
  }

  private safeStep(input: I): void {
    try {
      this.step(input);
    } catch (err) {
      this.onStepError(err, input);
    }
  }
}

/** Exhaustiveness guard for `switch` statements over input and state unions. */
export function unreachable(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
