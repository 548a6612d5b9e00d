/** `security:` what the gateway does with traffic that is not from a configured trunk. */
import { z } from 'zod';

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
});
