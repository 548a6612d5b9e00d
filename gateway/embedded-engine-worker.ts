/**
 * Entry point of the worker thread that runs the embedded SIP engine (started by
 * `embedded-engine.ts`). The engine gets an event loop, and so a CPU core, of its own: every
 * SIP message crosses both the engine and drachtio-srf, and on one thread the two halves
 * would wait for each other. Like `main.ts`, it does its work when loaded; nothing imports it.
 *
 * Messages: the parent sends `{ type: 'close' }`; the worker answers `ready` (with the bound
 * admin port and SIP listeners) or `failed`, and exits after `close`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from '../engine/create-engine.js';
import type { EngineWorkerData, EngineWorkerReply } from './embedded-engine.js';
import { createRootLogger } from './observability/logger.js';

async function run(port: NonNullable<typeof parentPort>, data: EngineWorkerData): Promise<void> {
  const logger = createRootLogger({ level: data.logLevel }).child({ component: 'engine' });
  const reply = (message: EngineWorkerReply): void => port.postMessage(message);
  let engine;
  try {
    engine = await createEngine({
      contacts: data.contacts,
      admin: data.admin,
      timers: data.timers,
      limits: data.limits,
      logger,
    });
  } catch (err) {
    reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    port.close();
    return;
  }
  const running = engine;
  port.on('message', (message: { type?: unknown }) => {
    if (message.type !== 'close') return;
    running.close().then(
      () => port.close(),
      (err: unknown) => {
        logger.error({ err }, 'engine close failed');
        port.close();
      },
    );
  });
  reply({
    type: 'ready',
    adminPort: running.adminPort,
    sip: running.listenPoints.map(
      (p) => `${p.protocol}/${p.bindHost.includes(':') ? `[${p.bindHost}]` : p.bindHost}:${p.port}`,
    ),
  });
}

if (parentPort !== null) void run(parentPort, workerData as EngineWorkerData);
