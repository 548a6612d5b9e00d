import { describe, expect, it } from 'vitest';
import { buildReferTo, escapeUriHeader } from '../../gateway/transfer/refer-headers.js';
import { decodeUui, encodeUui, type UuiEncoding } from '../../gateway/transfer/uui.js';

const HEX: UuiEncoding = { encoding: 'hex', maxOctets: 128 };
const ISDN: UuiEncoding = { encoding: 'hex', purpose: 'isdn-uui', content: 'isdn-uui', maxOctets: 128 };

describe('encodeUui', () => {
  it.each<[string, string, UuiEncoding, string]>([
    ['plain hex', 'abc', HEX, '616263;encoding=hex'],
    ['the ISDN package', 'abc', ISDN, '616263;encoding=hex;purpose=isdn-uui;content=isdn-uui'],
    ['a conversation id', 'conv-42', ISDN, '636F6E762D3432;encoding=hex;purpose=isdn-uui;content=isdn-uui'],
    ['UTF-8 text', 'é', HEX, 'C3A9;encoding=hex'],
    ['a user-specific discriminator', 'abc', { ...HEX, protocolDiscriminator: 0 }, '00616263;encoding=hex'],
    [
      'an IA5 discriminator',
      'abc',
      { ...ISDN, protocolDiscriminator: 4 },
      '04616263;encoding=hex;purpose=isdn-uui;content=isdn-uui',
    ],
    ['ascii as a token', 'conv-42', { encoding: 'ascii', maxOctets: 128 }, 'conv-42;encoding=ascii'],
    [
      'ascii with separators, quoted',
      'a=1;b="2"',
      { encoding: 'ascii', maxOctets: 128 },
      '"a=1;b=\\"2\\"";encoding=ascii',
    ],
  ])('%s', (_title, data, spec, value) => {
    expect(encodeUui(data, spec)).toEqual({ ok: true, value });
  });

  it.each<[string, string, UuiEncoding, string]>([
    ['empty data', '', HEX, 'UUI data is empty'],
    ['more than maxOctets', 'x'.repeat(129), HEX, 'UUI data is 129 octets, more than 128'],
    ['multibyte text past the limit', 'é'.repeat(65), HEX, 'UUI data is 130 octets, more than 128'],
    [
      'non-ASCII for ascii',
      'café',
      { encoding: 'ascii', maxOctets: 128 },
      'UUI data for encoding ascii is not printable ASCII',
    ],
    [
      'a control character for ascii',
      'a\r\nb',
      { encoding: 'ascii', maxOctets: 128 },
      'UUI data for encoding ascii is not printable ASCII',
    ],
    [
      'a discriminator with ascii',
      'abc',
      { encoding: 'ascii', maxOctets: 128, protocolDiscriminator: 4 },
      'a protocol discriminator needs encoding hex',
    ],
    [
      'a discriminator out of range',
      'abc',
      { ...HEX, protocolDiscriminator: 256 },
      'protocol discriminator 256 is not an octet',
    ],
    [
      'a purpose that is no token',
      'abc',
      { ...HEX, purpose: 'a;b' },
      "UUI purpose 'a;b' is not a token (RFC 7433 §4.1)",
    ],
  ])('refuses %s', (_title, data, spec, reason) => {
    expect(encodeUui(data, spec)).toEqual({ ok: false, reason });
  });

  it('takes exactly maxOctets', () => {
    expect(encodeUui('x'.repeat(128), HEX).ok).toBe(true);
  });
});

describe('decodeUui', () => {
  it.each([
    // RFC 7433 §4.1's example value.
    [
      '56a390f3d2b7310023a2;encoding=hex;purpose=foo;content=bar',
      { encoding: 'hex', purpose: 'foo', content: 'bar' },
      '56a390f3d2b7310023a2',
    ],
    // As carriers send it, upper case, the ISDN package.
    [
      '04616263;encoding=hex;purpose=isdn-uui;content=isdn-uui',
      { encoding: 'hex', purpose: 'isdn-uui' },
      '04616263',
    ],
    // No encoding parameter: read as hex.
    ['616263', { encoding: 'hex' }, '616263'],
    // Two values in one header: the first is read.
    ['6162;encoding=hex, 6364;encoding=hex', { encoding: 'hex' }, '6162'],
  ])('%s', (value, fields, hex) => {
    const r = decodeUui(value);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject(fields);
    expect(r.value.octets.toString('hex')).toBe(hex.toLowerCase());
  });

  it('splits off the protocol discriminator when asked', () => {
    const r = decodeUui('04616263;encoding=hex', { withDiscriminator: true });
    expect(r).toMatchObject({ ok: true, value: { protocolDiscriminator: 4, text: 'abc' } });
  });

  it('reads quoted ascii data with its escapes', () => {
    expect(decodeUui('"a=1;b=\\"2\\"";encoding=ascii')).toMatchObject({
      ok: true,
      value: { encoding: 'ascii', text: 'a=1;b="2"' },
    });
  });

  it.each([
    ['6;encoding=hex', 'hex UUI data is not an even run of hex digits'],
    ['zz;encoding=hex', 'hex UUI data is not an even run of hex digits'],
    [';encoding=hex', 'UUI data is empty'],
    ['"abc;encoding=ascii', 'unterminated quoted UUI data'],
  ])('refuses %j', (value, reason) => {
    expect(decodeUui(value)).toEqual({ ok: false, reason });
  });

  it.each<[string, UuiEncoding]>([
    ['conv-42', ISDN],
    ['Ünïcødé ☎', HEX],
    ['a=1; b=2', { encoding: 'ascii', purpose: 'x', maxOctets: 128 }],
  ])('round-trips %j', (data, spec) => {
    const encoded = encodeUui(data, spec);
    if (!encoded.ok) throw new Error(encoded.reason);
    expect(decodeUui(encoded.value)).toMatchObject({
      ok: true,
      value: { text: data, encoding: spec.encoding },
    });
  });
});

describe('UUI inside the Refer-To URI', () => {
  it('escapes the parameters, as Genesys and Twilio read them', () => {
    const uui = encodeUui('abc', { ...HEX, protocolDiscriminator: 0 });
    if (!uui.ok) throw new Error(uui.reason);
    expect(buildReferTo('sip:+14155550100@cc.example.com', [['User-to-User', uui.value]])).toEqual({
      ok: true,
      value: '<sip:+14155550100@cc.example.com?User-to-User=00616263%3Bencoding%3Dhex>',
    });
  });

  it.each([
    ['00AB;encoding=hex', '00AB%3Bencoding%3Dhex'],
    ['a&b=c', 'a%26b%3Dc'],
    ['"quoted text"', '%22quoted%20text%22'],
    ['100%', '100%25'],
    ['sip:x@y', 'sip:x%40y'],
    ['[a]/b?c:d+e$f', '[a]/b?c:d+e$f'],
    ["-_.!~*'()", "-_.!~*'()"],
    ['é', '%C3%A9'],
  ])('%j → %s (RFC 3261 §19.1.1 hnv-unreserved and unreserved stay)', (text, escaped) => {
    expect(escapeUriHeader(text)).toBe(escaped);
  });
});
