/**
 * Composition root of the engine: transport → transaction → SIP core → control server, built
 * bottom-up. Each layer reports upward through one callback; the callbacks are bound late
 * because the layers above do not exist yet when the ones below are created.
 */
import { ControlServer } from './control/control-server.js';
import type { AppRouter } from './control/sip-core-port.js';
import { EngineSipCore } from './dialog/sip-core.js';
import { silentLogger, type EngineLogger } from './logger.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './sip/parser.js';
import { TransactionLayer } from './transaction/transaction-layer.js';
import {
  DEFAULT_TIMERS,
  systemClock,
  type Clock,
  type TimerSettings,
} from './transaction/transaction-types.js';
import { createTransportLayer } from './transport/transport-layer.js';
import type { InboundMessage, ListenPoint } from './transport/transport-types.js';

export interface EngineOptions {
  /** drachtio-style contact URIs, e.g. `sip:127.0.0.1:5090;transport=udp,tcp`. */
  contacts: string[];
  admin: { host: string; port: number; secret: string };
  timers?: Partial<TimerSettings>;
  limits?: Partial<ParseLimits>;
  logger?: EngineLogger;
  clock?: Clock;
}

export interface Engine {
  readonly listenPoints: readonly ListenPoint[];
  readonly adminPort: number;
  readonly core: EngineSipCore;
  /** Live SIP transactions (for tests and metrics). */
  transactionCounts(): { client: number; server: number };
  close(): Promise<void>;
}

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const timers: TimerSettings = { ...DEFAULT_TIMERS, ...opts.timers };
  const limits: ParseLimits = { ...DEFAULT_PARSE_LIMITS, ...opts.limits };

  let onInbound: (m: InboundMessage) => void = () => undefined;
  const transport = await createTransportLayer({
    listen: opts.contacts,
    limits,
    logger,
    events: { onMessage: (m) => onInbound(m) },
  });

  // Late-bound: the control server (which routes) and the core (which handles requests) are
  // created after the layers that call them.
  const late: { router?: AppRouter; core?: EngineSipCore } = {};
  const lateRouter: AppRouter = {
    pickClient: (verb) => late.router?.pickClient(verb),
    pickCdrClient: (kind) => late.router?.pickCdrClient(kind),
  };
  const transactions = new TransactionLayer({
    transport,
    timers,
    clock,
    logger,
    handlers: {
      onRequest: (req, tx, inbound, cancelled) =>
        late.core?.transactionHandlers.onRequest(req, tx, inbound, cancelled),
      onStrayResponse: (res, inbound) => late.core?.transactionHandlers.onStrayResponse(res, inbound),
    },
  });
  const core = new EngineSipCore({ transport, transactions, router: lateRouter, timers, clock, logger });
  late.core = core;
  onInbound = (m) => transactions.handleInbound(m);

  const control = new ControlServer({
    host: opts.admin.host,
    port: opts.admin.port,
    secret: opts.admin.secret,
    core,
    logger,
    clock,
  });
  late.router = control.router;
  let bound: { port: number };
  try {
    bound = await control.listen();
  } catch (err) {
    await transport.close();
    throw err;
  }
  return {
    listenPoints: transport.listenPoints,
    adminPort: bound.port,
    core,
    transactionCounts: () => transactions.size(),
    async close() {
      await control.close();
      await transport.close();
    },
  };
}
