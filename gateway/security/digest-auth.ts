/**
 * Server side of SIP digest authentication: RFC 3261 §22 with the algorithms of RFC 7616 and
 * RFC 8760 (`SHA-256`, `MD5`), `qop=auth` only.
 *
 * Challenge: one Proxy-Authenticate (407) or WWW-Authenticate (401) value per configured
 * algorithm, most preferred first (RFC 8760 §2.4, RFC 7616 §3.7: a client uses the first one it
 * supports). All values of one challenge share one nonce, so a client that answers a different
 * line than it parsed (drachtio-srf's UAC always answers MD5) still verifies when MD5 is offered.
 *
 * Nonces are stateless (the shape RFC 7616 §3.3 suggests): issue time, 8 random bytes and an
 * HMAC-SHA-256 over both and the realm, keyed with the configured secret. Any gateway instance
 * holding the same secret verifies any other's nonce, nothing is stored per challenge, and a
 * nonce cannot be forged or moved to another realm. A nonce older than `nonceTtlMs` is stale:
 * when the response under it is otherwise correct the caller re-challenges with `stale=true`
 * (RFC 7616 §3.3: stale only when the client evidently knows the password).
 *
 * Replay: nonce counts are not tracked. Keeping `(nonce, nc)` per nonce would make the nonces
 * stateful and tie a carrier's retry to one instance; instead a captured answer is good only
 * until its nonce goes stale, and only from an address inside the trunk's allowlist, which is
 * checked before digest auth. Keep `nonceTtlMs` short (tens of seconds) where replay matters.
 *
 * The `uri` parameter is hashed as the client sent it and not compared with the Request-URI:
 * proxies may rewrite the Request-URI, and a mismatch gains an attacker nothing the nonce's
 * lifetime does not already bound.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DIGEST_ALGORITHMS } from '../../config/schema/security.js';
import { parseCredentials, quoteString, type ParsedCredentials } from './digest-header.js';

export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** node:crypto hash name per algorithm (RFC 7616 §3.2 / §6.1 registry names). */
const HASH: Record<DigestAlgorithm, string> = { 'SHA-256': 'sha256', MD5: 'md5' };

/** Random bytes per nonce: makes every nonce unique even within one millisecond. */
const NONCE_SALT_BYTES = 8;
/** HMAC-SHA-256 truncated to 128 bits: ample against forgery, keeps the nonce short. */
const NONCE_MAC_BYTES = 16;
const NONCE_BYTES = 8 + NONCE_SALT_BYTES + NONCE_MAC_BYTES;
const NONCE_TEXT = /^[A-Za-z0-9_-]{43}$/;
/**
 * How far in the future a nonce's issue time may lie: instances sharing a secret may disagree
 * on the time by this much. Beyond it the nonce was not issued by a sane instance.
 */
const NONCE_CLOCK_SKEW_MS = 30_000;
/** Domain separation for the nonce MAC, in case the secret is ever reused for another purpose. */
const NONCE_MAC_LABEL = 'baton digest nonce v1\0';
/** Shortest acceptable HMAC key (RFC 2104 §3: no shorter than the 32-byte SHA-256 output). */
const MIN_SECRET_BYTES = 32;

export interface DigestAuthenticatorOptions {
  /** Realm for challenges and verification unless a call passes its own (RFC 3261 §22.1). */
  readonly realm: string;
  /** HMAC key for nonces; the same on every instance that should accept each other's nonces. */
  readonly secret: Buffer;
  /** `security.digestAlgorithms`: offered in this order, and the only ones accepted. */
  readonly algorithms: readonly DigestAlgorithm[];
  /** How long a nonce is good for, in milliseconds. */
  readonly nonceTtlMs: number;
  readonly clock: { now(): number };
}

export interface DigestChallengeOptions {
  /** Mark the challenge as answering a stale nonce (RFC 7616 §3.3). */
  readonly stale?: boolean;
  /** Realm for this challenge instead of the configured one (e.g. the Request-URI host). */
  readonly realm?: string;
}

export interface DigestVerifyInput {
  /** The request's method, which A2 hashes (RFC 3261 §22.4). */
  readonly method: string;
  /** The Authorization or Proxy-Authorization value; undefined when the header is absent. */
  readonly authorization: string | undefined;
  /** The one user this trunk accepts. */
  readonly credentials: { readonly username: string; readonly password: string };
  /** Realm the credentials must be for, when the challenge used a per-call realm. */
  readonly realm?: string;
}

export type DigestFailureReason =
  | 'missing'
  | 'malformed'
  | 'wrong-realm'
  | 'unknown-user'
  | 'bad-response'
  | 'stale'
  | 'bad-nonce'
  | 'unsupported-algorithm';

export type DigestVerdict =
  | { readonly ok: true; readonly username: string; readonly algorithm: DigestAlgorithm }
  | { readonly ok: false; readonly reason: DigestFailureReason };

/** The inputs of a `qop=auth` digest response (RFC 7616 §3.4.1). */
export interface DigestResponseInput {
  readonly username: string;
  readonly realm: string;
  readonly password: string;
  readonly method: string;
  readonly uri: string;
  readonly nonce: string;
  /** nonce-count, 8 hex digits as sent. */
  readonly nc: string;
  readonly cnonce: string;
  /** `auth`, spelled as the client sent it (the token is case-insensitive, the hash is not). */
  readonly qop: string;
}

export class DigestAuthenticator {
  private readonly realm: string;
  private readonly secret: Buffer;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly nonceTtlMs: number;
  private readonly clock: { now(): number };

  constructor(options: DigestAuthenticatorOptions) {
    if (options.secret.length < MIN_SECRET_BYTES) {
      throw new RangeError(`DigestAuthenticator: secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    if (options.algorithms.length === 0) throw new RangeError('DigestAuthenticator: no algorithms');
    if (!(options.nonceTtlMs > 0)) throw new RangeError('DigestAuthenticator: nonceTtlMs must be > 0');
    this.realm = options.realm;
    this.secret = Buffer.from(options.secret);
    this.algorithms = [...options.algorithms];
    this.nonceTtlMs = options.nonceTtlMs;
    this.clock = options.clock;
  }

  /**
   * Header values for a 407 Proxy-Authenticate or 401 WWW-Authenticate answer, one per
   * algorithm in order of preference, each a separate header field.
   */
  challenge(options: DigestChallengeOptions = {}): string[] {
    const realm = options.realm ?? this.realm;
    const nonce = this.issueNonce(realm);
    const stale = options.stale === true ? ', stale=true' : '';
    return this.algorithms.map(
      (algorithm) =>
        `Digest realm=${quoteString(realm)}, nonce="${nonce}", algorithm=${algorithm}, qop="auth"${stale}`,
    );
  }

  /**
   * Check the credentials in an Authorization / Proxy-Authorization value. Reasons are for logs
   * and for choosing the answer: `stale` → challenge again with `stale: true`; `missing` →
   * challenge; anything else → 403 (RFC 3261 §22.3), the same for every reason so that a
   * scanner cannot tell a wrong user from a wrong password.
   */
  verify(input: DigestVerifyInput): DigestVerdict {
    if (input.authorization === undefined || input.authorization.trim() === '') {
      return failure('missing');
    }
    const parsed = parseCredentials(input.authorization);
    if (!parsed.ok) return failure('malformed');
    const realm = input.realm ?? this.realm;
    const digest = parsed.credentials.filter((c) => c.scheme.toLowerCase() === 'digest');
    if (digest.length === 0) return failure('malformed');
    // RFC 3261 §22.3: with several credentials, the one for our realm is ours.
    const mine = digest.find((c) => c.params.get('realm') === realm);
    if (mine === undefined) {
      return failure(digest.some((c) => !c.params.has('realm')) ? 'malformed' : 'wrong-realm');
    }
    const algorithm = this.acceptedAlgorithm(mine);
    if (algorithm === undefined) return failure('unsupported-algorithm');
    const fields = responseFields(mine);
    if (fields === undefined) return failure('malformed');
    if (fields.username !== input.credentials.username) return failure('unknown-user');
    const nonceState = this.checkNonce(fields.nonce, realm);
    if (nonceState === 'forged') return failure('bad-nonce');
    const expected = digestResponse(algorithm, {
      ...fields,
      realm,
      password: input.credentials.password,
      method: input.method,
    });
    if (!sameHex(expected, fields.response)) return failure('bad-response');
    if (nonceState === 'expired') return failure('stale');
    return { ok: true, username: fields.username, algorithm };
  }

  private acceptedAlgorithm(credentials: ParsedCredentials): DigestAlgorithm | undefined {
    // RFC 7616 §3.4: no algorithm parameter means MD5.
    const sent = (credentials.params.get('algorithm') ?? 'MD5').toUpperCase();
    return this.algorithms.find((a) => a === sent);
  }

  private issueNonce(realm: string): string {
    const body = Buffer.alloc(8 + NONCE_SALT_BYTES);
    body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.clock.now()))), 0);
    randomBytes(NONCE_SALT_BYTES).copy(body, 8);
    return Buffer.concat([body, this.nonceMac(body, realm)]).toString('base64url');
  }

  private checkNonce(nonce: string, realm: string): 'fresh' | 'expired' | 'forged' {
    // Node's base64url decoder skips characters it does not know, so check the text first.
    if (!NONCE_TEXT.test(nonce)) return 'forged';
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return 'forged';
    const body = raw.subarray(0, 8 + NONCE_SALT_BYTES);
    if (!timingSafeEqual(raw.subarray(8 + NONCE_SALT_BYTES), this.nonceMac(body, realm))) return 'forged';
    const issuedAt = Number(body.readBigUInt64BE(0));
    const age = this.clock.now() - issuedAt;
    if (age < -NONCE_CLOCK_SKEW_MS) return 'forged';
    return age > this.nonceTtlMs ? 'expired' : 'fresh';
  }

  private nonceMac(body: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.secret)
      .update(NONCE_MAC_LABEL)
      .update(body)
      .update(realm, 'utf8')
      .digest()
      .subarray(0, NONCE_MAC_BYTES);
  }
}

/**
 * The request-digest for `qop=auth` (RFC 7616 §3.4.1, RFC 3261 §22.4):
 * `H(H(username:realm:password) : nonce : nc : cnonce : qop : H(method:uri))`, lower-case hex.
 */
export function digestResponse(algorithm: DigestAlgorithm, input: DigestResponseInput): string {
  const h = (text: string): string => createHash(HASH[algorithm]).update(text, 'utf8').digest('hex');
  const ha1 = h(`${input.username}:${input.realm}:${input.password}`);
  const ha2 = h(`${input.method}:${input.uri}`);
  return h(`${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

interface ResponseFields {
  readonly username: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly nc: string;
  readonly cnonce: string;
  readonly qop: string;
}

/**
 * The fields a `qop=auth` answer must carry. We always offer qop="auth", so an answer without
 * qop (RFC 2069 style), with auth-int, or with userhash / username* (not offered) is malformed.
 */
function responseFields(c: ParsedCredentials): ResponseFields | undefined {
  const p = c.params;
  const username = p.get('username');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  const nc = p.get('nc');
  const cnonce = p.get('cnonce');
  const qop = p.get('qop');
  if (
    username === undefined ||
    nonce === undefined ||
    uri === undefined ||
    response === undefined ||
    nc === undefined ||
    cnonce === undefined ||
    qop === undefined
  ) {
    return undefined;
  }
  if (qop.toLowerCase() !== 'auth') return undefined;
  // RFC 7616 §3.4: nc is exactly 8 hex digits; cnonce is required and opaque to us.
  if (!/^[0-9a-fA-F]{8}$/.test(nc) || cnonce === '' || uri === '') return undefined;
  if (p.has('username*') || (p.get('userhash') ?? 'false').toLowerCase() !== 'false') return undefined;
  return { username, nonce, uri, response, nc, cnonce, qop };
}

/** Constant-time comparison of two hex digests, ignoring case (LHEX is lower, some send upper). */
function sameHex(expected: string, sent: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(sent.toLowerCase(), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

function failure(reason: DigestFailureReason): DigestVerdict {
  return { ok: false, reason };
}
