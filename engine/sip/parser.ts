/**
 * Bytes → SipMessage (RFC 3261 §7, §25). Pure: no I/O, never throws on any input, and linear
 * in the size of its input (no backtracking regular expressions, no quadratic joins).
 *
 * A message that cannot be understood comes back as a `ParseFailure` carrying the status the
 * stack should answer with (400, 414, 505, 513) and, when the header section could be read
 * and the message is a request, the partial message so that a response can still be built
 * from its Via/From/To/Call-ID/CSeq (RFC 3261 §8.2.6.1 wants those copied). A response that
 * fails to parse carries no request-shaped partial, so that nobody answers a response.
 *
 * What the parser checks is what every later layer relies on: the start line, header-line
 * syntax, framing (Content-Length), the presence and uniqueness of Via/From/To/Call-ID/CSeq,
 * and the syntax of Via and CSeq (transaction matching reads them). Everything else (URI
 * grammar, name-addr syntax, Date, capabilities) is judged by `message-validation.ts`.
 */
import { SipMessage, headerKey, type Header, type RequestLine, type StartLine } from './message.js';
import { TOKEN_CHARS, inTable, trimWs } from './grammar.js';
import { parseCSeq, parseViaList } from './header-values.js';
import { isAbsoluteUri } from './uri.js';

export interface ParseLimits {
  /** Largest accepted message in bytes (headers + body); larger → 513 (RFC 3261 §21.5.14). */
  maxMessageBytes: number;
  /**
   * Most header lines accepted; more → 400. Not 413, which RFC 3261 §21.4.11 reserves for a
   * request *body* larger than the server will take, nor 513, which is about the byte size:
   * a flood of small header lines is a malformed request, hence 400 (§21.4.1).
   */
  maxHeaders: number;
  /** Longest Request-URI; longer → 414 (RFC 3261 §21.4.12). */
  maxUriLength: number;
  /** Longest single header line (after unfolding) or start line; longer → 400. */
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

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const EMPTY_BODY = Buffer.alloc(0);

/**
 * Locate the blank line ending the header section; returns [headerEnd, bodyStart] or
 * undefined while it has not arrived. `headerEnd` is where the last header line's line break
 * starts. Line breaks may be CRLF or a bare LF, mixed (RFC 3261 §7.5 asks for leniency); CR/LF
 * before the start line are skipped, as keep-alives or padding, not taken as the blank line.
 */
export function findHeaderEnd(buf: Buffer, from = 0): [number, number] | undefined {
  let pos = from;
  while (pos < buf.length && (buf[pos] === CR || buf[pos] === LF)) pos++;
  for (;;) {
    const lf = buf.indexOf(LF, pos);
    if (lf < 0) return undefined;
    const next = lf + 1;
    const headerEnd = buf[lf - 1] === CR ? lf - 1 : lf;
    if (buf[next] === LF) return [headerEnd, next + 1];
    if (buf[next] === CR && buf[next + 1] === LF) return [headerEnd, next + 2];
    pos = next;
  }
}

function fail(status: ParseFailureStatus, reason: string, partial?: SipMessage): ParseFailure {
  return partial ? { ok: false, status, reason, partial } : { ok: false, status, reason };
}

interface StartLineError {
  readonly kind: 'error';
  status: ParseFailureStatus;
  reason: string;
  /** Set when the line is request-shaped: what a 400/414/505 response can be built from. */
  requestLine?: RequestLine;
}

const VERSION_RE = /^SIP\/(\d{1,5})\.(\d{1,5})$/i;

function isTokenSpan(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (!inTable(TOKEN_CHARS, s.charCodeAt(i))) return false;
  return true;
}

/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2). */
function parseStatusLine(line: string): StatusLineResult {
  const sp = line.indexOf(' ');
  if (sp < 0) return { kind: 'error', status: 400, reason: 'Bad status line' };
  const vm = VERSION_RE.exec(line.slice(0, sp));
  if (!vm || vm[1] !== '2' || vm[2] !== '0') return { kind: 'error', status: 400, reason: 'Bad SIP version' };
  // Status-Code = 3DIGIT: "4294967301" must not wrap into something plausible (RFC 4475 §3.1.2.19).
  const code = line.slice(sp + 1, sp + 4);
  const after = line.charCodeAt(sp + 4);
  if (!/^[1-6]\d\d$/.test(code) || (sp + 4 < line.length && after !== SP)) {
    return { kind: 'error', status: 400, reason: 'Bad status code' };
  }
  // A missing SP before an empty reason is accepted, as RFC 4475 §3.1.1.13 suggests.
  return { kind: 'response', version: 'SIP/2.0', status: Number(code), reason: line.slice(sp + 5) };
}

type StatusLineResult = StartLine | StartLineError;

/** Request-Line = Method SP Request-URI SP SIP-Version, single SPs (§7.1, §25.1). */
function parseRequestLine(line: string, limits: ParseLimits): StartLine | StartLineError {
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  const methodOk = sp1 > 0 && isTokenSpan(line, 0, sp1);
  // Keep a real method name where there is one, so that a broken ACK is never answered.
  const placeholder: RequestLine = {
    kind: 'request',
    method: methodOk ? line.slice(0, sp1) : 'UNKNOWN',
    uri: 'sip:invalid',
    version: 'SIP/2.0',
  };
  const bad = (reason: string): StartLineError => ({
    kind: 'error',
    status: 400,
    reason,
    requestLine: placeholder,
  });
  if (!methodOk) return bad('Bad method');
  // Extra SPs (RFC 4475 lwsstart, trws) or LWS inside the Request-URI (lwsruri) → 400.
  if (sp2 === sp1 || line.indexOf(' ', sp1 + 1) !== sp2) return bad('Bad request line');
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  const parsed: RequestLine = { kind: 'request', method: placeholder.method, uri, version: 'SIP/2.0' };
  if (uri.length > limits.maxUriLength) {
    return { kind: 'error', status: 414, reason: 'Request-URI Too Long', requestLine: parsed };
  }
  if (line.length > limits.maxHeaderLineBytes) return bad('Request line too long');
  // "<sip:…>" (RFC 4475 ltgtruri) and any character outside uric fail here.
  if (!isAbsoluteUri(uri)) return bad('Bad Request-URI');
  const vm = VERSION_RE.exec(version);
  if (!vm) return bad('Bad SIP version');
  if (vm[1] !== '2' || vm[2] !== '0') {
    // RFC 3261 §8.2.2 / RFC 4475 §3.1.2.16: a request of another version gets 505.
    return { kind: 'error', status: 505, reason: 'Version Not Supported', requestLine: parsed };
  }
  return parsed;
}

function parseStartLine(line: string, limits: ParseLimits): StartLine | StartLineError {
  const c = line.charCodeAt(0) | 0x20;
  if (c === 0x73 && line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') {
    if (line.length > limits.maxHeaderLineBytes)
      return { kind: 'error', status: 400, reason: 'Status line too long' };
    return parseStatusLine(line);
  }
  return parseRequestLine(line, limits);
}

interface HeaderScan {
  headers: Header[];
  error?: string;
  tooMany: boolean;
}

/**
 * Split the header section (text after the start line) into unfolded header lines. A fold
 * (CRLF followed by SP/HTAB) and the white space around it equal one SP (§7.3.1). Header
 * names are tokens; only SP/HTAB may sit between the name and the colon (anything else
 * would let a header hide from one parser and not another).
 */
function scanHeaders(text: string, from: number, limits: ParseLimits): HeaderScan {
  const headers: Header[] = [];
  let error: string | undefined;
  let name: string | undefined;
  let value = '';
  let parts: string[] | undefined;
  let lineLen = 0;
  let nextCR = text.indexOf('\r', from);
  if (nextCR < 0) nextCR = text.length;
  let pos = from;
  const commit = (): boolean => {
    if (name === undefined) return true;
    if (lineLen > limits.maxHeaderLineBytes) error ??= 'Header line too long';
    else {
      if (headers.length >= limits.maxHeaders) return false;
      const v = parts ? parts.filter((p) => p.length > 0).join(' ') : value;
      headers.push({ name, value: v, key: headerKey(name) });
    }
    name = undefined;
    return true;
  };
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const end = eol > pos && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
    if (nextCR < pos) {
      nextCR = text.indexOf('\r', pos);
      if (nextCR < 0) nextCR = text.length;
    }
    // A CR that does not end a line is never legal in a header (not even as a quoted-pair).
    if (nextCR < end) error ??= 'Bare CR in header';
    const c0 = text.charCodeAt(pos);
    if (c0 === SP || c0 === HTAB) {
      if (name === undefined) error ??= 'Continuation line without a header';
      else {
        lineLen += end - pos;
        if (lineLen <= limits.maxHeaderLineBytes) (parts ??= [value]).push(trimWs(text.slice(pos, end)));
      }
    } else {
      if (!commit()) return { headers, error, tooMany: true };
      let k = pos;
      while (k < end && inTable(TOKEN_CHARS, text.charCodeAt(k))) k++;
      let colon = k;
      while (colon < end && (text.charCodeAt(colon) === SP || text.charCodeAt(colon) === HTAB)) colon++;
      if (k === pos || colon >= end || text.charCodeAt(colon) !== 0x3a) error ??= 'Malformed header line';
      else {
        name = text.slice(pos, k);
        lineLen = end - pos;
        value = lineLen <= limits.maxHeaderLineBytes ? trimWs(text.slice(colon + 1, end)) : '';
        parts = undefined;
      }
    }
    pos = eol + 1;
  }
  if (!commit()) return { headers, error, tooMany: true };
  return { headers, error, tooMany: false };
}

/**
 * Parse one complete SIP message held in `buf` (a UDP datagram, or a frame cut by the stream
 * framer). The body is the bytes after the blank line, cut to Content-Length when present.
 */
export function parseMessage(buf: Buffer, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParseResult {
  // RFC 3261 §7.5: implementations should ignore CRLFs before the start line.
  let start = 0;
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  if (start >= buf.length) return fail(400, 'Empty message');
  // An oversized message is still read up to the limit, so that the 513 can be answered.
  const tooLarge = buf.length > limits.maxMessageBytes;
  const view = tooLarge ? buf.subarray(0, limits.maxMessageBytes) : buf;
  const ends = findHeaderEnd(view, start);
  // TEXT-UTF8 (§25.1): header values may carry UTF-8. Invalid sequences become U+FFFD rather
  // than failing the message: peers sending Latin-1 display names still get their calls.
  const text = view.toString('utf8', start, ends ? ends[0] : view.length);
  let firstEnd = text.indexOf('\n');
  if (firstEnd < 0) firstEnd = text.length;
  const first = text.charCodeAt(firstEnd - 1) === CR ? text.slice(0, firstEnd - 1) : text.slice(0, firstEnd);
  const scan = scanHeaders(text, firstEnd + 1, limits);
  const sl = first.includes('\r') ? null : parseStartLine(first, limits);
  const headers = scan.headers;

  if (sl === null || sl.kind === 'error') {
    const requestLine = sl?.requestLine;
    const partial = requestLine && headers.length ? new SipMessage(requestLine, headers) : undefined;
    if (tooLarge && requestLine) return fail(513, 'Message Too Large', partial);
    return fail(sl?.status ?? 400, sl?.reason ?? 'Bare CR in start line', partial);
  }
  const msg = new SipMessage(sl, headers);
  // From here on a failed response carries its own (response) start line: nobody answers it.
  if (tooLarge) return fail(513, 'Message Too Large', msg);
  if (scan.tooMany) return fail(400, 'Too many headers', msg);
  if (scan.error) return fail(400, scan.error, msg);

  let via = 0;
  let from = 0;
  let to = 0;
  let callId: string | undefined;
  let callIds = 0;
  let cseq: string | undefined;
  let cseqs = 0;
  let contentLength: string | undefined;
  for (const h of headers) {
    switch (h.key) {
      case 'via':
        via++;
        if (!parseViaList(h.value)) return fail(400, 'Malformed Via header', msg);
        break;
      case 'from':
        from++;
        break;
      case 'to':
        to++;
        break;
      case 'call-id':
        callIds++;
        callId = h.value;
        break;
      case 'cseq':
        cseqs++;
        cseq = h.value;
        break;
      case 'content-length':
        // RFC 4475 §3.3.9: several Content-Length values leave the framing unknowable.
        if (contentLength !== undefined) return fail(400, 'Multiple Content-Length headers', msg);
        contentLength = h.value;
        break;
    }
  }
  // Mandatory headers (RFC 3261 §8.1.1): To, From, CSeq, Call-ID, Via, the last four exactly
  // once (§7.3.1: only comma-list headers may repeat). Max-Forwards is tolerated when missing,
  // as RFC 2543 peers omit it (RFC 4475 §3.4.1).
  if (via === 0) return fail(400, 'Missing Via header', msg);
  if (from !== 1) return fail(400, from ? 'Multiple From headers' : 'Missing From header', msg);
  if (to !== 1) return fail(400, to ? 'Multiple To headers' : 'Missing To header', msg);
  if (callIds !== 1) return fail(400, callIds ? 'Multiple Call-ID headers' : 'Missing Call-ID header', msg);
  if (cseqs !== 1) return fail(400, cseqs ? 'Multiple CSeq headers' : 'Missing CSeq header', msg);
  if (!callId || /[ \t]/.test(callId)) return fail(400, 'Malformed Call-ID header', msg);
  if (!parseCSeq(cseq!)) return fail(400, 'Malformed CSeq header', msg);

  let body = ends ? buf.subarray(ends[1]) : EMPTY_BODY;
  if (contentLength !== undefined) {
    // RFC 4475 §3.1.2.3: a negative or non-numeric length is a framing error.
    if (!/^\d+$/.test(contentLength)) return fail(400, 'Bad Content-Length', msg);
    const cl = Number(contentLength);
    // RFC 3261 §18.3: for datagrams, a body longer than Content-Length is truncated; a shorter
    // one makes the message invalid (400).
    if (cl > body.length) return fail(400, 'Content-Length larger than body', msg);
    body = body.subarray(0, cl);
  }
  msg.body = body;
  return { ok: true, message: msg };
}
