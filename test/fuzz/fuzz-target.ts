/**
 * One fuzz case through everything that reads untrusted SIP: the parser, the serializer (and
 * the re-parse of what it wrote), request/response validation, the URI parser, every
 * header-value parser and the stateless error response built from a failed request. Returns a finding instead of throwing, so that callers can report the
 * seed and case that produced it.
 *
 * Properties checked beyond "nothing throws":
 * - a parsed message, serialized, parses again to an equivalent message (same start line,
 *   same headers in the same order with the same names and values, same body; Content-Length
 *   is the body's length);
 * - a parsed URI, formatted, parses again to an equal structure; the same for a Via;
 * - a strictly parsed name-addr, formatted, parses strictly again to the same parts.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  formatNameAddr,
  formatVia,
  getTag,
  parseCSeq,
  parseNameAddr,
  parseNameAddrStrict,
  parseParams,
  parseRAck,
  parseUriTarget,
  parseVia,
  parseViaList,
  splitList,
  withTag,
} from '../../engine/sip/header-values.js';
import { parseMediaType, parseTokenList } from '../../engine/sip/media-type.js';
import { buildResponse } from '../../engine/sip/error-response.js';
import type { SipMessage } from '../../engine/sip/message.js';
import {
  checkRequestSyntax,
  validateRequest,
  validateResponse,
} from '../../engine/sip/message-validation.js';
import { DEFAULT_PARSE_LIMITS, parseMessage, type ParseLimits } from '../../engine/sip/parser.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import { formatUri, parseUri, uriEquals } from '../../engine/sip/uri.js';

export interface Finding {
  kind: 'exception' | 'round-trip' | 'uri-round-trip' | 'via-round-trip' | 'name-addr-round-trip';
  detail: string;
}

/**
 * Re-parse limits: serializing can grow a message a little ("l:0" → "l: 0", an added
 * Content-Length, U+FFFD written as three bytes), so the second parse must not trip over the
 * limits the first one just passed.
 */
const REPARSE_LIMITS: ParseLimits = {
  maxMessageBytes: DEFAULT_PARSE_LIMITS.maxMessageBytes * 4,
  maxHeaders: DEFAULT_PARSE_LIMITS.maxHeaders + 1,
  maxUriLength: DEFAULT_PARSE_LIMITS.maxUriLength,
  maxHeaderLineBytes: DEFAULT_PARSE_LIMITS.maxHeaderLineBytes + 16,
};

const UA_CAPABILITIES = {
  uriSchemes: ['sip', 'sips', 'tel'],
  extensions: ['100rel', 'timer'],
  contentTypes: ['application/sdp', 'multipart/*'],
  contentEncodings: ['gzip'],
  methods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER'],
  forwarding: true,
};

/** Why two messages differ, or undefined when they are equivalent. */
export function messageDifference(a: SipMessage, b: SipMessage): string | undefined {
  if (!isDeepStrictEqual(a.startLine, b.startLine)) return 'start line differs';
  const strip = (m: SipMessage) => m.headers.filter((h) => h.key !== 'content-length');
  const ha = strip(a);
  const hb = strip(b);
  if (ha.length !== hb.length) return `header count ${ha.length} vs ${hb.length}`;
  for (let i = 0; i < ha.length; i++) {
    if (!isDeepStrictEqual(ha[i], hb[i]))
      return `header ${i} differs: ${JSON.stringify(ha[i])} vs ${JSON.stringify(hb[i])}`;
  }
  if (!a.body.equals(b.body)) return 'body differs';
  if (b.get('content-length') !== String(b.body.length)) return 'Content-Length is not the body length';
  return undefined;
}

/** Parse a URI and check that formatting it gives the same URI back. */
export function checkUri(text: string): Finding | undefined {
  const uri = parseUri(text);
  if (!uri) return undefined;
  const again = parseUri(formatUri(uri));
  if (!again || !isDeepStrictEqual(uri, again) || !uriEquals(uri, again)) {
    return { kind: 'uri-round-trip', detail: `${JSON.stringify(text)} → ${JSON.stringify(formatUri(uri))}` };
  }
  return undefined;
}

function checkHeaderValue(key: string, value: string): Finding | undefined {
  parseParams(value);
  parseNameAddr(value);
  getTag(value);
  withTag(value, 'fuzz');
  parseCSeq(value);
  parseRAck(value);
  parseMediaType(value);
  parseTokenList(value);
  parseUriTarget(value);
  parseViaList(value);
  for (const element of splitList(value)) {
    const via = parseVia(element);
    if (via) {
      const again = parseVia(formatVia(via));
      if (!isDeepStrictEqual(via, again)) return { kind: 'via-round-trip', detail: JSON.stringify(element) };
    }
    const na = parseNameAddrStrict(element);
    if (na) {
      const again = parseNameAddrStrict(formatNameAddr(na));
      if (
        !again ||
        again.uri !== na.uri ||
        again.displayName !== na.displayName ||
        !isDeepStrictEqual(again.params, na.params)
      ) {
        return { kind: 'name-addr-round-trip', detail: `${key}: ${JSON.stringify(element)}` };
      }
      const uriFinding = checkUri(na.uri);
      if (uriFinding) return uriFinding;
    }
  }
  return undefined;
}

function checkParsed(msg: SipMessage): Finding | undefined {
  const again = parseMessage(serializeMessage(msg), REPARSE_LIMITS);
  if (!again.ok) return { kind: 'round-trip', detail: `re-parse failed: ${again.status} ${again.reason}` };
  const diff = messageDifference(msg, again.message);
  if (diff) return { kind: 'round-trip', detail: diff };
  if (msg.isRequest) {
    checkRequestSyntax(msg);
    validateRequest(msg);
    validateRequest(msg, UA_CAPABILITIES);
    return checkUri(msg.uri);
  }
  validateResponse(msg, 'uac');
  validateResponse(msg, 'proxy');
  return undefined;
}

/** Run one input through every target; a finding describes the first property broken. */
export function checkInput(input: Buffer): Finding | undefined {
  try {
    const result = parseMessage(input);
    const msg = result.ok ? result.message : result.partial;
    if (msg) {
      for (const h of msg.headers) {
        const finding = checkHeaderValue(h.key, h.value);
        if (finding) return finding;
      }
    }
    if (result.ok) return checkParsed(result.message);
    // What the transport does with a malformed request: answer it statelessly from the partial.
    if (result.partial) {
      const answer = buildResponse(result.partial, result.status, result.reason, 'fuzz');
      if (answer) serializeMessage(answer);
    }
    return undefined;
  } catch (err) {
    return { kind: 'exception', detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/** The URI parser alone on a mutated URI string. */
export function checkUriInput(text: string): Finding | undefined {
  try {
    return checkUri(text);
  } catch (err) {
    return { kind: 'exception', detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}
