/**
 * What a UAS does with a request that parsed: the semantic checks of RFC 3261 §8.2 (and the
 * matching cases of RFC 4475 §3.1.2, §3.2–3.4), as pure functions returning a verdict.
 *
 * `checkRequestSyntax` covers what the parser leaves to later (URI grammar, name-addr
 * syntax, Date, single-valued headers …) and suits any request, in-dialog ones included.
 * `validateRequest` adds the capability checks of §8.2.1–§8.2.3 (501/405, 416, 420, 415,
 * 406, 483) in the order RFC 3261 gives them, for new requests. `validateResponse` applies
 * the UAC/proxy rules for responses (RFC 4475 §3.3.10). Each rejection names its rule.
 */
import type { SipMessage } from './message.js';
import { trimWs } from './grammar.js';
import { parseCSeq, parseNameAddrStrict, parseVia, parseViaList, splitList } from './header-values.js';
import { mediaRangeMatches, parseMediaType, parseTokenList, type MediaType } from './media-type.js';
import { getUriScheme, isAbsoluteUri, parseUri } from './uri.js';

export interface Rejection {
  ok: false;
  status: number;
  reason: string;
  /** The rule applied, e.g. "RFC 3261 §8.2.2.1". */
  rfc: string;
  /** Headers the response must carry (Unsupported, Accept, Allow …), for `buildResponse`. */
  extraHeaders?: Array<[string, string]>;
}

export type Verdict = { ok: true } | Rejection;

const OK = Object.freeze({ ok: true as const });

function reject(
  status: number,
  reason: string,
  rfc: string,
  extraHeaders?: Array<[string, string]>,
): Rejection {
  return extraHeaders ? { ok: false, status, reason, rfc, extraHeaders } : { ok: false, status, reason, rfc };
}

export interface UasCapabilities {
  /** Request-URI schemes served (lower-case); others → 416 (RFC 3261 §8.2.2.1). */
  uriSchemes: readonly string[];
  /** Option tags understood in Require; others → 420 with Unsupported (§8.2.2.3). */
  extensions: readonly string[];
  /** Body types accepted: "type/subtype", "type/*" or "*\/*"; others → 415 with Accept (§8.2.3). */
  contentTypes: readonly string[];
  /** Content-Encodings accepted besides identity; others → 415 with Accept-Encoding (§8.2.3). */
  contentEncodings: readonly string[];
  /**
   * Methods served; others → 405 (a method RFC 3261 and its extensions define) or 501
   * (unknown), with Allow (§8.2.1). Leave unset to let the application decide on methods.
   */
  methods?: readonly string[];
  /**
   * True when the request is relayed onward (a B2BUA bridging it to another leg): then
   * Max-Forwards 0 gets 483, except OPTIONS, which may be answered here (§16.3 item 2).
   * A plain UAS processes Max-Forwards 0 as usual (RFC 4475 §3.3.11).
   */
  forwarding: boolean;
}

export const DEFAULT_UAS_CAPABILITIES: Readonly<UasCapabilities> = Object.freeze({
  uriSchemes: Object.freeze(['sip', 'sips', 'tel']),
  extensions: Object.freeze(['100rel', 'timer', 'replaces', 'norefersub']),
  contentTypes: Object.freeze([
    'application/sdp',
    'multipart/mixed',
    'multipart/alternative',
    'multipart/related',
    'message/sipfrag',
    'text/plain',
    'application/dtmf-relay',
  ]),
  contentEncodings: Object.freeze([]),
  forwarding: false,
});

/** Methods defined by RFC 3261 and its extensions: for these, "not served" is 405, not 501. */
const KNOWN_METHODS = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);

/** Headers whose value is not a comma list, so they may appear once only (§7.3.1). */
const SINGLE_VALUED = [
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'content-type',
  'content-length',
  'expires',
  'date',
];

const DATE_RE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} (\d\d):(\d\d):(\d\d) GMT$/i;

/** SIP-date = rfc1123-date, and the only time zone allowed is GMT (RFC 3261 §20.17). */
function isSipDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [day, h, min, sec] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return day >= 1 && day <= 31 && h <= 23 && min <= 59 && sec <= 60;
}

const isDigits = (v: string): boolean => /^\d+$/.test(v);

/** Every element of every line of a comma-list header. */
function listValues(msg: SipMessage, name: string): string[] {
  const out: string[] = [];
  for (const line of msg.getAll(name)) for (const v of splitList(line)) out.push(v);
  return out;
}

function checkRequestUri(uri: string): Verdict {
  if (!isAbsoluteUri(uri)) return reject(400, 'Bad Request-URI', 'RFC 3261 §25.1');
  const scheme = getUriScheme(uri);
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return OK;
  const parsed = parseUri(uri);
  if (!parsed) return reject(400, 'Bad Request-URI', 'RFC 3261 §19.1.1');
  // Table 1 of §19.1.1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (parsed.scheme !== 'tel' && parsed.headers.length > 0) {
    return reject(400, 'Headers not allowed in Request-URI', 'RFC 3261 §19.1.1');
  }
  return OK;
}

/** Contact: STAR / contact-param list (§20.10); "*" only in a REGISTER removing all (§10.3 step 6). */
function checkContacts(msg: SipMessage): Verdict {
  const contacts = listValues(msg, 'contact');
  for (const c of contacts) {
    if (c === '*') {
      const expires = msg.get('expires');
      if (
        msg.method !== 'REGISTER' ||
        contacts.length > 1 ||
        expires === undefined ||
        Number(expires) !== 0
      ) {
        return reject(400, 'Invalid use of Contact: *', 'RFC 3261 §10.3');
      }
    } else if (!parseNameAddrStrict(c)) {
      // RFC 4475 §3.1.2.13: a URI with "?" must be in angle brackets.
      return reject(400, 'Malformed Contact header', 'RFC 3261 §20.10');
    }
  }
  return OK;
}

/**
 * Syntax and consistency checks of a request beyond what the parser does (all 400s), for any
 * request, in-dialog or not. Works on messages built in code as well as parsed ones.
 */
export function checkRequestSyntax(msg: SipMessage): Verdict {
  if (!msg.isRequest) return reject(400, 'Not a request', 'RFC 3261 §7.1');
  if (!msg.has('via')) return reject(400, 'Missing Via header', 'RFC 3261 §8.1.1');
  for (const name of ['from', 'to', 'call-id', 'cseq']) {
    if (!msg.has(name)) return reject(400, `Missing ${name} header`, 'RFC 3261 §8.1.1');
  }
  for (const name of SINGLE_VALUED) {
    // RFC 4475 §3.3.8, §3.3.9: several values in a single-valued header.
    if (msg.count(name) > 1) return reject(400, `Multiple ${name} headers`, 'RFC 3261 §7.3.1');
  }
  if (!parseCSeq(msg.get('cseq')!)) return reject(400, 'Malformed CSeq header', 'RFC 3261 §20.16');
  for (const line of msg.getAll('via')) {
    if (!parseViaList(line)) return reject(400, 'Malformed Via header', 'RFC 3261 §20.42');
  }
  const uriVerdict = checkRequestUri(msg.uri);
  if (!uriVerdict.ok) return uriVerdict;
  // RFC 4475 §3.1.2.6, §3.1.2.14, §3.1.2.15: unbalanced quotes, spaces in the addr-spec,
  // unquoted non-token display names.
  if (!parseNameAddrStrict(msg.get('from')!)) return reject(400, 'Malformed From header', 'RFC 3261 §20.20');
  if (!parseNameAddrStrict(msg.get('to')!)) return reject(400, 'Malformed To header', 'RFC 3261 §20.39');
  const contacts = checkContacts(msg);
  if (!contacts.ok) return contacts;
  // Max-Forwards over 255 is read as absent (RFC 4475 §3.1.2.4); non-numeric is an error.
  const mf = msg.get('max-forwards');
  if (mf !== undefined && !isDigits(mf))
    return reject(400, 'Malformed Max-Forwards header', 'RFC 3261 §20.22');
  const expires = msg.get('expires');
  if (expires !== undefined && !isDigits(expires))
    return reject(400, 'Malformed Expires header', 'RFC 3261 §20.19');
  // RFC 4475 §3.1.2.12: "EST" (or UT, UTC) is not a SIP-date time zone.
  const date = msg.get('date');
  if (date !== undefined && !isSipDate(date)) return reject(400, 'Malformed Date header', 'RFC 3261 §20.17');
  // RFC 4475 §3.2.1: the magic cookie alone announces an RFC 3261 branch but carries no id;
  // rejecting it (rather than falling back to RFC 2543 matching) keeps transaction keys sound.
  const top = parseVia(listValues(msg, 'via')[0] ?? '');
  if (top?.params.get('branch') === 'z9hG4bK') {
    return reject(400, 'Missing transaction identifier', 'RFC 3261 §8.1.1.7');
  }
  const contentType = msg.get('content-type');
  if (contentType !== undefined && !parseMediaType(contentType)) {
    return reject(400, 'Malformed Content-Type header', 'RFC 3261 §20.15');
  }
  if (msg.body.length > 0 && contentType === undefined) {
    return reject(400, 'Missing Content-Type header', 'RFC 3261 §20.15');
  }
  return OK;
}

function accepts(caps: UasCapabilities, mt: MediaType): boolean {
  return caps.contentTypes.some((c) => {
    const range = parseMediaType(c);
    return range !== undefined && mediaRangeMatches(range, mt.type, mt.subtype);
  });
}

/** RFC 3261 §8.2.2.3: the option tags of Require this element does not support. */
function unsupportedExtensions(msg: SipMessage, caps: UasCapabilities): string[] | undefined {
  const known = new Set(caps.extensions.map((e) => e.toLowerCase()));
  const out: string[] = [];
  for (const line of msg.getAll('require')) {
    const tags = parseTokenList(line);
    if (!tags) return undefined;
    for (const t of tags) if (!known.has(t.toLowerCase())) out.push(t);
  }
  return out;
}

/** RFC 3261 §8.2.3: body type and encoding this element can process. */
function checkContent(msg: SipMessage, caps: UasCapabilities): Verdict {
  if (msg.body.length === 0) return OK;
  const mt = parseMediaType(msg.get('content-type')!)!;
  if (!accepts(caps, mt)) {
    return reject(415, 'Unsupported Media Type', 'RFC 3261 §8.2.3', [
      ['Accept', caps.contentTypes.join(', ')],
    ]);
  }
  const encodings = new Set(['identity', ...caps.contentEncodings.map((e) => e.toLowerCase())]);
  for (const line of msg.getAll('content-encoding')) {
    const codings = parseTokenList(line);
    if (!codings || codings.some((c) => !encodings.has(c.toLowerCase()))) {
      return reject(415, 'Unsupported Media Type', 'RFC 3261 §8.2.3', [
        ['Accept-Encoding', [...encodings].join(', ')],
      ]);
    }
  }
  return OK;
}

/**
 * RFC 4475 §3.3.15: an INVITE whose Accept leaves out application/sdp asks for an answer this
 * UAS cannot give (§21.4.7), so 406 with a 399 warning. An empty Accept accepts nothing (§20.1).
 */
function checkAcceptForInvite(msg: SipMessage): Verdict {
  if (msg.method !== 'INVITE' || !msg.has('accept')) return OK;
  const ranges = listValues(msg, 'accept').map((v) => parseMediaType(v));
  if (ranges.some((r) => r !== undefined && mediaRangeMatches(r, 'application', 'sdp'))) return OK;
  return reject(406, 'Not Acceptable', 'RFC 3261 §21.4.7', [
    ['Warning', '399 baton "A session description can only be sent as application/sdp"'],
  ]);
}

/**
 * The full RFC 3261 §8.2 examination of a new request, in the RFC's order: syntax (400),
 * method (405/501, §8.2.1), CSeq method (400), Request-URI scheme (416, §8.2.2.1), To of a
 * REGISTER (400, §10.3), Max-Forwards when forwarding (483, §16.3), Require (420, §8.2.2.3),
 * body (415, §8.2.3), Accept (406). ACK can never be answered (§17.2.1): only its syntax is
 * judged.
 */
export function validateRequest(
  msg: SipMessage,
  capabilities: UasCapabilities = DEFAULT_UAS_CAPABILITIES,
): Verdict {
  const syntax = checkRequestSyntax(msg);
  if (!syntax.ok || msg.method === 'ACK') return syntax;
  const caps = capabilities;
  const method = msg.method;
  if (caps.methods && !caps.methods.includes(method)) {
    const allow: Array<[string, string]> = [['Allow', caps.methods.join(', ')]];
    // RFC 4475 §3.1.2.18: an unknown method is better answered 501 than 400, even with a
    // mismatched CSeq, so the method is examined first.
    if (KNOWN_METHODS.has(method)) return reject(405, 'Method Not Allowed', 'RFC 3261 §8.2.1', allow);
    return reject(501, 'Not Implemented', 'RFC 3261 §8.2.1', allow);
  }
  // RFC 4475 §3.1.2.17: the CSeq method must be the request's method (§8.1.1.5).
  if (parseCSeq(msg.get('cseq')!)!.method !== method) {
    return reject(400, 'CSeq method does not match request method', 'RFC 3261 §8.1.1.5');
  }
  const scheme = getUriScheme(msg.uri)!;
  if (!caps.uriSchemes.includes(scheme)) {
    // RFC 4475 §3.3.2, §3.3.3: unknown or unserved schemes.
    return reject(416, 'Unsupported URI Scheme', 'RFC 3261 §8.2.2.1');
  }
  if (method === 'REGISTER') {
    // RFC 4475 §3.3.4: the address-of-record must be a SIP or SIPS URI (RFC 3261 §10.2).
    const aor = getUriScheme(parseNameAddrStrict(msg.get('to')!)!.uri);
    if (aor !== 'sip' && aor !== 'sips') return reject(400, 'To must be a SIP or SIPS URI', 'RFC 3261 §10.3');
  }
  const mf = msg.get('max-forwards');
  if (caps.forwarding && mf !== undefined && Number(mf) === 0 && method !== 'OPTIONS') {
    return reject(483, 'Too Many Hops', 'RFC 3261 §16.3');
  }
  if (method !== 'CANCEL') {
    const unsupported = unsupportedExtensions(msg, caps);
    if (!unsupported) return reject(400, 'Malformed Require header', 'RFC 3261 §20.32');
    if (unsupported.length > 0) {
      // RFC 4475 §3.3.5: list exactly the option tags not understood; Proxy-Require is for proxies.
      return reject(420, 'Bad Extension', 'RFC 3261 §8.2.2.3', [['Unsupported', unsupported.join(', ')]]);
    }
  }
  const content = checkContent(msg, caps);
  if (!content.ok) return content;
  return checkAcceptForInvite(msg);
}

export type ResponseVerdict = { ok: true } | { ok: false; action: 'discard'; reason: string; rfc: string };

const BROADCAST = new Set(['255.255.255.255', '0.0.0.0']);

/**
 * Responses are never answered, only kept or dropped. As the UAC, a response with more than
 * one Via value is not for us (RFC 3261 §8.1.3.3). As a proxy, a response whose next Via
 * points at a broadcast address would be sprayed at the network (RFC 4475 §3.3.10).
 */
export function validateResponse(msg: SipMessage, role: 'uac' | 'proxy'): ResponseVerdict {
  const vias = listValues(msg, 'via');
  if (role === 'uac') {
    if (vias.length > 1) {
      return {
        ok: false,
        action: 'discard',
        reason: 'More than one Via in a response',
        rfc: 'RFC 3261 §8.1.3.3',
      };
    }
    return OK;
  }
  const next = vias[1] !== undefined ? parseVia(vias[1]) : undefined;
  if (next) {
    const targets = [next.host, next.params.get('received'), next.params.get('maddr')];
    if (targets.some((t) => typeof t === 'string' && BROADCAST.has(trimWs(t)))) {
      return {
        ok: false,
        action: 'discard',
        reason: 'Response routed to a broadcast address',
        rfc: 'RFC 4475 §3.3.10',
      };
    }
  }
  return OK;
}
