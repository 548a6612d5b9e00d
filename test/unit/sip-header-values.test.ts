import { describe, expect, it } from 'vitest';
import {
  formatVia,
  getTag,
  parseCSeq,
  parseNameAddr,
  parseNameAddrStrict,
  parseParams,
  parseRAck,
  parseUriTarget,
  parseVia,
  parseViaList,
  splitList,
  withTag,
} from '../../engine/sip/header-values.js';
import { parseMediaType, parseTokenList } from '../../engine/sip/media-type.js';

describe('parseVia (RFC 3261 §20.42)', () => {
  it.each([
    ['SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK776', { protocol: 'UDP', host: '192.0.2.1' }],
    [
      'SIP/2.0/tcp host.example.com:5070;branch=z9hG4bK1;rport',
      { protocol: 'TCP', host: 'host.example.com', port: 5070 },
    ],
    // RFC 4475 wsinv: LWS around "/" and ";" and "=".
    ['SIP  /   2.0  /UDP     192.0.2.2;branch=390skdjuw', { protocol: 'UDP', host: '192.0.2.2' }],
    [
      'SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  ',
      { protocol: 'TCP', host: 'spindle.example.com' },
    ],
    ['SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en', { protocol: 'UNKNOWN' }],
    ['SIP/2.0/TCP project_service_1:5060;branch=z9hG4bK1', { host: 'project_service_1', port: 5060 }],
    ['SIP/2.0/UDP host : 5060;branch=z9hG4bK1', { host: 'host', port: 5060 }],
    [
      'SIP/2.0/UDP [2001:db8::9:1]:5070;received=2001:db8::9:255;branch=z9hG4bK1',
      { host: '2001:db8::9:1', port: 5070 },
    ],
    ['SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bK1', { host: '2001:db8::9:1' }],
    ["SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~", { host: 'host1.example.com' }],
  ])('%s', (value, expected) => {
    expect(parseVia(value)).toMatchObject(expected);
  });

  it('keeps params lower-cased by name, values as written', () => {
    const via = parseVia('SIP/2.0/UDP h;Branch=z9hG4bKAbC;RPORT;received=192.0.2.7;x="a b"');
    expect([...via!.params]).toEqual([
      ['branch', 'z9hG4bKAbC'],
      ['rport', null],
      ['received', '192.0.2.7'],
      ['x', '"a b"'],
    ]);
  });

  it.each([
    '',
    'SIP/2.0/UDP',
    'SIP/2.0 192.0.2.1',
    'SIP/3.0/UDP 192.0.2.1',
    'SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw',
    'XMPP/2.0/UDP 192.0.2.1',
    'SIP/2.0/UDP192.0.2.1',
    'SIP/2.0/UDP :]', // Kamailio CVE-2018-16657
    'SIP/2.0/UDP [::1',
    'SIP/2.0/UDP [zz::1]',
    'SIP/2.0/UDP host:0',
    'SIP/2.0/UDP host:65536',
    'SIP/2.0/UDP host:',
    'SIP/2.0/UDP 192.0.2.15;;',
    'SIP/2.0/UDP host;branch=',
    'SIP/2.0/UDP host;=x',
    'SIP/2.0/UDP host junk',
    'SIP/2.0/UDP -host',
  ])('rejects %j', (value) => {
    expect(parseVia(value)).toBeUndefined();
  });

  it('parseViaList reads every element and rejects empty ones (RFC 4475 badinv01)', () => {
    expect(
      parseViaList('SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/TCP b:5060;branch=z9hG4bK2')?.map((v) => v.host),
    ).toEqual(['a', 'b']);
    expect(parseViaList('SIP/2.0/UDP 192.0.2.15;;,;,,')).toBeUndefined();
    expect(parseViaList('SIP/2.0/UDP a;branch=z9hG4bK1,')).toBeUndefined();
  });

  it('formatVia writes what parseVia reads back', () => {
    const via = parseVia('SIP  /  2.0 / udp [2001:db8::1] : 5060 ; branch = z9hG4bK1 ; rport')!;
    expect(formatVia(via)).toBe('SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;rport');
    expect(parseVia(formatVia(via))).toEqual(via);
  });
});

describe('parseCSeq (RFC 3261 §20.16)', () => {
  it.each([
    ['314159 INVITE', 314159, 'INVITE'],
    ['0009 INVITE', 9, 'INVITE'],
    ['0 ACK', 0, 'ACK'],
    ['4294967295 BYE', 4294967295, 'BYE'],
    ['  8 \t OPTIONS  ', 8, 'OPTIONS'],
    [
      "139122385 !interesting-Method0123456789_*+`.%indeed'~",
      139122385,
      "!interesting-Method0123456789_*+`.%indeed'~",
    ],
  ])('%j', (value, seq, method) => {
    expect(parseCSeq(value)).toEqual({ seq, method });
  });

  it.each([
    '4294967296 INVITE',
    '36893488147419103232 REGISTER',
    '-1 INVITE',
    '1',
    'INVITE',
    '1INVITE',
    '1 INV ITE',
    '1 INVITE;x',
    '',
    '1.5 INVITE',
  ])('rejects %j', (value) => {
    expect(parseCSeq(value)).toBeUndefined();
  });
});

describe('parseNameAddrStrict (RFC 3261 §20.10, §25.1)', () => {
  it.each([
    [
      '"Alice" <sip:alice@example.com>;tag=1928301774',
      { displayName: '"Alice"', uri: 'sip:alice@example.com', bracketed: true },
    ],
    [
      'sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
      { uri: 'sip:vivekg@chair-dnrc.example.com', bracketed: false },
    ],
    [
      '"J Rosenberg \\\\\\""       <sip:jdrosen@example.com> ; tag = 98asjd8',
      { displayName: '"J Rosenberg \\\\\\""' },
    ],
    ['caller<sip:caller@example.com>;tag=323', { displayName: 'caller', uri: 'sip:caller@example.com' }],
    [
      "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>",
      { displayName: "token1~` token2'+_ token3*%!.-" },
    ],
    ['"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:a@example.com>', { uri: 'sip:a@example.com' }],
    ['"%Z%45" <sip:resource@example.com>', { displayName: '"%Z%45"' }],
    ['"Jürgen ☎" <sip:j@example.com>', { displayName: '"Jürgen ☎"' }],
    ['<sip:user@example.com?Route=%3Csip:sip.example.com%3E>', { bracketed: true }],
    ['sip:+19725552222@gw1.example.net;unknownparam', { uri: 'sip:+19725552222@gw1.example.net' }],
    ['<tel:+14155550100>', { uri: 'tel:+14155550100' }],
    ['isbn:2983792873', { uri: 'isbn:2983792873' }],
    ['<http://www.example.com>;tag=3234233', { uri: 'http://www.example.com' }],
    ['<name:John_Smith>', { uri: 'name:John_Smith' }],
    [
      '"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33',
      { uri: 'sip:jdrosen@example.com' },
    ],
    [
      "<sip:a@example.com>;fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-.",
      { uri: 'sip:a@example.com' },
    ],
    ['<sip:[2001:db8::1]>;maddr=[2001:db8::2]', { uri: 'sip:[2001:db8::1]' }],
  ])('%s', (value, expected) => {
    expect(parseNameAddrStrict(value)).toMatchObject(expected);
  });

  it('reads header params apart from URI params', () => {
    const na = parseNameAddrStrict('<sip:a@example.com;transport=tcp>;tag=x;Expires=60;lr')!;
    expect(na.uri).toBe('sip:a@example.com;transport=tcp');
    expect([...na.params]).toEqual([
      ['tag', 'x'],
      ['expires', '60'],
      ['lr', null],
    ]);
  });

  it.each([
    ['quotbal: unterminated quote', '"Mr. J. User <sip:j.user@example.com>'],
    ['badaspec: spaces inside <>', '"Watson, Thomas" < sip:t.watson@example.org >'],
    ['baddn: unquoted non-token display name', 'Bell, Alexander <sip:a.g.bell@example.com>;tag=43'],
    ['regbadct: "?" outside <>', 'sip:user@example.com?Route=%3Csip:sip.example.com%3E'],
    ['badinv01: empty params', '"Joe" <sip:joe@example.org>;;;;'],
    ['unclosed <', '<sip:a@example.com'],
    ['quoted display without <>', '"Alice" sip:alice@example.com'],
    ['raw control character in quotes', '"a\x01b" <sip:a@example.com>'],
    ['junk after >', '<sip:a@example.com> junk'],
    ['bad SIP URI', '<sip:a@exa mple.com>'],
    ['bad tel URI', '<tel:12>'],
    ['no scheme', '<alice@example.com>'],
    ['comma in addr-spec', 'sip:a@example.com,sip:b@example.com'],
    ['empty', ''],
  ])('rejects %s', (_why, value) => {
    expect(parseNameAddrStrict(value)).toBeUndefined();
  });
});

describe('tolerant name-addr helpers', () => {
  it('parseNameAddr still reads tags out of values the strict grammar refuses', () => {
    expect(parseNameAddr('Bell, Alexander <sip:a.g.bell@example.com>;tag=43')).toMatchObject({
      uri: 'sip:a.g.bell@example.com',
      displayName: 'Bell, Alexander',
    });
    expect(getTag('Bell, Alexander <sip:a.g.bell@example.com>;tag=43')).toBe('43');
    expect(getTag('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n')).toBe('1918181833n');
    expect(getTag('<sip:a@example.com>')).toBeUndefined();
    expect(getTag(undefined)).toBeUndefined();
  });

  it('withTag adds or replaces the tag', () => {
    expect(withTag('<sip:b@example.com>', 'abc')).toBe('<sip:b@example.com>;tag=abc');
    expect(withTag('"B" <sip:b@example.com>;tag=old;x=1', 'new')).toBe('"B" <sip:b@example.com>;tag=new;x=1');
    expect(withTag('sip:b@example.com', 't')).toBe('<sip:b@example.com>;tag=t');
  });

  it('splitList splits outside quotes and brackets', () => {
    expect(splitList('"a, b" <sip:x@y;p=1,2>, <sip:z@w> ,, ')).toEqual([
      '"a, b" <sip:x@y;p=1,2>',
      '<sip:z@w>',
    ]);
  });

  it('parseParams is tolerant', () => {
    expect([...parseParams(' ; Tag = 1 ;; lr ;')]).toEqual([
      ['tag', '1'],
      ['lr', null],
    ]);
  });

  it('parseUriTarget gives the routing view', () => {
    expect(parseUriTarget('sip:bob@[2001:db8::1]:5070;transport=tcp')).toMatchObject({
      scheme: 'sip',
      user: 'bob',
      host: '2001:db8::1',
      port: 5070,
    });
    expect(parseUriTarget('tel:+1555;ext=1')).toMatchObject({ scheme: 'tel', user: '+1555' });
    expect(parseUriTarget('http://x')).toBeUndefined();
  });
});

describe('RAck, media types, option tags', () => {
  it('parseRAck (RFC 3262 §7.2)', () => {
    expect(parseRAck('776656 314159 INVITE')).toEqual({ rseq: 776656, cseq: 314159, method: 'INVITE' });
    expect(parseRAck(' 1\t2  UPDATE ')).toEqual({ rseq: 1, cseq: 2, method: 'UPDATE' });
    expect(parseRAck('1 2')).toBeUndefined();
    expect(parseRAck('1 4294967296 INVITE')).toBeUndefined();
    expect(parseRAck('1 2 IN;VITE')).toBeUndefined();
  });

  it('parseMediaType (RFC 3261 §20.15)', () => {
    expect(parseMediaType('Application/SDP')).toMatchObject({ type: 'application', subtype: 'sdp' });
    expect(parseMediaType('multipart/mixed;boundary=7a9cbec02ceef655')?.params.get('boundary')).toBe(
      '7a9cbec02ceef655',
    );
    expect(parseMediaType('multipart/mixed; boundary="----=_Part_1"')?.params.get('boundary')).toBe(
      '"----=_Part_1"',
    );
    expect(parseMediaType('message / sipfrag ;version=2.0')).toMatchObject({
      type: 'message',
      subtype: 'sipfrag',
    });
    expect(parseMediaType('*/*')).toMatchObject({ type: '*', subtype: '*' });
    expect(parseMediaType('application')).toBeUndefined();
    expect(parseMediaType('application/')).toBeUndefined();
    expect(parseMediaType('application/sdp junk')).toBeUndefined();
  });

  it('parseTokenList', () => {
    expect(parseTokenList('nothingSupportsThis, nothingSupportsThisEither')).toEqual([
      'nothingSupportsThis',
      'nothingSupportsThisEither',
    ]);
    expect(parseTokenList('100rel,,timer')).toEqual(['100rel', 'timer']);
    expect(parseTokenList('100rel, tim er')).toBeUndefined();
  });
});

describe('hostile values', () => {
  const pathological = [
    '"'.repeat(60_000),
    '\\'.repeat(60_000),
    '"\\'.repeat(30_000),
    '<'.repeat(60_000),
    '<sip:a@b>'.repeat(6_000),
    ';'.repeat(60_000),
    ' ;a='.repeat(15_000),
    ','.repeat(60_000),
    'a '.repeat(30_000),
    `SIP/2.0/UDP ${'a.'.repeat(30_000)}`,
    `SIP/2.0/UDP h${';b=%'.repeat(15_000)}`,
    `${'9'.repeat(60_000)} INVITE`,
    `<sip:${'@'.repeat(60_000)}>`,
  ];

  it('every parser finishes on 60 KB pathological values, and none throws', () => {
    for (const v of pathological) {
      parseVia(v);
      parseViaList(v);
      parseNameAddr(v);
      parseNameAddrStrict(v);
      getTag(v);
      withTag(v, 't');
      parseCSeq(v);
      parseRAck(v);
      parseMediaType(v);
      parseTokenList(v);
      parseParams(v);
      parseUriTarget(v);
      expect(splitList(v).length).toBeLessThanOrEqual(v.length);
    }
  });
});
