/**
 * The auth-param syntax of Authorization / Proxy-Authorization values (RFC 3261 §25.1
 * `credentials`, RFC 7235 §2.1, RFC 7616 §3.4), parsed and written. Pure, never throws.
 *
 *   credentials = auth-scheme 1*SP auth-param *( *LWS "," *LWS auth-param )
 *   auth-param  = token *LWS "=" *LWS ( token / quoted-string )
 *
 * One header value may hold several credentials: a request that crossed proxies carries one
 * Proxy-Authorization per realm, and drachtio-srf joins repeated headers with commas. A comma
 * followed by a token that is not followed by `=` starts the next credentials (the scheme of the
 * next one), as RFC 7235 §4.1 describes for challenges.
 *
 * The input is attacker-controlled, so parsing is one linear pass with hard caps on length and
 * parameter count, and anything ambiguous (a duplicated parameter, a stray quote, a control
 * character) makes the whole value malformed rather than guessed at.
 */

/** Longest header value looked at. A real Digest answer is a few hundred bytes. */
export const MAX_CREDENTIALS_LENGTH = 4096;
/** Most auth-params in one credentials; RFC 7616 defines eleven. */
export const MAX_AUTH_PARAMS = 32;
/** Most credentials in one joined header value. */
export const MAX_CREDENTIALS = 8;

export interface ParsedCredentials {
  /** As sent; compare case-insensitively (RFC 7235 §2.1). */
  readonly scheme: string;
  /** Parameter names lower-cased (they are case-insensitive), values unquoted and unescaped. */
  readonly params: ReadonlyMap<string, string>;
}

export type CredentialsParseResult =
  | { readonly ok: true; readonly credentials: readonly ParsedCredentials[] }
  | { readonly ok: false; readonly reason: string };

/** RFC 7230 §3.2.6 tchar. */
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

/** Parse a whole Authorization / Proxy-Authorization value into its credentials. */
export function parseCredentials(value: string): CredentialsParseResult {
  if (value.length > MAX_CREDENTIALS_LENGTH) {
    return fail(`longer than ${MAX_CREDENTIALS_LENGTH} characters`);
  }
  const s = new Scanner(value);
  const credentials: ParsedCredentials[] = [];
  s.skipSeparators();
  while (!s.done()) {
    if (credentials.length === MAX_CREDENTIALS) return fail(`more than ${MAX_CREDENTIALS} credentials`);
    const scheme = s.token();
    if (scheme === '') return fail(`expected an auth-scheme at offset ${s.pos}`);
    if (!s.whitespace() && !s.done()) return fail(`no space after auth-scheme '${scheme}'`);
    const params = new Map<string, string>();
    for (;;) {
      s.skipWhitespace();
      if (s.done()) break;
      const mark = s.pos;
      const name = s.token();
      if (name === '') return fail(`expected a parameter name at offset ${s.pos}`);
      s.skipWhitespace();
      if (s.peek() !== '=') {
        // `, Digest username=…`: a token without `=` after a comma is the next scheme.
        if (params.size === 0) return fail(`parameter '${name}' has no value`);
        s.pos = mark;
        break;
      }
      s.pos++;
      s.skipWhitespace();
      const parsed = s.peek() === '"' ? s.quotedString() : s.bareValue();
      if (!parsed.ok) return parsed;
      const key = name.toLowerCase();
      // RFC 7235 §2.1: each parameter name MUST only occur once per challenge (and credentials).
      if (params.has(key)) return fail(`parameter '${key}' appears twice`);
      if (params.size === MAX_AUTH_PARAMS) return fail(`more than ${MAX_AUTH_PARAMS} parameters`);
      params.set(key, parsed.value);
      s.skipWhitespace();
      if (s.done()) break;
      if (s.peek() !== ',') return fail(`expected ',' at offset ${s.pos}`);
      s.skipSeparators();
    }
    credentials.push({ scheme, params });
  }
  if (credentials.length === 0) return fail('empty');
  return { ok: true, credentials };
}

/** `text` as a quoted-string, with `"` and `\` escaped as quoted-pairs (RFC 3261 §25.1). */
export function quoteString(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

class Scanner {
  pos = 0;

  constructor(private readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text.charAt(this.pos);
  }

  /** Consumes LWS (SP, HTAB, and CR/LF of a folded line); whether any was there. */
  whitespace(): boolean {
    const start = this.pos;
    this.skipWhitespace();
    return this.pos > start;
  }

  skipWhitespace(): void {
    while (!this.done() && isWhitespace(this.peek())) this.pos++;
  }

  /** Commas and whitespace: RFC 7230 §7 lets list elements be empty (`a=1,,b=2`). */
  skipSeparators(): void {
    while (!this.done() && (this.peek() === ',' || isWhitespace(this.peek()))) this.pos++;
  }

  token(): string {
    const start = this.pos;
    while (!this.done() && TCHAR.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, unescaped. */
  quotedString(): { ok: true; value: string } | { ok: false; reason: string } {
    const open = this.pos;
    this.pos++;
    let value = '';
    while (!this.done()) {
      const c = this.peek();
      if (c === '"') {
        this.pos++;
        return { ok: true, value };
      }
      if (c === '\\') {
        const next = this.text.charAt(this.pos + 1);
        if (next === '' || isControl(next)) return fail(`bad escape at offset ${this.pos}`);
        value += next;
        this.pos += 2;
        continue;
      }
      if (isControl(c)) return fail(`control character in quoted-string at offset ${this.pos}`);
      value += c;
      this.pos++;
    }
    return fail(`unterminated quoted-string from offset ${open}`);
  }

  /**
   * An unquoted value. The grammar says token, but some UAs send `uri=sip:…` or base64 values
   * unquoted; anything up to the next comma or space that holds no quote or control character is
   * taken, which cannot be misread as the start of another parameter.
   */
  bareValue(): { ok: true; value: string } | { ok: false; reason: string } {
    const start = this.pos;
    while (!this.done()) {
      const c = this.peek();
      if (c === ',' || isWhitespace(c)) break;
      if (c === '"' || isControl(c)) return fail(`unexpected character at offset ${this.pos}`);
      this.pos++;
    }
    if (this.pos === start) return fail(`empty value at offset ${start}`);
    return { ok: true, value: this.text.slice(start, this.pos) };
  }
}

function isWhitespace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/** CTLs other than HTAB (RFC 5234 CTL = %x00-1F / %x7F). */
function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && c !== '\t') || code === 0x7f;
}
