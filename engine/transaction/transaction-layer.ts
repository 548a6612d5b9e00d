/**
 * The transaction layer (RFC 3261 §17): creates client transactions for the TU's requests,
 * matches every inbound message to its transaction (§17.1.3, §17.2.3) and creates server
 * transactions for new requests. The transport layer's `onMessage` is wired to `handleInbound`;
 * the TU (dialog core) hears back through `TransactionLayerHandlers` and the per-transaction
 * `ClientTransactionHandlers`.
 *
 * Request routing:
 * - a retransmission goes to its server transaction, which absorbs it (re-sending the last
 *   response where the FSM says so) — the TU never sees it;
 * - ACK: to the INVITE server transaction it matches (absorbed after a non-2xx; passed up in
 *   Accepted, RFC 6026); otherwise (ACK for a 2xx, different branch) straight to the TU with no
 *   transaction;
 * - CANCEL: its own non-INVITE server transaction, passed up together with the INVITE server
 *   transaction it cancels, if any (§9.2);
 * - anything else new: a new server transaction, passed up.
 *
 * Every lookup is one `Map.get` on a string key; transactions leave their map on Terminated.
 */
import type { SipMessage } from '../sip/message.js';
import { serializeMessage } from '../sip/serializer.js';
import type {
  Hop,
  InboundMessage,
  SendOptions,
  SendResult,
  TransportLayer,
  TransportProtocol,
} from '../transport/transport-types.js';
import type { ClientTransactionInit } from './client-transaction-base.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { deriveTimers, type TransactionTimers } from './timers.js';
import type {
  ClientTransactionEnv,
  ClientTransactionRecord,
  ServerTransactionEnv,
  ServerTransactionRecord,
  TransactionLogger,
} from './transaction-env.js';
import { TransactionError } from './transaction-error.js';
import { branchOf, clientKeyOfResponse, readTopVia, serverKey, type TopVia } from './transaction-keys.js';
import type {
  ClientTransaction,
  ClientTransactionHandlers,
  Clock,
  TimerSettings,
  TransactionLayerHandlers,
} from './transaction-types.js';

export type { TransactionLogger } from './transaction-env.js';

export interface TransactionLayerOptions {
  transport: Pick<TransportLayer, 'send'>;
  timers: TimerSettings;
  clock: Clock;
  handlers: TransactionLayerHandlers;
  /** Where TU callback failures and dropped messages are reported; without one they are rethrown asynchronously. */
  logger?: TransactionLogger;
}

/** Live transaction counts (tests, metrics). */
export interface TransactionCounts {
  client: number;
  server: number;
}

export class TransactionLayer {
  private readonly transport: Pick<TransportLayer, 'send'>;
  private readonly handlers: TransactionLayerHandlers;
  private readonly logger: TransactionLogger | undefined;
  private readonly udpTimers: TransactionTimers;
  private readonly tcpTimers: TransactionTimers;
  private readonly clients = new Map<string, ClientTransactionRecord>();
  private readonly inviteServers = new Map<string, InviteServerTransaction>();
  private readonly nonInviteServers = new Map<string, NonInviteServerTransaction>();
  private readonly clientEnv: ClientTransactionEnv;
  private readonly serverEnv: ServerTransactionEnv;

  constructor(options: TransactionLayerOptions) {
    this.transport = options.transport;
    this.handlers = options.handlers;
    this.logger = options.logger;
    this.udpTimers = deriveTimers(options.timers, false);
    this.tcpTimers = deriveTimers(options.timers, true);
    const base = {
      clock: options.clock,
      logger: options.logger,
      send: (bytes: Buffer, hop: Hop, opts?: SendOptions) => this.transport.send(bytes, hop, opts),
      timersFor: (protocol: TransportProtocol) => (protocol === 'tcp' ? this.tcpTimers : this.udpTimers),
      reportError: (err: unknown, where: string) => this.reportError(err, where),
    };
    this.clientEnv = {
      ...base,
      register: (tx) => {
        if (this.clients.has(tx.key)) {
          throw new TransactionError(
            'duplicate-transaction',
            `a client transaction ${tx.key} already exists`,
          );
        }
        this.clients.set(tx.key, tx);
      },
      unregister: (tx) => {
        if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
      },
    };
    this.serverEnv = {
      ...base,
      unregister: (tx) => this.unregisterServer(tx),
      passUpAck: (ack, inbound) => this.handlers.onRequest(ack, undefined, inbound),
      serverTimeout: (tx) => this.handlers.onServerTimeout?.(tx),
    };
  }

  /**
   * Start a client transaction for `req` (§17.1): serialize it, send it to `hop`, and run the
   * INVITE or non-INVITE FSM. The TU has already put its own top Via with a branch into `req`.
   * @throws TransactionError `missing-branch`, `ack-not-transactional` or `duplicate-transaction`.
   */
  createClientTransaction(
    req: SipMessage,
    hop: Hop,
    handlers: ClientTransactionHandlers,
    sendOpts?: SendOptions,
  ): ClientTransaction {
    if (req.method === 'ACK') {
      throw new TransactionError(
        'ack-not-transactional',
        'ACK is sent with sendStateless, not through a transaction',
      );
    }
    const top = readTopVia(req);
    const branch = top && branchOf(top.via);
    if (!branch) throw new TransactionError('missing-branch', `${req.method} has no top Via branch`);
    const init: ClientTransactionInit = {
      request: req,
      bytes: serializeMessage(req),
      branch,
      hop,
      sendOpts,
      handlers,
    };
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(init, this.clientEnv)
        : new NonInviteClientTransaction(init, this.clientEnv);
    tx.start();
    return tx;
  }

  /**
   * Send without a transaction: ACK for a 2xx (§13.2.2.4), stateless responses (§8.2.6).
   * Pass a Buffer to send bytes already serialized (e.g. ones the TU also echoes).
   */
  sendStateless(msg: SipMessage | Buffer, hop: Hop, opts?: SendOptions): Promise<SendResult> {
    const bytes = Buffer.isBuffer(msg) ? msg : serializeMessage(msg);
    return this.transport.send(bytes, hop, opts);
  }

  /** Entry point for every well-formed message from the transport layer. */
  handleInbound(inbound: InboundMessage): void {
    try {
      if (inbound.message.isRequest) this.routeRequest(inbound);
      else this.routeResponse(inbound);
    } catch (err) {
      this.reportError(
        err,
        `inbound ${inbound.message.isRequest ? inbound.message.method : inbound.message.status}`,
      );
    }
  }

  size(): TransactionCounts {
    return { client: this.clients.size, server: this.inviteServers.size + this.nonInviteServers.size };
  }

  /** Stop every timer and forget every transaction without calling anyone (shutdown). */
  dispose(): void {
    for (const tx of this.clients.values()) tx.dispose();
    for (const tx of this.inviteServers.values()) tx.dispose();
    for (const tx of this.nonInviteServers.values()) tx.dispose();
    this.clients.clear();
    this.inviteServers.clear();
    this.nonInviteServers.clear();
  }

  /** §17.1.3: branch of the top Via + CSeq method; no match → stray (e.g. a 2xx after Timer M). */
  private routeResponse(inbound: InboundMessage): void {
    const res = inbound.message;
    const key = clientKeyOfResponse(res);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx) tx.receiveResponse(res, inbound);
    else this.handlers.onStrayResponse(res, inbound);
  }

  private routeRequest(inbound: InboundMessage): void {
    const req = inbound.message;
    const top = readTopVia(req);
    if (!top) {
      // §18.2.1 leaves such a request nowhere to answer to: without a Via there is no response route.
      this.logger?.warn(
        { method: req.method, source: inbound.source },
        'request without a usable top Via dropped',
      );
      return;
    }
    switch (req.method) {
      case 'ACK':
        this.routeAck(req, top, inbound);
        return;
      case 'INVITE':
        this.routeInvite(req, top, inbound);
        return;
      default:
        this.routeNonInvite(req, top, inbound);
    }
  }

  /** §17.2.3: an ACK matches the INVITE transaction (method INVITE in the key). */
  private routeAck(ack: SipMessage, top: TopVia, inbound: InboundMessage): void {
    const ist = this.inviteServers.get(serverKey(ack, top, 'INVITE'));
    if (ist?.acceptsAck(ack)) ist.receiveAck(ack, inbound);
    else this.handlers.onRequest(ack, undefined, inbound);
  }

  private routeInvite(req: SipMessage, top: TopVia, inbound: InboundMessage): void {
    const key = serverKey(req, top, 'INVITE');
    const existing = this.inviteServers.get(key);
    if (existing) {
      existing.receiveRequest(inbound);
      return;
    }
    const tx = new InviteServerTransaction({ request: req, inbound, key, topVia: top }, this.serverEnv);
    this.inviteServers.set(key, tx);
    this.handlers.onRequest(req, tx, inbound);
  }

  private routeNonInvite(req: SipMessage, top: TopVia, inbound: InboundMessage): void {
    const key = serverKey(req, top, req.method);
    const existing = this.nonInviteServers.get(key);
    if (existing) {
      existing.receiveRequest(inbound);
      return;
    }
    const tx = new NonInviteServerTransaction({ request: req, inbound, key, topVia: top }, this.serverEnv);
    this.nonInviteServers.set(key, tx);
    if (req.method === 'CANCEL') {
      // §9.2: the CANCEL is matched to the INVITE transaction with the same branch and sent-by.
      const cancelled = this.inviteServers.get(serverKey(req, top, 'INVITE'));
      this.handlers.onRequest(req, tx, inbound, cancelled);
      return;
    }
    this.handlers.onRequest(req, tx, inbound);
  }

  private unregisterServer(tx: ServerTransactionRecord): void {
    if (this.inviteServers.get(tx.key) === tx) this.inviteServers.delete(tx.key);
    else if (this.nonInviteServers.get(tx.key) === tx) this.nonInviteServers.delete(tx.key);
  }

  private reportError(err: unknown, where: string): void {
    if (this.logger) {
      this.logger.error({ err, where }, 'transaction layer: handler failed');
      return;
    }
    // No logger: surface the bug as an uncaught exception rather than swallow it.
    queueMicrotask(() => {
      throw err;
    });
  }
}
