import { describe, expect, it } from 'vitest';
import { formatIpAddress, matchLongestPrefix, parseCidr, type Cidr } from '../../config/cidr.js';
import { trunksSchema } from '../../config/schema/trunks.js';
import { normalizeSourceAddress, sourceAddressOf } from '../../gateway/security/source-address.js';
import { TrunkMatcher, type Trunk } from '../../gateway/security/trunk-matcher.js';

/** Trunks as the config loader produces them (validated, defaulted, frozen). */
function trunks(input: Array<{ name: string; addresses: string[] }>): readonly Trunk[] {
  return Object.freeze(trunksSchema.parse(input).map((t) => Object.freeze(t)));
}

const CONFIG = trunks([
  { name: 'carrier-wide', addresses: ['203.0.113.0/24', '2001:db8::/32'] },
  { name: 'carrier-edge', addresses: ['203.0.113.64/26', '2001:db8:1::/48'] },
  { name: 'carrier-sbc', addresses: ['203.0.113.77', '2001:db8:1::77'] },
  { name: 'ivr', addresses: ['198.51.100.7', '::ffff:192.0.2.0/120'] },
  { name: 'high-bit', addresses: ['255.255.255.255/32', '240.0.0.0/4'] },
]);

describe('TrunkMatcher', () => {
  const matcher = new TrunkMatcher(CONFIG);

  it.each([
    ['203.0.113.1', 'carrier-wide'],
    ['203.0.113.63', 'carrier-wide'],
    ['203.0.113.64', 'carrier-edge'],
    ['203.0.113.76', 'carrier-edge'],
    ['203.0.113.77', 'carrier-sbc'],
    ['203.0.113.127', 'carrier-edge'],
    ['203.0.113.128', 'carrier-wide'],
    ['203.0.113.255', 'carrier-wide'],
    ['198.51.100.7', 'ivr'],
    ['192.0.2.200', 'ivr'],
    ['255.255.255.255', 'high-bit'],
    ['240.0.0.1', 'high-bit'],
    ['2001:db8::1', 'carrier-wide'],
    ['2001:db8:ffff::1', 'carrier-wide'],
    ['2001:db8:1::1', 'carrier-edge'],
    ['2001:db8:1::77', 'carrier-sbc'],
    ['2001:DB8:1:0:0:0:0:77', 'carrier-sbc'],
    ['[2001:db8:1::77]', 'carrier-sbc'],
    ['::ffff:203.0.113.77', 'carrier-sbc'],
    ['::ffff:cb00:714d', 'carrier-sbc'],
    ['[::ffff:198.51.100.7]', 'ivr'],
  ])('%s → %s (most specific block wins)', (source, name) => {
    expect(matcher.match(source)?.name).toBe(name);
  });

  it.each([
    '203.0.114.1',
    '203.0.112.255',
    '198.51.100.8',
    '192.0.3.1',
    '239.255.255.255',
    '2001:db9::1',
    '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
    '::1',
    '127.0.0.1',
  ])('%s is in no trunk', (source) => {
    expect(matcher.match(source)).toBeUndefined();
  });

  it.each([
    '',
    'localhost',
    'carrier.example.net',
    '203.0.113.77:5060',
    '203.0.113.077',
    '1.2.3',
    'not an ip',
  ])('%j is not an address, so no trunk', (source) => {
    expect(matcher.match(source)).toBeUndefined();
  });

  it('returns the configured trunk object itself', () => {
    expect(matcher.match('203.0.113.77')).toBe(CONFIG[2]);
  });

  it('keeps IPv4 and IPv6 apart: ::/0 does not take IPv4 peers, 0.0.0.0/0 does not take IPv6', () => {
    const m = new TrunkMatcher(
      trunks([
        { name: 'any-v6', addresses: ['::/0'] },
        { name: 'any-v4', addresses: ['0.0.0.0/0'] },
      ]),
    );
    expect(m.match('192.0.2.1')?.name).toBe('any-v4');
    expect(m.match('::ffff:192.0.2.1')?.name).toBe('any-v4');
    expect(m.match('2001:db8::1')?.name).toBe('any-v6');
    expect(m.match('::')?.name).toBe('any-v6');
  });

  it('matches nothing when no trunk is configured, or a trunk has no addresses', () => {
    expect(new TrunkMatcher([]).match('203.0.113.77')).toBeUndefined();
    expect(
      new TrunkMatcher(trunks([{ name: 'outbound-only', addresses: [] }])).match('203.0.113.77'),
    ).toBeUndefined();
  });

  it('refuses a block owned by two trunks, and an unparseable block (what the schema refuses)', () => {
    const dup = [
      { name: 'a', addresses: ['203.0.113.0/24'] },
      { name: 'b', addresses: ['203.0.113.0/24'] },
    ];
    expect(() => new TrunkMatcher(dup)).toThrow(/both trunk a and trunk b/);
    // The mapped form names the same IPv4 block: still two owners.
    const mapped = [
      { name: 'a', addresses: ['192.0.2.0/24'] },
      { name: 'b', addresses: ['::ffff:192.0.2.0/120'] },
    ];
    expect(() => new TrunkMatcher(mapped)).toThrow(/both trunk a and trunk b/);
    expect(() => new TrunkMatcher([{ name: 'x', addresses: ['203.0.113.7/24'] }])).toThrow(/host bits/);
    // The same block listed twice in one trunk is harmless.
    expect(
      new TrunkMatcher([{ name: 'a', addresses: ['192.0.2.1', '192.0.2.1/32'] }]).match('192.0.2.1')?.name,
    ).toBe('a');
  });

  it('agrees with the reference linear longest-prefix match on 20,000 addresses around the blocks', () => {
    // Many nested and adjacent blocks of both families, then addresses drawn close to their
    // edges (where off-by-one masks would show) and at random.
    const blocks: string[] = [];
    for (let p = 8; p <= 32; p += 3) blocks.push(cidrText(4, 0xc0a80000n, 32, p));
    for (let p = 1; p <= 32; p += 5) blocks.push(cidrText(4, 0x80000000n + BigInt(p) * 0x10000n, 32, p));
    for (let p = 16; p <= 128; p += 7) blocks.push(cidrText(6, 0x20010db8n << 96n, 128, p));
    const config = trunks(blocks.map((b, i) => ({ name: `t${i}`, addresses: [b] })));
    const m = new TrunkMatcher(config);
    const entries = config.map((t) => ({ cidr: cidr(t.addresses[0] ?? ''), value: t }));

    const random = prng(42);
    const samples: string[] = [];
    for (const { cidr: c } of entries) {
      const bits = c.family === 4 ? 32 : 128;
      const size = 1n << BigInt(bits - c.prefix);
      for (const offset of [-1n, 0n, 1n, size - 1n, size, size + 1n]) {
        const v = c.network + offset;
        if (v >= 0n && v < 1n << BigInt(bits)) samples.push(formatIpAddress({ family: c.family, value: v }));
      }
    }
    while (samples.length < 20_000) {
      const v4 = random() < 0.5;
      const value = v4
        ? 0xc0a80000n ^ BigInt(Math.floor(random() * 0x10000))
        : (0x20010db8n << 96n) ^ randomBits(random, 64);
      samples.push(formatIpAddress({ family: v4 ? 4 : 6, value }));
    }
    for (const s of samples) expect(m.match(s), s).toBe(matchLongestPrefix(entries, s));
  });
});

describe('source address normalisation', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:CB00:7107', '203.0.113.7'],
    ['[::ffff:203.0.113.7]', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]', 'fe80::1'],
    ['::1', '::1'],
  ])('%j → %s', (raw, canonical) => {
    expect(normalizeSourceAddress(raw)).toBe(canonical);
  });

  it.each([
    '',
    'localhost',
    '[203.0.113.7]x',
    '203.0.113.7:5060',
    '[2001:db8::1]:5060',
    '203.0.113.7%eth0',
    '::ffff:999.0.0.1',
  ])('%j is not a source address', (raw) => {
    expect(normalizeSourceAddress(raw)).toBeUndefined();
  });

  it('reads drachtio-srf’s req.source_address, whatever its type', () => {
    expect(sourceAddressOf({ source_address: '[2001:db8::1]' })).toBe('2001:db8::1');
    expect(sourceAddressOf({ source_address: undefined })).toBeUndefined();
    expect(sourceAddressOf({ source_address: 42 })).toBeUndefined();
    expect(sourceAddressOf({})).toBeUndefined();
  });
});

function cidr(text: string): Cidr {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(`test setup: ${text}: ${r.reason}`);
  return r.value;
}

/** `base` masked to `prefix` bits, as CIDR text. */
function cidrText(family: 4 | 6, base: bigint, bits: number, prefix: number): string {
  const all = (1n << BigInt(bits)) - 1n;
  const network = base & ((all << BigInt(bits - prefix)) & all);
  return `${formatIpAddress({ family, value: network })}/${prefix}`;
}

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBits(random: () => number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(Math.floor(random() * 0x10000));
  return v;
}
