/**
 * non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
 *
 *                          | request received: passed to TU (by the layer)
 *                          V
 *  retransmission    +-----------+
 *  absorbed     +----|  Trying   |-------------+
 *               +--->|           |             | 200-699 from TU: send
 *                    +-----------+             |
 *                          | 1xx from TU: send |
 *                          V                   |
 *  retransmission:   +-----------+             |
 *  re-send last 1xx  |           |-------------+
 *  1xx from TU: send | Proceeding|             | 200-699 from TU: send
 *               +----|           |             | Timer J (64·T1 UDP / 0 TCP)
 *               +--->+-----------+             V
 *                          |             +-----------+ retransmission:
 *                          |             | Completed | re-send final
 *                          |             +-----------+
 *                          | transport error   | Timer J
 *                          V                   V
 *                    +-------------------------------+
 *                    |           Terminated          |
 *                    +-------------------------------+
 *
 * Also the transaction of an incoming CANCEL (§9.2: "CANCEL ... is its own transaction").
 */
import type { SipMessage } from '../sip/message.js';
import type { InboundMessage } from '../transport/transport-types.js';
import { unreachable } from './serial-machine.js';
import {
  ServerTransactionBase,
  type RespondInput,
  type ServerTransactionInit,
} from './server-transaction-base.js';
import type { ServerTransactionEnv } from './transaction-env.js';
import type { SentResponse } from './transaction-types.js';
import { TxTimer } from './tx-timer.js';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export type NonInviteServerInput =
  | { kind: 'request'; inbound: InboundMessage }
  | RespondInput
  | { kind: 'timer-j' }
  | { kind: 'transport-error'; err: Error };

const TIMER_J: NonInviteServerInput = { kind: 'timer-j' };

export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerInput> {
  private current: NonInviteServerState = 'trying';
  /** The last response sent, re-sent on request retransmissions. */
  private lastBytes: Buffer | undefined;
  private readonly timerJ: TxTimer;

  constructor(init: ServerTransactionInit, env: ServerTransactionEnv) {
    super(init, env);
    this.timerJ = new TxTimer(env.clock, () => this.handle(TIMER_J));
  }

  get state(): NonInviteServerState {
    return this.current;
  }

  receiveRequest(inbound: InboundMessage): void {
    this.handle({ kind: 'request', inbound });
  }

  protected respondInput(
    res: SipMessage,
    bytes: Buffer,
    resolve: (sent: SentResponse) => void,
    reject: (err: Error) => void,
  ): NonInviteServerInput {
    return { kind: 'respond', res, bytes, resolve, reject };
  }

  protected transportErrorInput(err: Error): NonInviteServerInput {
    return { kind: 'transport-error', err };
  }

  protected stopTimers(): void {
    this.timerJ.stop();
  }

  protected step(input: NonInviteServerInput): void {
    switch (input.kind) {
      case 'request':
        // §17.2.2: absorbed in Trying; in Proceeding and Completed answered with the last response.
        if (this.current !== 'trying' && this.lastBytes) this.resend(this.lastBytes);
        return;
      case 'respond':
        this.onRespond(input);
        return;
      case 'timer-j':
        if (this.current === 'completed') this.enterTerminated();
        return;
      case 'transport-error':
        // §17.2.4: a response that cannot be sent ends the transaction.
        if (this.current !== 'terminated') this.enterTerminated();
        return;
      default:
        unreachable(input);
    }
  }

  private onRespond(input: RespondInput): void {
    if (this.current !== 'trying' && this.current !== 'proceeding') {
      this.refuse(input, this.current);
      return;
    }
    this.status = input.res.status;
    this.lastBytes = input.bytes;
    if (input.res.status < 200) {
      this.current = 'proceeding';
    } else {
      this.current = 'completed';
      this.sentFinal = true;
      // §17.2.2: Timer J = 64·T1 over UDP (absorbs request retransmissions), 0 over TCP.
      if (this.timers.J === 0) this.enterTerminated();
      else this.timerJ.start(this.timers.J);
    }
    this.deliver(input);
  }

  private enterTerminated(): void {
    this.current = 'terminated';
    this.terminate();
  }
}
