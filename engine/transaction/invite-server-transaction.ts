/**
 * INVITE server transaction (RFC 3261 §17.2.1, Figure 7, as updated by RFC 6026 §7.1 and §8.5–8.7).
 *
 *                           | INVITE received: passed to TU (by the layer)
 *                           V
 *  INVITE retransmission +------------+  1xx from TU: send
 *  re-send last 1xx  +---| Proceeding |<---+
 *                    +-->|            |----+
 *                        +------------+
 *      300-699 from TU:     |        |  2xx from TU: send; Timer L = 64·T1
 *      send; Timer H = 64·T1|        +---------------------------+
 *      UDP: Timer G = T1    V                                    V
 *  INVITE retransmission +-----------+  Timer H:          +------------+ INVITE retransmission:
 *  or Timer G: re-send   | Completed |  inform TU         |  Accepted  | absorbed
 *  final, G = min(2G,T2) |           |-------------+      |            | ACK: passed to TU
 *                +-------|           |             |      |            | 2xx from TU: send
 *                +------>+-----------+             |      +------------+
 *                           | ACK: absorbed        |             |
 *                           | Timer I (T4 / TCP 0) |             | Timer L
 *                           V                      |             |
 *  ACK absorbed          +-----------+             |             |
 *                +-------| Confirmed |             |             |
 *                +------>+-----------+             |             |
 *                           | Timer I              |             |
 *                           V                      V             V
 *                        +---------------------------------------------+
 *                        |                 Terminated                  |
 *                        +---------------------------------------------+
 *
 * 100 Trying is the TU's to send (the dialog core answers at once, RFC 3261 §17.2.1 "200 ms"
 * rule); this transaction only re-sends whatever provisional was sent last. A 2xx is not
 * retransmitted here: per RFC 6026 the TU does that, through `respond()` in Accepted.
 * A transport failure sending a response in Proceeding or Completed ends the transaction
 * (§17.2.4); the TU learns of it from the rejected `respond()` promise.
 */
import { getTag } from '../sip/header-values.js';
import type { SipMessage } from '../sip/message.js';
import type { InboundMessage } from '../transport/transport-types.js';
import { unreachable } from './serial-machine.js';
import {
  ServerTransactionBase,
  type RespondInput,
  type ServerTransactionInit,
} from './server-transaction-base.js';
import { nextCappedInterval } from './timers.js';
import type { ServerTransactionEnv } from './transaction-env.js';
import { hasMagicCookie } from './transaction-keys.js';
import type { SentResponse } from './transaction-types.js';
import { TxTimer } from './tx-timer.js';

export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export type InviteServerInput =
  | { kind: 'request'; inbound: InboundMessage }
  | { kind: 'ack'; ack: SipMessage; inbound: InboundMessage }
  | RespondInput
  | { kind: 'timer-g' }
  | { kind: 'timer-h' }
  | { kind: 'timer-i' }
  | { kind: 'timer-l' }
  | { kind: 'transport-error'; err: Error };

const TIMER_G: InviteServerInput = { kind: 'timer-g' };
const TIMER_H: InviteServerInput = { kind: 'timer-h' };
const TIMER_I: InviteServerInput = { kind: 'timer-i' };
const TIMER_L: InviteServerInput = { kind: 'timer-l' };

export class InviteServerTransaction extends ServerTransactionBase<InviteServerInput> {
  private current: InviteServerState = 'proceeding';
  /** Matched by §17.2.3's RFC 2543 procedure, where the ACK's To tag must be checked. */
  private readonly legacy: boolean;
  private lastProvisional: Buffer | undefined;
  private finalBytes: Buffer | undefined;
  /** To tag of the last response sent (RFC 2543 ACK matching). */
  private responseToTag: string | undefined;
  /** Current Timer G interval. */
  private intervalG: number;
  private readonly timerG: TxTimer;
  private readonly timerH: TxTimer;
  private readonly timerI: TxTimer;
  private readonly timerL: TxTimer;

  constructor(init: ServerTransactionInit, env: ServerTransactionEnv) {
    super(init, env);
    this.legacy = !hasMagicCookie(init.topVia);
    this.intervalG = this.timers.G;
    this.timerG = new TxTimer(env.clock, () => this.handle(TIMER_G));
    this.timerH = new TxTimer(env.clock, () => this.handle(TIMER_H));
    this.timerI = new TxTimer(env.clock, () => this.handle(TIMER_I));
    this.timerL = new TxTimer(env.clock, () => this.handle(TIMER_L));
  }

  get state(): InviteServerState {
    return this.current;
  }

  receiveRequest(inbound: InboundMessage): void {
    this.handle({ kind: 'request', inbound });
  }

  /**
   * Whether an ACK found under this transaction's key really belongs to it. RFC 3261 requests:
   * always (the branch matched). RFC 2543 requests: the ACK's To tag must equal the To tag of
   * the response this transaction sent (§17.2.3).
   */
  acceptsAck(ack: SipMessage): boolean {
    return !this.legacy || getTag(ack.get('to')) === this.responseToTag;
  }

  receiveAck(ack: SipMessage, inbound: InboundMessage): void {
    this.handle({ kind: 'ack', ack, inbound });
  }

  protected respondInput(
    res: SipMessage,
    bytes: Buffer,
    resolve: (sent: SentResponse) => void,
    reject: (err: Error) => void,
  ): InviteServerInput {
    return { kind: 'respond', res, bytes, resolve, reject };
  }

  protected transportErrorInput(err: Error): InviteServerInput {
    return { kind: 'transport-error', err };
  }

  protected stopTimers(): void {
    this.timerG.stop();
    this.timerH.stop();
    this.timerI.stop();
    this.timerL.stop();
  }

  protected step(input: InviteServerInput): void {
    switch (input.kind) {
      case 'request':
        // §17.2.1: a retransmitted INVITE is answered with the last provisional (Proceeding)
        // or the final (Completed); RFC 6026 §7.1: absorbed in Accepted; absorbed in Confirmed.
        if (this.current === 'proceeding' && this.lastProvisional) this.resend(this.lastProvisional);
        else if (this.current === 'completed' && this.finalBytes) this.resend(this.finalBytes);
        return;
      case 'ack':
        this.onAck(input.ack, input.inbound);
        return;
      case 'respond':
        this.onRespond(input);
        return;
      case 'timer-g':
        if (this.current !== 'completed' || !this.finalBytes) return;
        this.resend(this.finalBytes);
        this.intervalG = nextCappedInterval(this.intervalG, this.timers.T2);
        this.timerG.start(this.intervalG);
        return;
      case 'timer-h':
        if (this.current !== 'completed') return;
        this.enterTerminated();
        this.env.serverTimeout(this);
        return;
      case 'timer-i':
        if (this.current === 'confirmed') this.enterTerminated();
        return;
      case 'timer-l':
        if (this.current === 'accepted') this.enterTerminated();
        return;
      case 'transport-error':
        if (this.current === 'proceeding' || this.current === 'completed') this.enterTerminated();
        return;
      default:
        unreachable(input);
    }
  }

  private onAck(ack: SipMessage, inbound: InboundMessage): void {
    switch (this.current) {
      case 'completed':
        // §17.2.1: the ACK for a non-2xx ends retransmissions; Confirmed absorbs its retransmissions.
        this.current = 'confirmed';
        this.timerG.stop();
        this.timerH.stop();
        if (this.timers.I === 0) this.enterTerminated();
        else this.timerI.start(this.timers.I);
        return;
      case 'accepted':
        // RFC 6026 §7.1: an ACK in Accepted is for the 2xx, which the TU owns.
        this.env.passUpAck(ack, inbound);
        return;
      case 'proceeding':
        // No final response yet: there is nothing this ACK can acknowledge.
        this.env.logger?.debug({ branch: this.branch }, 'ACK before any final response dropped');
        return;
      case 'confirmed':
      case 'terminated':
        return;
      default:
        unreachable(this.current);
    }
  }

  private onRespond(input: RespondInput): void {
    const status = input.res.status;
    switch (this.current) {
      case 'proceeding':
        this.noteResponse(input.res);
        if (status < 200) {
          this.lastProvisional = input.bytes;
        } else if (status < 300) {
          this.current = 'accepted';
          this.sentFinal = true;
          this.timerL.start(this.timers.L);
        } else {
          this.current = 'completed';
          this.sentFinal = true;
          this.finalBytes = input.bytes;
          if (this.timers.retransmit) this.timerG.start(this.intervalG);
          this.timerH.start(this.timers.H);
        }
        this.deliver(input);
        return;
      case 'accepted':
        // RFC 6026 §7.1: the TU's 2xx retransmissions (and only those) go out from Accepted.
        if (status < 200 || status >= 300) {
          this.refuse(input, this.current);
          return;
        }
        this.noteResponse(input.res);
        this.deliver(input);
        return;
      case 'completed':
      case 'confirmed':
      case 'terminated':
        this.refuse(input, this.current);
        return;
      default:
        unreachable(this.current);
    }
  }

  private noteResponse(res: SipMessage): void {
    this.status = res.status;
    this.responseToTag = getTag(res.get('to'));
  }

  private enterTerminated(): void {
    this.current = 'terminated';
    this.terminate();
  }
}
