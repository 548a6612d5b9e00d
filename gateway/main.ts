/**
 * `baton [--config FILE]`: the gateway process. Loads the configuration (file + environment),
 * starts the embedded SIP engine unless `sip.drachtio` names an external drachtio-server, opens
 * the store, connects drachtio-srf, opens the HTTP port, and on SIGTERM/SIGINT drains: new calls
 * get 503, calls in progress get up to `shutdown.drainTimeoutMs` to finish, the rest are hung
 * up, and the process exits 0. A second signal cuts the wait short.
 *
 * Exit codes: 0 after a clean stop, 1 when start-up fails (bad config, port in use, no SIP
 * server), 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { createStore } from './store/create-store.js';
import { createGateway } from './create-gateway.js';
import { startEmbeddedEngine, type EmbeddedEngine } from './embedded-engine.js';
import { createRootLogger, type Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { PRESERVE_HEADER_NAMES_ENV, preservedHeaderNames } from './sip/header-case.js';
import { transferHeaderNames } from './transfer/header-rules.js';

const USAGE = `usage: baton [--config FILE]
  -c, --config FILE   YAML configuration (default: built-in defaults plus BATON_* environment)
  -h, --help          show this help
  baton config check [FILE]   validate a configuration and print the effective values`;

class UsageError extends Error {}

function parseCommandLine(argv: string[]): { config?: string } | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.values.help === true) return 'help';
  return parsed.values.config === undefined ? {} : { config: parsed.values.config };
}

function waitForSignal(logger: Logger): { first: Promise<string>; second: Promise<void> } {
  let count = 0;
  let resolveFirst: (signal: string) => void = () => undefined;
  let resolveSecond: () => void = () => undefined;
  const first = new Promise<string>((r) => (resolveFirst = r));
  const second = new Promise<void>((r) => (resolveSecond = r));
  const onSignal = (signal: string): void => {
    count += 1;
    if (count === 1) resolveFirst(signal);
    else {
      logger.warn({ signal }, 'second signal: hanging up now');
      resolveSecond();
    }
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  return { first, second };
}

async function run(config: Config, logger: Logger): Promise<number> {
  // drachtio-srf reads this when it sends; set before the first message (see header-case.ts).
  const preserved = preservedHeaderNames(process.env[PRESERVE_HEADER_NAMES_ENV], [
    ...Object.keys(config.aiAgent.headers),
    ...config.aiAgent.routes.flatMap((route) => Object.keys(route.headers ?? {})),
    ...transferHeaderNames(config.transfer),
  ]);
  if (preserved !== undefined) process.env[PRESERVE_HEADER_NAMES_ENV] = preserved;

  const signals = waitForSignal(logger);
  if (
    config.security.digestNonceSecret === undefined &&
    config.store.kind === 'redis' &&
    config.trunks.some((t) => t.auth !== undefined)
  ) {
    // A shared store means several instances; a challenge answered to another one would fail.
    logger.warn(
      'security.digestNonceSecret is not set: digest nonces verify only on the instance that issued them',
    );
  }
  const metrics = createMetrics();
  let engine: EmbeddedEngine | undefined;
  if (config.sip.drachtio === undefined) {
    engine = await startEmbeddedEngine(config, logger);
    logger.info({ sip: engine.sip }, 'embedded SIP engine started');
    // Without its engine the gateway takes no calls: exit, so a supervisor restarts it whole.
    engine.onUnexpectedExit((code) => {
      logger.fatal({ code }, 'embedded SIP engine stopped unexpectedly; exiting');
      process.exit(1);
    });
  }
  const sipServer = engine?.target ?? config.sip.drachtio;
  if (sipServer === undefined) throw new Error('no SIP server: neither the embedded engine nor sip.drachtio');
  const store = createStore(config.store, { logger: logger.child({ component: 'store' }) });
  try {
    await store.open();
    const gateway = createGateway({
      config,
      logger,
      metrics,
      sipServer,
      store,
    });
    const { http } = await gateway.start();
    logger.info(
      {
        http: `${http.host}:${http.port}`,
        sip: engine?.sip ?? `drachtio ${config.sip.drachtio?.host}:${config.sip.drachtio?.port}`,
      },
      'baton ready',
    );
    const signal = await signals.first;
    logger.info({ signal }, 'shutting down');
    await gateway.shutdown(config.shutdown.drainTimeoutMs, signals.second);
    return 0;
  } finally {
    await store.close().catch((err: unknown) => logger.warn({ err }, 'store close failed'));
    await engine?.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`baton: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig({ file: args.config, env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`baton: ${err.message}\n`);
    return 1;
  }
  const logger = createRootLogger({ level: config.logging.level });
  try {
    return await run(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'baton failed');
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`baton: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
