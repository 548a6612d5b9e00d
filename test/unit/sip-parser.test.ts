import { describe, expect, it } from 'vitest';
import { parseVia } from '../../engine/sip/header-values.js';
import { SipMessage } from '../../engine/sip/message.js';
import {
  DEFAULT_PARSE_LIMITS,
  findHeaderEnd,
  parseMessage,
  type ParseResult,
} from '../../engine/sip/parser.js';
import { serializeMessage, serializeToString } from '../../engine/sip/serializer.js';
import { messageDifference } from '../fuzz/fuzz-target.js';

const crlf = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

const INVITE = crlf(
  'INVITE sip:+15551234567@gw.example.com;user=phone SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'To: <sip:+15551234567@gw.example.com>',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@192.0.2.10:5060>',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
  SDP,
);

function parsed(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(`parse failed: ${r.status} ${r.reason}`);
  return r.message;
}

function failure(r: ParseResult) {
  if (r.ok) throw new Error('expected a parse failure');
  return r;
}

/** Minimal mandatory headers for a request, to build variations on. */
const BASE = [
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx',
  'From: <sip:a@example.com>;tag=1',
  'To: <sip:b@example.com>',
  'Call-ID: c1@example.com',
  'CSeq: 1 OPTIONS',
];
const options = (...extra: string[]): Buffer =>
  crlf('OPTIONS sip:b@example.com SIP/2.0', ...BASE, ...extra, '', '');

describe('parseMessage: requests', () => {
  it('reads an INVITE with SDP: start line, headers in order, body in bytes', () => {
    const m = parsed(INVITE);
    expect(m.startLine).toEqual({
      kind: 'request',
      method: 'INVITE',
      uri: 'sip:+15551234567@gw.example.com;user=phone',
      version: 'SIP/2.0',
    });
    expect(m.headers.map((h) => h.name)).toEqual([
      'Via',
      'Max-Forwards',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Contact',
      'Content-Type',
      'Content-Length',
    ]);
    expect(m.get('from')).toBe('"Alice" <sip:alice@example.com>;tag=1928301774');
    expect(m.get('CSEQ')).toBe('314159 INVITE');
    expect(m.body.toString('utf8')).toBe(SDP);
  });

  it('expands compact forms for lookup and keeps the names as written', () => {
    const m = parsed(
      crlf(
        'OPTIONS sip:b@example.com SIP/2.0',
        'v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx',
        'f: <sip:a@example.com>;tag=1',
        't: <sip:b@example.com>',
        'i: c1@example.com',
        'CSeq: 1 OPTIONS',
        'm: <sip:a@192.0.2.1>',
        'k: timer',
        's: hello',
        'c: text/plain',
        'l: 2',
        '',
        'hi',
      ),
    );
    expect(m.headers.map((h) => [h.name, h.key])).toEqual([
      ['v', 'via'],
      ['f', 'from'],
      ['t', 'to'],
      ['i', 'call-id'],
      ['CSeq', 'cseq'],
      ['m', 'contact'],
      ['k', 'supported'],
      ['s', 'subject'],
      ['c', 'content-type'],
      ['l', 'content-length'],
    ]);
    expect(m.get('Contact')).toBe('<sip:a@192.0.2.1>');
    expect(m.body.toString()).toBe('hi');
  });

  it('unfolds continuation lines into one SP (RFC 3261 §7.3.1)', () => {
    const m = parsed(
      options(
        "Subject: I know you're there,",
        '   pick up the phone',
        '\t and talk to me!',
        'Contact:',
        '  <sip:a@192.0.2.1>',
      ),
    );
    expect(m.get('subject')).toBe("I know you're there, pick up the phone and talk to me!");
    expect(m.get('contact')).toBe('<sip:a@192.0.2.1>');
  });

  it('keeps repeated headers in their order, interleaved with others', () => {
    const m = parsed(
      crlf(
        'INVITE sip:b@example.com SIP/2.0',
        'Via: SIP/2.0/UDP p3.example.com;branch=z9hG4bK3',
        'Record-Route: <sip:p3.example.com;lr>',
        'Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2, SIP/2.0/UDP p1.example.com;branch=z9hG4bK1',
        'Record-Route: <sip:p2.example.com;lr>',
        ...BASE.slice(1, 4),
        'CSeq: 1 INVITE',
        'Via: SIP/2.0/TCP uac.example.com;branch=z9hG4bK0',
        '',
        '',
      ),
    );
    expect(m.getAll('via')).toEqual([
      'SIP/2.0/UDP p3.example.com;branch=z9hG4bK3',
      'SIP/2.0/UDP p2.example.com;branch=z9hG4bK2, SIP/2.0/UDP p1.example.com;branch=z9hG4bK1',
      'SIP/2.0/TCP uac.example.com;branch=z9hG4bK0',
    ]);
    expect(m.getAll('record-route')).toEqual(['<sip:p3.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(m.headers.map((h) => h.key).slice(0, 4)).toEqual(['via', 'record-route', 'via', 'record-route']);
  });

  it('keeps header-name case, and the serializer writes it back byte for byte', () => {
    const m = parsed(
      options('User-to-User: 56a390f3;encoding=hex', 'X-Custom-HEADER: v', 'p-asserted-identity: <sip:a@b>'),
    );
    expect(m.headers.slice(-3).map((h) => h.name)).toEqual([
      'User-to-User',
      'X-Custom-HEADER',
      'p-asserted-identity',
    ]);
    const text = serializeToString(m);
    expect(text).toContain('\r\nUser-to-User: 56a390f3;encoding=hex\r\n');
    expect(text).toContain('\r\nX-Custom-HEADER: v\r\n');
    expect(text).toContain('\r\np-asserted-identity: <sip:a@b>\r\n');
  });

  it('counts Content-Length in bytes of a UTF-8 body, and round-trips it through serialize', () => {
    const body = 'Grüße, ☎ 日本\r\n';
    const bytes = Buffer.byteLength(body, 'utf8');
    expect(bytes).toBeGreaterThan(body.length);
    const m = parsed(
      crlf(
        'MESSAGE sip:b@example.com SIP/2.0',
        ...BASE.slice(0, 4),
        'CSeq: 1 MESSAGE',
        'Content-Type: text/plain;charset=utf-8',
        `Content-Length: ${bytes}`,
        '',
        body,
      ),
    );
    expect(m.body.toString('utf8')).toBe(body);
    const out = serializeMessage(m);
    const again = parsed(out);
    expect(again.get('content-length')).toBe(String(bytes));
    expect(again.body.toString('utf8')).toBe(body);
    expect(messageDifference(m, again)).toBeUndefined();
  });

  it('decodes UTF-8 in header values (TEXT-UTF8, §25.1)', () => {
    const m = parsed(options('Subject: Grüße ☎', 'X-Name: "Jürgen"'));
    expect(m.get('subject')).toBe('Grüße ☎');
    expect(serializeMessage(m).includes(Buffer.from('Subject: Grüße ☎\r\n', 'utf8'))).toBe(true);
  });

  it('accepts an IPv6 Via and Request-URI (RFC 5118)', () => {
    const m = parsed(
      crlf(
        'OPTIONS sip:[2001:db8::20]:5060 SIP/2.0',
        'Via: SIP/2.0/UDP [2001:db8::10]:5070;branch=z9hG4bKipv6;received=2001:db8::9;rport=5070',
        'From: <sip:a@[2001:db8::10]>;tag=1',
        'To: <sip:[2001:db8::20]>',
        'Call-ID: v6@2001:db8::10',
        'CSeq: 1 OPTIONS',
        '',
        '',
      ),
    );
    const via = parseVia(m.get('via')!);
    expect(via).toMatchObject({ protocol: 'UDP', host: '2001:db8::10', port: 5070 });
    expect(via?.params.get('received')).toBe('2001:db8::9');
  });

  it('skips CRLFs before the start line and tolerates bare LF line ends (§7.5)', () => {
    const m = parsed(Buffer.from(`\r\n\r\n${options().toString().replace(/\r\n/g, '\n')}`));
    expect(m.method).toBe('OPTIONS');
    expect(m.get('call-id')).toBe('c1@example.com');
  });

  it('takes the rest of a datagram as body without Content-Length, and cuts to it with one (§18.3)', () => {
    const noLength = parsed(
      crlf(
        'MESSAGE sip:b@example.com SIP/2.0',
        ...BASE.slice(0, 4),
        'CSeq: 1 MESSAGE',
        'Content-Type: text/plain',
        '',
        'hello',
      ),
    );
    expect(noLength.body.toString()).toBe('hello');
    const cut = parsed(
      crlf(
        'MESSAGE sip:b@example.com SIP/2.0',
        ...BASE.slice(0, 4),
        'CSeq: 1 MESSAGE',
        'Content-Type: text/plain',
        'Content-Length: 3',
        '',
        'hello',
      ),
    );
    expect(cut.body.toString()).toBe('hel');
  });

  it('accepts a missing blank line at the end of a bodiless datagram', () => {
    expect(parsed(crlf('OPTIONS sip:b@example.com SIP/2.0', ...BASE)).get('cseq')).toBe('1 OPTIONS');
  });
});

describe('parseMessage: responses', () => {
  it.each([
    ['SIP/2.0 200 OK', 200, 'OK'],
    ['SIP/2.0 180 Ringing', 180, 'Ringing'],
    ['SIP/2.0 100 ', 100, ''],
    ['SIP/2.0 100', 100, ''],
    ['sip/2.0 486 Busy Here', 486, 'Busy Here'],
    ['SIP/2.0 603 Declined: no thanks ☎', 603, 'Declined: no thanks ☎'],
  ])('%s', (line, status, reason) => {
    const m = parsed(crlf(line, ...BASE.slice(0, 4), 'CSeq: 1 INVITE', 'Content-Length: 0', '', ''));
    expect(m.isRequest).toBe(false);
    expect(m.startLine).toEqual({ kind: 'response', version: 'SIP/2.0', status, reason });
  });

  it.each([
    'SIP/2.0 99 Odd',
    'SIP/2.0 700 Too big',
    'SIP/2.0 4294967301 wraps',
    'SIP/2.0 20O OK',
    'SIP/3.0 200 OK',
    'SIP/2.0200 OK',
    'SIP/2.0',
  ])('drops %s without a request-shaped partial', (line) => {
    const r = failure(parseMessage(crlf(line, ...BASE.slice(0, 4), 'CSeq: 1 INVITE', '', '')));
    expect(r.status).toBe(400);
    expect(r.partial?.isRequest ?? false).toBe(false);
  });
});

describe('parseMessage: malformed input', () => {
  it.each([
    [
      'missing Call-ID',
      crlf('OPTIONS sip:b@example.com SIP/2.0', ...BASE.filter((h) => !h.startsWith('Call-ID')), '', ''),
      'Missing Call-ID header',
    ],
    ['two CSeq', options('CSeq: 2 OPTIONS'), 'Multiple CSeq headers'],
    ['two Content-Length', options('Content-Length: 0', 'l: 0'), 'Multiple Content-Length headers'],
    ['negative Content-Length', options('Content-Length: -1'), 'Bad Content-Length'],
    ['Content-Length past the end', options('Content-Length: 10'), 'Content-Length larger than body'],
    [
      'bad CSeq',
      crlf('OPTIONS sip:b@example.com SIP/2.0', ...BASE.slice(0, 4), 'CSeq: 4294967296 OPTIONS', '', ''),
      'Malformed CSeq header',
    ],
    ['bad Via', options('Via: SIP/2.0/UDP'), 'Malformed Via header'],
    [
      'empty Via element',
      crlf(
        'OPTIONS sip:b@example.com SIP/2.0',
        'Via: SIP/2.0/UDP h;branch=z9hG4bK1,,',
        ...BASE.slice(1),
        '',
        '',
      ),
      'Malformed Via header',
    ],
    ['header without colon', options('NoColonHere'), 'Malformed header line'],
    ['form feed before colon', options('X-Evil\f: 1'), 'Malformed header line'],
    ['non-token header name', options('X Evil: 1'), 'Malformed header line'],
    ['bare CR inside a header', options('Subject: a\rVia: SIP/2.0/UDP evil'), 'Bare CR in header'],
    [
      'continuation first',
      crlf('OPTIONS sip:b@example.com SIP/2.0', ' folded', ...BASE, '', ''),
      'Continuation line without a header',
    ],
    ['tab in request line', crlf('OPTIONS\tsip:b@example.com SIP/2.0', ...BASE, '', ''), 'Bad method'],
    ['two spaces', crlf('OPTIONS  sip:b@example.com SIP/2.0', ...BASE, '', ''), 'Bad request line'],
    [
      '<> around Request-URI',
      crlf('OPTIONS <sip:b@example.com> SIP/2.0', ...BASE, '', ''),
      'Bad Request-URI',
    ],
    ['no scheme', crlf('OPTIONS b@example.com SIP/2.0', ...BASE, '', ''), 'Bad Request-URI'],
    ['empty', Buffer.from('\r\n\r\n'), 'Empty message'],
  ])('%s → 400', (_what, buf, reason) => {
    const r = failure(parseMessage(buf));
    expect(r.status).toBe(400);
    expect(r.reason).toBe(reason);
  });

  it('answers a request of another SIP version with 505, keeping what a response needs', () => {
    const r = failure(parseMessage(crlf('OPTIONS sip:b@example.com SIP/3.0', ...BASE, '', '')));
    expect(r.status).toBe(505);
    expect(r.partial?.get('call-id')).toBe('c1@example.com');
    expect(r.partial?.method).toBe('OPTIONS');
  });

  it('keeps the method of a broken ACK, so that nobody answers it', () => {
    const r = failure(parseMessage(crlf('ACK <sip:b@example.com> SIP/2.0', ...BASE, '', '')));
    expect(r.partial?.method).toBe('ACK');
  });
});

describe('parseMessage: limits', () => {
  it('413 is not used: a body over the size limit is 513, the message as a whole (§21.5.14)', () => {
    const limits = { ...DEFAULT_PARSE_LIMITS, maxMessageBytes: 400 };
    const r = failure(
      parseMessage(
        crlf(
          'MESSAGE sip:b@example.com SIP/2.0',
          ...BASE.slice(0, 4),
          'CSeq: 1 MESSAGE',
          'Content-Type: text/plain',
          '',
          'x'.repeat(500),
        ),
        limits,
      ),
    );
    expect(r.status).toBe(513);
    expect(r.partial?.isRequest).toBe(true);
    expect(r.partial?.get('via')).toBe(BASE[0]!.slice(5));
  });

  it('414 for a Request-URI over the limit, with a partial to answer from (§21.4.12)', () => {
    const r = failure(
      parseMessage(crlf(`OPTIONS sip:${'a'.repeat(5000)}@example.com SIP/2.0`, ...BASE, '', '')),
    );
    expect(r.status).toBe(414);
    expect(r.partial?.get('cseq')).toBe('1 OPTIONS');
  });

  it('400 for too many header lines (a malformed request, not a 413/513 size problem)', () => {
    const many = Array.from({ length: DEFAULT_PARSE_LIMITS.maxHeaders + 1 }, (_, i) => `X-H${i}: ${i}`);
    const r = failure(parseMessage(options(...many)));
    expect([r.status, r.reason]).toEqual([400, 'Too many headers']);
  });

  it('400 for one header line longer than the limit, even when folded', () => {
    const long = 'a'.repeat(DEFAULT_PARSE_LIMITS.maxHeaderLineBytes);
    expect(failure(parseMessage(options(`Subject: ${long}`))).reason).toBe('Header line too long');
    const folded = Array.from({ length: 40 }, () => ` ${'b'.repeat(500)}`);
    expect(failure(parseMessage(options('Subject: x', ...folded))).reason).toBe('Header line too long');
  });

  it('parses 60 KB pathological headers in linear time (no backtracking)', () => {
    const limits = { ...DEFAULT_PARSE_LIMITS, maxMessageBytes: 1 << 20, maxHeaderLineBytes: 1 << 20 };
    const values = [
      '"'.repeat(60_000),
      '\\"'.repeat(30_000),
      ';'.repeat(60_000),
      ','.repeat(60_000),
      '<'.repeat(60_000),
      ' ;a='.repeat(15_000),
      `SIP/2.0/UDP ${'a'.repeat(60_000)}`,
      `SIP ${' '.repeat(60_000)}/2.0`,
    ];
    for (const v of values) {
      for (const name of ['Via', 'From', 'Contact', 'X-Long']) {
        const r = parseMessage(options(`${name}: ${v}`), limits);
        expect(r.ok || r.status === 400).toBe(true);
      }
    }
    const folds = Array.from({ length: 20_000 }, () => ' a');
    const unfolded = parseMessage(
      Buffer.from(
        options('Subject: x', ...folds)
          .toString()
          .replace(/\r\n/g, '\n'),
      ),
      limits,
    );
    expect(unfolded.ok && unfolded.message.get('subject')?.length).toBe(40_001);
  });
});

describe('findHeaderEnd', () => {
  it.each([
    ['CRLF CRLF', 'A: 1\r\n\r\nbody', [4, 8]],
    ['LF LF', 'A: 1\n\nbody', [4, 6]],
    ['LF CRLF', 'A: 1\n\r\nbody', [4, 7]],
    ['CRLF LF', 'A: 1\r\n\nbody', [4, 7]],
    ['keep-alive CRLFs first', '\r\n\r\nA: 1\r\n\r\n', [8, 12]],
    ['not there yet', 'A: 1\r\nB: 2\r\n\r', undefined],
  ])('%s', (_what, text, expected) => {
    expect(findHeaderEnd(Buffer.from(text))).toEqual(expected);
  });
});

describe('serializeMessage', () => {
  it('writes Content-Length where the message had it, in bytes, once', () => {
    const m = SipMessage.request('MESSAGE', 'sip:b@example.com', [
      ['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'],
      ['l', '999'],
      ['Content-Length', '5'],
      ['Content-Type', 'text/plain'],
    ]);
    m.body = Buffer.from('☎☎', 'utf8');
    expect(serializeToString(m)).toBe(
      'MESSAGE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nl: 6\r\nContent-Type: text/plain\r\n\r\n☎☎',
    );
  });

  it('never lets a value start a new header line, and leaves out unwritable names', () => {
    const m = SipMessage.response(200, 'OK\r\nX-Injected: 1', [
      ['Subject', 'a\r\nVia: SIP/2.0/UDP evil;branch=z9hG4bK1'],
      ['Bad Name', 'x'],
    ]);
    expect(serializeToString(m)).toBe(
      'SIP/2.0 200 OK X-Injected: 1\r\nSubject: a Via: SIP/2.0/UDP evil;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n',
    );
  });
});
