/**
 * The engine's SIP message model: a start line, an ordered list of header lines that keeps
 * names exactly as given (case, repetition, position) and a body as raw bytes.
 *
 * Header values are kept as text and parsed lazily by `header-values.ts`; this module does
 * no I/O and has no side effects.
 */

/** One header line as it appears on the wire; `key` is the canonical lower-case long name. */
export interface Header {
  name: string;
  value: string;
  key: string;
}

/** RFC 3261 §7.3.3 compact forms, plus the ones registered later (RFC 3515, 3891, 4028 …). */
const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  u: 'allow-events',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
  n: 'identity-info',
};

/** Canonical lookup key of a header name: lower-case, compact forms expanded. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower;
}

export type SipMethod = string;

export interface RequestLine {
  readonly kind: 'request';
  method: SipMethod;
  uri: string;
  version: string;
}

export interface StatusLine {
  readonly kind: 'response';
  version: string;
  status: number;
  reason: string;
}

export type StartLine = RequestLine | StatusLine;

const EMPTY_BODY = Buffer.alloc(0);

export class SipMessage {
  startLine: StartLine;
  headers: Header[];
  body: Buffer;

  constructor(startLine: StartLine, headers: Header[] = [], body: Buffer = EMPTY_BODY) {
    this.startLine = startLine;
    this.headers = headers;
    this.body = body;
  }

  static request(
    method: string,
    uri: string,
    headers: Array<[string, string]> = [],
    body?: Buffer,
  ): SipMessage {
    const msg = new SipMessage({ kind: 'request', method, uri, version: 'SIP/2.0' }, [], body ?? EMPTY_BODY);
    for (const [n, v] of headers) msg.append(n, v);
    return msg;
  }

  static response(
    status: number,
    reason: string,
    headers: Array<[string, string]> = [],
    body?: Buffer,
  ): SipMessage {
    const msg = new SipMessage(
      { kind: 'response', version: 'SIP/2.0', status, reason },
      [],
      body ?? EMPTY_BODY,
    );
    for (const [n, v] of headers) msg.append(n, v);
    return msg;
  }

  get isRequest(): boolean {
    return this.startLine.kind === 'request';
  }

  /** Request method, or '' for a response. */
  get method(): string {
    return this.startLine.kind === 'request' ? this.startLine.method : '';
  }

  /** Request-URI, or '' for a response. */
  get uri(): string {
    return this.startLine.kind === 'request' ? this.startLine.uri : '';
  }

  /** Response status, or 0 for a request. */
  get status(): number {
    return this.startLine.kind === 'response' ? this.startLine.status : 0;
  }

  get reason(): string {
    return this.startLine.kind === 'response' ? this.startLine.reason : '';
  }

  /** Value of the first header line with this name (compact forms and case ignored). */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const h of this.headers) if (h.key === key) return h.value;
    return undefined;
  }

  /** Values of every header line with this name, in order (comma lists are not split here). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const h of this.headers) if (h.key === key) out.push(h.value);
    return out;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.headers.some((h) => h.key === key);
  }

  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const h of this.headers) if (h.key === key) n++;
    return n;
  }

  append(name: string, value: string): this {
    this.headers.push({ name, value, key: headerKey(name) });
    return this;
  }

  /** Insert before every other header line (used for Via: RFC 3261 §8.1.1.7, the top Via is ours). */
  prepend(name: string, value: string): this {
    this.headers.unshift({ name, value, key: headerKey(name) });
    return this;
  }

  /**
   * Replace every line of this header by one line with `value`, at the position of the first
   * one (or at the end when absent). `name` keeps the given case.
   */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const first = this.headers.findIndex((h) => h.key === key);
    if (first < 0) return this.append(name, value);
    this.headers[first] = { name, value, key };
    this.headers = this.headers.filter((h, i) => i <= first || h.key !== key);
    return this;
  }

  /** Replace the value of the first line of this header, keeping its name as written. */
  setValue(name: string, value: string): this {
    const key = headerKey(name);
    const h = this.headers.find((x) => x.key === key);
    if (h) h.value = value;
    else this.append(name, value);
    return this;
  }

  remove(name: string): this {
    const key = headerKey(name);
    this.headers = this.headers.filter((h) => h.key !== key);
    return this;
  }

  /** Remove only the first line with this name (e.g. the top Via). */
  removeFirst(name: string): this {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    if (i >= 0) this.headers.splice(i, 1);
    return this;
  }

  clone(): SipMessage {
    return new SipMessage(
      { ...this.startLine },
      this.headers.map((h) => ({ ...h })),
      this.body,
    );
  }
}
