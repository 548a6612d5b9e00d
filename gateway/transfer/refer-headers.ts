/**
 * Headers of the REFER Baton sends on the caller's leg (Refer-To with embedded headers, RFC 3515
 * §2.1 and RFC 3261 §19.1.1; Referred-By, RFC 3892) and the NOTIFYs Baton sends to the AI leg
 * when the AI agent referred the call (RFC 3515 §2.4.4–2.4.7). Pure.
 */
import { withoutControlCharacters } from '../../config/schema/transfer-headers.js';
import { reasonPhrase, type Header, type StatusLine } from './transfer-types.js';

export type BuildResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * RFC 3261 §19.1.1: `hname` and `hvalue` take `unreserved` and `hnv-unreserved` characters as they
 * are; everything else is escaped. `encodeURIComponent` leaves exactly `unreserved` (alphanum and
 * `-_.!~*'()`) alone, so only the `hnv-unreserved` set is put back.
 */
const HNV_UNRESERVED: Readonly<Record<string, string>> = {
  '%5B': '[',
  '%5D': ']',
  '%2F': '/',
  '%3F': '?',
  '%3A': ':',
  '%2B': '+',
  '%24': '$',
};

/** Escape text for a URI header name or value: `;` → `%3B`, `=` → `%3D`, `&` → `%26`, space → `%20`. */
export function escapeUriHeader(text: string): string {
  return encodeURIComponent(text).replace(/%(?:5B|5D|2F|3F|3A|2B|24)/g, (e) => HNV_UNRESERVED[e] ?? e);
}

/**
 * A Refer-To value: the target URI in angle brackets, with `headers` embedded as its `?` part
 * (`<sip:queue@cc.example.com?X-Intent=billing&User-to-User=04AB%3Bencoding%3Dhex>`), which the
 * referee copies into the INVITE it sends (RFC 3261 §19.1.5). Always a name-addr: a URI with
 * `?` or `;` must be bracketed (RFC 3261 §20.10, which RFC 3515 §2.1 follows for Refer-To).
 */
export function buildReferTo(uri: string, headers: readonly Header[] = []): BuildResult<string> {
  if (/[<>\s]/.test(uri) || !/^sips?:/i.test(uri)) {
    return { ok: false, reason: `'${uri.slice(0, 64)}' is not a bare SIP URI` };
  }
  if (headers.length === 0) return { ok: true, value: `<${uri}>` };
  const query = headers
    .map(([name, value]) => `${escapeUriHeader(name)}=${escapeUriHeader(value)}`)
    .join('&');
  const joiner = uri.includes('?') ? '&' : '?';
  return { ok: true, value: `<${uri}${joiner}${query}>` };
}

/** The referrer as Referred-By shows it (RFC 3892 §3: name-addr or addr-spec). */
export interface Referrer {
  readonly uri: string;
  readonly displayName?: string;
}

/**
 * `Referred-By: "AI Agent" <sip:agent@ai.example.com>`. Sent on Baton's REFERs (RFC 3892 §3) so
 * the carrier and the human's desktop see who transferred the call; some SBCs refuse a REFER
 * without it.
 */
export function buildReferredBy(referrer: Referrer): BuildResult<string> {
  if (/[<>\s]/.test(referrer.uri) || !/^(?:sips?|tel):/i.test(referrer.uri)) {
    return { ok: false, reason: `'${referrer.uri.slice(0, 64)}' is not a bare SIP or tel URI` };
  }
  const name = withoutControlCharacters(referrer.displayName ?? '').trim();
  if (name === '') return { ok: true, value: `<${referrer.uri}>` };
  return { ok: true, value: `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}" <${referrer.uri}>` };
}

/** The content type of every NOTIFY body for a REFER subscription (RFC 3515 §2.4.5, RFC 3420 §2). */
export const SIPFRAG_CONTENT_TYPE = 'message/sipfrag;version=2.0';

export interface ReferNotifySpec {
  /** The CSeq number of the AI agent's REFER: the subscription's `id` (RFC 3515 §2.4.6). */
  readonly referCseq: number;
  /** The status of the referred call so far (Baton's transfer), e.g. 100, 180, 200, 486. */
  readonly status: number;
  /** Its reason phrase; the standard one when absent. */
  readonly reason?: string;
  /** Seconds left of the subscription while it is active (RFC 6665 §8.2.3 `expires`). */
  readonly expiresSeconds: number;
}

export interface NotifyMessage {
  readonly headers: readonly Header[];
  readonly body: string;
}

/**
 * One NOTIFY for the AI agent's REFER. A provisional status keeps the subscription active; a final
 * one (≥ 200) ends it with `terminated;reason=noresource`, the reason RFC 3515 §2.4.7 gives for a
 * subscription that ends because the reference has completed. The body is the status line alone
 * (RFC 3515 §2.4.5: it "MUST begin with a SIP Response Status-Line").
 */
export function buildReferNotify(spec: ReferNotifySpec): NotifyMessage {
  const final = spec.status >= 200;
  const line = statusLine({ status: spec.status, reason: spec.reason ?? reasonPhrase(spec.status) });
  const expires = Math.max(0, Math.floor(spec.expiresSeconds));
  return {
    headers: [
      ['Event', `refer;id=${spec.referCseq}`],
      ['Subscription-State', final ? 'terminated;reason=noresource' : `active;expires=${expires}`],
      ['Content-Type', SIPFRAG_CONTENT_TYPE],
    ],
    body: `${line}\r\n`,
  };
}

/** `SIP/2.0 486 Busy Here`, the reason phrase cleaned of anything that would end the line. */
export function statusLine(line: StatusLine): string {
  const reason = withoutControlCharacters(line.reason).trim() || reasonPhrase(line.status);
  return `SIP/2.0 ${line.status} ${reason}`;
}
