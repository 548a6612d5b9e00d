/**
 * Requests a client transaction builds from the request it sent: the ACK for a non-2xx final
 * response (RFC 3261 §17.1.1.3) and the CANCEL of an INVITE (§9.1). Pure.
 *
 * Header names are copied as the original request wrote them (a compact `v:` stays `v:`), so a
 * peer sees the same spelling in the INVITE, its ACK and its CANCEL.
 */
import { SipMessage } from '../sip/message.js';
import { parseCSeq, topVia } from '../sip/header-values.js';

/** Max-Forwards of the requests built here (RFC 3261 §8.1.1.6 recommends 70). */
export const MAX_FORWARDS = 70;

/** First spelling of a header in `msg`, else the canonical one. */
function nameIn(msg: SipMessage, key: string, canonical: string): string {
  return msg.headers.find((h) => h.key === key)?.name ?? canonical;
}

/**
 * The header block shared by ACK and CANCEL: the original's single top Via value, Max-Forwards,
 * its Route lines, From, To (given), Call-ID, and CSeq with the original number and `method`.
 */
function buildFromOriginal(original: SipMessage, method: string, to: string): SipMessage {
  const via = topVia(original.getAll('via')) ?? '';
  const seq = parseCSeq(original.get('cseq') ?? '')?.seq ?? 0;
  const msg = SipMessage.request(method, original.uri);
  msg.append(nameIn(original, 'via', 'Via'), via);
  msg.append('Max-Forwards', String(MAX_FORWARDS));
  for (const h of original.headers) if (h.key === 'route') msg.append(h.name, h.value);
  msg.append(nameIn(original, 'from', 'From'), original.get('from') ?? '');
  msg.append(nameIn(original, 'to', 'To'), to);
  msg.append(nameIn(original, 'call-id', 'Call-ID'), original.get('call-id') ?? '');
  msg.append(nameIn(original, 'cseq', 'CSeq'), `${seq} ${method}`);
  return msg;
}

/**
 * The ACK the INVITE client transaction sends for a 300–699 final response (§17.1.1.3):
 * Request-URI, Call-ID and From of the INVITE; To of the response (with the UAS's tag); the
 * INVITE's CSeq number with method ACK; exactly one Via, equal to the INVITE's top Via (so it
 * carries the same branch and the server transaction absorbs it); the INVITE's Route headers.
 */
export function buildAckForNon2xx(invite: SipMessage, response: SipMessage): SipMessage {
  return buildFromOriginal(invite, 'ACK', response.get('to') ?? invite.get('to') ?? '');
}

/**
 * The CANCEL of `invite` (§9.1): Request-URI, Call-ID, To, From and CSeq number identical to the
 * INVITE's (method CANCEL), a single Via equal to its top Via (same branch, which is how the
 * server matches it, §9.2), its Route headers; then `extraHeaders` (e.g. Reason, RFC 3326).
 */
export function buildCancel(
  invite: SipMessage,
  extraHeaders: ReadonlyArray<[string, string]> = [],
): SipMessage {
  const msg = buildFromOriginal(invite, 'CANCEL', invite.get('to') ?? '');
  for (const [name, value] of extraHeaders) msg.append(name, value);
  return msg;
}
