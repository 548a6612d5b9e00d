/**
 * INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as updated by RFC 6026 §7.2 and §8.4).
 *
 *                          | start (INVITE from TU)
 *      Timer A             | INVITE sent; Timer B = 64·T1; UDP: Timer A = T1
 *      send INVITE         V
 *      A = 2A        +-----------+  Timer B or transport error: inform TU
 *        +---------->|  Calling  |-------------------------------------------+
 *        +-----------|           |------------------+                        |
 *                    +-----------+                  |                        |
 *               1xx: resp. to TU |  2xx: resp. to TU|                        |
 *   (and send a held CANCEL)     |                  |                        |
 *                                V                  |                        |
 *        1xx: resp. to TU  +------------+  2xx:     |                        |
 *             +----------->| Proceeding |--resp. to TU-+                     |
 *             +------------|            |           |  |                     |
 *                          +------------+           V  V                     |
 *                 300-699 from Calling or    +-----------+ 2xx: resp. to TU  |
 *                 Proceeding: send ACK,      | Accepted  |<-----+            |
 *                 resp. to TU                |           |------+            |
 *                               |            +-----------+                   |
 *      300-699: re-send ACK     V                  | Timer M = 64·T1         |
 *             +----------> +-----------+           |                         |
 *             +------------| Completed |           |                         |
 *                          +-----------+           |                         |
 *                                | Timer D (32 s UDP, 0 TCP)                 |
 *                                V                 V                         |
 *                          +------------------------------+                  |
 *                          |          Terminated          |<-----------------+
 *                          +------------------------------+
 *
 * CANCEL (§9.1): `cancel()` builds the CANCEL at once and returns its own non-INVITE client
 * transaction, but sends it only once a provisional response was seen ("SHOULD NOT send CANCEL
 * until it has received a provisional response"); a final response or Timer B first means it
 * is never sent. Once the CANCEL is out, the INVITE gets 64·T1 for its final response before it
 * is given up with onTimeout (§9.1 last paragraph: "consider the original transaction cancelled
 * and … destroy the client transaction").
 */
import type { SipMessage } from '../sip/message.js';
import { serializeMessage } from '../sip/serializer.js';
import type { InboundMessage } from '../transport/transport-types.js';
import { ClientTransactionBase, type ClientTransactionInit } from './client-transaction-base.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { buildAckForNon2xx, buildCancel } from './request-builders.js';
import { unreachable } from './serial-machine.js';
import { nextInviteRequestInterval } from './timers.js';
import type { ClientTransactionEnv } from './transaction-env.js';
import { TransactionError } from './transaction-error.js';
import type { ClientTransaction, ClientTransactionHandlers } from './transaction-types.js';
import { TxTimer } from './tx-timer.js';

export type InviteClientState = 'unsent' | 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export type InviteClientInput =
  | { kind: 'start' }
  | { kind: 'response'; res: SipMessage; inbound: InboundMessage }
  | { kind: 'cancel' }
  | { kind: 'timer-a' }
  | { kind: 'timer-b' }
  | { kind: 'timer-d' }
  | { kind: 'timer-m' }
  | { kind: 'timer-cancel-wait' }
  | { kind: 'transport-error'; err: Error };

const START: InviteClientInput = { kind: 'start' };
const CANCEL: InviteClientInput = { kind: 'cancel' };
const TIMER_A: InviteClientInput = { kind: 'timer-a' };
const TIMER_B: InviteClientInput = { kind: 'timer-b' };
const TIMER_D: InviteClientInput = { kind: 'timer-d' };
const TIMER_M: InviteClientInput = { kind: 'timer-m' };
const TIMER_CANCEL_WAIT: InviteClientInput = { kind: 'timer-cancel-wait' };

const NO_OP = (): void => undefined;

export class InviteClientTransaction extends ClientTransactionBase<InviteClientInput> {
  private current: InviteClientState = 'unsent';
  /** Current Timer A interval. */
  private intervalA: number;
  /** The ACK for the non-2xx final response, built once and re-sent as is (§17.1.1.2). */
  private ackBytes: Buffer | undefined;
  private cancelTx: NonInviteClientTransaction | undefined;
  private readonly timerA: TxTimer;
  private readonly timerB: TxTimer;
  private readonly timerD: TxTimer;
  private readonly timerM: TxTimer;
  private readonly timerCancelWait: TxTimer;

  constructor(init: ClientTransactionInit, env: ClientTransactionEnv) {
    super(init, env);
    this.intervalA = this.timers.A;
    this.timerA = new TxTimer(env.clock, () => this.handle(TIMER_A));
    this.timerB = new TxTimer(env.clock, () => this.handle(TIMER_B));
    this.timerD = new TxTimer(env.clock, () => this.handle(TIMER_D));
    this.timerM = new TxTimer(env.clock, () => this.handle(TIMER_M));
    this.timerCancelWait = new TxTimer(env.clock, () => this.handle(TIMER_CANCEL_WAIT));
  }

  get state(): InviteClientState {
    return this.current;
  }

  receiveResponse(res: SipMessage, inbound: InboundMessage): void {
    this.handle({ kind: 'response', res, inbound });
  }

  /**
   * CANCEL this INVITE (§9.1). Returns the CANCEL's client transaction — sent now if a provisional
   * was seen, else held until one arrives — or undefined once a final response was received.
   * Calling it again returns the same CANCEL transaction.
   */
  cancel(
    extraHeaders: Array<[string, string]> = [],
    handlers: Partial<ClientTransactionHandlers> = {},
  ): ClientTransaction | undefined {
    if (this.sawFinal || this.current === 'terminated') return undefined;
    if (this.cancelTx) return this.cancelTx;
    const request = buildCancel(this.request, extraHeaders);
    this.cancelTx = new NonInviteClientTransaction(
      {
        request,
        bytes: serializeMessage(request),
        branch: this.branch,
        // §9.1: the CANCEL goes to the same destination as the INVITE.
        hop: this.hop,
        sendOpts: this.sendOpts,
        handlers: {
          onResponse: handlers.onResponse ?? NO_OP,
          onTimeout: handlers.onTimeout ?? NO_OP,
          onTransportError: handlers.onTransportError ?? NO_OP,
        },
      },
      this.env,
    );
    this.handle(CANCEL);
    return this.cancelTx;
  }

  protected startInput(): InviteClientInput {
    return START;
  }

  protected transportErrorInput(err: Error): InviteClientInput {
    return { kind: 'transport-error', err };
  }

  protected stopTimers(): void {
    this.timerA.stop();
    this.timerB.stop();
    this.timerD.stop();
    this.timerM.stop();
    this.timerCancelWait.stop();
  }

  protected step(input: InviteClientInput): void {
    switch (input.kind) {
      case 'start':
        if (this.current !== 'unsent') return;
        this.current = 'calling';
        this.transmitFirst();
        // §17.1.1.2: Timer A only over unreliable transports; Timer B always.
        if (this.timers.retransmit) this.timerA.start(this.intervalA);
        this.timerB.start(this.timers.B);
        return;
      case 'response':
        this.onResponse(input.res, input.inbound);
        return;
      case 'cancel':
        if (this.current === 'proceeding') this.sendCancel();
        else if (this.current !== 'unsent' && this.current !== 'calling') this.abandonCancel();
        // In Calling the CANCEL stays held until a provisional arrives (§9.1).
        return;
      case 'timer-a':
        if (this.current !== 'calling') return;
        this.retransmit();
        this.intervalA = nextInviteRequestInterval(this.intervalA);
        this.timerA.start(this.intervalA);
        return;
      case 'timer-b':
        if (this.current !== 'calling') return;
        this.enterTerminated();
        this.abandonCancel();
        this.handlers.onTimeout();
        return;
      case 'timer-d':
        if (this.current === 'completed') this.enterTerminated();
        return;
      case 'timer-m':
        if (this.current === 'accepted') this.enterTerminated();
        return;
      case 'timer-cancel-wait':
        if (this.current !== 'proceeding') return;
        this.enterTerminated();
        this.handlers.onTimeout();
        return;
      case 'transport-error':
        // §17.1.1.2: a transport failure while Calling ends the transaction. Later (a stale
        // retransmission failing after a response came back) it changes nothing.
        if (this.current !== 'calling') return;
        this.enterTerminated();
        this.abandonCancel();
        this.failSent(input.err);
        this.handlers.onTransportError(input.err);
        return;
      default:
        unreachable(input);
    }
  }

  private onResponse(res: SipMessage, inbound: InboundMessage): void {
    const status = res.status;
    switch (this.current) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          this.current = 'proceeding';
          this.sawProvisional = true;
          // §17.1.1.2: no retransmissions, and no Timer B, once a provisional arrived.
          this.timerA.stop();
          this.timerB.stop();
          if (this.cancelTx?.state === 'unsent') this.sendCancel();
          this.handlers.onResponse(res, inbound);
        } else if (status < 300) {
          this.enterAccepted();
          this.handlers.onResponse(res, inbound);
        } else {
          this.enterCompleted(res);
          this.handlers.onResponse(res, inbound);
        }
        return;
      case 'completed':
        // §17.1.1.2: a retransmitted final response is answered with the same ACK, not passed up.
        if (status >= 300) this.sendAck();
        return;
      case 'accepted':
        // RFC 6026 §7.2: every 2xx (retransmissions, other forks) goes to the TU, which ACKs it.
        if (status >= 200 && status < 300) this.handlers.onResponse(res, inbound);
        return;
      case 'unsent':
      case 'terminated':
        return;
      default:
        unreachable(this.current);
    }
  }

  private enterAccepted(): void {
    this.current = 'accepted';
    this.sawFinal = true;
    this.timerA.stop();
    this.timerB.stop();
    this.timerCancelWait.stop();
    this.abandonCancel();
    this.timerM.start(this.timers.M);
  }

  private enterCompleted(res: SipMessage): void {
    this.current = 'completed';
    this.sawFinal = true;
    this.timerA.stop();
    this.timerB.stop();
    this.timerCancelWait.stop();
    this.abandonCancel();
    this.ackBytes = serializeMessage(buildAckForNon2xx(this.request, res));
    this.sendAck();
    // §17.1.1.2: Timer D > 32 s over UDP (absorbs final-response retransmissions), 0 over TCP.
    if (this.timers.D === 0) this.enterTerminated();
    else this.timerD.start(this.timers.D);
  }

  private sendAck(): void {
    if (!this.ackBytes) return;
    this.env.send(this.ackBytes, this.hop, this.sendOpts).then(undefined, this.onAckFailed);
  }

  private sendCancel(): void {
    if (this.cancelTx?.state !== 'unsent') return;
    this.cancelTx.start();
    this.timerCancelWait.start(this.timers.B); // §9.1: 64·T1, the same span as Timer B
  }

  private abandonCancel(): void {
    if (this.cancelTx?.state !== 'unsent') return;
    this.cancelTx.abandon(
      new TransactionError(
        'cancel-abandoned',
        'CANCEL not sent: the INVITE ended before any provisional response',
      ),
    );
  }

  private enterTerminated(): void {
    this.current = 'terminated';
    this.terminate();
  }

  /** An ACK that fails to go out is not the TU's concern: the server will retransmit and we re-ACK. */
  private readonly onAckFailed = (err: unknown): void => {
    this.env.logger?.debug({ err, branch: this.branch }, 'ACK for non-2xx final response not sent');
  };
}
