/**
 * SIP, SIPS and tel URIs: parse, format and compare (RFC 3261 §19.1, §25.1; RFC 3966).
 *
 * Parsing is strict to the ABNF and never throws: anything that does not match gives
 * `undefined`. Values are kept as written (percent-escapes are not decoded), so formatting
 * a parsed URI gives back the same URI except for the case of the scheme and of parameter
 * names, which RFC 3261 §19.1.4 makes insignificant. Comparison (`uriEquals`) applies the
 * §19.1.4 rules: scheme, host and parameter names and values case-insensitive, user and
 * password case-sensitive, escapes of unreserved characters equal to the characters.
 */
import {
  DIGIT_CHARS,
  HEADER_CHARS,
  HEX_CHARS,
  PARAM_CHARS,
  PASSWORD_CHARS,
  URIC_CHARS,
  USER_CHARS,
  allIn,
  charTable,
  hostType,
  inTable,
  isIPv6,
  type HostType,
} from './grammar.js';

/** URI parameters: names lower-cased, values as written (`null` for a name without value). */
export type UriParams = Map<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** user or telephone-subscriber, escapes kept as written. */
  user?: string;
  password?: string;
  /** As written; an IPv6 reference without its brackets. */
  host: string;
  hostType: HostType;
  port?: number;
  params: UriParams;
  /** `?name=value&…` headers, in order, as written. */
  headers: Array<[string, string]>;
}

export interface TelUri {
  scheme: 'tel';
  /** global-number-digits ("+1-212-555-0101") or local-number-digits, as written. */
  number: string;
  global: boolean;
  params: UriParams;
}

export type Uri = SipUri | TelUri;

const SCHEME_CHARS = charTable('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.');

/**
 * The scheme of any absolute URI, lower-cased (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" /
 * "-" / "." ) followed by ":"), or undefined when the text does not start with one.
 */
export function getUriScheme(text: string): string | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const first = text.charCodeAt(0) | 0x20;
  if (first < 0x61 || first > 0x7a) return undefined;
  if (!allIn(text, 1, colon, SCHEME_CHARS, false)) return undefined;
  return text.slice(0, colon).toLowerCase();
}

/** Whether `text` is an absoluteURI (RFC 3261 §25.1 → RFC 2396): scheme ":" 1*uric. */
export function isAbsoluteUri(text: string): boolean {
  const scheme = getUriScheme(text);
  if (scheme === undefined || text.length === scheme.length + 1) return false;
  return allIn(text, scheme.length + 1, text.length, URIC_CHARS, true);
}

/** Parse a sip:, sips: or tel: URI; undefined for other schemes and for malformed input. */
export function parseUri(text: string): Uri | undefined {
  const scheme = getUriScheme(text);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, text, scheme.length + 1);
  if (scheme === 'tel') return parseTelUri(text, 4);
  return undefined;
}

function parseSipUri(scheme: 'sip' | 'sips', s: string, start: number): SipUri | undefined {
  let hostStart = start;
  let user: string | undefined;
  let password: string | undefined;
  // No character after the userinfo may be an unescaped "@" (hostport, paramchar and
  // hname/hvalue all exclude it), so the first "@" is the end of the userinfo.
  const at = s.indexOf('@', start);
  if (at >= 0) {
    const colon = s.indexOf(':', start);
    const userEnd = colon >= 0 && colon < at ? colon : at;
    if (userEnd === start || !allIn(s, start, userEnd, USER_CHARS, true)) return undefined;
    user = s.slice(start, userEnd);
    if (userEnd < at) {
      if (!allIn(s, userEnd + 1, at, PASSWORD_CHARS, true)) return undefined;
      password = s.slice(userEnd + 1, at);
    }
    hostStart = at + 1;
  }
  let i = hostStart;
  while (i < s.length && s.charCodeAt(i) !== 0x3b && s.charCodeAt(i) !== 0x3f) i++;
  const hp = parseHostPort(s, hostStart, i);
  if (!hp) return undefined;
  const params: UriParams = new Map();
  while (i < s.length && s.charCodeAt(i) === 0x3b) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) !== 0x3b && s.charCodeAt(j) !== 0x3f) j++;
    if (!addParam(params, s, i + 1, j)) return undefined;
    i = j;
  }
  const headers: Array<[string, string]> = [];
  if (i < s.length) {
    // s[i] is "?": headers = "?" header *( "&" header ), header = hname "=" hvalue.
    let j = i + 1;
    do {
      let k = j;
      while (k < s.length && s.charCodeAt(k) !== 0x26) k++;
      const eq = s.indexOf('=', j);
      if (eq < 0 || eq >= k || eq === j) return undefined;
      if (!allIn(s, j, eq, HEADER_CHARS, true) || !allIn(s, eq + 1, k, HEADER_CHARS, true)) return undefined;
      headers.push([s.slice(j, eq), s.slice(eq + 1, k)]);
      j = k + 1;
    } while (j <= s.length && s.charCodeAt(j - 1) === 0x26);
  }
  const uri: SipUri = { scheme, host: hp.host, hostType: hp.type, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (hp.port !== undefined) uri.port = hp.port;
  return uri;
}

interface HostPort {
  host: string;
  type: HostType;
  port?: number;
}

/** hostport = host [ ":" port ], host = hostname / IPv4address / IPv6reference. */
export function parseHostPort(s: string, from: number, to: number): HostPort | undefined {
  let hostEnd: number;
  let host: string;
  let type: HostType | undefined;
  if (s.charCodeAt(from) === 0x5b) {
    const close = s.indexOf(']', from);
    if (close < 0 || close >= to) return undefined;
    host = s.slice(from + 1, close);
    type = isIPv6(host) ? 'ipv6' : undefined;
    hostEnd = close + 1;
  } else {
    const colon = s.indexOf(':', from);
    hostEnd = colon >= 0 && colon < to ? colon : to;
    host = s.slice(from, hostEnd);
    type = host.includes(':') ? undefined : hostType(host);
  }
  if (type === undefined) return undefined;
  if (hostEnd === to) return { host, type };
  if (s.charCodeAt(hostEnd) !== 0x3a) return undefined;
  const port = parsePort(s, hostEnd + 1, to);
  return port === undefined ? undefined : { host, type, port };
}

/** port = 1*DIGIT, limited to what a transport can use (0–65535). */
function parsePort(s: string, from: number, to: number): number | undefined {
  if (from === to || !allIn(s, from, to, DIGIT_CHARS, false)) return undefined;
  const port = Number(s.slice(from, to));
  return port <= 65535 ? port : undefined;
}

/** other-param = pname [ "=" pvalue ]; pname and pvalue are 1*paramchar. */
function addParam(params: UriParams, s: string, from: number, to: number): boolean {
  const eq = s.indexOf('=', from);
  const nameEnd = eq >= 0 && eq < to ? eq : to;
  if (nameEnd === from || !allIn(s, from, nameEnd, PARAM_CHARS, true)) return false;
  let value: string | null = null;
  if (nameEnd < to) {
    if (nameEnd + 1 === to || !allIn(s, nameEnd + 1, to, PARAM_CHARS, true)) return false;
    value = s.slice(nameEnd + 1, to);
  }
  const name = s.slice(from, nameEnd).toLowerCase();
  // A repeated parameter keeps its first value: the URI means what its first mention says.
  if (!params.has(name)) params.set(name, value);
  return true;
}

const PHONEDIGIT = charTable('0123456789-.()');
const PHONEDIGIT_HEX = charTable('0123456789abcdefABCDEF*#-.()');
const TEL_PNAME = charTable('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-');
/** uric without ";" (which separates parameters): for isub values (RFC 3966 §3). */
const TEL_URIC = charTable(
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  "-_.!~*'()/?:@&=+$,[]",
);

/**
 * telephone-uri = "tel:" telephone-subscriber (RFC 3966 §3). A global number starts with
 * "+" and has at least one digit; a local number must carry a phone-context parameter.
 */
function parseTelUri(s: string, start: number): TelUri | undefined {
  let i = start;
  while (i < s.length && s.charCodeAt(i) !== 0x3b) i++;
  const number = s.slice(start, i);
  const global = number.startsWith('+');
  const digitsFrom = global ? 1 : 0;
  const table = global ? PHONEDIGIT : PHONEDIGIT_HEX;
  if (!allIn(number, digitsFrom, number.length, table, false)) return undefined;
  let significant = false;
  for (let k = digitsFrom; k < number.length; k++) {
    const c = number.charCodeAt(k);
    if (inTable(global ? DIGIT_CHARS : HEX_CHARS, c) || c === 0x2a || c === 0x23) significant = true;
  }
  if (!significant) return undefined;
  const params: UriParams = new Map();
  while (i < s.length) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) !== 0x3b) j++;
    const eq = s.indexOf('=', i + 1);
    const nameEnd = eq >= 0 && eq < j ? eq : j;
    if (nameEnd === i + 1 || !allIn(s, i + 1, nameEnd, TEL_PNAME, false)) return undefined;
    const name = s.slice(i + 1, nameEnd).toLowerCase();
    let value: string | null = null;
    if (nameEnd < j) {
      const valueTable = name === 'isub' ? TEL_URIC : PARAM_CHARS;
      if (nameEnd + 1 === j || !allIn(s, nameEnd + 1, j, valueTable, true)) return undefined;
      value = s.slice(nameEnd + 1, j);
    }
    if (!params.has(name)) params.set(name, value);
    i = j;
  }
  if (!global && !params.get('phone-context')) return undefined;
  return { scheme: 'tel', number, global, params };
}

function formatUriParams(params: UriParams): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** The URI as text; `parseUri(formatUri(u))` gives back an equal `u`. */
export function formatUri(uri: Uri): string {
  if (uri.scheme === 'tel') return `tel:${uri.number}${formatUriParams(uri.params)}`;
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    out += uri.user;
    if (uri.password !== undefined) out += `:${uri.password}`;
    out += '@';
  }
  out += uri.hostType === 'ipv6' ? `[${uri.host}]` : uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatUriParams(uri.params);
  if (uri.headers.length > 0) out += '?' + uri.headers.map(([n, v]) => `${n}=${v}`).join('&');
  return out;
}

const UNRESERVED = charTable('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', "-_.!~*'()");

/**
 * Canonical form for comparison: escapes of unreserved characters decoded, other escapes
 * upper-cased (RFC 3261 §19.1.4: "%61lice" equals "alice", "%3b" equals "%3B").
 */
function normalizeEscapes(s: string): string {
  if (!s.includes('%')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x25 && i + 2 < s.length) {
      const code = parseInt(s.slice(i + 1, i + 3), 16);
      out += inTable(UNRESERVED, code) ? String.fromCharCode(code) : s.slice(i, i + 3).toUpperCase();
      i += 2;
    } else out += s[i];
  }
  return out;
}

const lower = (v: string | null | undefined): string | null | undefined =>
  typeof v === 'string' ? normalizeEscapes(v).toLowerCase() : v;

/**
 * Parameters that must be present in both URIs when present in either (§19.1.4): user, ttl,
 * method and maddr by rule, transport because a component with a default value does not
 * match its absence ("sip:bob@biloxi.com" differs from "sip:bob@biloxi.com;transport=udp").
 */
const MUST_MATCH_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'];

function paramsMatch(a: UriParams, b: UriParams, mustMatch: readonly string[]): boolean {
  for (const name of mustMatch) if (a.has(name) !== b.has(name)) return false;
  for (const [name, value] of a) if (b.has(name) && lower(value) !== lower(b.get(name))) return false;
  return true;
}

/** RFC 3261 §19.1.4 URI equality (RFC 3966 §4 for tel: separators ignored, params compared). */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.scheme === 'tel' || b.scheme === 'tel') {
    if (a.scheme !== 'tel' || b.scheme !== 'tel') return false;
    const digits = (n: string): string => n.replace(/[-.()]/g, '').toLowerCase();
    if (a.global !== b.global || digits(a.number) !== digits(b.number)) return false;
    if (a.params.size !== b.params.size) return false;
    return paramsMatch(a.params, b.params, [...a.params.keys()]);
  }
  if (a.scheme !== b.scheme) return false;
  if (normalizeEscapes(a.user ?? '') !== normalizeEscapes(b.user ?? '')) return false;
  if ((a.user === undefined) !== (b.user === undefined)) return false;
  if (normalizeEscapes(a.password ?? '') !== normalizeEscapes(b.password ?? '')) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  if (!paramsMatch(a.params, b.params, MUST_MATCH_PARAMS)) return false;
  // Header components are never ignored: each must be present in both and match.
  if (a.headers.length !== b.headers.length) return false;
  const hb = new Map(b.headers.map(([n, v]) => [n.toLowerCase(), normalizeEscapes(v)]));
  return a.headers.every(([n, v]) => hb.get(n.toLowerCase()) === normalizeEscapes(v));
}
