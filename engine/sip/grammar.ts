/**
 * Character classes and small scanners for the RFC 3261 §25.1 grammar, shared by the
 * message parser, the URI parser and the header-value parsers.
 *
 * Everything here works on character codes with lookup tables and plain loops: no regular
 * expression with nested quantifiers, so every scan is linear in its input however hostile
 * the input is (a 60 KB header must not cost more than a few passes over 60 KB).
 */

/** A 128-entry membership table for ASCII characters; codes >= 128 are never members. */
export type CharTable = Uint8Array;

export function charTable(...groups: string[]): CharTable {
  const t = new Uint8Array(128);
  for (const g of groups) for (let i = 0; i < g.length; i++) t[g.charCodeAt(i)] = 1;
  return t;
}

const DIGITS = '0123456789';
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = ALPHA + DIGITS;
/** mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
const MARK = "-_.!~*'()";

export const DIGIT_CHARS = charTable(DIGITS);
export const ALPHA_CHARS = charTable(ALPHA);
export const ALNUM_CHARS = charTable(ALNUM);
export const HEX_CHARS = charTable(DIGITS, 'abcdefABCDEF');
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN_CHARS = charTable(ALNUM, "-.!%*_+`'~");
/**
 * user = 1*( unreserved / escaped / user-unreserved ), plus "#": RFC 3261 §19.1.2 wants it
 * escaped, but feature codes like "sip:*72#@pbx" are sent raw by many phones and PBXes, and
 * the character is unambiguous there.
 */
export const USER_CHARS = charTable(ALNUM, MARK, '&=+$,;?/#');
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const PASSWORD_CHARS = charTable(ALNUM, MARK, '&=+$,');
/** paramchar = param-unreserved / unreserved / escaped */
export const PARAM_CHARS = charTable(ALNUM, MARK, '[]/:&+$');
/** hname / hvalue characters: hnv-unreserved / unreserved / escaped */
export const HEADER_CHARS = charTable(ALNUM, MARK, '[]/?:+$');
/** uric (RFC 2396 §2) plus "[" / "]" (RFC 2732) and a raw "#" (see USER_CHARS). */
export const URIC_CHARS = charTable(ALNUM, MARK, ';/?:@&=+$,[]#');
/**
 * Host names: alphanum, "-" and "." (RFC 3261 hostname), plus "_", which DNS allows (RFC 2181
 * §11) and container host names carry ("project_service_1").
 */
export const HOSTNAME_CHARS = charTable(ALNUM, '-._');
/** A Via/generic-param value: token, host (incl. IPv6 with or without brackets). */
export const GEN_VALUE_CHARS = charTable(ALNUM, "-.!%*_+`'~:[]");

export function inTable(table: CharTable, code: number): boolean {
  return code < 128 && table[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!inTable(TOKEN_CHARS, s.charCodeAt(i))) return false;
  return true;
}

/**
 * End of the run of `table` characters (and, when `escapes`, valid %HH escapes) starting at
 * `from`; returns -1 when a "%" is not followed by two hex digits.
 */
export function scanRun(s: string, from: number, to: number, table: CharTable, escapes: boolean): number {
  let i = from;
  while (i < to) {
    const c = s.charCodeAt(i);
    if (escapes && c === 0x25) {
      if (i + 2 >= to) return -1;
      if (!inTable(HEX_CHARS, s.charCodeAt(i + 1)) || !inTable(HEX_CHARS, s.charCodeAt(i + 2))) return -1;
      i += 3;
      continue;
    }
    if (!inTable(table, c)) break;
    i++;
  }
  return i;
}

/** Whether all of s[from, to) consists of `table` characters and valid escapes. */
export function allIn(s: string, from: number, to: number, table: CharTable, escapes: boolean): boolean {
  return scanRun(s, from, to, table, escapes) === to;
}

const SP = 0x20;
const HTAB = 0x09;

/** Skip SP / HTAB (LWS after unfolding). */
export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HTAB) break;
    i++;
  }
  return i;
}

/** Trim SP / HTAB only: other Unicode white space is content, not LWS. */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HTAB)) a++;
  while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === HTAB)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Skip a separator with optional white space around it (SLASH, COLON, EQUAL … are all
 * SWS char SWS in RFC 3261 §25.1). Returns the index after it, or -1 when `ch` is not there.
 */
export function skipSep(s: string, i: number, ch: number): number {
  i = skipWs(s, i);
  return s.charCodeAt(i) === ch ? skipWs(s, i + 1) : -1;
}

/**
 * Scan a quoted-string starting at the opening DQUOTE (RFC 3261 §25.1): qdtext is LWS,
 * printable ASCII but DQUOTE and backslash, or UTF-8; quoted-pair escapes any octet except
 * CR and LF. Returns the index after the closing DQUOTE, or -1 when it is not terminated or
 * holds a raw control character.
 */
export function scanQuoted(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c === 0x5c) {
      const n = s.charCodeAt(j + 1);
      if (j + 1 >= s.length || n === 0x0d || n === 0x0a) return -1;
      j += 2;
      continue;
    }
    if ((c < SP && c !== HTAB) || c === 0x7f) return -1;
    j++;
  }
  return -1;
}

/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255. */
export function isIPv4(s: string): boolean {
  let parts = 0;
  let i = 0;
  while (parts < 4) {
    const start = i;
    let v = 0;
    while (i < s.length && i - start < 3 && inTable(DIGIT_CHARS, s.charCodeAt(i))) {
      v = v * 10 + (s.charCodeAt(i) - 0x30);
      i++;
    }
    if (i === start || v > 255) return false;
    parts++;
    if (parts < 4) {
      if (s.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
  }
  return i === s.length;
}

/**
 * IPv6address per RFC 4291 §2.2 (RFC 3261's own ABNF is known to be loose, RFC 5118 §4.5):
 * eight groups of 1–4 hex digits, at most one "::" standing for one or more zero groups, and
 * an optional dotted IPv4 tail counting as two groups. No brackets, no zone id.
 */
export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  let groups = 0;
  const count = (part: string, mayEndInV4: boolean): boolean => {
    if (part.length === 0) return true;
    const pieces = part.split(':');
    for (let k = 0; k < pieces.length; k++) {
      const p = pieces[k]!;
      if (k === pieces.length - 1 && mayEndInV4 && p.includes('.')) {
        if (!isIPv4(p)) return false;
        groups += 2;
        continue;
      }
      if (p.length === 0 || p.length > 4 || !allIn(p, 0, p.length, HEX_CHARS, false)) return false;
      groups++;
    }
    return true;
  };
  if (dbl < 0) return count(head, true) && groups === 8;
  return count(head, false) && count(tail, true) && groups <= 7;
}

/**
 * hostname = *( domainlabel "." ) toplabel [ "." ]; labels are alphanum (and "_") with inner
 * "-", and the top label starts with a letter (which is what tells it apart from an IPv4
 * address).
 */
export function isHostname(s: string): boolean {
  const end = s.endsWith('.') ? s.length - 1 : s.length;
  if (end <= 0) return false;
  let labelStart = 0;
  for (let i = 0; i <= end; i++) {
    if (i < end && s.charCodeAt(i) !== 0x2e) {
      if (!inTable(HOSTNAME_CHARS, s.charCodeAt(i))) return false;
      continue;
    }
    if (i === labelStart) return false;
    if (s.charCodeAt(labelStart) === 0x2d || s.charCodeAt(i - 1) === 0x2d) return false;
    if (i === end && !inTable(ALPHA_CHARS, s.charCodeAt(labelStart))) return false;
    labelStart = i + 1;
  }
  return true;
}

export type HostType = 'ipv4' | 'ipv6' | 'hostname';

/** Classify a host as written (IPv6 without brackets); undefined when it is none of them. */
export function hostType(host: string): HostType | undefined {
  if (isIPv4(host)) return 'ipv4';
  if (host.includes(':')) return isIPv6(host) ? 'ipv6' : undefined;
  return isHostname(host) ? 'hostname' : undefined;
}
