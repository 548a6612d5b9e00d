import { describe, expect, it } from 'vitest';
import type { SipMessage } from '../../engine/sip/message.js';
import { parseMessage } from '../../engine/sip/parser.js';
import {
  parseEventHeader,
  parseSipfrag,
  parseSubscriptionState,
  readReferNotify,
  type ReferSubscription,
} from '../../gateway/transfer/sipfrag.js';

/** A NOTIFY as a carrier sends it for Baton's REFER (CSeq 3 of the caller's dialog). */
function notify(headers: string[], body: string): SipMessage {
  const text = [
    'NOTIFY sip:baton@192.0.2.10:5060;transport=udp SIP/2.0',
    'Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'From: <sip:+14155550100@carrier.example>;tag=1928301774',
    'To: <sip:agent@192.0.2.10>;tag=a6c85cf',
    'Call-ID: a84b4c76e66710@pc33.carrier.example',
    'CSeq: 2 NOTIFY',
    'Contact: <sip:203.0.113.5:5060>',
    ...headers,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok) throw new Error(`test message does not parse: ${r.reason}`);
  return r.message;
}

function read(msg: SipMessage, subscription: ReferSubscription = { referCseq: 3, firstInDialog: true }) {
  return readReferNotify(
    {
      event: msg.get('event'),
      subscriptionState: msg.get('subscription-state'),
      contentType: msg.get('content-type'),
      body: msg.body.toString('utf8'),
    },
    subscription,
  );
}

describe('parseSipfrag', () => {
  it.each([
    ['SIP/2.0 100 Trying\r\n', 100, 'Trying'],
    ['SIP/2.0 180 Ringing\r\n', 180, 'Ringing'],
    ['SIP/2.0 183 Session Progress\r\n', 183, 'Session Progress'],
    ['SIP/2.0 200 OK\r\n', 200, 'OK'],
    ['SIP/2.0 486 Busy Here\r\n', 486, 'Busy Here'],
    ['SIP/2.0 603 Declined\r\n', 603, 'Declined'],
    ['SIP/2.0 503 Service Unavailable', 503, 'Service Unavailable'],
    ['SIP/2.0 200 OK\n', 200, 'OK'],
    ['sip/2.0 180 Ringing\r\n', 180, 'Ringing'],
    ['SIP/2.0 180\r\n', 180, ''],
    ['\r\nSIP/2.0 180 Ringing\r\n', 180, 'Ringing'],
  ])('%j → %i %s', (body, status, reason) => {
    expect(parseSipfrag(body)).toMatchObject({ ok: true, value: { status, reason } });
  });

  it('reads the header fields a fragment may carry (RFC 3420 §2)', () => {
    const body = [
      'SIP/2.0 200 OK',
      'Contact: <sip:agent-7@cc.example.com>',
      'X-Queue: support',
      '',
      'v=0',
      '',
    ].join('\r\n');
    expect(parseSipfrag(body)).toEqual({
      ok: true,
      value: {
        status: 200,
        reason: 'OK',
        headers: [
          ['Contact', '<sip:agent-7@cc.example.com>'],
          ['X-Queue', 'support'],
        ],
      },
    });
  });

  it.each([
    ['SIP/3.0 200 OK\r\n', "not a SIP/2.0 status line: 'SIP/3.0 200 OK'"],
    ['SIP/2.0 20 OK\r\n', "not a SIP/2.0 status line: 'SIP/2.0 20 OK'"],
    ['SIP/2.0 999 Odd\r\n', "not a SIP/2.0 status line: 'SIP/2.0 999 Odd'"],
    [
      'INVITE sip:bob@example.com SIP/2.0\r\n',
      "not a SIP/2.0 status line: 'INVITE sip:bob@example.com SIP/2.0'",
    ],
    ['Via: SIP/2.0/UDP x\r\n', "not a SIP/2.0 status line: 'Via: SIP/2.0/UDP x'"],
    ['', 'empty sipfrag body'],
  ])('refuses %j', (body, reason) => {
    expect(parseSipfrag(body)).toEqual({ ok: false, reason });
  });

  it('refuses a body too large to be a status', () => {
    expect(parseSipfrag(`SIP/2.0 200 OK\r\nX-Pad: ${'x'.repeat(9000)}\r\n`).ok).toBe(false);
  });
});

describe('Event and Subscription-State', () => {
  it.each([
    ['refer', 'refer', undefined],
    ['refer;id=93809824', 'refer', '93809824'],
    ['Refer ; id = 3', 'refer', '3'],
    ['refer;foo=bar;id=7', 'refer', '7'],
    ['presence', 'presence', undefined],
  ])('Event: %s', (value, pkg, id) => {
    expect(parseEventHeader(value)).toEqual({ ok: true, value: { package: pkg, id } });
  });

  it.each([
    ['active;expires=60', 'active', undefined, 60],
    ['pending', 'pending', undefined, undefined],
    ['terminated;reason=noresource', 'terminated', 'noresource', undefined],
    ['Terminated; reason=Timeout; retry-after=10', 'terminated', 'timeout', undefined],
  ])('Subscription-State: %s', (value, state, reason, expires) => {
    expect(parseSubscriptionState(value)).toEqual({ ok: true, value: { state, reason, expires } });
  });
});

describe('readReferNotify on real NOTIFYs', () => {
  it.each([
    ['SIP/2.0 100 Trying', 'active;expires=60', 100, false, false],
    ['SIP/2.0 180 Ringing', 'active;expires=58', 180, false, false],
    ['SIP/2.0 200 OK', 'terminated;reason=noresource', 200, true, true],
    ['SIP/2.0 486 Busy Here', 'terminated;reason=noresource', 486, true, true],
    ['SIP/2.0 603 Declined', 'terminated;reason=noresource', 603, true, true],
    ['SIP/2.0 503 Service Unavailable', 'terminated;reason=noresource', 503, true, true],
  ])('%s with %s', (frag, state, status, final, terminated) => {
    const msg = notify(
      ['Event: refer;id=3', `Subscription-State: ${state}`, 'Content-Type: message/sipfrag;version=2.0'],
      `${frag}\r\n`,
    );
    expect(read(msg)).toEqual({
      ok: true,
      progress: {
        status,
        reason: frag.slice(12),
        final,
        subscriptionTerminated: terminated,
        terminationReason: terminated ? 'noresource' : undefined,
      },
    });
  });

  it('reads compact forms (o: for Event, c: for Content-Type)', () => {
    const msg = notify(
      ['o: refer;id=3', 'Subscription-State: terminated;reason=noresource', 'c: message/sipfrag'],
      'SIP/2.0 200 OK\r\n',
    );
    expect(read(msg)).toMatchObject({ ok: true, progress: { status: 200, final: true } });
  });

  it('takes a NOTIFY without id for the first REFER of the dialog only (RFC 3515 §2.4.6)', () => {
    const msg = notify(['Event: refer', 'Content-Type: message/sipfrag'], 'SIP/2.0 180 Ringing\r\n');
    expect(read(msg).ok).toBe(true);
    expect(read(msg, { referCseq: 5, firstInDialog: false })).toMatchObject({
      ok: false,
      answer: { status: 481 },
    });
  });

  it('sees the end of a subscription terminated without a body (some PBXs send it)', () => {
    const msg = notify(['Event: refer;id=3', 'Subscription-State: terminated;reason=timeout'], '');
    expect(read(msg)).toEqual({
      ok: true,
      progress: {
        status: undefined,
        reason: '',
        final: false,
        subscriptionTerminated: true,
        terminationReason: 'timeout',
      },
    });
  });

  it.each<[string, string[], string, number]>([
    [
      'another REFER of the dialog',
      ['Event: refer;id=9', 'Content-Type: message/sipfrag'],
      'SIP/2.0 200 OK',
      481,
    ],
    ['another event package', ['Event: dialog', 'Content-Type: application/dialog-info+xml'], '<x/>', 489],
    ['no Event header', ['Content-Type: message/sipfrag'], 'SIP/2.0 200 OK', 489],
    ['a body that is not sipfrag', ['Event: refer;id=3', 'Content-Type: text/plain'], 'SIP/2.0 200 OK', 415],
    ['a malformed sipfrag', ['Event: refer;id=3', 'Content-Type: message/sipfrag'], 'SIP/3.0 200 OK', 400],
    ['no body while active', ['Event: refer;id=3', 'Subscription-State: active'], '', 400],
  ])('answers %s with %i', (_title, headers, body, status) => {
    expect(read(notify(headers, body === '' ? '' : `${body}\r\n`))).toMatchObject({
      ok: false,
      answer: { status },
    });
  });
});
