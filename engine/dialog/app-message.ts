/**
 * SIP text sent by an application over the control protocol → SipMessage.
 *
 * Apps send incomplete messages on purpose (no Via, often no Call-ID/CSeq, `sip:placeholder`
 * URIs) and drachtio-srf computes Content-Length in UTF-16 units, so this parser is lenient
 * where the network parser is strict: the body is everything after the blank line and the
 * app's Content-Length is ignored. Pure.
 */
import { canonicalHeaderName } from '../sip/header-names.js';
import { formatNameAddr, parseNameAddr, splitList } from '../sip/header-values.js';
import { SipMessage, headerKey, type Header } from '../sip/message.js';

export type AppMessageResult = { ok: true; message: SipMessage } | { ok: false; reason: string };

/** Headers the stack owns; an app's values are dropped (drachtio-server's immutable set). */
const IMMUTABLE = new Set(['via', 'route', 'record-route', 'rseq', 'content-length']);

export function parseAppMessage(raw: string): AppMessageResult {
  let sep = raw.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (sep < 0) {
    sep = raw.length;
    sepLen = 0;
  }
  const head = raw.slice(0, sep);
  const bodyText = raw.slice(sep + sepLen);
  const lines = head.split('\r\n');
  const first = lines.shift() ?? '';
  let message: SipMessage;
  if (first.startsWith('SIP/')) {
    const m = /^SIP\/2\.0 (\d{3})(?: (.*))?$/.exec(first);
    if (!m) return { ok: false, reason: 'invalid status line' };
    message = SipMessage.response(Number(m[1]), m[2] ?? '');
  } else {
    const m = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(first);
    if (!m) return { ok: false, reason: 'invalid request line' };
    message = SipMessage.request(m[1]!.toUpperCase(), m[2]!);
  }
  const headers: Header[] = [];
  for (const line of lines) {
    if (!line) continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length) {
      headers[headers.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, reason: `invalid header line: ${line.slice(0, 40)}` };
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    // RFC 3261 §7.3.1: a value cannot carry a line break (that would inject headers). A NUL may
    // appear escaped inside a quoted string (RFC 4475 §3.1.1.2), so it is allowed.
    if (/[\r\n]/.test(value)) return { ok: false, reason: `invalid characters in header ${name}` };
    const key = headerKey(name);
    headers.push({
      name: canonicalHeaderName(name),
      value: ADDRESS_HEADERS.has(key) ? bracketAddress(value) : value,
      key,
    });
  }
  message.headers = headers.filter((h) => !IMMUTABLE.has(h.key));
  message.body = bodyText.length ? Buffer.from(bodyText, 'utf8') : Buffer.alloc(0);
  return { ok: true, message };
}

/** Headers whose values are name-addr lists (RFC 3261 §20.10, §20.20, §20.39). */
const ADDRESS_HEADERS = new Set(['from', 'to', 'contact']);

/**
 * Write addr-specs in angle brackets (`sip:a@b;p=1` → `<sip:a@b>;p=1`), as drachtio-server's
 * stack does: RFC 3261 §20.10 reads the parameters of a bare addr-spec as header parameters
 * anyway, and peers that only look inside `<…>` (SIPp scenarios among them) then find the URI.
 */
function bracketAddress(value: string): string {
  if (value.trim() === '*' || !/(^|,)\s*[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value)) return value;
  return splitList(value)
    .map((part) => {
      const na = parseNameAddr(part);
      return na && !na.bracketed ? formatNameAddr(na) : part;
    })
    .join(', ');
}

/**
 * drachtio-server rewrites `@localhost` in From, To, Contact and P-Asserted-Identity to its own
 * SIP host:port (srf's `callingNumber` option produces `sip:<num>@localhost`).
 */
export function substituteLocalhost(msg: SipMessage, hostport: string): void {
  for (const h of msg.headers) {
    if (h.key === 'from' || h.key === 'to' || h.key === 'contact' || h.key === 'p-asserted-identity') {
      if (h.value.includes('@localhost')) h.value = h.value.replace(/@localhost(?![\w.-])/g, `@${hostport}`);
    }
  }
}

/** A body starting `v=0` defaults to application/sdp (drachtio-server behaviour). */
export function defaultContentType(msg: SipMessage): boolean {
  if (msg.body.length === 0 || msg.has('content-type')) return true;
  if (msg.body.subarray(0, 3).toString('latin1') === 'v=0') {
    msg.append('Content-Type', 'application/sdp');
    return true;
  }
  return false;
}
