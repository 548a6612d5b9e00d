import { describe, expect, it } from 'vitest';
import { SipMessage } from '../../engine/sip/message.js';
import {
  DEFAULT_UAS_CAPABILITIES,
  checkRequestSyntax,
  validateRequest,
  validateResponse,
  type UasCapabilities,
} from '../../engine/sip/message-validation.js';

function request(method: string, uri: string, extra: Array<[string, string]> = [], body = ''): SipMessage {
  const msg = SipMessage.request(method, uri, [
    ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9'],
    ['Max-Forwards', '70'],
    ['From', '"Alice" <sip:alice@example.com>;tag=9fxced76sl'],
    ['To', '<sip:bob@example.com>'],
    ['Call-ID', '3848276298220188511@atlanta.example.com'],
    ['CSeq', `1 ${method}`],
    ...extra,
  ]);
  if (body) msg.body = Buffer.from(body);
  return msg;
}

const invite = (extra: Array<[string, string]> = [], body = 'v=0\r\n') =>
  request('INVITE', 'sip:bob@example.com', [['Content-Type', 'application/sdp'], ...extra], body);

const status = (msg: SipMessage, caps?: UasCapabilities) => {
  const v = validateRequest(msg, caps);
  return v.ok ? 'ok' : v.status;
};

describe('validateRequest', () => {
  it('accepts an ordinary INVITE with SDP', () => {
    expect(validateRequest(invite())).toEqual({ ok: true });
  });

  it('every rejection names the RFC rule it applies', () => {
    const v = validateRequest(request('OPTIONS', 'im:bob@example.com'));
    expect(v).toEqual({ ok: false, status: 416, reason: 'Unsupported URI Scheme', rfc: 'RFC 3261 §8.2.2.1' });
  });

  const withHeader = (msg: SipMessage, name: string, value: string): SipMessage => msg.set(name, value);

  it.each<[string, SipMessage, number | 'ok']>([
    ['tel Request-URI, tel served', request('INVITE', 'tel:+14155550100'), 'ok'],
    ['pres: Request-URI, not served', request('SUBSCRIBE', 'pres:bob@example.com'), 416],
    ['malformed SIP Request-URI', request('OPTIONS', 'sip:bob@example.com:99999'), 400],
    [
      'headers in the Request-URI (RFC 4475 §3.1.2.11)',
      request('OPTIONS', 'sip:bob@example.com?Subject=x'),
      400,
    ],
    [
      'method param in the Request-URI is tolerated',
      request('OPTIONS', 'sip:bob@example.com;method=INVITE'),
      'ok',
    ],
    [
      'Max-Forwards over 255 is read as absent (RFC 4475 §3.1.2.4)',
      withHeader(request('OPTIONS', 'sip:b@example.com'), 'Max-Forwards', '300'),
      'ok',
    ],
    [
      'non-numeric Max-Forwards',
      withHeader(request('OPTIONS', 'sip:b@example.com'), 'Max-Forwards', 'ten'),
      400,
    ],
    [
      'two Max-Forwards (single-valued, §7.3.1)',
      request('OPTIONS', 'sip:b@example.com', [['Max-Forwards', '5']]),
      400,
    ],
    ['non-numeric Expires', request('REGISTER', 'sip:example.com', [['Expires', 'soon']]), 400],
    [
      'huge Expires is tolerated (RFC 4475 §3.1.2.4)',
      request('REGISTER', 'sip:example.com', [['Expires', '1'.repeat(40)]]),
      'ok',
    ],
    ['REGISTER with a SIP address-of-record', request('REGISTER', 'sip:example.com'), 'ok'],
    [
      'a valid Date',
      request('OPTIONS', 'sip:b@example.com', [['Date', 'Sat, 13 Nov 2010 23:29:00 GMT']]),
      'ok',
    ],
    [
      'a UTC Date (RFC 4475 §3.1.2.12)',
      request('OPTIONS', 'sip:b@example.com', [['Date', 'Sat, 13 Nov 2010 23:29:00 UTC']]),
      400,
    ],
    [
      'a Date out of range',
      request('OPTIONS', 'sip:b@example.com', [['Date', 'Sat, 13 Nov 2010 25:29:00 GMT']]),
      400,
    ],
  ])('%s', (_what, msg, expected) => {
    expect(status(msg)).toBe(expected);
  });

  it('416 follows the configured schemes', () => {
    const sipOnly = { ...DEFAULT_UAS_CAPABILITIES, uriSchemes: ['sip'] };
    expect(status(request('OPTIONS', 'sips:bob@example.com'), sipOnly)).toBe(416);
    expect(status(request('OPTIONS', 'sips:bob@example.com'))).toBe('ok');
  });

  it('a REGISTER To must be a SIP or SIPS URI', () => {
    const reg = request('REGISTER', 'sip:example.com');
    reg.set('To', '<tel:+14155550100>');
    expect(validateRequest(reg)).toMatchObject({ ok: false, status: 400, rfc: 'RFC 3261 §10.3' });
  });

  it('Contact "*" only in a REGISTER, alone, with Expires: 0 (§10.3)', () => {
    const ok = request('REGISTER', 'sip:example.com', [
      ['Contact', '*'],
      ['Expires', '0'],
    ]);
    expect(status(ok)).toBe('ok');
    expect(
      status(
        request('REGISTER', 'sip:example.com', [
          ['Contact', '*'],
          ['Expires', '60'],
        ]),
      ),
    ).toBe(400);
    expect(
      status(
        request('REGISTER', 'sip:example.com', [
          ['Contact', '*, <sip:a@b>'],
          ['Expires', '0'],
        ]),
      ),
    ).toBe(400);
    expect(status(request('INVITE', 'sip:b@example.com', [['Contact', '*']]))).toBe(400);
  });

  it('420 lists only the option tags not supported (§8.2.2.3), and CANCEL is exempt', () => {
    const v = validateRequest(
      invite([
        ['Require', '100rel, foo'],
        ['Require', 'timer,bar'],
      ]),
    );
    expect(v).toMatchObject({ ok: false, status: 420, extraHeaders: [['Unsupported', 'foo, bar']] });
    expect(status(request('CANCEL', 'sip:b@example.com', [['Require', 'foo']]))).toBe('ok');
    expect(status(invite([['Require', '100REL']]))).toBe('ok');
    expect(status(invite([['Proxy-Require', 'foo']]))).toBe('ok');
  });

  it('415 for body types and encodings not accepted, with Accept / Accept-Encoding (§8.2.3)', () => {
    const caps = { ...DEFAULT_UAS_CAPABILITIES, contentTypes: ['application/sdp', 'multipart/*'] };
    expect(
      status(
        request('MESSAGE', 'sip:b@example.com', [['Content-Type', 'multipart/related;type=x']], 'x'),
        caps,
      ),
    ).toBe('ok');
    expect(
      validateRequest(request('MESSAGE', 'sip:b@example.com', [['Content-Type', 'text/html']], 'x'), caps),
    ).toMatchObject({
      status: 415,
      extraHeaders: [['Accept', 'application/sdp, multipart/*']],
    });
    expect(validateRequest(invite([['Content-Encoding', 'gzip']]))).toMatchObject({
      status: 415,
      extraHeaders: [['Accept-Encoding', 'identity']],
    });
    expect(
      status(invite([['Content-Encoding', 'gzip']]), {
        ...DEFAULT_UAS_CAPABILITIES,
        contentEncodings: ['gzip'],
      }),
    ).toBe('ok');
    // No body, nothing to judge.
    expect(status(request('OPTIONS', 'sip:b@example.com', [['Content-Type', 'text/html']]))).toBe('ok');
  });

  it('400 for a body without Content-Type, or a malformed one (§20.15)', () => {
    expect(status(request('MESSAGE', 'sip:b@example.com', [], 'hello'))).toBe(400);
    expect(status(request('MESSAGE', 'sip:b@example.com', [['Content-Type', 'text']], 'hello'))).toBe(400);
  });

  it('406 for an INVITE whose Accept rules out SDP; wildcards accept it', () => {
    expect(status(invite([['Accept', 'text/nobodyKnowsThis']]))).toBe(406);
    expect(status(invite([['Accept', '']]))).toBe(406);
    expect(status(invite([['Accept', 'application/*']]))).toBe('ok');
    expect(
      status(
        invite([
          ['Accept', 'text/plain'],
          ['Accept', '*/*;q=0.1'],
        ]),
      ),
    ).toBe('ok');
    expect(status(request('OPTIONS', 'sip:b@example.com', [['Accept', 'text/plain']]))).toBe('ok');
  });

  it('483 for Max-Forwards 0 only when forwarding, and never for OPTIONS (§16.3)', () => {
    const forwarding = { ...DEFAULT_UAS_CAPABILITIES, forwarding: true };
    const zero = invite();
    zero.set('Max-Forwards', '0');
    expect(status(zero, forwarding)).toBe(483);
    expect(status(zero)).toBe('ok');
  });

  it('ACK is never answered: only its syntax is judged', () => {
    const ack = request(
      'ACK',
      'nobody:knows',
      [
        ['Require', 'foo'],
        ['Content-Type', 'text/html'],
      ],
      'x',
    );
    expect(validateRequest(ack)).toEqual({ ok: true });
    const broken = request('ACK', 'sip:b@example.com');
    broken.set('From', 'Bell, Alexander <sip:a@b>');
    expect(status(broken)).toBe(400);
  });
});

describe('checkRequestSyntax', () => {
  it.each([
    ['Via', 'Missing Via header'],
    ['From', 'Missing from header'],
    ['To', 'Missing to header'],
    ['Call-ID', 'Missing call-id header'],
    ['CSeq', 'Missing cseq header'],
  ])('a request built without %s is rejected', (name, reason) => {
    const msg = request('OPTIONS', 'sip:b@example.com');
    msg.remove(name);
    expect(checkRequestSyntax(msg)).toMatchObject({ ok: false, status: 400, reason });
  });

  it('rejects a response handed to it', () => {
    expect(checkRequestSyntax(SipMessage.response(200, 'OK'))).toMatchObject({ ok: false, status: 400 });
  });

  it('rejects a branch that is only the magic cookie (RFC 4475 §3.2.1) but not an RFC 2543 branch', () => {
    const cookieOnly = request('OPTIONS', 'sip:b@example.com');
    cookieOnly.set('Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK');
    expect(checkRequestSyntax(cookieOnly)).toMatchObject({
      ok: false,
      reason: 'Missing transaction identifier',
    });
    const old = request('OPTIONS', 'sip:b@example.com');
    old.set('Via', 'SIP/2.0/UDP 192.0.2.1;branch=390skdjuw');
    expect(checkRequestSyntax(old)).toEqual({ ok: true });
  });
});

describe('validateResponse', () => {
  const response = (...vias: string[]) =>
    SipMessage.response(200, 'OK', [
      ...vias.map((v): [string, string] => ['Via', v]),
      ['From', '<sip:a@example.com>;tag=1'],
      ['To', '<sip:b@example.com>;tag=2'],
      ['Call-ID', 'c'],
      ['CSeq', '1 INVITE'],
    ]);

  it('as UAC keeps a response with one Via and drops one with more (§8.1.3.3)', () => {
    expect(validateResponse(response('SIP/2.0/UDP a;branch=z9hG4bK1'), 'uac')).toEqual({ ok: true });
    expect(
      validateResponse(response('SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2'), 'uac'),
    ).toMatchObject({
      ok: false,
      action: 'discard',
    });
  });

  it('as proxy drops a response whose next hop is a broadcast address (RFC 4475 §3.3.10)', () => {
    const via = 'SIP/2.0/UDP a;branch=z9hG4bK1';
    expect(validateResponse(response(via, 'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2'), 'proxy')).toEqual({
      ok: true,
    });
    expect(
      validateResponse(response(via, 'SIP/2.0/UDP h;received=255.255.255.255;branch=z9hG4bK2'), 'proxy'),
    ).toMatchObject({ ok: false });
    expect(validateResponse(response(via, 'SIP/2.0/UDP 0.0.0.0;branch=z9hG4bK2'), 'proxy')).toMatchObject({
      ok: false,
    });
  });
});
