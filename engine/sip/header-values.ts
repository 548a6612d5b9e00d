/**
 * Parsers and formatters for the header values the engine itself acts on: Via, CSeq,
 * name-addr headers (From/To/Contact/Route/Record-Route), tags and parameters, RSeq/RAck.
 * Pure functions; malformed values give `undefined`, never an exception.
 */

export type Params = Map<string, string | null>;

/** Split `a;b=c;d` into params; keys lower-cased, values kept as written. */
export function parseParams(text: string): Params {
  const params: Params = new Map();
  for (const part of splitOutsideQuotes(text, ';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) params.set(p.toLowerCase(), null);
    else params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
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
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Via (RFC 3261 §20.42, RFC 3581)

export interface Via {
  protocol: string; // e.g. 'UDP', 'TCP' (upper-case as sent)
  host: string; // sent-by host, IPv6 without brackets
  port?: number;
  params: Params;
}

export function parseVia(value: string): Via | undefined {
  const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+([^;\s]+)\s*(;.*)?$/i.exec(value);
  if (!m) return undefined;
  const sentBy = m[2]!;
  let host: string;
  let port: number | undefined;
  if (sentBy.startsWith('[')) {
    const close = sentBy.indexOf(']');
    if (close < 0) return undefined;
    host = sentBy.slice(1, close);
    const rest = sentBy.slice(close + 1);
    if (rest.startsWith(':')) port = Number(rest.slice(1));
    else if (rest.length) return undefined;
  } else {
    const colon = sentBy.lastIndexOf(':');
    if (colon >= 0) {
      host = sentBy.slice(0, colon);
      port = Number(sentBy.slice(colon + 1));
    } else host = sentBy;
  }
  if (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65535)) return undefined;
  if (!host) return undefined;
  return { protocol: m[1]!.toUpperCase(), host, port, params: parseParams(m[3] ?? '') };
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

export function parseCSeq(value: string): CSeq | undefined {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(value);
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > 2 ** 31 - 1) return undefined;
  return { seq, method: m[2]! };
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

export function parseNameAddr(value: string): NameAddr | undefined {
  const v = value.trim();
  const lt = indexOutsideQuotes(v, '<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return undefined;
    const display = v.slice(0, lt).trim();
    const uri = v.slice(lt + 1, gt).trim();
    if (!uri) return undefined;
    const na: NameAddr = { uri, params: parseParams(v.slice(gt + 1)), bracketed: true };
    if (display) na.displayName = display;
    return na;
  }
  if (v.startsWith('"')) return undefined;
  // addr-spec without brackets: params after the URI belong to the header (§20.10).
  const semi = v.indexOf(';');
  const uri = (semi < 0 ? v : v.slice(0, semi)).trim();
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
// SIP URI host/port/params (enough for routing; full URI grammar lives in uri.ts)

export interface UriTarget {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params: Params;
}

export function parseUriTarget(uri: string): UriTarget | undefined {
  const m = /^(sips?|tel):(.*)$/i.exec(uri.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  let rest = m[2]!;
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    return { scheme, user: semi < 0 ? rest : rest.slice(0, semi), host: '', params: parseParams(semi < 0 ? '' : rest.slice(semi)) };
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

export function parseRAck(value: string): RAck | undefined {
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(value);
  if (!m) return undefined;
  return { rseq: Number(m[1]), cseq: Number(m[2]), method: m[3]! };
}
