/**
 * The SIP header rules of transfers: which extra headers may be configured or sent, token names,
 * the headers Baton builds itself, one-line values, sizes. Here rather than in the gateway because
 * config/ imports nothing of Baton's, and a header refused at start must be refused the same way
 * when it arrives per call: `gateway/transfer/header-rules.ts` imports these.
 */
import { z } from 'zod';

/** RFC 3261 §25.1 `token`: the characters a header name may use. */
const HEADER_NAME = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Longest header name accepted (characters); real extension headers stay far below. */
export const MAX_HEADER_NAME_LENGTH = 64;
/**
 * Longest header value (characters, after rendering). Carriers and contact-centre platforms cap
 * custom headers around 1 KiB (Twilio: 1024 characters for all of them together), and a UDP
 * request must stay below the path MTU or switch to TCP (RFC 3261 §18.1.1).
 */
export const MAX_HEADER_VALUE_LENGTH = 1024;
/** Most extra headers on one transfer request (configured, tags and per-call overrides together). */
export const MAX_TRANSFER_HEADERS = 32;
/** Most bytes of extra headers on one request (`Name: value\r\n` each, UTF-8), for the same reason. */
export const MAX_TRANSFER_HEADER_BYTES = 4096;

/**
 * Headers Baton builds itself. Setting one would break the dialog or routing (RFC 3261 §8.1.1,
 * §12.2.1.1, §16.6), the body framing (§20.14–20.15), the transfer (RFC 3515, RFC 3892, and
 * Replaces, RFC 3891, which would take over another dialog), the implicit subscription (RFC 6665),
 * session timers (RFC 4028), the extension negotiation (§20.32, §20.29) or authentication (§22).
 */
const BUILT_BY_BATON = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'route',
  'record-route',
  'max-forwards',
  'refer-to',
  'referred-by',
  'replaces',
  'event',
  'subscription-state',
  'session-expires',
  'min-se',
  'require',
  'proxy-require',
  'rseq',
  'rack',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
]);

/**
 * Why a header name cannot be configured or sent, or undefined when it can. The check is
 * case-insensitive (RFC 3261 §7.3.1: names compare case-insensitively); the name is sent as written.
 */
export function checkHeaderName(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH || !HEADER_NAME.test(name)) {
    const rule = `1–${MAX_HEADER_NAME_LENGTH} token characters, RFC 3261 §25.1`;
    return `'${name}' is not a valid SIP header name (${rule})`;
  }
  const key = name.toLowerCase();
  // Every one-letter name is a compact form of a header Baton builds (RFC 3261 §7.3.3: i, m, f, t, v…).
  if (key.length === 1) return `'${name}' is a compact header form; Baton sets that header itself`;
  if (key.startsWith('content-')) return `${name} describes the body, which Baton builds itself`;
  if (BUILT_BY_BATON.has(key)) return `${name} is set by Baton itself`;
  return undefined;
}

/** A C0 control character other than HTAB, or DEL. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
}

/** Whether `text` holds a control character: a CR or LF would split a SIP message, a NUL truncate it. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

/** `text` with every control character (HTAB included) replaced, for echoing network text into a line. */
export function withoutControlCharacters(text: string, replacement = ''): string {
  let out = '';
  for (const c of text) out += c.length === 1 && (isControl(c.charCodeAt(0)) || c === '\t') ? replacement : c;
  return out;
}

/**
 * Why a header value cannot be sent, or undefined when it can: one line (RFC 3261 §7.3.1, values
 * are TEXT-UTF8 without line breaks after unfolding), no control characters, within the size limit.
 */
export function checkHeaderValue(value: string): string | undefined {
  if (hasControlCharacter(value)) return 'contains a line break, NUL or other control character';
  if (value.length > MAX_HEADER_VALUE_LENGTH) return `longer than ${MAX_HEADER_VALUE_LENGTH} characters`;
  return undefined;
}

const headerTemplateSchema = z.string().superRefine((value, ctx) => {
  const problem = checkHeaderValue(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Extra headers as name → value template. `{{call.id}}`, `{{call.from.user}}`, `{{call.to.user}}`,
 * `{{conversationId}}`, `{{trunk}}` and `{{vars.<name>}}` are filled per transfer; the gateway
 * compiles the templates at start and refuses unknown placeholders.
 */
export const transferHeadersSchema = z
  .record(z.string(), headerTemplateSchema)
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > MAX_TRANSFER_HEADERS) {
      ctx.addIssue({ code: 'custom', message: `more than ${MAX_TRANSFER_HEADERS} headers` });
    }
    const seen = new Map<string, string>();
    for (const name of names) {
      const problem = checkHeaderName(name);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: problem });
      const other = seen.get(name.toLowerCase());
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `same header as '${other}' (names ignore case)`,
        });
      }
      seen.set(name.toLowerCase(), name);
    }
  });

export const UUI_HEADER_NAMES = ['User-to-User', 'X-User-to-User'] as const;
