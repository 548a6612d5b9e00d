/**
 * `baton-engine` command line, drachtio-server compatible: `-c/--contact` (repeatable),
 * `--address`, `-p/--port`, `--secret`, `-l/--loglevel`, plus the engine's own `--t1/--t2/--t4`
 * (RFC 3261 timer bases, ms). Pure: argv in, options or a usage error out.
 */
import { parseArgs } from 'node:util';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface EngineCliOptions {
  contacts: string[];
  adminAddress: string;
  adminPort: number;
  secret: string;
  logLevel: LogLevel;
  timers: { T1: number; T2: number; T4: number };
}

export class CliUsageError extends Error {
  readonly code = 'EUSAGE';
}

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** drachtio-server's numeric log levels (0 quiet … 9 chatty) mapped onto ours. */
const NUMERIC_LEVELS: Record<string, LogLevel> = {
  '0': 'fatal',
  '1': 'error',
  '2': 'warn',
  '3': 'info',
  '5': 'info',
  '7': 'debug',
  '9': 'trace',
};

export const ENGINE_USAGE = `usage: baton-engine [options]
  -c, --contact <uri>    SIP listener, e.g. "sip:127.0.0.1:5090;transport=udp,tcp" (repeatable; default sip:*:5060;transport=udp,tcp)
      --address <ip>     admin (control protocol) bind address (default 127.0.0.1)
  -p, --port <n>         admin port (default 9022)
      --secret <s>       shared secret apps authenticate with (default cymru)
  -l, --loglevel <lvl>   fatal|error|warn|info|debug|trace|silent (default info)
      --t1 <ms> --t2 <ms> --t4 <ms>   RFC 3261 timer bases (defaults 500, 4000, 5000)
  -h, --help`;

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliUsageError(`${name}: expected a positive integer, got "${text}"`);
  return n;
}

export function parseEngineArgs(argv: string[]): EngineCliOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        contact: { type: 'string', short: 'c', multiple: true },
        address: { type: 'string' },
        port: { type: 'string', short: 'p' },
        secret: { type: 'string' },
        loglevel: { type: 'string', short: 'l' },
        t1: { type: 'string' },
        t2: { type: 'string' },
        t4: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const port = positiveInt('--port', values.port, 9022);
  if (port > 65535) throw new CliUsageError(`--port: ${port} is not a TCP port`);
  const level = values.loglevel === undefined ? 'info' : (NUMERIC_LEVELS[values.loglevel] ?? values.loglevel);
  if (!LEVELS.includes(level as LogLevel))
    throw new CliUsageError(`--loglevel: unknown level "${values.loglevel}"`);
  return {
    contacts: values.contact?.length ? values.contact : ['sip:*:5060;transport=udp,tcp'],
    adminAddress: values.address ?? '127.0.0.1',
    adminPort: port,
    secret: values.secret ?? 'cymru',
    logLevel: level as LogLevel,
    timers: {
      T1: positiveInt('--t1', values.t1, 500),
      T2: positiveInt('--t2', values.t2, 4000),
      T4: positiveInt('--t4', values.t4, 5000),
    },
  };
}
