/**
 * The effective configuration with secrets masked, for `baton config check` and start-up logs.
 * Masks by key name, so a secret added to the schema later is covered when it follows the
 * naming (`password`, `secret`, `apiToken`, `digestNonceSecret`); URLs keep everything but their
 * password.
 */

export const REDACTED = '***';

/** Keys whose values are secrets wherever they appear. */
const SECRET_KEYS = new Set(['password', 'secret', 'apiToken', 'digestNonceSecret']);

/** Keys holding URLs whose userinfo may carry a password (`redis://:pw@host`). */
const URL_KEYS = new Set(['redisUrl']);

/** Configured SIP header names that usually carry credentials (their values are masked). */
const SECRET_HEADER = /authorization|token|secret|password|api-?key/i;

/** A deep copy of `config` (plain objects and arrays) with secret values replaced by `***`. */
export function redactConfig(config: unknown): unknown {
  return redactValue(config, undefined);
}

function redactValue(value: unknown, key: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => redactValue(v, undefined));
  if (value === null || typeof value !== 'object') {
    if (value === undefined || key === undefined) return value;
    if (SECRET_KEYS.has(key)) return REDACTED;
    if (URL_KEYS.has(key) && typeof value === 'string') return redactUrlPassword(value);
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = key === 'headers' && SECRET_HEADER.test(k) && v !== undefined ? REDACTED : redactValue(v, k);
  }
  return out;
}

/** `redis://user:pw@host:6379/0` → `redis://user:***@host:6379/0`; text that is no URL is masked whole. */
export function redactUrlPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return REDACTED;
  }
  if (parsed.password === '') return url;
  parsed.password = REDACTED;
  return parsed.toString();
}
