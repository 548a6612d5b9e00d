/**
 * The gateway's connection to its SIP server over the drachtio control protocol: the embedded
 * engine on loopback, or an external drachtio-server. drachtio-srf reconnects by itself with a
 * back-off after the connection drops; this module tracks whether it is up (for /readyz and
 * `baton_engine_connected`) and logs each change once.
 */
import Srf from 'drachtio-srf';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { srfCalls } from './srf-types.js';

export interface SrfTarget {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

export interface SrfConnectionOptions {
  target: SrfTarget;
  logger: Logger;
  metrics: Pick<Metrics, 'engineConnected'>;
}

/** The first connection must succeed within this long, or start-up fails with a clear error. */
export const FIRST_CONNECT_TIMEOUT_MS = 10_000;

/** Thrown when the first connection fails: wrong secret, nothing listening, or too slow. */
export class SrfConnectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SrfConnectError';
  }
}

export class SrfConnection {
  readonly srf: Srf;
  private readonly opts: SrfConnectionOptions;
  private readonly log: Logger;
  private up = false;
  private closed = false;

  constructor(opts: SrfConnectionOptions) {
    this.opts = opts;
    this.log = opts.logger.child({ component: 'sip' });
    this.srf = new Srf();
  }

  /** Whether the control connection is up and authenticated. */
  get connected(): boolean {
    return this.up;
  }

  /**
   * Connect and authenticate; resolves on the first success. Later drops are reconnected by
   * drachtio-srf and only change {@link connected}.
   * @throws SrfConnectError when authentication fails or no connection is made in time
   */
  connect(timeoutMs = FIRST_CONNECT_TIMEOUT_MS): Promise<void> {
    const { target } = this.opts;
    const where = `${target.host}:${target.port}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new SrfConnectError(`no connection to the SIP server at ${where} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.srf.on('connect', (err: Error | null, hostport: string) => {
        if (err) {
          this.setUp(false);
          this.log.error({ err, server: where }, 'SIP server refused the connection');
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            reject(new SrfConnectError(`SIP server at ${where} refused the connection: ${err.message}`));
          }
          return;
        }
        this.setUp(true);
        this.log.info({ server: where, sip: hostport }, 'connected to the SIP server');
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      });
      srfCalls(this.srf).on('close', () => {
        if (this.up && !this.closed)
          this.log.warn({ server: where }, 'connection to the SIP server lost; reconnecting');
        this.setUp(false);
      });
      // Without a listener an 'error' would throw; srf reconnects after it on its own.
      this.srf.on('error', (err: Error) => {
        if (!this.closed) this.log.debug({ err, server: where }, 'SIP server connection error');
      });
      void this.srf.connect({ host: target.host, port: target.port, secret: target.secret });
    });
  }

  /** Drop the connection for good (shutdown). */
  close(): void {
    this.closed = true;
    this.setUp(false);
    // drachtio-srf asserts when asked to disconnect a socket it has already lost (the server
    // went away first); at shutdown that is simply "already disconnected".
    try {
      this.srf.disconnect();
    } catch {
      // nothing left to close
    }
  }

  private setUp(up: boolean): void {
    this.up = up;
    this.opts.metrics.engineConnected.set(up);
  }
}
