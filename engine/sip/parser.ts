/**
 * Bytes → SipMessage (RFC 3261 §7, §25). Pure: no I/O, never throws on any input.
 *
 * A message that cannot be understood comes back as a `ParseFailure` carrying the status the
 * stack should answer with (400, 413, 414, 505, 513) and, when the header section could be
 * read, the partial message so that a response can still be built from its Via/From/To/
 * Call-ID/CSeq (RFC 3261 §8.2.6.1 wants those copied).
 */
import { SipMessage, headerKey, type Header, type StartLine } from './message.js';

export interface ParseLimits {
  /** Largest accepted message in bytes (headers + body); larger → 513 (RFC 3261 §21.5.14). */
  maxMessageBytes: number;
  /** Most header lines accepted; more → 400. */
  maxHeaders: number;
  /** Longest Request-URI; longer → 414 (RFC 3261 §21.4.12). */
  maxUriLength: number;
  /** Longest single header line (after unfolding); longer → 400. */
  maxHeaderLineBytes: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageBytes: 65_535,
  maxHeaders: 256,
  maxUriLength: 4096,
  maxHeaderLineBytes: 16_384,
});

export type ParseFailureStatus = 400 | 413 | 414 | 505 | 513;

export interface ParseFailure {
  ok: false;
  status: ParseFailureStatus;
  reason: string;
  /** What could be read, for building an error response; absent when even that failed. */
  partial?: SipMessage;
}

export interface ParseSuccess {
  ok: true;
  message: SipMessage;
}

export type ParseResult = ParseSuccess | ParseFailure;

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const LF_LF = Buffer.from('\n\n');

/** Locate the blank line ending the header section; returns [headerEnd, bodyStart] or undefined. */
export function findHeaderEnd(buf: Buffer, from = 0): [number, number] | undefined {
  const crlf = buf.indexOf(CRLF_CRLF, from);
  const lf = buf.indexOf(LF_LF, from);
  if (crlf < 0 && lf < 0) return undefined;
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return [crlf, crlf + 4];
  return [lf, lf + 2];
}

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const VERSION_RE = /^SIP\/(\d+)\.(\d+)$/i;

function fail(status: ParseFailureStatus, reason: string, partial?: SipMessage): ParseFailure {
  return partial ? { ok: false, status, reason, partial } : { ok: false, status, reason };
}

/** Parse the start line (RFC 3261 §7.1, §7.2). */
function parseStartLine(line: string, limits: ParseLimits): StartLine | ParseFailure {
  if (line.startsWith('SIP/')) {
    const m = /^(SIP\/\d+\.\d+) (\d{3}) ?(.*)$/.exec(line);
    if (!m) return fail(400, 'Bad status line');
    const status = Number(m[2]);
    if (status < 100 || status > 699) return fail(400, 'Bad status code');
    return { kind: 'response', version: m[1]!, status, reason: m[3] ?? '' };
  }
  // Request-Line = Method SP Request-URI SP SIP-Version; exactly single spaces (§7.1, §25.1).
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) return fail(400, 'Bad request line');
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!TOKEN_RE.test(method)) return fail(400, 'Bad method');
  if (uri.length === 0 || /[\s<>]/.test(uri)) return fail(400, 'Bad Request-URI');
  if (uri.length > limits.maxUriLength) return fail(414, 'Request-URI Too Long');
  if (!/^[A-Za-z][A-Za-z0-9+\-.]*:/.test(uri)) return fail(400, 'Bad Request-URI scheme');
  const vm = VERSION_RE.exec(version);
  if (!vm) return fail(400, 'Bad SIP version');
  if (vm[1] !== '2' || vm[2] !== '0') {
    return { kind: 'request', method, uri, version: version.toUpperCase() };
  }
  return { kind: 'request', method, uri, version: 'SIP/2.0' };
}

/** Split the header section into unfolded logical lines (RFC 3261 §7.3.1 line folding). */
function unfold(text: string): string[] {
  const raw = text.split(/\r?\n/);
  const out: string[] = [];
  for (const line of raw) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) {
      out[out.length - 1] += ' ' + line.trim();
    } else {
      out.push(line);
    }
  }
  return out;
}

/**
 * Parse one complete SIP message held in `buf` (a UDP datagram, or a frame cut by the stream
 * framer). The body is the bytes after the blank line, cut to Content-Length when present.
 */
export function parseMessage(buf: Buffer, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParseResult {
  if (buf.length > limits.maxMessageBytes) return fail(513, 'Message Too Large');
  // RFC 3261 §7.5: implementations should ignore CRLFs before the start line.
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  const ends = findHeaderEnd(buf, start);
  const headerText = (ends ? buf.subarray(start, ends[0]) : buf.subarray(start)).toString('latin1');
  const lines = unfold(headerText);
  const first = lines.shift();
  if (first === undefined || first.length === 0) return fail(400, 'Empty message');

  // Parse headers first so that a bad start line still yields a partial message for the 400.
  const headers: Header[] = [];
  let headerError: string | undefined;
  for (const line of lines) {
    if (line.length === 0) continue;
    if (line.length > limits.maxHeaderLineBytes) {
      headerError ??= 'Header line too long';
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      headerError ??= 'Malformed header line';
      continue;
    }
    const name = line.slice(0, colon).trimEnd();
    if (!TOKEN_RE.test(name)) {
      headerError ??= 'Malformed header name';
      continue;
    }
    // UTF-8 is allowed in values (§25.1 TEXT-UTF8); we read latin1 to keep byte offsets and
    // re-decode here.
    const value = Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8');
    headers.push({ name, value, key: headerKey(name) });
  }
  const placeholder: StartLine = { kind: 'request', method: 'UNKNOWN', uri: 'sip:invalid', version: 'SIP/2.0' };
  const partial = new SipMessage(placeholder, headers);

  const sl = parseStartLine(first, limits);
  if ('ok' in sl) return { ...sl, partial: sl.status === 400 && headers.length ? partial : undefined } as ParseFailure;
  partial.startLine = sl;
  if (headers.length > limits.maxHeaders) return fail(400, 'Too many headers', partial);
  if (headerError) return fail(400, headerError, partial);
  if (sl.kind === 'request' && sl.version !== 'SIP/2.0') return fail(505, 'Version Not Supported', partial);

  let body = ends ? buf.subarray(ends[1]) : Buffer.alloc(0);
  const clValues = partial.getAll('content-length');
  if (clValues.length > 1) return fail(400, 'Multiple Content-Length headers', partial);
  if (clValues.length === 1) {
    const clText = clValues[0]!;
    if (!/^\d{1,10}$/.test(clText)) return fail(400, 'Bad Content-Length', partial);
    const cl = Number(clText);
    // RFC 3261 §18.3: for datagrams, a body longer than Content-Length is truncated; a shorter
    // one makes the message invalid (400).
    if (cl > body.length) return fail(400, 'Content-Length larger than body', partial);
    body = body.subarray(0, cl);
  }
  partial.body = body;

  // Mandatory headers (RFC 3261 §8.1.1): To, From, CSeq, Call-ID, Via (+ Max-Forwards for
  // requests, which we tolerate when missing, as most stacks do).
  for (const h of ['via', 'from', 'to', 'call-id', 'cseq']) {
    const n = partial.count(h);
    if (n === 0) return fail(400, `Missing ${h} header`, partial);
    if (n > 1 && h !== 'via') return fail(400, `Multiple ${h} headers`, partial);
  }
  return { ok: true, message: partial };
}
