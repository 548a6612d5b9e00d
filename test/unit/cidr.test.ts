import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  formatCidr,
  formatIpAddress,
  isLoopback,
  matchLongestPrefix,
  parseCidr,
  parseIpAddress,
  type Cidr,
} from '../../config/cidr.js';

function cidr(text: string): Cidr {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(`test setup: ${text}: ${r.reason}`);
  return r.value;
}

function ip(text: string) {
  const r = parseIpAddress(text);
  if (!r.ok) throw new Error(`test setup: ${text}: ${r.reason}`);
  return r.value;
}

describe('parseIpAddress', () => {
  it.each([
    ['0.0.0.0', '0.0.0.0'],
    ['203.0.113.7', '203.0.113.7'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::1:0:0:0:1', '2001:db8:0:1::1'],
    ['fe80::', 'fe80::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
  ])('%s parses and formats as %s (RFC 5952)', (text, canonical) => {
    expect(formatIpAddress(ip(text))).toBe(canonical);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    '1.2.3.4 ',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    'g::1',
    '::1.2.3',
    '1:2:3:4:5:6:7::8:9',
    '[::1]',
    'fe80::1%eth0',
    'localhost',
  ])('refuses %j', (text) => {
    expect(parseIpAddress(text).ok).toBe(false);
  });
});

describe('parseCidr', () => {
  it.each([
    ['203.0.113.0/24', 4, 24, '203.0.113.0/24'],
    ['198.51.100.7', 4, 32, '198.51.100.7/32'],
    ['0.0.0.0/0', 4, 0, '0.0.0.0/0'],
    ['2001:db8::/32', 6, 32, '2001:db8::/32'],
    ['::1', 6, 128, '::1/128'],
    ['::/0', 6, 0, '::/0'],
  ])('%s → family %i, /%i', (text, family, prefix, formatted) => {
    const c = cidr(text);
    expect(c.family).toBe(family);
    expect(c.prefix).toBe(prefix);
    expect(formatCidr(c)).toBe(formatted);
  });

  it('refuses host bits below the prefix and names the network meant', () => {
    const r = parseCidr('203.0.113.7/24');
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('203.0.113.0/24') as unknown });
  });

  it.each([
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/',
    '10.0.0.0/08',
    '2001:db8::/129',
    '10.0.0.0/8/8',
    'x/8',
  ])('refuses %j', (text) => {
    expect(parseCidr(text).ok).toBe(false);
  });
});

describe('cidrContains', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0', true],
    ['203.0.113.0/24', '203.0.113.255', true],
    ['203.0.113.0/24', '203.0.114.0', false],
    ['203.0.113.0/24', '::ffff:203.0.113.9', true],
    ['203.0.113.0/24', '2001:db8::1', false],
    ['0.0.0.0/0', '192.0.2.1', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::/0', '192.0.2.1', false],
    ['198.51.100.7', '198.51.100.7', true],
    ['198.51.100.7', '198.51.100.8', false],
  ])('%s contains %s: %s', (block, address, expected) => {
    expect(cidrContains(cidr(block), ip(address))).toBe(expected);
  });
});

describe('matchLongestPrefix', () => {
  const table = [
    { cidr: cidr('203.0.113.0/24'), value: 'carrier-a' },
    { cidr: cidr('203.0.113.128/25'), value: 'carrier-b' },
    { cidr: cidr('2001:db8::/32'), value: 'carrier-a' },
  ];

  it.each([
    ['203.0.113.5', 'carrier-a'],
    ['203.0.113.200', 'carrier-b'],
    ['::ffff:203.0.113.200', 'carrier-b'],
    ['2001:db8::5', 'carrier-a'],
    ['192.0.2.1', undefined],
    ['not-an-ip', undefined],
  ])('%s → %s (the most specific block wins)', (address, expected) => {
    expect(matchLongestPrefix(table, address)).toBe(expected);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
  ])('%s: %s', (address, expected) => {
    expect(isLoopback(ip(address))).toBe(expected);
  });
});
