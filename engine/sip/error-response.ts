/**
 * Stateless responses built from a request (RFC 3261 §8.2.6): copy Via (all of them, in
 * order), From, To, Call-ID and CSeq; add a To tag when the request had none. Used for answers
 * the engine gives without a transaction: 400 for malformed requests, 481, 503 and the like.
 */
import { SipMessage } from './message.js';
import { getTag, withTag } from './header-values.js';

const COPIED = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

/**
 * Build a response to `req`. Returns undefined when the request lacks what a response needs
 * (a Via to route it back, a CSeq to match it): such input is dropped, as RFC 3261 §18.2.1
 * allows for messages too broken to answer. Never answer an ACK (RFC 3261 §17.2.1).
 */
export function buildResponse(
  req: SipMessage,
  status: number,
  reason: string,
  toTag?: string,
  extraHeaders: Array<[string, string]> = [],
): SipMessage | undefined {
  if (!req.isRequest || req.method === 'ACK') return undefined;
  // Via routes the answer and CSeq lets the peer match it; without From/To/Call-ID the request
  // is still answered (RFC 4475 §3.3.1 wants a 400 for exactly that), with what it has.
  if (!req.has('via') || !req.has('cseq')) return undefined;
  const res = SipMessage.response(status, reason);
  for (const h of req.headers) {
    if (!COPIED.has(h.key)) continue;
    if (h.key === 'to' && status > 100 && toTag && getTag(h.value) === undefined) {
      res.append(h.name, withTag(h.value, toTag));
    } else {
      res.append(h.name, h.value);
    }
  }
  for (const [n, v] of extraHeaders) res.append(n, v);
  return res;
}
