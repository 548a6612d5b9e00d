/**
 * Builders for the frames the engine sends to drachtio-srf apps (wire-protocol reference §1.3):
 * `response`, `sip` and `cdr:*` payloads. Pure string building; `framing.ts` adds the
 * `<len>#` prefix.
 *
 * Token positions are the contract: srf splits the leader on every `|` and reads fixed
 * indexes, so trailing empty tokens are part of the format. Nothing here escapes `|`: the
 * protocol has no escaping, so every value placed in a leader (ids, addresses, reasons) must
 * be free of `|` and CR/LF. Engine-generated values are; SIP-derived ones (Call-ID, tags)
 * cannot contain `|` once the parser has accepted them (RFC 3261 §25.1 `word`/`token`).
 */
import type { CdrDelivery, FrameMeta, SipDelivery } from './sip-core-port.js';

const CRLF = '\r\n';

/**
 * The drachtio-server version the engine claims in the authenticate reply. srf only starts its
 * keep-alive pings for servers at or above v0.8.2 (outside NODE_ENV=test), so this must parse
 * as `v<major>.<minor>.<patch>` and be at least that.
 */
export const DRACHTIO_COMPAT_VERSION = 'v0.9.4';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * drachtio's timestamp format: UTC time of day, `HH:MM:SS.uuuuuu` (reference §1.3 (b)).
 * JavaScript dates carry milliseconds, so the last three digits of the microseconds are 0.
 */
export function formatMetaTime(date: Date): string {
  const micros = date.getUTCMilliseconds() * 1000;
  return `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}.${String(micros).padStart(6, '0')}`;
}

/** The six `meta` tokens, in wire order: source, bytes, protocol, address, port, time. */
export function metaTokens(meta: FrameMeta): string[] {
  return [meta.source, String(meta.bytes), meta.protocol, meta.address, String(meta.port), meta.time];
}

function metaField(meta: FrameMeta): string {
  return `${meta.source}|${meta.bytes}|${meta.protocol}|${meta.address}|${meta.port}|${meta.time}`;
}

/**
 * A SIP message for an app. srf reads `token[2..7]` as meta, `[8]` transaction id, `[9]`
 * dialog id, and ignores frames of nine tokens or fewer, so the trailing `|` (an empty 11th
 * token) is mandatory. New out-of-dialog requests carry the local host and port they arrived
 * on as tokens 10 and 11 (srf's `req.receivedOn`), then an empty `[12]` (srf's
 * `sessionToken`), exactly as drachtio-server's `sendSipMessageToClient` writes them.
 */
export function sipFrame(msgId: string, d: SipDelivery): string {
  const received = d.receivedOn === undefined ? '' : `${d.receivedOn.host}|${d.receivedOn.port}|`;
  return `${msgId}|sip|${metaField(d.meta)}|${d.txnId}|${d.dialogId}|${received}${CRLF}${d.raw}`;
}

/**
 * A reply to an app's request `requestId`: `<id>|response|<requestId>|<tokens…>`, plus CRLF
 * and `body` when a body is given (srf passes `token.slice(3)` and the body to the callback it
 * registered under `requestId`).
 */
export function responseFrame(
  msgId: string,
  requestId: string,
  tokens: readonly string[],
  body?: string,
): string {
  const leader = `${msgId}|response|${requestId}|${tokens.join('|')}`;
  return body === undefined ? leader : `${leader}${CRLF}${body}`;
}

/**
 * A CDR event: `<id>|cdr:attempt|<source>|<time>`, or with a fourth field (role for
 * `cdr:start`, reason for `cdr:stop`), then CRLF and the SIP message (reference §1.3 (c)).
 */
export function cdrFrame(msgId: string, d: CdrDelivery): string {
  const extra = d.extra === undefined ? '' : `|${d.extra}`;
  return `${msgId}|${d.kind}|${d.source}|${d.time}${extra}${CRLF}${d.raw}`;
}

/**
 * Make free text safe to place in a single leader token (failure reasons): `|` would shift
 * every later token and CR/LF would end the leader.
 */
export function leaderSafe(text: string): string {
  return text.replace(/[|\r\n]/g, ' ');
}
