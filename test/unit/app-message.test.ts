/**
 * SIP text from apps (drachtio-srf frames) → the message the engine sends: lenient framing,
 * standard spellings for srf's lower-cased standard names, configured names kept byte-exact,
 * addr-specs bracketed, header injection refused.
 */
import { describe, expect, it } from 'vitest';
import { defaultContentType, parseAppMessage, substituteLocalhost } from '../../engine/dialog/app-message.js';
import { canonicalHeaderName } from '../../engine/sip/header-names.js';

function parse(raw: string) {
  const r = parseAppMessage(raw);
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

describe('parseAppMessage', () => {
  it('reads what srf sends for a B leg INVITE: lower-case names, a bare Contact, a UTF-8 body', () => {
    const msg = parse(
      'INVITE sip:agent@127.0.0.1:5070 SIP/2.0\r\n' +
        'from: "Baton Caller" <sip:caller@localhost>\r\n' +
        'contact: sip:sipp@127.0.0.1:5061\r\n' +
        'subject: call ☎\r\n' +
        'X-Conversation-Id: c-1\r\n' +
        'User-to-User: 04A1;encoding=hex\r\n' +
        'content-length: 3\r\n' +
        '\r\n' +
        'v=0 ☎',
    );
    expect(msg.method).toBe('INVITE');
    expect(msg.headers.map((h) => h.name)).toEqual([
      'From',
      'Contact',
      'Subject',
      'X-Conversation-Id',
      'User-to-User',
    ]);
    expect(msg.get('contact')).toBe('<sip:sipp@127.0.0.1:5061>');
    expect(msg.body.toString('utf8')).toBe('v=0 ☎');
  });

  it('drops the headers the stack owns (drachtio-server’s immutable set)', () => {
    const msg = parse(
      'BYE sip:placeholder SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKx\r\nRoute: <sip:p>\r\nRSeq: 4\r\n\r\n',
    );
    expect(msg.headers).toEqual([]);
  });

  it('keeps an escaped NUL inside a quoted string (RFC 4475 §3.1.1.2)', () => {
    const msg = parse('SIP/2.0 200 OK\r\nTo: "NUL:\\\0" <sip:x@y>;tag=1\r\n\r\n');
    expect(msg.status).toBe(200);
  });

  it.each([
    ['a CR in a value', 'X-A: one\rInjected: two'],
    ['a bare LF continuation that is not folding', 'X-A: one\nInjected: two'],
  ])('refuses %s (header injection)', (_name, line) => {
    const r = parseAppMessage(`OPTIONS sip:x@y SIP/2.0\r\n${line}\r\n\r\n`);
    expect(r.ok).toBe(false);
  });

  it('refuses a broken start line with a reason', () => {
    expect(parseAppMessage('HELLO\r\n\r\n')).toEqual({ ok: false, reason: 'invalid request line' });
  });

  it('brackets each bare addr-spec in a Contact list and leaves * alone', () => {
    expect(
      parse('REGISTER sip:r SIP/2.0\r\nContact: sip:a@b;expires=60, <sip:c@d>\r\n\r\n').get('contact'),
    ).toBe('<sip:a@b>;expires=60, <sip:c@d>');
    expect(parse('REGISTER sip:r SIP/2.0\r\nContact: *\r\n\r\n').get('contact')).toBe('*');
  });
});

describe('canonicalHeaderName', () => {
  it.each([
    ['call-id', 'Call-ID'],
    ['cseq', 'CSeq'],
    ['www-authenticate', 'WWW-Authenticate'],
    ['subject', 'Subject'],
    ['user-to-user', 'user-to-user'],
    ['User-to-User', 'User-to-User'],
    ['x-foo', 'x-foo'],
    ['sUbJeCt', 'sUbJeCt'],
  ])('%s → %s', (name, expected) => {
    expect(canonicalHeaderName(name)).toBe(expected);
  });
});

describe('drachtio-server rewrites', () => {
  it('@localhost in From/To/Contact/PAI becomes the engine host:port, elsewhere untouched', () => {
    const msg = parse(
      'INVITE sip:a@b SIP/2.0\r\nFrom: <sip:123@localhost>;tag=1\r\nP-Asserted-Identity: <sip:123@localhost>\r\nX-Note: sip:1@localhost\r\n\r\n',
    );
    substituteLocalhost(msg, '10.0.0.1:5060');
    expect(msg.get('from')).toBe('<sip:123@10.0.0.1:5060>;tag=1');
    expect(msg.get('p-asserted-identity')).toBe('<sip:123@10.0.0.1:5060>');
    expect(msg.get('x-note')).toBe('sip:1@localhost');
  });

  it('a body starting v=0 defaults to application/sdp; another body without a type is refused', () => {
    const sdp = parse('INVITE sip:a@b SIP/2.0\r\n\r\nv=0\r\n');
    expect(defaultContentType(sdp)).toBe(true);
    expect(sdp.get('content-type')).toBe('application/sdp');
    expect(defaultContentType(parse('INFO sip:a@b SIP/2.0\r\n\r\nSignal=5'))).toBe(false);
  });
});
