/**
 * What the AI agent named as a transfer target, read into one of three shapes, and the
 * `transfer.allow` check for numbers and URIs. This is the toll-fraud boundary: a language model
 * can be talked into naming any number, so anything that is not a configured target must match a
 * pattern the operator wrote, and the matching works on parsed parts (scheme, user, host, port)
 * so that no trick of URI syntax (`sip:x@evil.example;@cc.example.com`, escaped characters, a
 * number at a foreign host) reaches a wildcard. Pure.
 */

/** A destination as the AI agent named it. */
export type NamedTarget =
  /** A bare word, or the user part of a URI at Baton's own host: maybe a configured target. */
  | { readonly kind: 'name'; readonly name: string }
  /** A telephone number: `+` and digits (E.164), or national digits, visual separators removed. */
  | { readonly kind: 'number'; readonly number: string }
  /** A SIP URI at another host. */
  | { readonly kind: 'uri'; readonly uri: SipUriParts };

export interface SipUriParts {
  /** `sip` or `sips`, lower case. */
  readonly scheme: string;
  /** The user part, escapes decoded; '' when the URI has none. */
  readonly user: string;
  /** Lower case; IPv6 in brackets. */
  readonly host: string;
  readonly port: number | undefined;
  /** `;transport=tcp…` as written, or ''. */
  readonly params: string;
}

export interface ReadTarget {
  readonly target: NamedTarget;
  /** Headers embedded in the URI (`?X-Intent=billing`), escapes decoded. */
  readonly embeddedHeaders: ReadonlyArray<readonly [string, string]>;
}

export type ReadResult = { ok: true; value: ReadTarget } | { ok: false; reason: string };

/** RFC 3966 §3 visual separators, which people and models put in numbers. */
const VISUAL_SEPARATORS = /[-.() ]/g;
const NUMBER = /^\+?[0-9]{1,20}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])$/;
/** RFC 3261 §25.1 `user`: unreserved, escaped and user-unreserved characters. */
const USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;

/**
 * Read a Refer-To value (`<sip:support@baton.example>`, `"Desk" <sip:+14155550100@baton>;x=y`),
 * an `X-Transfer-Target` value or the API's `target` (`support`, `+1 415 555 0100`,
 * `sip:agent@cc.example.com`, `tel:+14155550100`).
 * @param isLocalHost whether a host is Baton's own, where the user part names a target or number
 */
export function readNamedTarget(text: string, isLocalHost: (host: string) => boolean): ReadResult {
  let value = text.trim();
  // name-addr: take what is inside the brackets; display name and header params are not needed.
  const open = value.indexOf('<');
  if (open >= 0) {
    const close = value.indexOf('>', open);
    if (close < 0) return fail('unbalanced < in the target');
    value = value.slice(open + 1, close).trim();
  }
  if (/^tel:/i.test(value)) {
    const number = readNumber(value.slice(4).split(';')[0] ?? '');
    return number === undefined
      ? fail('tel URI without a usable number')
      : ok({ kind: 'number', number }, []);
  }
  if (/^sips?:/i.test(value)) return readSipUri(value, isLocalHost);
  if (value.includes(':') || value.includes('@')) return fail('not a SIP or tel URI, number or target name');
  const number = readNumber(value);
  if (number !== undefined) return ok({ kind: 'number', number }, []);
  if (NAME.test(value)) return ok({ kind: 'name', name: value }, []);
  return fail('not a SIP or tel URI, number or target name');
}

function readSipUri(uri: string, isLocalHost: (host: string) => boolean): ReadResult {
  const colon = uri.indexOf(':');
  const scheme = uri.slice(0, colon).toLowerCase();
  let rest = uri.slice(colon + 1);
  let embedded: Array<readonly [string, string]> = [];
  const q = rest.indexOf('?');
  if (q >= 0) {
    const headers = readUriHeaders(rest.slice(q + 1));
    if (headers === undefined) return fail('malformed headers in the URI');
    embedded = headers;
    rest = rest.slice(0, q);
  }
  const at = rest.indexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : '';
  const hostpart = at >= 0 ? rest.slice(at + 1) : rest;
  // A password in the URI (RFC 3261 §19.1.1 discourages it) is nothing a target needs.
  if (userinfo.includes(':')) return fail('URI with a password');
  if (at >= 0 && !USER.test(userinfo)) return fail('malformed user part');
  const semi = hostpart.indexOf(';');
  const hostport = semi >= 0 ? hostpart.slice(0, semi) : hostpart;
  const params = semi >= 0 ? hostpart.slice(semi) : '';
  const portAt = hostport.startsWith('[') ? hostport.indexOf(']:') + 1 : hostport.lastIndexOf(':');
  const host = (portAt > 0 ? hostport.slice(0, portAt) : hostport).toLowerCase();
  const portText = portAt > 0 ? hostport.slice(portAt + 1) : undefined;
  if (!HOST.test(host)) return fail('malformed host');
  if (portText !== undefined && !/^[0-9]{1,5}$/.test(portText)) return fail('malformed port');
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && port > 65535) return fail('malformed port');
  if (/[\s<>"]/.test(params)) return fail('malformed URI parameters');
  const user = decodeEscapes(userinfo);
  if (user === undefined) return fail('malformed escape in the user part');
  if (isLocalHost(host)) {
    const number = readNumber(user);
    if (number !== undefined) return ok({ kind: 'number', number }, embedded);
    if (NAME.test(user)) return ok({ kind: 'name', name: user }, embedded);
    return fail('the user part names no target');
  }
  return ok({ kind: 'uri', uri: { scheme, user, host, port, params } }, embedded);
}

/** `X-Intent=billing&User-to-User=04AB%3Bencoding%3Dhex` (RFC 3261 §19.1.1 `headers`). */
function readUriHeaders(query: string): Array<readonly [string, string]> | undefined {
  const out: Array<readonly [string, string]> = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    const name = decodeEscapes(pair.slice(0, eq));
    const value = decodeEscapes(pair.slice(eq + 1));
    if (name === undefined || value === undefined) return undefined;
    out.push([name, value]);
  }
  return out;
}

function decodeEscapes(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function readNumber(text: string): string | undefined {
  const digits = text.replace(VISUAL_SEPARATORS, '');
  return NUMBER.test(digits) ? digits : undefined;
}

function ok(target: NamedTarget, embeddedHeaders: ReadonlyArray<readonly [string, string]>): ReadResult {
  return { ok: true, value: { target, embeddedHeaders } };
}

function fail(reason: string): ReadResult {
  return { ok: false, reason };
}

/** The SIP URI of a named URI target (params kept, embedded headers dropped: they became vars). */
export function formatSipUri(uri: SipUriParts): string {
  const user = uri.user === '' ? '' : `${escapeUser(uri.user)}@`;
  const port = uri.port === undefined ? '' : `:${uri.port}`;
  return `${uri.scheme}:${user}${uri.host}${port}${uri.params}`;
}

/** Escape what RFC 3261 §25.1 `user` does not allow as is. */
function escapeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) =>
    Array.from(Buffer.from(c, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

type CompiledPattern =
  | { readonly kind: 'number'; readonly source: string; readonly re: RegExp }
  | {
      readonly kind: 'uri';
      readonly source: string;
      readonly scheme: string;
      readonly user: RegExp;
      readonly host: RegExp;
      readonly port: number | undefined;
    };

/** `transfer.allow`, compiled once at start. */
export class AllowList {
  readonly #patterns: readonly CompiledPattern[];

  /** @param patterns as validated by the config schema ('+1*', 'sip:*@cc.example.com') */
  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.map(compilePattern);
  }

  /** The first pattern that admits `target` (for the log line), or undefined. Names are never admitted here. */
  match(target: NamedTarget): string | undefined {
    for (const p of this.#patterns) {
      if (target.kind === 'number' && p.kind === 'number' && p.re.test(target.number)) return p.source;
      if (target.kind === 'uri' && p.kind === 'uri' && uriMatches(p, target.uri)) return p.source;
    }
    return undefined;
  }
}

function uriMatches(p: CompiledPattern & { kind: 'uri' }, uri: SipUriParts): boolean {
  // A pattern without a port admits any port of that host; with one, only that port.
  return (
    p.scheme === uri.scheme &&
    p.user.test(uri.user) &&
    p.host.test(uri.host) &&
    (p.port === undefined || p.port === uri.port)
  );
}

function compilePattern(source: string): CompiledPattern {
  if (!/^sips?:/i.test(source)) {
    // `*` stands for any run of digits, nothing else.
    return { kind: 'number', source, re: glob(source, '[0-9]*') };
  }
  const colon = source.indexOf(':');
  const at = source.lastIndexOf('@');
  const hostport = source.slice(at + 1);
  const portAt = hostport.lastIndexOf(':');
  return {
    kind: 'uri',
    source,
    scheme: source.slice(0, colon).toLowerCase(),
    // Within the user part `*` is any run of characters: the part is already cut out of the URI.
    user: glob(source.slice(colon + 1, at), '.*'),
    // Within the host `*` is any run of name characters: `*.cc.example.com` admits a.b.cc.example.com.
    host: glob((portAt > 0 ? hostport.slice(0, portAt) : hostport).toLowerCase(), '[a-z0-9.-]*'),
    port: portAt > 0 ? Number(hostport.slice(portAt + 1)) : undefined,
  };
}

function glob(pattern: string, star: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join(star);
  return new RegExp(`^${body}$`, 's');
}
