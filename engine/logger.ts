/**
 * The logging interface the engine's layers take (pino-compatible subset), so the engine does
 * not depend on a logging library; `main.ts` passes a pino logger, tests may pass `silentLogger`.
 */
export interface EngineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

export const silentLogger: EngineLogger = { debug: noop, info: noop, warn: noop, error: noop };
