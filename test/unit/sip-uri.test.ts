import { describe, expect, it } from 'vitest';
import {
  formatUri,
  getUriScheme,
  isAbsoluteUri,
  parseUri,
  uriEquals,
  type Uri,
} from '../../engine/sip/uri.js';

const params = (entries: Array<[string, string | null]> = []) => new Map(entries);

describe('parseUri: SIP and SIPS URIs (RFC 3261 §19.1, §25.1)', () => {
  it.each<[string, Partial<Uri>]>([
    [
      'sip:alice@atlanta.com',
      { scheme: 'sip', user: 'alice', host: 'atlanta.com', hostType: 'hostname', params: params() },
    ],
    ['SIP:alice@AtLanTa.CoM', { scheme: 'sip', user: 'alice', host: 'AtLanTa.CoM' }],
    [
      'sip:alice:secretword@atlanta.com;transport=tcp',
      { user: 'alice', password: 'secretword', params: params([['transport', 'tcp']]) },
    ],
    [
      'sips:alice@atlanta.com?subject=project%20x&priority=urgent',
      {
        scheme: 'sips',
        headers: [
          ['subject', 'project%20x'],
          ['priority', 'urgent'],
        ],
      },
    ],
    [
      'sip:+1-212-555-1212:1234@gateway.com;user=phone',
      { user: '+1-212-555-1212', password: '1234', params: params([['user', 'phone']]) },
    ],
    ['sip:alice@192.0.2.4', { host: '192.0.2.4', hostType: 'ipv4' }],
    [
      'sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com',
      {
        host: 'atlanta.com',
        params: params([['method', 'REGISTER']]),
        headers: [['to', 'alice%40atlanta.com']],
      },
    ],
    ['sip:alice;day=tuesday@atlanta.com', { user: 'alice;day=tuesday', host: 'atlanta.com' }],
    [
      'sip:[2001:db8::10]:5070;lr',
      { host: '2001:db8::10', hostType: 'ipv6', port: 5070, params: params([['lr', null]]) },
    ],
    ['sip:bob@[::ffff:192.0.2.1]', { host: '::ffff:192.0.2.1', hostType: 'ipv6' }],
    ['sip:host.example.com.:0', { host: 'host.example.com.', port: 0 }],
    ['sip:%61lice@atlanta.com;Transport=TCP', { user: '%61lice', params: params([['transport', 'TCP']]) }],
    [
      'sip:user@host;%6C%72;n%61me=v%61lue%25%34%31',
      {
        params: params([
          ['%6c%72', null],
          ['n%61me', 'v%61lue%25%34%31'],
        ]),
      },
    ],
    ['sip:null-%00-null@example.com', { user: 'null-%00-null' }],
    [
      'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
      { headers: [['Route', '%3Csip:sip.example.com%3E']] },
    ],
    [
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
      {
        user: "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
        password: "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
        host: 'example.com',
      },
    ],
    ['sip:user@example.com;a=1;a=2', { params: params([['a', '1']]) }],
    ['sip:user:@example.com', { user: 'user', password: '' }],
    // Leniencies for real-world peers: a raw "#" in feature codes, "_" in container host names.
    ['sip:*72#@pbx.example.com', { user: '*72#' }],
    ['sip:agent@project_service_1:5060', { host: 'project_service_1', hostType: 'hostname', port: 5060 }],
  ])('%s', (text, expected) => {
    expect(parseUri(text)).toMatchObject(expected);
  });

  it.each([
    'sip:',
    'sip:@example.com', // empty user
    'sip:user@', // no host
    'sip:user@exa mple.com',
    'sip:user@example.com:65536',
    'sip:user@example.com:',
    'sip:user@example.com:5o60',
    'sip:user@-example.com',
    'sip:user@example-.com',
    'sip:user@1.2.3', // all-numeric, not an IPv4 address
    'sip:user@256.1.1.1',
    'sip:user@[2001:db8::1', // unclosed IPv6 reference
    'sip:user@2001:db8::1', // IPv6 without brackets
    'sip:user@[2001:db8:::1]',
    'sip:user@[1:2:3:4:5:6:7:8:9]',
    'sip:user@[fe80::1%25eth0]', // zone ids are not SIP
    'sip:us er@example.com',
    'sip:user@example.com;;lr',
    'sip:user@example.com;p=',
    'sip:user@example.com;p=a b',
    'sip:user@example.com?',
    'sip:user@example.com?a',
    'sip:user@example.com?=b',
    'sip:user@example.com?a=b&',
    'sip:user@example.com;p=%zz',
    'sip:user%4@example.com',
    'sip:user@example.com>',
    'sip:<user@example.com>',
    'sip:us\u00e9r@example.com',
    'http://example.com',
    'example.com',
    '',
  ])('rejects %j', (text) => {
    expect(parseUri(text)).toBeUndefined();
  });
});

describe('parseUri: tel URIs (RFC 3966)', () => {
  it.each<[string, Partial<Uri>]>([
    ['tel:+1-201-555-0123', { scheme: 'tel', number: '+1-201-555-0123', global: true, params: params() }],
    ['TEL:+14155550100;ext=1234', { number: '+14155550100', params: params([['ext', '1234']]) }],
    [
      'tel:7042;phone-context=example.com',
      { number: '7042', global: false, params: params([['phone-context', 'example.com']]) },
    ],
    ['tel:863-1234;phone-context=+1-914-555', { global: false }],
    ['tel:*21#;phone-context=+44', { number: '*21#' }],
    [
      'tel:+358-555-1234567;isub=1411;postd=pp22',
      {
        params: params([
          ['isub', '1411'],
          ['postd', 'pp22'],
        ]),
      },
    ],
  ])('%s', (text, expected) => {
    expect(parseUri(text)).toMatchObject(expected);
  });

  it.each([
    'tel:',
    'tel:+',
    'tel:+-.',
    'tel:7042',
    'tel:+1 201',
    'tel:+1201;',
    'tel:+1201;=x',
    'tel:+1201;a_b=1',
    'tel:+12x3',
  ])('rejects %j', (text) => {
    expect(parseUri(text)).toBeUndefined();
  });
});

describe('formatUri', () => {
  it.each([
    'sip:alice@atlanta.com',
    'sips:bob:secret@[2001:db8::10]:5061;transport=tls;lr?subject=hi&x=%41',
    'sip:%61lice@192.0.2.4:5060;maddr=239.255.255.1;ttl=15',
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    'tel:+1-201-555-0123;ext=1234',
    'tel:7042;phone-context=example.com',
  ])('round-trips %s unchanged', (text) => {
    const uri = parseUri(text);
    expect(uri).toBeDefined();
    expect(formatUri(uri!)).toBe(text);
  });

  it('lower-cases only what RFC 3261 makes case-insensitive and drops nothing else', () => {
    expect(formatUri(parseUri('SIP:Alice@Example.COM;Transport=TCP;LR')!)).toBe(
      'sip:Alice@Example.COM;transport=TCP;lr',
    );
  });
});

describe('uriEquals (RFC 3261 §19.1.4 examples)', () => {
  const eq = (a: string, b: string): boolean => uriEquals(parseUri(a)!, parseUri(b)!);

  it.each([
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5'],
    [
      'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
      'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
    ],
    [
      'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
      'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
    ],
    ['tel:+1-201-555-0123', 'tel:+1.201.555.0123'],
  ])('%s equals %s', (a, b) => {
    expect(eq(a, b)).toBe(true);
    expect(eq(b, a)).toBe(true);
  });

  it.each([
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'], // user differs
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'], // a default port is not the same as none
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
    ['sip:alice@atlanta.com;maddr=239.0.0.1', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com', 'sips:alice@atlanta.com'],
    ['sip:alice@atlanta.com', 'tel:+1-201-555-0123'],
  ])('%s differs from %s', (a, b) => {
    expect(eq(a, b)).toBe(false);
    expect(eq(b, a)).toBe(false);
  });
});

describe('getUriScheme / isAbsoluteUri', () => {
  it.each([
    ['sip:a@b', 'sip'],
    ['SIPS:a@b', 'sips'],
    ['soap.beep://192.0.2.103:3002', 'soap.beep'],
    ['nobodyKnowsThisScheme:totallyopaquecontent', 'nobodyknowsthisscheme'],
    ['1sip:a', undefined],
    [':a', undefined],
    ['noscheme', undefined],
  ])('%s → %s', (text, scheme) => {
    expect(getUriScheme(text)).toBe(scheme);
  });

  it.each([
    ['http://www.example.com', true],
    ['isbn:2983792873', true],
    ['name:John_Smith', true],
    ['sip:a@b', true],
    ['<sip:a@b>', false],
    ['sip:a b', false],
    ['sip:', false],
    ['sip:%zz', false],
    ['urn:x"y', false],
  ])('%s absoluteURI: %s', (text, ok) => {
    expect(isAbsoluteUri(text)).toBe(ok);
  });
});

describe('parseUri on hostile input', () => {
  it('stays linear on 60 KB URIs', () => {
    const many = [
      `sip:${'a'.repeat(60_000)}@example.com`,
      `sip:user@example.com${';p'.repeat(30_000)}`,
      `sip:user@example.com?${'a=b&'.repeat(15_000)}`,
      `sip:user@[${':'.repeat(60_000)}]`,
      `sip:${'%41'.repeat(20_000)}@example.com`,
      `sip:user@${'a.'.repeat(30_000)}com`,
      `tel:+${'1-'.repeat(30_000)}`,
    ];
    for (const uri of many) {
      const parsed = parseUri(uri);
      if (parsed) expect(parseUri(formatUri(parsed))).toEqual(parsed);
    }
    expect(parseUri(many[1]!)).toMatchObject({ params: params([['p', null]]) });
  });
});
