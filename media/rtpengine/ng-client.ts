/**
 * rtpengine's ng control protocol over UDP, through rtpengine-client: one command, one reply
 * (`<cookie> <bencoded dictionary>`). Turns the library's outcomes into {@link MediaError}s with
 * a code: a reply with `result: error` is `refused` (its `error-reason` in the message), the
 * library's own timeout is `timeout`, a socket error `unreachable`. Nothing here knows calls or
 * prompts; `rtpengine-media.ts` does.
 */
import { Client, RtpEngineError, type NgParams, type NgReply, type NgTarget } from 'rtpengine-client';
import { MediaError } from '../media-port.js';

export type NgCommand = 'ping' | 'offer' | 'answer' | 'play media' | 'delete';

export interface NgClientOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** Socket errors and late replies (after their command timed out), for the log. */
  readonly onStrayError?: (err: Error) => void;
}

export class NgClient {
  private readonly client: Client;
  private readonly target: NgTarget;
  private closed = false;

  constructor(opts: NgClientOptions) {
    this.target = { host: opts.host, port: opts.port };
    // rtpengine-client opens a udp4 socket; on loopback it binds loopback too, else any address.
    this.client = new Client({
      ...(opts.host.startsWith('127.') && { localAddress: opts.host }),
      timeout: opts.timeoutMs,
    });
    // An EventEmitter without an `error` listener would throw these out of the process.
    this.client.on('error', (err: Error) => opts.onStrayError?.(err));
  }

  /**
   * Send one command and return its reply dictionary.
   * @throws MediaError (`timeout`, `unreachable`, `refused`, `closed`)
   */
  async command(command: NgCommand, params: NgParams = {}): Promise<NgReply> {
    if (this.closed) throw new MediaError('closed', `rtpengine ${command}: the media port is closed`);
    let reply: NgReply;
    try {
      reply = await this.send(command, params);
    } catch (err) {
      if (err instanceof RtpEngineError) {
        throw new MediaError('timeout', `rtpengine ${command}: no reply from ${this.where()}`, {
          cause: err,
        });
      }
      throw new MediaError('unreachable', `rtpengine ${command}: cannot reach ${this.where()}`, {
        cause: err,
      });
    }
    const result = reply['result'];
    if (result === 'error' || result === 'load limit') {
      const reason = reply['error-reason'];
      throw new MediaError(
        'refused',
        `rtpengine ${command} refused: ${typeof reason === 'string' ? reason : String(result)}`,
      );
    }
    return reply;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private send(command: NgCommand, params: NgParams): Promise<NgReply> {
    switch (command) {
      case 'ping':
        return this.client.ping(this.target);
      case 'offer':
        return this.client.offer(this.target, params);
      case 'answer':
        return this.client.answer(this.target, params);
      case 'play media':
        return this.client.playMedia(this.target, params);
      case 'delete':
        return this.client.delete(this.target, params);
      default: {
        const unknown: never = command;
        throw new Error(`unknown ng command ${String(unknown)}`);
      }
    }
  }

  private where(): string {
    return `${this.target.host}:${this.target.port}`;
  }
}
