/**
 * The gateway-core keys of `security`, `store` and `trunks`: the digest nonce key and lifetime,
 * record retention, and trunk blocks written in IPv4-mapped form. Loaded the way the gateway
 * loads them (file + environment), so error paths, redaction and short names are covered too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../config/config-error.js';
import { loadConfig } from '../../config/load-config.js';
import { REDACTED, redactConfig } from '../../config/redact.js';
import type { Config } from '../../config/schema.js';
import { TrunkMatcher } from '../../gateway/security/trunk-matcher.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-config-core-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function load(input: object, env: Record<string, string> = {}): Config {
  const path = join(dir, `config-${++files}.yaml`);
  writeFileSync(path, JSON.stringify(input));
  return loadConfig({ file: path, env });
}

function issuesOf(input: object, env: Record<string, string> = {}): ConfigIssue[] {
  try {
    load(input, env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const SECRET = 'a-nonce-key-of-forty-characters-exactly!';

describe('security.digestNonceSecret and digestNonceTtlSeconds', () => {
  it('default: no key (a random one per process) and nonces good for 30 s', () => {
    const { security } = load({});
    expect(security.digestNonceSecret).toBeUndefined();
    expect(security.digestNonceTtlSeconds).toBe(30);
  });

  it('takes a key of at least 32 bytes, from the file or BATON_DIGEST_NONCE_SECRET', () => {
    expect(load({ security: { digestNonceSecret: SECRET } }).security.digestNonceSecret).toBe(SECRET);
    expect(load({}, { BATON_DIGEST_NONCE_SECRET: SECRET }).security.digestNonceSecret).toBe(SECRET);
    // Bytes, not characters: sixteen 2-byte characters are 32 bytes.
    expect(load({ security: { digestNonceSecret: 'é'.repeat(16) } }).security.digestNonceSecret).toHaveLength(
      16,
    );
  });

  it('refuses a shorter key without echoing it', () => {
    const short = 'x'.repeat(31);
    const issues = issuesOf({ security: { digestNonceSecret: short } });
    expect(issues).toEqual([{ path: 'security.digestNonceSecret', message: 'must be at least 32 bytes' }]);
    expect(JSON.stringify(issues)).not.toContain(short);
  });

  it('is masked wherever the effective configuration is printed', () => {
    const redacted = redactConfig(load({ security: { digestNonceSecret: SECRET } })) as {
      security: Record<string, unknown>;
    };
    expect(redacted.security.digestNonceSecret).toBe(REDACTED);
    expect(JSON.stringify(redacted)).not.toContain(SECRET);
  });

  it('a nonce lifetime is 5–3600 whole seconds', () => {
    expect(load({ security: { digestNonceTtlSeconds: 5 } }).security.digestNonceTtlSeconds).toBe(5);
    expect(issuesOf({ security: { digestNonceTtlSeconds: 4 } })[0]?.path).toBe(
      'security.digestNonceTtlSeconds',
    );
    expect(issuesOf({ security: { digestNonceTtlSeconds: 3601 } })[0]?.path).toBe(
      'security.digestNonceTtlSeconds',
    );
    expect(issuesOf({ security: { digestNonceTtlSeconds: 1.5 } })[0]?.path).toBe(
      'security.digestNonceTtlSeconds',
    );
  });
});

describe('store retention', () => {
  it('default: ended records kept 30 days, purged hourly', () => {
    expect(load({}).store).toMatchObject({ retainEndedDays: 30, purgeIntervalMinutes: 60 });
  });

  it('takes other values, from the file or BATON_STORE__*', () => {
    expect(load({ store: { retainEndedDays: 7, purgeIntervalMinutes: 5 } }).store).toMatchObject({
      retainEndedDays: 7,
      purgeIntervalMinutes: 5,
    });
    expect(load({}, { BATON_STORE__RETAIN_ENDED_DAYS: '90' }).store.retainEndedDays).toBe(90);
  });

  it('refuses zero days, zero minutes and fractions', () => {
    expect(issuesOf({ store: { retainEndedDays: 0, purgeIntervalMinutes: 0 } }).map((i) => i.path)).toEqual([
      'store.retainEndedDays',
      'store.purgeIntervalMinutes',
    ]);
    expect(issuesOf({ store: { retainEndedDays: 1.5 } }).map((i) => i.path)).toEqual([
      'store.retainEndedDays',
    ]);
  });
});

describe('trunk blocks in IPv4-mapped form', () => {
  const clash = {
    trunks: [
      { name: 'a', addresses: ['192.0.2.0/24'] },
      { name: 'b', addresses: ['::ffff:192.0.2.0/120'] },
    ],
  };

  it('::ffff:192.0.2.0/120 in one trunk and 192.0.2.0/24 in another are the same block', () => {
    expect(issuesOf(clash)).toEqual([
      {
        path: 'trunks[1].addresses[0]',
        message:
          '::ffff:192.0.2.0/120 (the IPv4 block 192.0.2.0/24) is also in trunks[0] (a); a source must map to one trunk',
      },
    ]);
    // The schema says so before the trunk matcher would refuse the same blocks at start-up.
    expect(() => new TrunkMatcher(clash.trunks)).toThrow(/in both trunk a and trunk b/);
  });

  it('either order, and a mapped single address against its IPv4 spelling', () => {
    const issues = issuesOf({
      trunks: [
        { name: 'a', addresses: ['::ffff:198.51.100.7'] },
        { name: 'b', addresses: ['198.51.100.7'] },
      ],
    });
    expect(issues).toEqual([
      {
        path: 'trunks[1].addresses[0]',
        message: expect.stringContaining('198.51.100.7/32 is also in trunks[0] (a)'),
      },
    ]);
  });

  it('nested blocks across the spellings are fine (the most specific wins), as is a repeat in one trunk', () => {
    const trunks = [
      { name: 'a', addresses: ['192.0.2.0/24', '::ffff:192.0.2.0/120'] },
      { name: 'b', addresses: ['::ffff:192.0.2.128/121'] },
    ];
    const config = load({ trunks });
    const matcher = new TrunkMatcher(config.trunks);
    expect(matcher.match('192.0.2.1')?.name).toBe('a');
    expect(matcher.match('::ffff:192.0.2.200')?.name).toBe('b');
  });
});
