/**
 * Starting Baton's own SIP engine in this process, for `npm start` without an external
 * drachtio-server. The one place under `gateway/` that imports `engine/`, and only
 * `gateway/main.ts` imports it: the rest of the gateway reaches the engine through drachtio-srf
 * over the control port, exactly as it would reach a real drachtio-server.
 */
import type { Config } from '../config/schema.js';
import type { SipListen } from '../config/listen-address.js';
import { createEngine } from '../engine/create-engine.js';
import type { Logger } from './observability/logger.js';
import type { SrfTarget } from './sip/srf-connection.js';

export interface EmbeddedEngine {
  /** Where the gateway's drachtio-srf connects. */
  readonly target: SrfTarget;
  /** The SIP listeners actually bound (`udp/127.0.0.1:5060`, …). */
  readonly sip: readonly string[];
  close(): Promise<void>;
}

export async function startEmbeddedEngine(config: Config, logger: Logger): Promise<EmbeddedEngine> {
  const { admin, sipTimers, sipLimits } = config.engine;
  const engine = await createEngine({
    contacts: engineContacts(config.sip.listen),
    admin: { host: admin.host, port: admin.port, secret: admin.secret },
    timers: { T1: sipTimers.t1Ms, T2: sipTimers.t2Ms, T4: sipTimers.t4Ms },
    limits: { ...sipLimits },
    logger: logger.child({ component: 'engine' }),
  });
  return {
    target: { host: connectHost(admin.host), port: engine.adminPort, secret: admin.secret },
    sip: engine.listenPoints.map((p) => `${p.protocol}/${formatHost(p.bindHost)}:${p.port}`),
    close: () => engine.close(),
  };
}

/**
 * drachtio-style contacts, one per address: `sip:127.0.0.1:5060;transport=udp,tcp` when both
 * protocols share it (the engine then binds both on the same port, as SIP expects, RFC 3261 §18).
 */
export function engineContacts(listen: readonly SipListen[]): string[] {
  const byAddress = new Map<string, { host: string; port: number; protocols: string[] }>();
  for (const l of listen) {
    const key = `${l.host}|${l.port}`;
    const entry = byAddress.get(key) ?? { host: l.host, port: l.port, protocols: [] };
    if (!entry.protocols.includes(l.protocol)) entry.protocols.push(l.protocol);
    byAddress.set(key, entry);
  }
  return [...byAddress.values()].map(
    (a) => `sip:${formatHost(a.host)}:${a.port};transport=${a.protocols.join(',')}`,
  );
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A wildcard bind address is reached over loopback. */
function connectHost(bindHost: string): string {
  if (bindHost === '0.0.0.0') return '127.0.0.1';
  if (bindHost === '::') return '::1';
  return bindHost;
}
