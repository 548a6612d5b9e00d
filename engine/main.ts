/**
 * `baton-engine`: the embedded SIP engine as a standalone process, a drop-in for
 * drachtio-server's command line. Exits 0 on SIGTERM/SIGINT after closing its sockets,
 * 2 on a usage error, 1 when it cannot start (port in use, bad contact).
 */
import { pino } from 'pino';
import { CliUsageError, ENGINE_USAGE, parseEngineArgs } from './cli-args.js';
import { createEngine } from './create-engine.js';

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseEngineArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CliUsageError) {
      process.stderr.write(`baton-engine: ${err.message}\n${ENGINE_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    process.stdout.write(`${ENGINE_USAGE}\n`);
    return 0;
  }
  const logger = pino({ name: 'baton-engine', level: opts.logLevel });
  let engine;
  try {
    engine = await createEngine({
      contacts: opts.contacts,
      admin: { host: opts.adminAddress, port: opts.adminPort, secret: opts.secret },
      timers: opts.timers,
      logger,
    });
  } catch (err) {
    logger.fatal({ err }, 'engine failed to start');
    return 1;
  }
  logger.info(
    { sip: engine.core.hostports(), admin: `${opts.adminAddress}:${engine.adminPort}` },
    'baton-engine ready',
  );
  const running = engine;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await running.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`baton-engine: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
