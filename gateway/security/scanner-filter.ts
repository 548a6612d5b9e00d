/**
 * Known SIP scanners and toll-fraud tools by User-Agent (`security.scannerUserAgents`).
 *
 * SIPVicious announces itself as `friendly-scanner`, sipcli as `sipcli/v1.8`, and so on; the
 * gateway drops their requests without an answer, which gives a scanner nothing to learn (not
 * even that a SIP server listens here). Matching is a plain case-insensitive substring
 * test, never a regular expression: the patterns come from config and the User-Agent from the
 * attacker, so neither can make matching slow.
 */

/** Lower-cased copies of each pattern list, keyed by the (frozen, long-lived) config array. */
const lowered = new WeakMap<readonly string[], readonly string[]>();

/**
 * Whether `userAgent` contains any of `patterns`, ignoring case. A request without a User-Agent
 * is not a scanner by this test: the header is optional (RFC 3261 §20.41) and many carriers omit
 * it.
 */
export function isScanner(userAgent: string | undefined, patterns: readonly string[]): boolean {
  if (userAgent === undefined || userAgent === '' || patterns.length === 0) return false;
  const haystack = userAgent.toLowerCase();
  for (const needle of lowerCased(patterns)) {
    // An empty pattern would match every request; the schema refuses patterns under 3 chars.
    if (needle !== '' && haystack.includes(needle)) return true;
  }
  return false;
}

function lowerCased(patterns: readonly string[]): readonly string[] {
  let cached = lowered.get(patterns);
  if (cached === undefined) {
    cached = patterns.map((p) => p.toLowerCase());
    // Only a frozen array cannot change under the cache; others are lowered on every call.
    if (Object.isFrozen(patterns)) lowered.set(patterns, cached);
  }
  return cached;
}
