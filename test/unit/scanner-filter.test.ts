import { describe, expect, it } from 'vitest';
import { securitySchema } from '../../config/schema/security.js';
import { isScanner } from '../../gateway/security/scanner-filter.js';

/** The shipped default list, frozen as the config loader freezes it. */
const DEFAULTS = Object.freeze([...securitySchema.parse({}).scannerUserAgents]);

describe('isScanner with the default patterns', () => {
  it.each([
    'friendly-scanner',
    'Friendly-Scanner',
    'FRIENDLY-SCANNER',
    'sipvicious',
    'SIPVicious 0.3.4',
    'sipcli/v1.8',
    'SIPCLI/V1.8',
    'sip-scan',
    'VaxSIPUserAgent/3.1',
    'vaxsipuseragent/3.5',
    'iWar',
    'SIVuS Scanner',
    'sundayddr',
    'pplsip',
    'Mozilla/5.0 (friendly-scanner)',
  ])('%j is a scanner', (ua) => {
    expect(isScanner(ua, DEFAULTS)).toBe(true);
  });

  it.each([
    'Asterisk PBX 20.5.0',
    'FreeSWITCH-mod_sofia/1.10.11-release~64bit',
    'Linphone-Desktop/5.2.0 (belle-sip/5.2.0)',
    'PolycomVVX-VVX_450-UA/6.4.3.5018',
    'Cisco-SIPGateway/IOS-17.x',
    'drachtio 0.8.26',
    'Baton SIPp caller',
    'friendly scanner',
    'sip scan',
    '',
  ])('%j is not a scanner', (ua) => {
    expect(isScanner(ua, DEFAULTS)).toBe(false);
  });

  it('a request without a User-Agent is not a scanner by this test (the header is optional)', () => {
    expect(isScanner(undefined, DEFAULTS)).toBe(false);
  });
});

describe('isScanner matching rules', () => {
  it('treats patterns as literal text, never as regular expressions', () => {
    expect(isScanner('abc', ['a.c'])).toBe(false);
    expect(isScanner('x a.c y', ['a.c'])).toBe(true);
    expect(isScanner('anything', ['(.*)'])).toBe(false);
    expect(isScanner('evil (.*) agent', ['(.*)'])).toBe(true);
    expect(isScanner('a'.repeat(100_000), ['(a+)+$'])).toBe(false);
  });

  it('matches a pattern given in any case against a User-Agent in any case', () => {
    expect(isScanner('my-SCANNER-tool', ['Scanner-Tool'])).toBe(true);
    expect(isScanner('ÉVIL-agent', ['évil'])).toBe(true);
  });

  it('matches nothing with no patterns, and ignores an empty pattern', () => {
    expect(isScanner('friendly-scanner', [])).toBe(false);
    expect(isScanner('friendly-scanner', [''])).toBe(false);
  });

  it('finds a pattern at the very end of a very long User-Agent', () => {
    expect(isScanner(`${'x'.repeat(1_000_000)}SIPVICIOUS`, DEFAULTS)).toBe(true);
  });

  it('sees changes to a pattern list that is not frozen (only frozen lists are cached)', () => {
    const patterns = ['one-tool'];
    expect(isScanner('two-tool', patterns)).toBe(false);
    patterns.push('two-tool');
    expect(isScanner('two-tool', patterns)).toBe(true);
  });
});
