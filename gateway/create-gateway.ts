/**
 * Composition root of the gateway: the only place the concrete adapters are built and wired.
 * drachtio-srf connection → SIP adapters (dialer, INVITE handler) → call registry → HTTP
 * server; the store is opened by the caller (it outlives a gateway restart in tests) and
 * passed in. `start()` connects and listens; `shutdown()` drains and stops.
 */
import { randomBytes } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { Config } from '../config/schema.js';
import type { MediaPort } from '../media/media-port.js';
import { RtpengineMedia } from '../media/rtpengine/rtpengine-media.js';
import { AgentRouter } from './call/agent-routes.js';
import { CallRegistry } from './call/call-registry.js';
import type { AgentTarget } from './call/call-session.js';
import type { Clock, TimerHandle } from './call/ports.js';
import { compileHeaderTemplates } from './call/template.js';
import { createHttpServer, type HttpServer } from './http/http-server.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { AdmissionControl } from './security/admission-control.js';
import { DigestAuthenticator } from './security/digest-auth.js';
import { TrunkMatcher } from './security/trunk-matcher.js';
import { handleInboundInvites } from './sip/inbound-invite.js';
import { answerOptions } from './sip/options-responder.js';
import { SipCounters } from './sip/sip-counters.js';
import { SrfConnection, type SrfTarget } from './sip/srf-connection.js';
import { SrfDialer } from './sip/srf-dialer.js';
import { RecordRetention } from './store/record-retention.js';
import type { Store } from './store/store-port.js';
import { TransferService } from './transfer/transfer-service.js';
import { transferStrategies } from './transfer/transfer-strategies.js';

/** Realm of a challenge when the trunk names none and the Request-URI has no host to use. */
const DEFAULT_DIGEST_REALM = 'baton';
/**
 * After the drain timeout the remaining calls get BYE; a far end that never answers its BYE
 * must not hold the process: this long after the BYEs went out, shutdown goes on regardless.
 */
const SHUTDOWN_BYE_GRACE_MS = 5_000;

export const systemClock: Clock = {
  setTimer: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimer: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
  now: () => performance.now(),
};

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The SIP server to connect to: the embedded engine or `sip.drachtio`. */
  sipServer: SrfTarget;
  /** An open store. */
  store: Store;
  clock?: Clock;
}

export interface Gateway {
  readonly calls: CallRegistry;
  /** Connect to the SIP server and open the HTTP port. */
  start(): Promise<{ http: { host: string; port: number } }>;
  /**
   * Graceful stop: refuse new calls (503), wait up to `drainTimeoutMs` for the calls in progress,
   * BYE what is left, then close the HTTP port and the SIP connection.
   * @param hurry resolves when the wait should be cut short (a second SIGTERM)
   */
  shutdown(drainTimeoutMs: number, hurry?: Promise<void>): Promise<void>;
}

export function createGateway(opts: GatewayOptions): Gateway {
  const { config, logger, metrics, store } = opts;
  const clock = opts.clock ?? systemClock;
  const log = logger.child({ component: 'gateway' });

  const connection = new SrfConnection({ target: opts.sipServer, logger, metrics });
  const media = createMedia(config, log);
  const counters = new SipCounters(metrics);
  const admission = new AdmissionControl({
    maxCalls: config.limits.maxCalls,
    maxCallsPerSecond: config.limits.maxCallsPerSecond,
    retryAfterSeconds: config.limits.retryAfterSeconds,
    clock,
  });
  const transfers = new TransferService({
    config: config.transfer,
    trunks: config.trunks,
    isLocalHost: localHosts(config),
    strategies: transferStrategies,
    clock,
    metrics,
    store,
    ...(media !== undefined && { media }),
  });
  const agent: AgentTarget = {
    uri: config.aiAgent.uri,
    headerTemplates: compileHeaderTemplates(config.aiAgent.headers, 'aiAgent.headers'),
    answerTimeoutMs: config.aiAgent.answerTimeoutMs,
    failureAnswer: config.aiAgent.onFailure,
  };
  const calls = new CallRegistry({
    dialer: new SrfDialer(connection.srf, counters),
    agent,
    router: new AgentRouter(agent, config.aiAgent.routes),
    clock,
    logger,
    metrics,
    store,
    instanceId: hostname(),
    transfers,
    transfersConfigured: Object.keys(config.transfer.targets).length > 0 || config.transfer.allow.length > 0,
    ...(media !== undefined && { media }),
  });
  const trunks = new TrunkMatcher(config.trunks);
  answerOptions({
    srf: connection.srf,
    trunks,
    admission,
    retryAfterSeconds: config.limits.retryAfterSeconds,
    counters,
  });
  handleInboundInvites({
    srf: connection.srf,
    counters,
    metrics,
    trunks,
    security: config.security,
    // Without a configured key the nonces are per process: a challenge must be answered to the
    // instance that sent it (see security.digestNonceSecret).
    digest: new DigestAuthenticator({
      realm: DEFAULT_DIGEST_REALM,
      secret:
        config.security.digestNonceSecret === undefined
          ? randomBytes(32)
          : Buffer.from(config.security.digestNonceSecret, 'utf8'),
      algorithms: config.security.digestAlgorithms,
      nonceTtlMs: config.security.digestNonceTtlSeconds * 1000,
      clock: { now: () => Date.now() },
    }),
    admission,
    retryAfterSeconds: config.limits.retryAfterSeconds,
    calls,
    clock,
    logger,
  });
  const http: HttpServer = createHttpServer({
    listen: config.http.listen,
    apiToken: config.http.apiToken,
    maxBodyBytes: config.http.maxBodyBytes,
    metrics,
    health: () => ({ engine: connection.connected, store: store.isOpen(), draining: admission.draining }),
    calls,
    logger,
  });
  const retention = new RecordRetention({
    store,
    retainEndedDays: config.store.retainEndedDays,
    purgeIntervalMs: config.store.purgeIntervalMinutes * 60_000,
    clock,
    logger,
  });

  return {
    calls,
    async start() {
      await connection.connect();
      // A backend that does not answer is not fatal: calls go unanchored and prompts are skipped.
      media?.ping().then(
        () => log.info({ backend: config.media.backend }, 'media backend answers'),
        (err: unknown) => log.warn({ err, backend: config.media.backend }, 'media backend does not answer'),
      );
      try {
        const address = await http.start();
        retention.start();
        return { http: address };
      } catch (err) {
        connection.close();
        media?.close();
        throw err;
      }
    },
    async shutdown(drainTimeoutMs, hurry) {
      admission.startDraining();
      log.info({ activeCalls: calls.size, drainTimeoutMs }, 'draining: new calls get 503');
      const outcome = await Promise.race([
        calls.whenIdle().then(() => 'idle' as const),
        sleep(drainTimeoutMs).then(() => 'timeout' as const),
        ...(hurry === undefined ? [] : [hurry.then(() => 'hurried' as const)]),
      ]);
      if (outcome !== 'idle') {
        log.info({ activeCalls: calls.size, reason: outcome }, 'hanging up the remaining calls');
        await Promise.race([calls.hangupAll('shutdown'), sleep(SHUTDOWN_BYE_GRACE_MS)]);
      }
      await retention.stop();
      await calls.flushRecords();
      await http.close();
      connection.close();
      media?.close();
      log.info('gateway stopped');
    },
  };
}

/**
 * Whether a host is Baton's own, for Refer-To `sip:<target>@<baton>`: an address it listens on
 * (every interface's for a wildcard listener, and always with an external drachtio-server, whose
 * addresses Baton does not know), or `localhost`. Compared lower case, IPv6 without brackets.
 */
function localHosts(config: Config): (host: string) => boolean {
  const hosts = new Set<string>(['localhost']);
  const interfaces = (): void => {
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) hosts.add(a.address.toLowerCase());
  };
  if (config.sip.listen.length === 0) interfaces();
  for (const l of config.sip.listen) {
    if (l.host === '0.0.0.0' || l.host === '::') interfaces();
    else hosts.add(l.host.toLowerCase());
  }
  return (host) => hosts.has(host.toLowerCase().replace(/^\[(.*)\]$/, '$1'));
}

/** The media backend `media.backend` names; none leaves SDP untouched and prompts skipped. */
function createMedia(config: Config, log: Logger): MediaPort | undefined {
  switch (config.media.backend) {
    case 'none':
      return undefined;
    case 'rtpengine':
      return new RtpengineMedia({
        config: config.media.rtpengine,
        onStrayError: (err) => log.warn({ err }, 'rtpengine control socket'),
      });
    default: {
      const unknown: never = config.media.backend;
      throw new Error(`unknown media backend ${String(unknown)}`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
