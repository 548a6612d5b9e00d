/**
 * What the INVITE and non-INVITE server transactions share: identity (branch, request, inbound,
 * match key), where responses go (RFC 3261 §18.2.2, fixed when the request arrives), `respond()`
 * turning a TU response into a serialised input, and leaving the layer's map on Terminated.
 */
import type { SipMessage } from '../sip/message.js';
import { serializeMessage } from '../sip/serializer.js';
import type { Hop, InboundMessage, SendOptions, SendResult } from '../transport/transport-types.js';
import { responseHop, responseSendOptions } from '../transport/response-hop.js';
import { SerialMachine } from './serial-machine.js';
import type { TransactionTimers } from './timers.js';
import type { ServerTransactionEnv, ServerTransactionRecord } from './transaction-env.js';
import { TransactionError, asError } from './transaction-error.js';
import { branchOf, type TopVia } from './transaction-keys.js';
import type { SentResponse, ServerTransaction } from './transaction-types.js';

export interface ServerTransactionInit {
  request: SipMessage;
  inbound: InboundMessage;
  /** The layer's match key (§17.2.3). */
  key: string;
  topVia: TopVia;
}

/** A response from the TU, serialised, with the settlement of the caller's promise. */
export interface RespondInput {
  kind: 'respond';
  res: SipMessage;
  bytes: Buffer;
  resolve: (sent: SentResponse) => void;
  reject: (err: Error) => void;
}

export abstract class ServerTransactionBase<I extends { kind: string }>
  extends SerialMachine<I>
  implements ServerTransaction, ServerTransactionRecord
{
  readonly branch: string;
  readonly request: SipMessage;
  readonly inbound: InboundMessage;
  readonly key: string;
  protected readonly hop: Hop;
  protected readonly sendOpts: SendOptions | undefined;
  protected readonly timers: TransactionTimers;
  protected status = 0;
  protected sentFinal = false;
  private registered = true;

  protected constructor(
    init: ServerTransactionInit,
    protected readonly env: ServerTransactionEnv,
  ) {
    super();
    this.request = init.request;
    this.inbound = init.inbound;
    this.key = init.key;
    this.branch = branchOf(init.topVia.via) ?? '';
    this.hop = responseHop(init.topVia.via, init.inbound.source);
    this.sendOpts = responseSendOptions(init.inbound.source);
    this.timers = env.timersFor(init.inbound.source.protocol);
  }

  get lastStatus(): number {
    return this.status;
  }

  get finalSent(): boolean {
    return this.sentFinal;
  }

  respond(res: SipMessage): Promise<SendResult> {
    return this.sendResponse(res).then((sent) => sent.result);
  }

  sendResponse(res: SipMessage, serialized?: Buffer): Promise<SentResponse> {
    if (res.isRequest || res.status < 100 || res.status > 699) {
      return Promise.reject(
        new TransactionError('invalid-response', 'respond() needs a response with a status 100-699'),
      );
    }
    const bytes = serialized ?? serializeMessage(res);
    return new Promise<SentResponse>((resolve, reject) =>
      this.handle(this.respondInput(res, bytes, resolve, reject)),
    );
  }

  abstract receiveRequest(inbound: InboundMessage): void;
  protected abstract respondInput(
    res: SipMessage,
    bytes: Buffer,
    resolve: (sent: SentResponse) => void,
    reject: (err: Error) => void,
  ): I;
  protected abstract transportErrorInput(err: Error): I;
  protected abstract stopTimers(): void;

  /** Send a TU response and settle its promise; a failure also becomes a transport-error input (§17.2.4). */
  protected deliver(input: RespondInput): void {
    this.env.send(input.bytes, this.hop, this.sendOpts).then(
      (result) => input.resolve({ result, bytes: input.bytes }),
      (err: unknown) => {
        const error = asError(err);
        input.reject(error);
        this.handle(this.transportErrorInput(error));
      },
    );
  }

  /** Refuse a TU response the current state does not allow. */
  protected refuse(input: RespondInput, state: string): void {
    input.reject(
      new TransactionError(
        'invalid-state',
        `cannot send ${input.res.status} in state ${state} of ${this.request.method}`,
      ),
    );
  }

  /** Re-send a response already sent (retransmission absorption, Timer G): failures only logged. */
  protected resend(bytes: Buffer): void {
    this.env.send(bytes, this.hop, this.sendOpts).then(undefined, this.onResendFailed);
  }

  /** Enter Terminated: stop every timer and leave the layer's map. */
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
    this.env.reportError(err, `${this.request.method} server transaction, input ${input.kind}`);
  }

  private readonly onResendFailed = (err: unknown): void => {
    this.env.logger?.debug({ err, branch: this.branch }, 'response retransmission not sent');
  };
}
