/**
 * non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
 *
 *                       | start (request from TU)
 *                       | request sent; Timer F = 64·T1; UDP: Timer E = T1
 *     Timer E           V
 *     send request +---------+  Timer F or transport error: inform TU
 *     E = min(2E,T2)|         |------------------------------------+
 *          +------->| Trying  |                                    |
 *          +--------|         |-------------+ 200-699: resp. to TU |
 *                   +---------+             | Timer K (T4 / TCP 0) |
 *                       | 1xx: resp. to TU  |                      |
 *     Timer E           V                   |                      |
 *     send request +-----------+            |                      |
 *     E = T2       |           |------------+                      |
 *          +------>| Proceeding|------------+----------------------+
 *          +-------|           | 1xx: resp. |  Timer F / error     |
 *                  +-----------+   to TU    V                      |
 *                                     +-----------+                |
 *                    200-699 absorbed | Completed |                |
 *                                     +-----------+                |
 *                                           | Timer K              |
 *                                           V                      |
 *                                     +------------+               |
 *                                     | Terminated |<--------------+
 *                                     +------------+
 *
 * A CANCEL built by the INVITE client transaction is created in the extra state `unsent` and
 * started only once the INVITE saw a provisional (§9.1); if it never is, it is abandoned.
 */
import type { SipMessage } from '../sip/message.js';
import type { InboundMessage } from '../transport/transport-types.js';
import { ClientTransactionBase, type ClientTransactionInit } from './client-transaction-base.js';
import { unreachable } from './serial-machine.js';
import { nextCappedInterval } from './timers.js';
import type { ClientTransactionEnv } from './transaction-env.js';
import { TransactionError } from './transaction-error.js';
import { TxTimer } from './tx-timer.js';

export type NonInviteClientState = 'unsent' | 'trying' | 'proceeding' | 'completed' | 'terminated';

export type NonInviteClientInput =
  | { kind: 'start' }
  | { kind: 'abandon'; reason: TransactionError }
  | { kind: 'response'; res: SipMessage; inbound: InboundMessage }
  | { kind: 'timer-e' }
  | { kind: 'timer-f' }
  | { kind: 'timer-k' }
  | { kind: 'transport-error'; err: Error };

const START: NonInviteClientInput = { kind: 'start' };
const TIMER_E: NonInviteClientInput = { kind: 'timer-e' };
const TIMER_F: NonInviteClientInput = { kind: 'timer-f' };
const TIMER_K: NonInviteClientInput = { kind: 'timer-k' };

export class NonInviteClientTransaction extends ClientTransactionBase<NonInviteClientInput> {
  private current: NonInviteClientState = 'unsent';
  /** Current Timer E interval. */
  private intervalE: number;
  private readonly timerE: TxTimer;
  private readonly timerF: TxTimer;
  private readonly timerK: TxTimer;

  constructor(init: ClientTransactionInit, env: ClientTransactionEnv) {
    super(init, env);
    this.intervalE = this.timers.E;
    this.timerE = new TxTimer(env.clock, () => this.handle(TIMER_E));
    this.timerF = new TxTimer(env.clock, () => this.handle(TIMER_F));
    this.timerK = new TxTimer(env.clock, () => this.handle(TIMER_K));
  }

  get state(): NonInviteClientState {
    return this.current;
  }

  receiveResponse(res: SipMessage, inbound: InboundMessage): void {
    this.handle({ kind: 'response', res, inbound });
  }

  /** Drop a transaction that was never started (a CANCEL overtaken by the INVITE's final response). */
  abandon(reason: TransactionError): void {
    this.handle({ kind: 'abandon', reason });
  }

  protected startInput(): NonInviteClientInput {
    return START;
  }

  protected transportErrorInput(err: Error): NonInviteClientInput {
    return { kind: 'transport-error', err };
  }

  protected stopTimers(): void {
    this.timerE.stop();
    this.timerF.stop();
    this.timerK.stop();
  }

  protected step(input: NonInviteClientInput): void {
    switch (input.kind) {
      case 'start':
        if (this.current !== 'unsent') return;
        this.current = 'trying';
        this.transmitFirst();
        // §17.1.2.2: Timer E only over unreliable transports; Timer F always.
        if (this.timers.retransmit) this.timerE.start(this.intervalE);
        this.timerF.start(this.timers.F);
        return;
      case 'abandon':
        if (this.current !== 'unsent') return;
        this.current = 'terminated';
        this.failSent(input.reason);
        return;
      case 'response':
        this.onResponse(input.res, input.inbound);
        return;
      case 'timer-e':
        if (this.current !== 'trying' && this.current !== 'proceeding') return;
        this.retransmit();
        // §17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2.
        this.intervalE =
          this.current === 'trying' ? nextCappedInterval(this.intervalE, this.timers.T2) : this.timers.T2;
        this.timerE.start(this.intervalE);
        return;
      case 'timer-f':
        if (this.current !== 'trying' && this.current !== 'proceeding') return;
        this.enterTerminated();
        this.handlers.onTimeout();
        return;
      case 'timer-k':
        if (this.current === 'completed') this.enterTerminated();
        return;
      case 'transport-error':
        // §17.1.2.2: a transport failure in Trying or Proceeding ends the transaction.
        if (this.current !== 'trying' && this.current !== 'proceeding') return;
        this.enterTerminated();
        this.failSent(input.err);
        this.handlers.onTransportError(input.err);
        return;
      default:
        unreachable(input);
    }
  }

  private onResponse(res: SipMessage, inbound: InboundMessage): void {
    if (this.current !== 'trying' && this.current !== 'proceeding') return; // Completed absorbs retransmissions
    if (res.status < 200) {
      this.current = 'proceeding';
      this.sawProvisional = true;
      this.handlers.onResponse(res, inbound);
      return;
    }
    this.current = 'completed';
    this.sawFinal = true;
    this.timerE.stop();
    this.timerF.stop();
    // §17.1.2.2: Timer K = T4 over UDP, zero over TCP (no response retransmissions to absorb).
    if (this.timers.K === 0) this.enterTerminated();
    else this.timerK.start(this.timers.K);
    this.handlers.onResponse(res, inbound);
  }

  private enterTerminated(): void {
    this.current = 'terminated';
    this.terminate();
  }
}
