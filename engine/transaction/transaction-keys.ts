/**
 * Transaction matching keys (RFC 3261 §17.1.3 for responses, §17.2.3 for requests). Each key is a
 * string so that matching is one `Map` lookup. Pure.
 */
import type { SipMessage } from '../sip/message.js';
import { getTag, parseCSeq, parseVia, topVia, type Via } from '../sip/header-values.js';

/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** The top Via of a message, as text and parsed, or undefined when absent or malformed. */
export interface TopVia {
  text: string;
  via: Via;
}

export function readTopVia(msg: SipMessage): TopVia | undefined {
  const text = topVia(msg.getAll('via'));
  if (text === undefined) return undefined;
  const via = parseVia(text);
  return via ? { text, via } : undefined;
}

/** The branch of a parsed Via, or undefined when it has none (or an empty one). */
export function branchOf(via: Via): string | undefined {
  const branch = via.params.get('branch');
  return branch ? branch : undefined;
}

/**
 * Client transaction key (§17.1.3): the branch of the top Via plus the CSeq method (the method
 * tells a CANCEL's responses from those of the INVITE it shares a branch with).
 */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}

/** The client key of a response, or undefined when it lacks a branch or a CSeq. */
export function clientKeyOfResponse(res: SipMessage): string | undefined {
  const top = readTopVia(res);
  const branch = top && branchOf(top.via);
  const cseq = parseCSeq(res.get('cseq') ?? '');
  return branch && cseq ? clientKey(branch, cseq.method) : undefined;
}

/**
 * Server transaction key (§17.2.3) with the method part replaced by `method` — the caller passes
 * the request's method, or 'INVITE' to find the INVITE transaction an ACK or a CANCEL refers to.
 *
 * RFC 3261 requests (branch with the magic cookie): branch + sent-by (host lower-cased, port as
 * written) + method.
 *
 * Older requests (RFC 2543, e.g. RFC 4475 §3.4.1 "inv2543"), §17.2.3's second procedure,
 * approximated: Request-URI, From tag, Call-ID, CSeq number and the top Via as written. The To
 * tag is left out of the key because an ACK carries the tag of *our* response while the INVITE
 * had none; the INVITE transaction checks the ACK's To tag itself (`acceptsAck`). A missing From
 * tag counts as empty (RFC 3261 §12.1.1 treats it as null).
 */
export function serverKey(req: SipMessage, top: TopVia, method: string): string {
  const branch = branchOf(top.via);
  if (branch !== undefined && branch.startsWith(MAGIC_COOKIE)) {
    const port = top.via.port === undefined ? '' : String(top.via.port);
    return `${branch}|${top.via.host.toLowerCase()}:${port}|${method}`;
  }
  return legacyServerKey(req, top, method);
}

function legacyServerKey(req: SipMessage, top: TopVia, method: string): string {
  const cseqText = req.get('cseq') ?? '';
  const seq = parseCSeq(cseqText)?.seq ?? cseqText;
  const fromTag = getTag(req.get('from')) ?? '';
  const callId = req.get('call-id') ?? '';
  return `2543|${req.uri}|${fromTag}|${callId}|${seq}|${top.text.trim()}|${method}`;
}

/** Whether a request is matched by §17.2.3's RFC 3261 procedure (else the RFC 2543 one). */
export function hasMagicCookie(top: TopVia): boolean {
  return branchOf(top.via)?.startsWith(MAGIC_COOKIE) ?? false;
}
