/**
 * SIP over a byte stream (TCP): cuts the stream into messages (RFC 3261 §18.3) and spots
 * RFC 5626 §4.4.1 keep-alives between them. Pure: no I/O, no timers; results go to a sink.
 *
 * - A message ends at the blank line after its headers plus Content-Length bytes of body.
 *   Over a stream Content-Length is mandatory (§18.3, §20.14): without it the end of the
 *   message is unknowable, so the stream is unusable from there on → error (400).
 * - Between messages, a double CRLF is a keep-alive ping and gets a pong (the sink's
 *   `onPing`); a lone CRLF is a pong or stray line ending and is ignored (§4.4.1, and
 *   RFC 3261 §7.5 "implementations should ignore any CRLF appearing before the start-line").
 * - A message larger than `maxMessageBytes`, or a header section that reaches that size
 *   without ending, is an error (513) before it is buffered any further, so memory held per
 *   connection stays bounded.
 *
 * After an error the framer is dead: it ignores every further byte, and the owner is
 * expected to answer (if it can) and close the connection.
 */
import { findHeaderEnd } from '../sip/parser.js';

export type FramingProblem = 'missing-content-length' | 'bad-content-length' | 'too-large';

/** Why the stream cannot be framed any more; carries the status to answer with. */
export class FramingError extends Error {
  readonly code = 'EFRAMING';
  constructor(
    readonly problem: FramingProblem,
    /** 400 for a length problem, 513 (RFC 3261 §21.5.14) for an oversized message. */
    readonly status: 400 | 513,
    /** The header section (or as much of it as was kept), to build a response from. */
    readonly head: Buffer | undefined,
  ) {
    super(`SIP stream framing failed: ${problem}`);
    this.name = 'FramingError';
  }
}

export interface StreamFramerSink {
  /** One complete message: start line, headers, blank line, exactly Content-Length bytes. */
  onMessage(frame: Buffer): void;
  /** A CRLF CRLF keep-alive ping arrived; answer with a single CRLF. */
  onPing(): void;
  /** The stream cannot be framed any more; nothing further will be reported. */
  onError(err: FramingError): void;
}

export interface StreamFramerOptions {
  /** Largest message accepted, headers and body together. */
  maxMessageBytes: number;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * What the bytes held between chunks are:
 * - idle: nothing held;
 * - crlf: a CR/LF run too short to tell a ping from a pong;
 * - headers: the start of a message whose blank line has not arrived (`tail` = its last two
 *   bytes, to spot a blank line split across chunks);
 * - body: a message whose total length (`expect`) is known and not reached.
 */
type Held =
  { kind: 'idle' } | { kind: 'crlf' } | { kind: 'headers'; tail: Buffer } | { kind: 'body'; expect: number };

const IDLE: Held = { kind: 'idle' };
const CRLF_RUN: Held = { kind: 'crlf' };

export class StreamFramer {
  readonly #sink: StreamFramerSink;
  readonly #max: number;
  #state: Held = IDLE;
  /** The held bytes, joined only once a message can be complete so copying stays linear. */
  #held: Buffer[] = [];
  #heldBytes = 0;
  #failed = false;

  constructor(sink: StreamFramerSink, opts: StreamFramerOptions) {
    this.#sink = sink;
    this.#max = opts.maxMessageBytes;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.#heldBytes;
  }

  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: Buffer): void {
    if (this.#failed || chunk.length === 0) return;
    let buf: Buffer;
    const state = this.#state;
    switch (state.kind) {
      case 'idle':
        // Common case: frame straight out of the chunk without copying it.
        buf = chunk;
        break;
      case 'body':
        this.#hold(chunk);
        if (this.#heldBytes < state.expect) return;
        buf = this.#joinHeld();
        break;
      case 'headers': {
        const arrived = hasBlankLine(Buffer.concat([state.tail, chunk]));
        this.#hold(chunk);
        if (!arrived) {
          if (this.#heldBytes < this.#max) {
            this.#state = { kind: 'headers', tail: tailOf(chunk, state.tail) };
          } else {
            this.#fail('too-large', 513, this.#joinHeld().subarray(0, this.#max));
          }
          return;
        }
        buf = this.#joinHeld();
        break;
      }
      case 'crlf':
        this.#hold(chunk);
        buf = this.#joinHeld();
        break;
      default: {
        const never: never = state;
        return never;
      }
    }
    this.#held = [];
    this.#heldBytes = 0;
    this.#state = IDLE;

    while (buf.length > 0) {
      const skipped = this.#skipKeepAlives(buf);
      if (skipped < 0) {
        this.#keep(buf, CRLF_RUN);
        return;
      }
      if (skipped > 0) {
        buf = buf.subarray(skipped);
        continue;
      }
      const used = this.#frameOne(buf);
      if (used <= 0) return; // failed, or the partial message is held
      buf = buf.subarray(used);
    }
  }

  #hold(chunk: Buffer): void {
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
  }

  #keep(buf: Buffer, state: Held): void {
    this.#held = [buf];
    this.#heldBytes = buf.length;
    this.#state = state;
  }

  #joinHeld(): Buffer {
    return this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held, this.#heldBytes);
  }

  /**
   * Consume keep-alives at the head of `buf`. Returns bytes consumed (0 when a message starts
   * here), or -1 when the head is a CRLF run too short to tell a ping from a pong.
   */
  #skipKeepAlives(buf: Buffer): number {
    const b0 = buf[0];
    if (b0 !== CR && b0 !== LF) return 0;
    if (b0 === LF) return 1; // bare LF: tolerated like a CRLF (§7.5)
    if (buf.length < 2) return -1;
    if (buf[1] !== LF) return 1; // stray CR
    // CRLF seen. A ping is CRLFCRLF; decide once the next two bytes are known.
    if (buf.length < 3) return -1;
    if (buf[2] !== CR) return 2; // lone CRLF followed by something else: ignored
    if (buf.length < 4) return -1;
    if (buf[3] !== LF) return 2;
    this.#sink.onPing();
    return 4;
  }

  /**
   * Emit the message at the head of `buf`; returns its length, -1 on error, or 0 when it is
   * incomplete (and then held, with what is missing).
   */
  #frameOne(buf: Buffer): number {
    // The parser's own blank-line rule, so framer and parser agree on where the body starts.
    const ends = findHeaderEnd(buf);
    if (!ends) {
      if (buf.length < this.#max) {
        this.#keep(buf, { kind: 'headers', tail: tailOf(buf, EMPTY) });
        return 0;
      }
      this.#fail('too-large', 513, buf.subarray(0, this.#max));
      return -1;
    }
    const [headerEnd, bodyStart] = ends;
    const head = buf.subarray(0, headerEnd);
    const length = contentLength(head);
    if (length === undefined) {
      this.#fail('missing-content-length', 400, head);
      return -1;
    }
    if (length < 0) {
      this.#fail('bad-content-length', 400, head);
      return -1;
    }
    const total = bodyStart + length;
    if (total > this.#max) {
      this.#fail('too-large', 513, head);
      return -1;
    }
    if (buf.length < total) {
      this.#keep(buf, { kind: 'body', expect: total });
      return 0;
    }
    this.#sink.onMessage(buf.subarray(0, total));
    return total;
  }

  #fail(problem: FramingProblem, status: 400 | 513, head: Buffer | undefined): void {
    this.#failed = true;
    this.#held = [];
    this.#heldBytes = 0;
    this.#state = IDLE;
    this.#sink.onError(new FramingError(problem, status, head));
  }
}

const EMPTY = Buffer.alloc(0);

/** The last two bytes seen, `chunk` being the newest (a blank line is at most 3 bytes: LF CR LF). */
function tailOf(chunk: Buffer, previous: Buffer): Buffer {
  if (chunk.length >= 2) return chunk.subarray(chunk.length - 2);
  return Buffer.concat([previous, chunk]).subarray(-2);
}

/** Whether `buf` holds a blank line: LF followed by LF or CR LF (as `findHeaderEnd` reads it). */
function hasBlankLine(buf: Buffer): boolean {
  for (let lf = buf.indexOf(LF); lf >= 0; lf = buf.indexOf(LF, lf + 1)) {
    const next = buf[lf + 1];
    if (next === LF || (next === CR && buf[lf + 2] === LF)) return true;
  }
  return false;
}

/**
 * Content-Length (or its compact form `l`, RFC 3261 §7.3.3) from a header section, scanning
 * bytes rather than decoding text. Returns undefined when absent, -1 when not a number, and -1
 * when it is repeated with different values: on a stream that leaves the message boundary
 * unknowable, so the connection cannot be trusted further (RFC 4475 §3.3.9).
 */
export function contentLength(head: Buffer): number | undefined {
  let lineStart = head.indexOf(LF) + 1; // skip the start line
  if (lineStart === 0) return undefined;
  let found: number | undefined;
  while (lineStart < head.length) {
    let lineEnd = head.indexOf(LF, lineStart);
    if (lineEnd < 0) lineEnd = head.length;
    const valueStart = matchContentLengthName(head, lineStart, lineEnd);
    if (valueStart >= 0) {
      const value = parseDigits(head, valueStart, lineEnd);
      if (value < 0 || (found !== undefined && found !== value)) return -1;
      found = value;
    }
    lineStart = lineEnd + 1;
  }
  return found;
}

const NAME = Buffer.from('content-length');

/** If the line names Content-Length (any case, optional space before ':'), the index after ':'. */
function matchContentLengthName(buf: Buffer, start: number, end: number): number {
  const first = buf[start]! | 0x20; // lower-case ASCII letters
  let i: number;
  if (first === 0x6c /* l */ && end - start > 1 && (buf[start + 1] === 0x3a || isWsp(buf[start + 1]!))) {
    i = start + 1;
  } else if (first === 0x63 /* c */ && end - start > NAME.length) {
    for (let k = 1; k < NAME.length; k++) {
      const c = buf[start + k]!;
      // `| 0x20` folds ASCII letters to lower case; the hyphen must match exactly.
      if ((NAME[k] === 0x2d ? c : c | 0x20) !== NAME[k]) return -1;
    }
    i = start + NAME.length;
  } else {
    return -1;
  }
  while (i < end && isWsp(buf[i]!)) i++;
  return i < end && buf[i] === 0x3a ? i + 1 : -1;
}

function parseDigits(buf: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && isWsp(buf[i]!)) i++;
  let n = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    if (++digits > 10) return -1;
  }
  while (i < end && (isWsp(buf[i]!) || buf[i] === CR)) i++;
  return digits === 0 || i !== end ? -1 : n;
}

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
