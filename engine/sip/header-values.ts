/**
 * Parsers and formatters for the header values the engine itself acts on: Via, CSeq,
 * name-addr headers (From/To/Contact/Route/Record-Route), tags and parameters, RSeq/RAck.
 * Pure functions; malformed values give `undefined`, never an exception. Every scanner is
 * linear (grammar.ts), whatever the input. Media types and option tags: media-type.ts.
 *
 * Two strengths of name-addr parsing: `parseNameAddr` is tolerant (it reads tags and URIs out
 * of whatever a peer sent, for dialog matching), `parseNameAddrStrict` follows the RFC 3261
 * §25.1 grammar exactly (for deciding whether a request is well formed).
 */
import {
  GEN_VALUE_CHARS,
  HOSTNAME_CHARS,
  TOKEN_CHARS,
  hostType,
  isIPv6,
  isToken,
  scanQuoted,
  scanRun,
  skipSep,
  skipWs,
  trimWs,
} from './grammar.js';
import { isAbsoluteUri, parseUri, getUriScheme } from './uri.js';

export type Params = Map<string, string | null>;

/** Split `a;b=c;d` into params; keys lower-cased, values kept as written. Tolerant. */
export function parseParams(text: string): Params {
  const params: Params = new Map();
  for (const part of splitOutsideQuotes(text, ';')) {
    const p = trimWs(part);
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) params.set(p.toLowerCase(), null);
    else params.set(trimWs(p.slice(0, eq)).toLowerCase(), trimWs(p.slice(eq + 1)));
  }
  return params;
}

export function formatParams(params: Params): string {
  let s = '';
  for (const [k, v] of params) s += v === null ? `;${k}` : `;${k}=${v}`;
  return s;
}

/** Split on `sep` outside double quotes and angle brackets (RFC 3261 §7.3.1). */
export function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let inQuote = false;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === '<') depthAngle++;
    else if (ch === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (ch === sep && depthAngle === 0) {
      out.push(text.slice(last, i));
      last = i + 1;
    }
  }
  out.push(text.slice(last));
  return out;
}

/** Split a comma list header value (Via, Route, Record-Route, Contact) into elements. */
export function splitList(value: string): string[] {
  return splitOutsideQuotes(value, ',')
    .map((s) => trimWs(s))
    .filter((s) => s.length > 0);
}

/**
 * Parse `*( SEMI generic-param )` from `i` to the end of `s` (RFC 3261 §25.1): SEMI and
 * EQUAL allow white space around them; a name is a token; a value is a token, a host or a
 * quoted-string. Empty parameters (";;") are an error. Returns undefined on any error.
 */
function scanGenericParams(s: string, i: number, params: Params): Params | undefined {
  for (;;) {
    i = skipWs(s, i);
    if (i >= s.length) return params;
    if (s.charCodeAt(i) !== 0x3b) return undefined;
    i = skipWs(s, i + 1);
    const nameEnd = scanRun(s, i, s.length, TOKEN_CHARS, false);
    if (nameEnd === i) return undefined;
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipWs(s, nameEnd);
    let value: string | null = null;
    if (s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1);
      const end =
        s.charCodeAt(i) === 0x22 ? scanQuoted(s, i) : scanRun(s, i, s.length, GEN_VALUE_CHARS, false);
      if (end <= i) return undefined;
      value = s.slice(i, end);
      i = end;
    }
    params.set(name, value);
  }
}

// ---------------------------------------------------------------------------------------------
// Via (RFC 3261 §20.42, RFC 3581)

export interface Via {
  protocol: string; // e.g. 'UDP', 'TCP' (upper-cased)
  host: string; // sent-by host, IPv6 without brackets
  port?: number;
  params: Params;
}

/**
 * One via-parm: sent-protocol LWS sent-by *( SEMI via-params ), where sent-protocol is
 * "SIP" SLASH "2.0" SLASH transport and sent-by is host [ COLON port ].
 */
export function parseVia(value: string): Via | undefined {
  const s = value;
  let i = skipWs(s, 0);
  let end = scanRun(s, i, s.length, TOKEN_CHARS, false);
  if (s.slice(i, end).toUpperCase() !== 'SIP') return undefined;
  i = skipSep(s, end, 0x2f);
  if (i < 0) return undefined;
  end = scanRun(s, i, s.length, TOKEN_CHARS, false);
  if (s.slice(i, end) !== '2.0') return undefined;
  i = skipSep(s, end, 0x2f);
  if (i < 0) return undefined;
  end = scanRun(s, i, s.length, TOKEN_CHARS, false);
  if (end === i) return undefined;
  const protocol = s.slice(i, end).toUpperCase();
  i = skipWs(s, end);
  if (i === end) return undefined;
  let host: string;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0) return undefined;
    host = s.slice(i + 1, close);
    if (!isIPv6(host)) return undefined;
    i = close + 1;
  } else {
    end = scanRun(s, i, s.length, HOSTNAME_CHARS, false);
    host = s.slice(i, end);
    if (hostType(host) === undefined) return undefined;
    i = end;
  }
  const via: Via = { protocol, host, params: new Map() };
  const colon = skipSep(s, i, 0x3a);
  if (colon >= 0) {
    end = scanRun(s, colon, s.length, TOKEN_CHARS, false);
    const digits = s.slice(colon, end);
    const port = Number(digits);
    if (!/^\d{1,5}$/.test(digits) || port <= 0 || port > 65535) return undefined;
    via.port = port;
    i = end;
  }
  return scanGenericParams(s, i, via.params) ? via : undefined;
}

/** Every via-parm of one Via header value (a comma list); undefined if any is malformed. */
export function parseViaList(value: string): Via[] | undefined {
  const out: Via[] = [];
  for (const part of splitOutsideQuotes(value, ',')) {
    const via = parseVia(part);
    if (!via) return undefined;
    out.push(via);
  }
  return out;
}

export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function formatVia(via: Via): string {
  const port = via.port !== undefined ? `:${via.port}` : '';
  return `SIP/2.0/${via.protocol} ${formatHost(via.host)}${port}${formatParams(via.params)}`;
}

/** First Via element of a message's Via header lines (they may be comma lists). */
export function topVia(viaLines: string[]): string | undefined {
  const first = viaLines[0];
  if (first === undefined) return undefined;
  return splitList(first)[0];
}

// ---------------------------------------------------------------------------------------------
// CSeq (RFC 3261 §20.16)

export interface CSeq {
  seq: number;
  method: string;
}

/** Largest CSeq number: it "MUST be expressible as a 32-bit unsigned integer" (§8.1.1.5). */
export const MAX_CSEQ = 2 ** 32 - 1;

/** CSeq = 1*DIGIT LWS Method; leading zeros allowed (RFC 4475 §3.1.1.1), at most 2**32-1. */
export function parseCSeq(value: string): CSeq | undefined {
  const s = value;
  const i = skipWs(s, 0);
  let end = i;
  while (end < s.length && s.charCodeAt(end) >= 0x30 && s.charCodeAt(end) <= 0x39) end++;
  if (end === i) return undefined;
  const m = skipWs(s, end);
  if (m === end) return undefined;
  const mEnd = scanRun(s, m, s.length, TOKEN_CHARS, false);
  if (mEnd === m || skipWs(s, mEnd) !== s.length) return undefined;
  const seq = Number(s.slice(i, end));
  if (seq > MAX_CSEQ) return undefined;
  return { seq, method: s.slice(m, mEnd) };
}

// ---------------------------------------------------------------------------------------------
// name-addr / addr-spec (From, To, Contact, Route, Record-Route, Refer-To …)

export interface NameAddr {
  displayName?: string;
  uri: string;
  /** Header params (after the URI, outside angle brackets): tag, expires, … */
  params: Params;
  /** Whether the URI was in angle brackets. */
  bracketed: boolean;
}

/** Tolerant name-addr / addr-spec parse: balanced quotes and a non-empty URI are enough. */
export function parseNameAddr(value: string): NameAddr | undefined {
  const v = trimWs(value);
  const lt = indexOutsideQuotes(v, '<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return undefined;
    const display = trimWs(v.slice(0, lt));
    const uri = trimWs(v.slice(lt + 1, gt));
    if (!uri) return undefined;
    const na: NameAddr = { uri, params: parseParams(v.slice(gt + 1)), bracketed: true };
    if (display) na.displayName = display;
    return na;
  }
  if (v.startsWith('"')) return undefined;
  // addr-spec without brackets: params after the URI belong to the header (§20.10).
  const semi = v.indexOf(';');
  const uri = trimWs(semi < 0 ? v : v.slice(0, semi));
  if (!uri || /\s/.test(uri)) return undefined;
  return { uri, params: parseParams(semi < 0 ? '' : v.slice(semi)), bracketed: false };
}

function indexOutsideQuotes(text: string, ch: string): number {
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === ch) return i;
  }
  return -1;
}

/** addr-spec = SIP-URI / SIPS-URI / absoluteURI, checked against its own grammar. */
export function isValidAddrSpec(uri: string): boolean {
  const scheme = getUriScheme(uri);
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') return parseUri(uri) !== undefined;
  return isAbsoluteUri(uri);
}

/**
 * name-addr / addr-spec followed by header parameters, to the letter of RFC 3261 §20.10 and
 * §25.1: display-name is *(token LWS) or a quoted-string; no white space inside "<…>"; an
 * addr-spec outside brackets may not contain ",", "?" or ";" (those would be ambiguous with
 * the header's own syntax); parameters are generic-params.
 */
export function parseNameAddrStrict(value: string): NameAddr | undefined {
  const s = value;
  const first = skipWs(s, 0);
  let i = first;
  let displayName: string | undefined;
  if (s.charCodeAt(i) === 0x22) {
    const end = scanQuoted(s, i);
    if (end < 0) return undefined;
    displayName = s.slice(i, end);
    i = skipWs(s, end);
    if (s.charCodeAt(i) !== 0x3c) return undefined;
  } else {
    // *(token LWS) then "<" means a display name; anything else must be a bare addr-spec.
    let j = i;
    let lastTokenEnd = i;
    for (;;) {
      const end = scanRun(s, j, s.length, TOKEN_CHARS, false);
      if (end === j) break;
      lastTokenEnd = end;
      j = skipWs(s, end);
    }
    if (s.charCodeAt(j) === 0x3c) {
      if (lastTokenEnd > i) displayName = s.slice(i, lastTokenEnd);
      i = j;
    }
  }
  if (s.charCodeAt(i) === 0x3c) {
    const gt = s.indexOf('>', i);
    if (gt < 0) return undefined;
    const uri = s.slice(i + 1, gt);
    if (!isValidAddrSpec(uri)) return undefined;
    const params = scanGenericParams(s, gt + 1, new Map());
    if (!params) return undefined;
    const na: NameAddr = { uri, params, bracketed: true };
    if (displayName !== undefined) na.displayName = displayName;
    return na;
  }
  let end = i;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 0x3b || c === 0x20 || c === 0x09) break;
    end++;
  }
  const uri = s.slice(i, end);
  if (/[,?]/.test(uri) || !isValidAddrSpec(uri)) return undefined;
  const params = scanGenericParams(s, end, new Map());
  return params ? { uri, params, bracketed: false } : undefined;
}

export function formatNameAddr(na: NameAddr): string {
  const display = na.displayName ? `${na.displayName} ` : '';
  return `${display}<${na.uri}>${formatParams(na.params)}`;
}

/** The `tag` parameter of a From/To value. */
export function getTag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const na = parseNameAddr(value);
  const tag = na?.params.get('tag');
  return tag ?? undefined;
}

/** Add (or replace) the tag parameter of a From/To value, keeping the rest as written. */
export function withTag(value: string, tag: string): string {
  const na = parseNameAddr(value);
  if (!na) return `${value};tag=${tag}`;
  na.params.set('tag', tag);
  return formatNameAddr(na);
}

// ---------------------------------------------------------------------------------------------
// SIP URI host/port/params (enough for routing; the full URI grammar lives in uri.ts)

export interface UriTarget {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params: Params;
}

/** Tolerant routing view of a sip/sips/tel URI (see `parseUri` in uri.ts for the strict one). */
export function parseUriTarget(uri: string): UriTarget | undefined {
  const text = trimWs(uri);
  const scheme = getUriScheme(text);
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return undefined;
  let rest = text.slice(scheme.length + 1);
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    return {
      scheme,
      user: semi < 0 ? rest : rest.slice(0, semi),
      host: '',
      params: parseParams(semi < 0 ? '' : rest.slice(semi)),
    };
  }
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const semi = rest.indexOf(';');
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  const params = parseParams(semi < 0 ? '' : rest.slice(semi));
  let host: string;
  let port: number | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) return undefined;
    host = hostport.slice(1, close);
    if (hostport.length > close + 1) {
      if (hostport[close + 1] !== ':') return undefined;
      port = Number(hostport.slice(close + 2));
    }
  } else {
    const colon = hostport.indexOf(':');
    host = colon < 0 ? hostport : hostport.slice(0, colon);
    if (colon >= 0) port = Number(hostport.slice(colon + 1));
  }
  if (!host) return undefined;
  if (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65535)) return undefined;
  const t: UriTarget = { scheme, host, params };
  if (user !== undefined) t.user = user;
  if (port !== undefined) t.port = port;
  return t;
}

// ---------------------------------------------------------------------------------------------
// RSeq / RAck (RFC 3262 §7.1, §7.2)

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** RAck = response-num LWS CSeq-num LWS Method; both numbers 1*DIGIT up to 2**32-1. */
export function parseRAck(value: string): RAck | undefined {
  const parts = trimWs(value).split(/[ \t]+/);
  // Trailing junk after the three fields is tolerated (some UACs, among them a drachtio-srf
  // test scenario, repeat the method); the three fields themselves must be right.
  if (parts.length < 3) return undefined;
  const [r, c, method] = parts as [string, string, string];
  if (!/^\d{1,10}$/.test(r) || !/^\d{1,10}$/.test(c) || !isToken(method)) return undefined;
  const rseq = Number(r);
  const cseq = Number(c);
  if (rseq > MAX_CSEQ || cseq > MAX_CSEQ) return undefined;
  return { rseq, cseq, method };
}
