/**
 * From / To of a request as the call layer wants them ({@link SipParty}), from drachtio-srf's
 * parsed name-addr. The quoted-string unquoting is pure and tested on its own.
 */
import Srf from 'drachtio-srf';
import type { SipParty } from '../call/ports.js';

/** What drachtio-srf's `getParsedHeader('From' | 'To')` returns. */
export interface ParsedNameAddr {
  readonly name?: string;
  readonly uri: string;
}

export function partyOf(parsed: ParsedNameAddr): SipParty {
  const displayName = displayNameOf(parsed.name);
  let user = '';
  try {
    user = Srf.parseUri(parsed.uri)?.user ?? '';
  } catch {
    // A URI drachtio-srf cannot parse has no user part Baton can read; the call still goes on.
  }
  return displayName === undefined ? { uri: parsed.uri, user } : { uri: parsed.uri, user, displayName };
}

/**
 * The display name without its quotes: RFC 3261 §25.1 quoted-string, where `\x` stands for `x`;
 * a token-form name is trimmed. Undefined when there is none.
 */
export function displayNameOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    const inner = text.slice(1, -1).replace(/\\(.)/g, '$1');
    return inner === '' ? undefined : inner;
  }
  return text;
}
