/**
 * The pino root logger and the per-call child loggers. Call context travels as fields
 * (`callId`, `trunk`, `leg`), never as message prefixes, so every line of a call can be found by
 * one query. Secrets and credentials are censored by path before a line is written.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** The legs of a call, by role (the words uas/uac stay inside gateway/sip/). */
export type CallLeg = 'caller' | 'agent' | 'human';

/**
 * Paths censored in every line. pino matches them structurally (one `*` per path segment), so
 * they name where credentials sit in what Baton logs: config objects, HTTP request headers and
 * SIP header maps (names lower-cased by drachtio-srf, or as received).
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  'secret',
  'apiToken',
  '*.password',
  '*.secret',
  '*.apiToken',
  '*.*.password',
  '*.*.secret',
  '*.*.apiToken',
  'authorization',
  'Authorization',
  '"proxy-authorization"',
  '"Proxy-Authorization"',
  '*.authorization',
  '*.Authorization',
  '*["proxy-authorization"]',
  '*["Proxy-Authorization"]',
  'headers.authorization',
  'headers.Authorization',
  'headers["proxy-authorization"]',
  'headers["Proxy-Authorization"]',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers["proxy-authorization"]',
  '*.headers["Proxy-Authorization"]',
];

export interface RootLoggerOptions {
  level: LevelWithSilent;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/** The process's root logger: JSON lines, ISO timestamps, `service: baton`, secrets censored. */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: { service: 'baton' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '***' },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

export interface CallContext {
  callId: string;
  /** Configured trunk name; absent while the source is not yet matched. */
  trunk?: string;
  leg?: CallLeg;
}

/** A child logger bound to one call (and optionally one leg of it). */
export function callLogger(root: Logger, context: CallContext): Logger {
  const bindings: Record<string, string> = { callId: context.callId };
  if (context.trunk !== undefined) bindings.trunk = context.trunk;
  if (context.leg !== undefined) bindings.leg = context.leg;
  return root.child(bindings);
}
