/**
 * Starting Baton's own SIP engine for `npm start` without an external drachtio-server. The
 * engine runs in a worker thread of this process (`embedded-engine-worker.ts`), so it has a
 * core of its own while staying one process to deploy and stop. These two files are the only
 * ones under `gateway/` that import `engine/`, and only `gateway/main.ts` imports this one: the
 * rest of the gateway reaches the engine through drachtio-srf over the control port, exactly as
 * it would reach a real drachtio-server.
 */
import { Worker } from 'node:worker_threads';
import type { SipListen } from '../config/listen-address.js';
import type { Config } from '../config/schema.js';
import type { RootLoggerOptions } from './observability/logger.js';
import type { Logger } from './observability/logger.js';
import type { SrfTarget } from './sip/srf-connection.js';

/** What the worker gets (structured-cloned). */
export interface EngineWorkerData {
  contacts: string[];
  admin: { host: string; port: number; secret: string };
  timers: { T1: number; T2: number; T4: number };
  limits: { maxMessageBytes: number; maxHeaders: number; maxUriLength: number; maxHeaderLineBytes: number };
  logLevel: RootLoggerOptions['level'];
}

export type EngineWorkerReply =
  { type: 'ready'; adminPort: number; sip: string[] } | { type: 'failed'; message: string };

export interface EmbeddedEngine {
  /** Where the gateway's drachtio-srf connects. */
  readonly target: SrfTarget;
  /** The SIP listeners actually bound (`udp/127.0.0.1:5060`, …). */
  readonly sip: readonly string[];
  /** Called if the engine stops without being asked to (the gateway cannot work without it). */
  onUnexpectedExit(handler: (code: number) => void): void;
  close(): Promise<void>;
}

/** Thrown when the engine cannot start (a port in use, a bad listener). */
export class EngineStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineStartError';
  }
}

/** The engine gets this long to close its sockets before the worker is terminated. */
const ENGINE_CLOSE_TIMEOUT_MS = 5_000;

export async function startEmbeddedEngine(config: Config, logger: Logger): Promise<EmbeddedEngine> {
  const { admin, sipTimers, sipLimits } = config.engine;
  const data: EngineWorkerData = {
    contacts: engineContacts(config.sip.listen),
    admin: { host: admin.host, port: admin.port, secret: admin.secret },
    timers: { T1: sipTimers.t1Ms, T2: sipTimers.t2Ms, T4: sipTimers.t4Ms },
    limits: { ...sipLimits },
    logLevel: config.logging.level,
  };
  const worker = spawnWorker(data);
  let closing = false;
  let unexpected: (code: number) => void = (code) =>
    logger.fatal({ code, component: 'engine' }, 'SIP engine stopped unexpectedly');
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  worker.on('error', (err) => logger.error({ err, component: 'engine' }, 'SIP engine thread failed'));

  const reply = await new Promise<EngineWorkerReply>((resolve) => {
    worker.once('message', (m: EngineWorkerReply) => resolve(m));
    void exited.then((code) => resolve({ type: 'failed', message: `engine thread exited with ${code}` }));
  });
  if (reply.type === 'failed') {
    await exited;
    throw new EngineStartError(`the embedded SIP engine did not start: ${reply.message}`);
  }
  void exited.then((code) => {
    if (!closing) unexpected(code);
  });
  return {
    target: { host: connectHost(admin.host), port: reply.adminPort, secret: admin.secret },
    sip: reply.sip,
    onUnexpectedExit(handler) {
      unexpected = handler;
    },
    async close() {
      closing = true;
      worker.postMessage({ type: 'close' });
      const timer = setTimeout(() => void worker.terminate(), ENGINE_CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The worker runs the compiled `.js` next to this file; from source (tsx) the `.ts`, through a
 * small bootstrap that registers tsx in the worker (loader hooks are per thread in Node 20).
 */
function spawnWorker(data: EngineWorkerData): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./embedded-engine-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData: data });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
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
