/**
 * What the INVITE and non-INVITE client transactions share: identity (branch, request, hop,
 * bytes, match key), the `sent` promise, the timer table for the hop's transport, sending and
 * re-sending the request, and leaving the layer's map on Terminated (RFC 3261 §17.1).
 */
import type { SipMessage } from '../sip/message.js';
import type { Hop, InboundMessage, SendOptions, SendResult } from '../transport/transport-types.js';
import type { TransactionTimers } from './timers.js';
import type { ClientTransactionEnv, ClientTransactionRecord } from './transaction-env.js';
import { asError } from './transaction-error.js';
import { clientKey } from './transaction-keys.js';
import type { ClientTransaction, ClientTransactionHandlers } from './transaction-types.js';
import { SerialMachine } from './serial-machine.js';

/** What the layer knows about a client transaction before it exists. */
export interface ClientTransactionInit {
  request: SipMessage;
  /** `request` serialized: sent as is, and re-sent as is on every retransmission. */
  bytes: Buffer;
  /** The top Via branch the TU put into `request`. */
  branch: string;
  hop: Hop;
  sendOpts: SendOptions | undefined;
  handlers: ClientTransactionHandlers;
}

const ignore = (): void => undefined;

export abstract class ClientTransactionBase<I extends { kind: string }>
  extends SerialMachine<I>
  implements ClientTransaction, ClientTransactionRecord
{
  readonly branch: string;
  readonly request: SipMessage;
  readonly hop: Hop;
  readonly bytes: Buffer;
  readonly key: string;
  readonly sent: Promise<SendResult>;
  protected readonly sendOpts: SendOptions | undefined;
  protected readonly handlers: ClientTransactionHandlers;
  protected readonly timers: TransactionTimers;
  protected sawProvisional = false;
  protected sawFinal = false;
  private registered = false;
  private resolveSent: (r: SendResult) => void = ignore;
  private rejectSent: (e: Error) => void = ignore;

  protected constructor(
    init: ClientTransactionInit,
    protected readonly env: ClientTransactionEnv,
  ) {
    super();
    this.branch = init.branch;
    this.request = init.request;
    this.hop = init.hop;
    this.bytes = init.bytes;
    this.sendOpts = init.sendOpts;
    this.handlers = init.handlers;
    this.key = clientKey(init.branch, init.request.method);
    this.timers = env.timersFor(init.hop.protocol);
    this.sent = new Promise<SendResult>((resolve, reject) => {
      this.resolveSent = resolve;
      this.rejectSent = reject;
    });
    // The TU may never look at `sent`; its rejection is also reported through onTransportError.
    this.sent.catch(ignore);
  }

  get provisionalSeen(): boolean {
    return this.sawProvisional;
  }

  get finalSeen(): boolean {
    return this.sawFinal;
  }

  /** Enter the layer's map and send the request. Throws TransactionError `duplicate-transaction`. */
  start(): void {
    this.env.register(this);
    this.registered = true;
    this.handle(this.startInput());
  }

  protected abstract startInput(): I;
  protected abstract transportErrorInput(err: Error): I;
  protected abstract stopTimers(): void;

  abstract receiveResponse(res: SipMessage, inbound: InboundMessage): void;

  /** First transmission: settles `sent`; a failure becomes a transport-error input. */
  protected transmitFirst(): void {
    this.env.send(this.bytes, this.hop, this.sendOpts).then(this.onFirstSent, this.onSendFailed);
  }

  /** Retransmission of the same bytes (§17.1.1.2, §17.1.2.2). */
  protected retransmit(): void {
    this.env.send(this.bytes, this.hop, this.sendOpts).then(undefined, this.onSendFailed);
  }

  /** Reject `sent` (no effect once it resolved). */
  protected failSent(err: Error): void {
    this.rejectSent(err);
  }

  /** Enter Terminated: stop every timer and leave the layer's map (§17.1.1.2 "destroyed"). */
  protected terminate(): void {
    this.stopTimers();
    if (this.registered) {
      this.registered = false;
      this.env.unregister(this);
    }
  }

  dispose(): void {
    this.stopTimers();
    this.registered = false;
  }

  protected onStepError(err: unknown, input: I): void {
    this.env.reportError(err, `${this.request.method} client transaction, input ${input.kind}`);
  }

  private readonly onFirstSent = (result: SendResult): void => {
    this.resolveSent(result);
  };

  private readonly onSendFailed = (err: unknown): void => {
    this.handle(this.transportErrorInput(asError(err)));
  };
}
