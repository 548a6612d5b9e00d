/**
 * `security:` what the gateway does with traffic that is not from a configured trunk, and how it
 * challenges trunks that must authenticate.
 */
import { z } from 'zod';
import { docMeta, secretSchema } from './common.js';

/**
 * User-Agent substrings of common SIP scanners and toll-fraud tools (matched case-insensitively).
 * Requests carrying them are dropped without an answer, which gives a scanner nothing to learn.
 */
const DEFAULT_SCANNER_USER_AGENTS: readonly string[] = [
  'friendly-scanner',
  'sipvicious',
  'sipcli',
  'sip-scan',
  'VaxSIPUserAgent',
  'iWar',
  'SIVuS',
  'sundayddr',
  'pplsip',
];

export const DIGEST_ALGORITHMS = ['SHA-256', 'MD5'] as const;

/**
 * Shortest nonce key, in bytes: the key of an HMAC-SHA-256 should be no shorter than its 32-byte
 * output (RFC 2104 §3); the digest authenticator refuses a shorter one.
 */
export const MIN_DIGEST_NONCE_SECRET_BYTES = 32;

export const securitySchema = z.strictObject({
  unknownSource: z
    .enum(['reject', 'drop'])
    .default('reject')
    .describe(
      'A request from an address in no trunk allowlist: reject answers 403 Forbidden (clear to a ' +
        'misconfigured carrier), drop sends nothing (gives scanners nothing).',
    ),
  scannerUserAgents: z
    .array(z.string().min(3))
    .default(() => [...DEFAULT_SCANNER_USER_AGENTS])
    .describe('User-Agent substrings (case-insensitive) whose requests are dropped unanswered.'),
  digestAlgorithms: z
    .array(z.enum(DIGEST_ALGORITHMS))
    .min(1)
    .superRefine((algs, ctx) => {
      if (new Set(algs).size !== algs.length)
        ctx.addIssue({ code: 'custom', message: 'lists an algorithm twice' });
    })
    .default(() => [...DIGEST_ALGORITHMS])
    .describe(
      'Digest algorithms offered in inbound challenges, one WWW-Authenticate each, in order of ' +
        'preference (RFC 8760 §2.4; MD5 last for older carriers).',
    ),
  digestNonceSecret: secretSchema
    .refine((secret) => Buffer.byteLength(secret, 'utf8') >= MIN_DIGEST_NONCE_SECRET_BYTES, {
      message: `must be at least ${MIN_DIGEST_NONCE_SECRET_BYTES} bytes`,
    })
    .optional()
    .describe(
      'Key of the HMAC that signs digest nonces (RFC 7616 §3.3), so a challenge needs no state. Unset: ' +
        'a random key per process, and a carrier’s answer only verifies on the instance that sent the ' +
        'challenge. Set the same value on every instance behind one address (several instances, a ' +
        `restart between challenge and answer). At least ${MIN_DIGEST_NONCE_SECRET_BYTES} bytes, e.g. ` +
        '`openssl rand -hex 32`. Secret; usually from BATON_DIGEST_NONCE_SECRET.',
    )
    .register(docMeta, { default: 'random, generated at each start (32 bytes)' }),
  digestNonceTtlSeconds: z
    .number()
    .int()
    .min(5)
    .max(3600)
    .default(30)
    .describe(
      'How long a digest nonce stays good, in seconds: long enough for a carrier to answer the challenge; ' +
        'a captured answer can be replayed (from inside the trunk’s allowlist) until its nonce goes stale.',
    ),
});
