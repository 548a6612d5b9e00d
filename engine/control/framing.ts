/**
 * Framing of the drachtio control protocol (wire-protocol reference §1.1): every frame is
 * `<decimal UTF-8 byte length>#<payload>`, with no delimiter between frames, in both
 * directions. Pure: no sockets, no timers, never throws on any input.
 *
 * drachtio-server reads at most 5 length digits (frames under 100,000 bytes); the engine
 * accepts larger frames, up to a configurable maximum, because a SIP message with a long SDP
 * or many headers can exceed that over TCP.
 */

/** Largest payload accepted by default: 1 MiB, far above any sane SIP message plus leader. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

const HASH = 0x23; // '#'
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const CRLF = '\r\n';

export type FramingErrorCode =
  /** A byte other than a decimal digit before `#`: the stream is not drachtio framing. */
  | 'bad-length-character'
  /** `#` with no digits before it, or a zero length (srf treats both as invalid too). */
  | 'empty-frame'
  /** The announced length exceeds the decoder's maximum. */
  | 'frame-too-large';

/** A framing violation. The stream cannot be resynchronised after one: close the connection. */
export interface FramingError {
  readonly code: FramingErrorCode;
  readonly message: string;
}

export interface FrameDecoderOptions {
  /** Largest payload accepted, in bytes; default {@link DEFAULT_MAX_FRAME_BYTES}. */
  maxFrameBytes?: number;
}

/**
 * Incremental decoder: feed it socket chunks with {@link FrameDecoder.push}; it calls `onFrame`
 * once per complete payload, in order. Frames may be split across chunks (even inside the
 * length prefix or inside a multi-byte UTF-8 character) or coalesced several per chunk.
 *
 * A payload that lies entirely inside one chunk is decoded straight from that chunk; only a
 * payload that spans chunks is assembled, once, into a buffer of exactly its size.
 */
export class FrameDecoder {
  readonly #onFrame: (payload: string) => void;
  readonly #maxFrameBytes: number;
  /** Digits of the length prefix read so far (the prefix may span chunks). */
  #lengthDigits = 0;
  #length = 0;
  /** Set while a payload spanning chunks is being assembled. */
  #partial: Buffer | undefined;
  #partialFilled = 0;
  #error: FramingError | undefined;
  #stopped = false;

  constructor(onFrame: (payload: string) => void, options: FrameDecoderOptions = {}) {
    this.#onFrame = onFrame;
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /**
   * Consume one chunk. Returns the framing error that stopped decoding, if any; frames that
   * were complete before the error have already been delivered. Once an error is returned,
   * every later call returns it again and delivers nothing.
   */
  push(chunk: Buffer): FramingError | undefined {
    if (this.#error !== undefined || this.#stopped) return this.#error;
    let pos = 0;
    const end = chunk.length;
    while (pos < end && !this.#stopped) {
      if (this.#partial !== undefined) {
        pos = this.#fillPartial(chunk, pos);
        continue;
      }
      const byte = chunk[pos] as number;
      pos++;
      if (byte === HASH) {
        if (this.#lengthDigits === 0 || this.#length === 0) {
          return this.#fail('empty-frame', 'frame has an empty or zero length prefix');
        }
        const length = this.#length;
        this.#lengthDigits = 0;
        this.#length = 0;
        if (end - pos >= length) {
          this.#onFrame(chunk.toString('utf8', pos, pos + length));
          pos += length;
        } else {
          this.#partial = Buffer.allocUnsafe(length);
          this.#partialFilled = 0;
        }
      } else if (byte >= DIGIT_0 && byte <= DIGIT_9) {
        this.#length = this.#length * 10 + (byte - DIGIT_0);
        this.#lengthDigits++;
        if (this.#length > this.#maxFrameBytes) {
          return this.#fail('frame-too-large', `frame length exceeds ${this.#maxFrameBytes} bytes`);
        }
      } else {
        return this.#fail('bad-length-character', `byte 0x${byte.toString(16)} in frame length prefix`);
      }
    }
    return undefined;
  }

  /**
   * Stop delivering frames and drop buffered bytes (the connection is being closed, e.g. after
   * a message the server answers by disconnecting). Later pushes are ignored.
   */
  stop(): void {
    this.#stopped = true;
    this.#partial = undefined;
  }

  /** Bytes buffered towards an incomplete frame (for diagnostics and tests). */
  get pendingBytes(): number {
    return this.#partial === undefined ? this.#lengthDigits : this.#partialFilled;
  }

  #fillPartial(chunk: Buffer, pos: number): number {
    const partial = this.#partial as Buffer;
    const wanted = partial.length - this.#partialFilled;
    const available = chunk.length - pos;
    const n = available < wanted ? available : wanted;
    chunk.copy(partial, this.#partialFilled, pos, pos + n);
    this.#partialFilled += n;
    if (this.#partialFilled === partial.length) {
      this.#partial = undefined;
      this.#partialFilled = 0;
      this.#onFrame(partial.toString('utf8'));
    }
    return pos + n;
  }

  #fail(code: FramingErrorCode, message: string): FramingError {
    this.#error = { code, message };
    this.#partial = undefined;
    return this.#error;
  }
}

/**
 * Encode one payload as `<byte length>#<payload>` in a single buffer (one allocation, the
 * payload encoded once). The length is always the UTF-8 byte length, never `string.length`.
 */
export function encodeFrame(payload: string): Buffer {
  const length = Buffer.byteLength(payload, 'utf8');
  const prefix = `${length}#`;
  const frame = Buffer.allocUnsafe(prefix.length + length);
  frame.write(prefix, 0, 'latin1');
  frame.write(payload, prefix.length, 'utf8');
  return frame;
}

export interface SplitPayload {
  /** The leader split on every `|`; empty tokens are kept because their position is meaningful. */
  tokens: string[];
  /** Everything after the first CRLF (a SIP message), or '' when the payload has no CRLF. */
  body: string;
}

/**
 * Split a payload into its leader tokens and body (reference §1.1: the leader is the first
 * line; drachtio's `splitTokens` splits on every `|` with no compression).
 */
export function splitLeader(payload: string): SplitPayload {
  const eol = payload.indexOf(CRLF);
  if (eol < 0) return { tokens: payload.split('|'), body: '' };
  return { tokens: payload.slice(0, eol).split('|'), body: payload.slice(eol + 2) };
}
