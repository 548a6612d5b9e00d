/**
 * One app's connection to the control server: framing, the per-connection protocol state
 * machine and the replies (wire-protocol reference §1.2). It is the {@link AppClient} the SIP
 * core sees, so the core can push `sip` and `cdr:*` frames to the app that owns a call.
 *
 * States:
 *
 *     awaiting-auth ──authenticate OK──▶ authenticated
 *          │                                  │
 *          ├──── protocol failure: NO|… ──────┼──▶ closing ──socket closed──▶ closed
 *          └──── peer gone / destroy ─────────┴────────────────────────────▶ closed
 *
 * Leaving `awaiting-auth`/`authenticated` happens exactly once and is when the app's routes
 * are dropped and (if it had authenticated) the SIP core hears `clientGone`.
 */
import { randomUUID } from 'node:crypto';
import type net from 'node:net';
import type { EngineLogger } from '../logger.js';
import type { Clock, TimerHandle } from '../transaction/transaction-types.js';
import type { ClientRegistry } from './client-registry.js';
import { encodeFrame, FrameDecoder, splitLeader, type FramingError } from './framing.js';
import { cdrFrame, leaderSafe, responseFrame, sipFrame } from './frames.js';
import type { AppClient, AppSipResult, CdrDelivery, SipCore, SipDelivery } from './sip-core-port.js';

export interface ConnectionSettings {
  logger: EngineLogger;
  clock: Clock;
  /** Version string placed in the authenticate reply. */
  version: string;
  maxFrameBytes: number;
  maxWriteBufferBytes: number;
  authTimeoutMs: number;
  closeGraceMs: number;
}

/** What a connection needs from its server. */
export interface ConnectionContext {
  isSecret(candidate: string): boolean;
  core: SipCore;
  registry: ClientRegistry;
  /** Called once when the connection leaves service. */
  onRetired(connection: AppConnection, wasAuthenticated: boolean): void;
}

type ConnectionState = 'awaiting-auth' | 'authenticated' | 'closing' | 'closed';

const PROXY_UNSUPPORTED = 'proxy not supported by the embedded engine';

function flushCorked(connection: AppConnection): void {
  connection.flush();
}

export class AppConnection implements AppClient {
  readonly id = randomUUID();
  tags: readonly string[] = [];
  readonly #socket: net.Socket;
  readonly #settings: ConnectionSettings;
  readonly #ctx: ConnectionContext;
  readonly #decoder: FrameDecoder;
  readonly #peer: string;
  #state: ConnectionState = 'awaiting-auth';
  #corked = false;
  #authTimer: TimerHandle | undefined;
  #graceTimer: TimerHandle | undefined;

  constructor(socket: net.Socket, settings: ConnectionSettings, ctx: ConnectionContext) {
    this.#socket = socket;
    this.#settings = settings;
    this.#ctx = ctx;
    this.#peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.#decoder = new FrameDecoder((payload) => this.#onFrame(payload), {
      maxFrameBytes: settings.maxFrameBytes,
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#log('info', { err: err.message }, 'app connection error'));
    socket.on('close', () => this.#onSocketClosed());
    this.#authTimer = settings.clock.setTimer(() => {
      this.#authTimer = undefined;
      this.#log('warn', {}, 'app did not authenticate in time; closing');
      this.destroy('authentication timeout');
    }, settings.authTimeoutMs);
    this.#log('debug', {}, 'app connected');
  }

  get state(): ConnectionState {
    return this.#state;
  }

  deliverSip(d: SipDelivery): void {
    this.#send(sipFrame(randomUUID(), d));
  }

  deliverCdr(d: CdrDelivery): void {
    this.#send(cdrFrame(randomUUID(), d));
  }

  /** Write the frames corked during this tick (see {@link AppConnection.#send}). */
  flush(): void {
    this.#corked = false;
    if (!this.#socket.destroyed) this.#socket.uncork();
  }

  /** Close at once (server shutdown, timeout, stuck peer). Idempotent. */
  destroy(reason: string): void {
    if (this.#state === 'closed') return;
    this.#log('debug', { reason }, 'closing app connection');
    this.#socket.destroy();
    this.#enter('closed');
  }

  #onData(chunk: Buffer): void {
    let error: FramingError | undefined;
    try {
      error = this.#decoder.push(chunk);
    } catch (err) {
      // A bug in a handler must cost this connection, never the process.
      this.#log('error', { err }, 'failure handling an app message; closing connection');
      this.destroy('internal error');
      return;
    }
    if (error !== undefined) {
      this.#log('warn', { code: error.code, detail: error.message }, 'malformed frame from app; closing');
      this.destroy('framing error');
    }
  }

  #onFrame(payload: string): void {
    const { tokens, body } = splitLeader(payload);
    const msgId = tokens[0] ?? '';
    const command = tokens[1];
    if (command === undefined || msgId === '') {
      this.#closeWith(msgId, 'Invalid message format');
      return;
    }
    if (this.#state === 'awaiting-auth' && command !== 'authenticate') {
      this.#closeWith(msgId, 'authentication required');
      return;
    }
    switch (command) {
      case 'authenticate':
        this.#authenticate(msgId, tokens[2] ?? '', tokens[3] ?? '');
        return;
      case 'route':
      case 'remove_route':
        this.#route(command, msgId, tokens[2] ?? '');
        return;
      case 'ping':
        this.#reply(msgId, ['OK', 'pong']);
        return;
      case 'sip':
        this.#sip(msgId, tokens, body);
        return;
      case 'proxy':
        // srf.proxyRequest / req.proxy are out of scope; srf's Request#proxy tests for 'NOK'.
        this.#reply(msgId, ['NOK', PROXY_UNSUPPORTED]);
        return;
      default:
        this.#closeWith(msgId, 'Unknown message type');
    }
  }

  #authenticate(msgId: string, secret: string, tags: string): void {
    if (!this.#ctx.isSecret(secret)) {
      this.#closeWith(msgId, 'incorrect secret');
      return;
    }
    this.#clearAuthTimer();
    this.#state = 'authenticated';
    this.tags = tags.split(',').filter((t) => t !== '');
    // srf reads response[1] hostports, [2] server version, [3] local hostports. The engine
    // makes no NAT distinction between advertised and local addresses: both lists are equal.
    const hostports = this.#ctx.core.hostports();
    this.#reply(msgId, ['OK', hostports, this.#settings.version, hostports]);
    this.#log('info', { tags: this.tags }, 'app authenticated');
  }

  #route(command: 'route' | 'remove_route', msgId: string, verb: string): void {
    if (verb === '') {
      this.#closeWith(msgId, 'Route request includes unsupported verb');
      return;
    }
    if (command === 'route') this.#ctx.registry.route(this, verb);
    else this.#ctx.registry.removeRoute(this, verb);
    this.#reply(msgId, ['OK']);
    this.#log('debug', { command, verb }, 'route updated');
  }

  /** `<id>|sip|<txnId>|<dialogId>[|<proxyUri>]` + CRLF + SIP message (reference §1.6). */
  #sip(msgId: string, tokens: string[], raw: string): void {
    if (tokens.length < 4 || raw === '') {
      // drachtio-server asserts here; a reply lets the app see its mistake instead.
      this.#reply(msgId, ['NOK', 'invalid sip command: expected txnId, dialogId and a SIP message']);
      return;
    }
    let pending: Promise<AppSipResult>;
    try {
      pending = this.#ctx.core.handleAppSip(this, tokens[2] ?? '', tokens[3] ?? '', tokens[4] ?? '', raw);
    } catch (err) {
      this.#sipFailed(msgId, err);
      return;
    }
    void pending.then(
      (result) => this.#sipDone(msgId, result),
      (err: unknown) => this.#sipFailed(msgId, err),
    );
  }

  #sipDone(msgId: string, result: AppSipResult): void {
    if (result.ok) this.#reply(msgId, ['OK', ...result.tokens], result.echo);
    else this.#reply(msgId, ['NOK', leaderSafe(result.reason)]);
  }

  #sipFailed(msgId: string, err: unknown): void {
    this.#log('error', { err }, 'SIP core failed a sip command');
    this.#reply(msgId, ['NOK', 'internal engine error']);
  }

  #reply(requestId: string, tokens: readonly string[], body?: string): void {
    this.#send(responseFrame(randomUUID(), requestId, tokens, body));
  }

  /** Answer `NO|<reason>` and close, as drachtio-server does for control-message failures. */
  #closeWith(requestId: string, reason: string): void {
    this.#log('warn', { reason }, 'closing app connection after a protocol failure');
    this.#send(responseFrame(randomUUID(), requestId, ['NO', reason]));
    this.#enter('closing');
    // end() flushes what is queued (corked frames included) before FIN; a peer that never
    // closes its side is cut off after the grace period.
    this.#socket.end();
    this.#graceTimer = this.#settings.clock.setTimer(() => {
      this.#graceTimer = undefined;
      this.destroy('close grace period over');
    }, this.#settings.closeGraceMs);
  }

  /**
   * Frames written while the event loop handles a batch of I/O are corked and flushed together
   * in the check phase (setImmediate runs after every ready datagram of this poll round), so a
   * burst costs one writev rather than a syscall per frame; TCP_NODELAY is set, so a lone frame
   * still leaves at once.
   */
  #send(payload: string): void {
    const socket = this.#socket;
    if (this.#state === 'closed' || this.#state === 'closing' || !socket.writable) {
      // 'closing' still lets the final NO reply through: it is written before the transition.
      this.#log('debug', {}, 'dropping frame for a closed app connection');
      return;
    }
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      setImmediate(flushCorked, this);
    }
    socket.write(encodeFrame(payload));
    if (socket.writableLength > this.#settings.maxWriteBufferBytes) {
      this.#log(
        'error',
        { queued: socket.writableLength },
        'app is not reading its frames; disconnecting it',
      );
      this.destroy('write buffer overflow');
    }
  }

  #onSocketClosed(): void {
    if (this.#graceTimer !== undefined) {
      this.#settings.clock.clearTimer(this.#graceTimer);
      this.#graceTimer = undefined;
    }
    this.#enter('closed');
  }

  #enter(next: 'closing' | 'closed'): void {
    const previous = this.#state;
    if (previous === 'closed') return;
    this.#state = next;
    if (previous === 'closing') return;
    this.#clearAuthTimer();
    this.#decoder.stop();
    this.#log('info', { reason: next }, 'app connection retired');
    this.#ctx.onRetired(this, previous === 'authenticated');
  }

  #clearAuthTimer(): void {
    if (this.#authTimer === undefined) return;
    this.#settings.clock.clearTimer(this.#authTimer);
    this.#authTimer = undefined;
  }

  #log(level: keyof EngineLogger, fields: object, msg: string): void {
    this.#settings.logger[level]({ client: this.id, peer: this.#peer, ...fields }, msg);
  }
}
