/**
 * Narrow local typings for rtpengine-client 0.4.12, which ships none: only the UDP ng client and
 * the commands `media/rtpengine/` sends. Replies are bencoded dictionaries, typed loosely here and
 * checked field by field by the adapter.
 */
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';

  /** Where the ng commands go (rtpengine --listen-ng). */
  export interface NgTarget {
    readonly host: string;
    readonly port: number;
  }

  export interface ClientOptions {
    readonly localAddress?: string;
    readonly localPort?: number;
    /** Milliseconds before a command rejects with a timeout error; 0 waits for ever. */
    readonly timeout?: number;
    /** Reject with the bare error-reason string on `result: error`; Baton leaves it off. */
    readonly rejectOnError?: boolean;
  }

  /** A decoded ng reply: `result` is `ok`, `pong`, `error` or `load limit`. */
  export type NgReply = { readonly [key: string]: unknown };

  /** The request dictionary of one command (call-id, from-tag, sdp, flags…). */
  export type NgParams = { readonly [key: string]: unknown };

  /** Emits `listening` once bound and `error` for socket errors and uncorrelated replies. */
  export class Client extends EventEmitter {
    constructor(options: ClientOptions);
    ping(target: NgTarget): Promise<NgReply>;
    offer(target: NgTarget, params: NgParams): Promise<NgReply>;
    answer(target: NgTarget, params: NgParams): Promise<NgReply>;
    playMedia(target: NgTarget, params: NgParams): Promise<NgReply>;
    delete(target: NgTarget, params: NgParams): Promise<NgReply>;
    close(): void;
  }

  /** What a command rejects with when its reply does not come within `timeout`. */
  export class RtpEngineError extends Error {}
}
