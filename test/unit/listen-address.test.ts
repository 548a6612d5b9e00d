import { describe, expect, it } from 'vitest';
import {
  bindsOverlap,
  formatHostPort,
  isLoopbackHost,
  parseHostPort,
  parseSipListen,
} from '../../config/listen-address.js';

describe('parseHostPort', () => {
  it.each([
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::]:8080', { host: '::', port: 8080 }],
    ['[::1]:65535', { host: '::1', port: 65535 }],
  ])('%s', (text, expected) => {
    expect(parseHostPort(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    '0.0.0.0',
    ':8080',
    'localhost:8080',
    '::1:8080',
    '[127.0.0.1]:80',
    '1.2.3.4:65536',
    '1.2.3.4:80x',
  ])('refuses %j', (text) => {
    expect(parseHostPort(text).ok).toBe(false);
  });

  it('formats IPv6 in brackets', () => {
    expect(formatHostPort({ host: '::1', port: 8080 })).toBe('[::1]:8080');
    expect(formatHostPort({ host: '127.0.0.1', port: 8080 })).toBe('127.0.0.1:8080');
  });
});

describe('parseSipListen', () => {
  it.each([
    ['udp:0.0.0.0:5060', { protocol: 'udp', host: '0.0.0.0', port: 5060 }],
    ['TCP:[::]:5080', { protocol: 'tcp', host: '::', port: 5080 }],
  ])('%s', (text, expected) => {
    expect(parseSipListen(text)).toEqual({ ok: true, value: expected });
  });

  it.each(['tls:0.0.0.0:5061', '0.0.0.0:5060', 'udp:0.0.0.0', 'udp:host.example:5060'])(
    'refuses %j',
    (text) => {
      expect(parseSipListen(text).ok).toBe(false);
    },
  );
});

describe('bindsOverlap', () => {
  it.each([
    ['0.0.0.0', 8080, '127.0.0.1', 8080, true],
    ['127.0.0.1', 8080, '127.0.0.1', 8080, true],
    ['127.0.0.1', 8080, '127.0.0.2', 8080, false],
    ['::', 8080, '127.0.0.1', 8080, true],
    ['0.0.0.0', 8080, '::1', 8080, false],
    ['0.0.0.0', 8080, '0.0.0.0', 8081, false],
    ['0.0.0.0', 0, '0.0.0.0', 0, false],
  ])('%s:%i vs %s:%i → %s', (h1, p1, h2, p2, expected) => {
    expect(bindsOverlap({ host: h1, port: p1 }, { host: h2, port: p2 })).toBe(expected);
  });

  it('knows loopback hosts', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });
});
