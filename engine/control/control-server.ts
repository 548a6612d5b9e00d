/**
 * The drachtio control-protocol server: the TCP port drachtio-srf apps connect to with
 * `srf.connect({host, port, secret})` (wire-protocol reference §1.1–1.8). It owns sockets,
 * framing, authentication and the routing table; every `sip` command goes to the SIP core
 * through the {@link SipCore} port, and the core reaches apps back through {@link AppClient}.
 *
 * Each connection runs its own small state machine (`app-connection.ts`). Protocol violations
 * (bad framing, unknown leader, commands before authentication) close the offending
 * connection with a log line; nothing thrown by a peer's input escapes a socket handler.
 * SIP-level failures are answered `NOK|<reason>` and keep the connection.
 *
 * Must not import the SIP core's implementation (`engine/dialog/`), only its port.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { systemClock, type Clock } from '../transaction/transaction-types.js';
import { silentLogger, type EngineLogger } from '../logger.js';
import { AppConnection, type ConnectionSettings } from './app-connection.js';
import { ClientRegistry } from './client-registry.js';
import { DEFAULT_MAX_FRAME_BYTES } from './framing.js';
import { DRACHTIO_COMPAT_VERSION } from './frames.js';
import type { AppRouter, SipCore } from './sip-core-port.js';

export { DRACHTIO_COMPAT_VERSION } from './frames.js';

/** Default limits; each is an option of {@link ControlServer}. */
export const CONTROL_DEFAULTS = Object.freeze({
  /** Largest frame accepted from an app (drachtio itself stops below 100,000 bytes). */
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  /**
   * Unsent bytes allowed to queue for one app before it is considered stuck and disconnected,
   * so that a stalled app cannot grow the engine's memory without bound.
   */
  maxWriteBufferBytes: 32 * 1024 * 1024,
  /** A connection that has not authenticated by then is closed (drachtio has no such limit). */
  authTimeoutMs: 10_000,
  /** After a closing reply, how long the peer gets to close its side before the socket is destroyed. */
  closeGraceMs: 2_000,
});

export interface ControlServerOptions {
  host: string;
  /** 0 picks an ephemeral port; {@link ControlServer.listen} resolves with the real one. */
  port: number;
  secret: string;
  core: SipCore;
  logger?: EngineLogger;
  clock?: Clock;
  version?: string;
  maxFrameBytes?: number;
  maxWriteBufferBytes?: number;
  authTimeoutMs?: number;
  closeGraceMs?: number;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export class ControlServer {
  readonly router: AppRouter;
  readonly #registry = new ClientRegistry();
  /** Connections in service (awaiting authentication or authenticated). */
  readonly #connections = new Set<AppConnection>();
  /** Every open socket, including connections already retired but still closing. */
  readonly #sockets = new Set<net.Socket>();
  readonly #host: string;
  readonly #port: number;
  readonly #secretDigest: Buffer;
  readonly #core: SipCore;
  readonly #settings: ConnectionSettings;
  #server: net.Server | undefined;

  constructor(options: ControlServerOptions) {
    this.#host = options.host;
    this.#port = options.port;
    this.#secretDigest = digest(options.secret);
    this.#core = options.core;
    this.#settings = {
      logger: options.logger ?? silentLogger,
      clock: options.clock ?? systemClock,
      version: options.version ?? DRACHTIO_COMPAT_VERSION,
      maxFrameBytes: options.maxFrameBytes ?? CONTROL_DEFAULTS.maxFrameBytes,
      maxWriteBufferBytes: options.maxWriteBufferBytes ?? CONTROL_DEFAULTS.maxWriteBufferBytes,
      authTimeoutMs: options.authTimeoutMs ?? CONTROL_DEFAULTS.authTimeoutMs,
      closeGraceMs: options.closeGraceMs ?? CONTROL_DEFAULTS.closeGraceMs,
    };
    this.router = this.#registry;
  }

  /** The routing table (read-only use: inspection and tests). */
  get registry(): ClientRegistry {
    return this.#registry;
  }

  /** Apps connected and not yet retired. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<{ host: string; port: number }> {
    if (this.#server !== undefined) return Promise.reject(new Error('ControlServer is already listening'));
    const server = net.createServer({ noDelay: true, keepAlive: true }, (socket) => this.#accept(socket));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.#settings.logger.error({ err }, 'control server socket error'));
        const address = server.address() as net.AddressInfo;
        this.#settings.logger.info({ host: address.address, port: address.port }, 'control server listening');
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stop accepting, drop every app connection (each one's routes go, the core hears `clientGone`). */
  close(): Promise<void> {
    const server = this.#server;
    for (const connection of [...this.#connections]) connection.destroy('server closing');
    for (const socket of this.#sockets) socket.destroy();
    if (server === undefined) return Promise.resolve();
    this.#server = undefined;
    return new Promise((resolve) => server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    const connection = new AppConnection(socket, this.#settings, {
      isSecret: (candidate) => timingSafeEqual(digest(candidate), this.#secretDigest),
      core: this.#core,
      registry: this.#registry,
      onRetired: (conn, wasAuthenticated) => this.#retire(conn, wasAuthenticated),
    });
    this.#connections.add(connection);
  }

  #retire(connection: AppConnection, wasAuthenticated: boolean): void {
    this.#connections.delete(connection);
    this.#registry.removeClient(connection);
    if (!wasAuthenticated) return;
    try {
      this.#core.clientGone(connection);
    } catch (err) {
      this.#settings.logger.error(
        { err, client: connection.id },
        'SIP core failed handling an app disconnect',
      );
    }
  }
}
