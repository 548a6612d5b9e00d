/**
 * Media types and token lists: Content-Type, Accept (RFC 3261 §20.1, §20.15) and the
 * option-tag / coding lists of Require, Supported, Unsupported and Content-Encoding. Pure
 * functions; malformed values give `undefined`, never an exception.
 */
import { TOKEN_CHARS, isToken, scanRun, skipSep, skipWs, trimWs } from './grammar.js';
import { parseParams, splitOutsideQuotes, type Params } from './header-values.js';

export interface MediaType {
  /** Lower-cased type and subtype ("application", "sdp"); "*" in an Accept media-range. */
  type: string;
  subtype: string;
  params: Params;
}

/**
 * media-type = m-type SLASH m-subtype *( SEMI m-parameter ) (RFC 3261 §20.15). Type and
 * subtype are checked strictly; parameters are read tolerantly, because multipart boundaries
 * in the wild often carry unquoted characters that the m-value grammar does not allow.
 */
export function parseMediaType(value: string): MediaType | undefined {
  const s = value;
  let i = skipWs(s, 0);
  const typeEnd = scanRun(s, i, s.length, TOKEN_CHARS, false);
  if (typeEnd === i) return undefined;
  const type = s.slice(i, typeEnd).toLowerCase();
  i = skipSep(s, typeEnd, 0x2f);
  if (i < 0) return undefined;
  const subEnd = scanRun(s, i, s.length, TOKEN_CHARS, false);
  if (subEnd === i) return undefined;
  const subtype = s.slice(i, subEnd).toLowerCase();
  const rest = skipWs(s, subEnd);
  if (rest < s.length && s.charCodeAt(rest) !== 0x3b) return undefined;
  return { type, subtype, params: parseParams(s.slice(rest)) };
}

/** Whether a media-range ("*\/*", "application/*", "application/sdp") covers type/subtype. */
export function mediaRangeMatches(range: MediaType, type: string, subtype: string): boolean {
  return (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
}

/** A comma list of tokens (option-tags, codings); undefined if an element is not a token. */
export function parseTokenList(value: string): string[] | undefined {
  const out: string[] = [];
  for (const part of splitOutsideQuotes(value, ',')) {
    const t = trimWs(part);
    if (t.length === 0) continue;
    if (!isToken(t)) return undefined;
    out.push(t);
  }
  return out;
}
