import { describe, expect, it } from 'vitest';
import { SipMessage } from '../../engine/sip/message.js';
import { parseMessage } from '../../engine/sip/parser.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import { readNamedTarget } from '../../gateway/transfer/allow-patterns.js';
import {
  buildReferNotify,
  buildReferredBy,
  buildReferTo,
  SIPFRAG_CONTENT_TYPE,
  statusLine,
} from '../../gateway/transfer/refer-headers.js';
import { readReferNotify } from '../../gateway/transfer/sipfrag.js';

describe('Refer-To', () => {
  it.each<[string, string, Array<[string, string]>, string]>([
    ['a bare URI', 'sip:queue-support@cc.example.com', [], '<sip:queue-support@cc.example.com>'],
    [
      'a URI with parameters',
      'sip:+14155550100@gw.example;user=phone',
      [],
      '<sip:+14155550100@gw.example;user=phone>',
    ],
    [
      'embedded X-headers',
      'sip:queue@cc.example.com',
      [
        ['X-Intent', 'billing'],
        ['X-Caller', '+15551230000'],
      ],
      '<sip:queue@cc.example.com?X-Intent=billing&X-Caller=+15551230000>',
    ],
    [
      'embedded UUI (Twilio and Genesys form)',
      'sip:alice@example.com',
      [
        ['X-AcctNumber', '123'],
        ['User-to-User', '123456789;encoding=hex'],
      ],
      '<sip:alice@example.com?X-AcctNumber=123&User-to-User=123456789%3Bencoding%3Dhex>',
    ],
    [
      'values with spaces and ampersands',
      'sip:q@cc.example.com',
      [['X-Note', 'a & b']],
      '<sip:q@cc.example.com?X-Note=a%20%26%20b>',
    ],
    [
      'a URI that already has headers',
      'sip:q@cc.example.com?X-A=1',
      [['X-B', '2']],
      '<sip:q@cc.example.com?X-A=1&X-B=2>',
    ],
  ])('%s', (_title, uri, headers, value) => {
    expect(buildReferTo(uri, headers)).toEqual({ ok: true, value });
  });

  it.each(['<sip:a@b>', 'tel:+14155550100', 'sip:a@b c', ''])('refuses %j', (uri) => {
    expect(buildReferTo(uri).ok).toBe(false);
  });

  it('reads back as the receiver decodes it', () => {
    const built = buildReferTo('sip:queue@cc.example.com', [
      ['X-Intent', 'billing; urgent'],
      ['User-to-User', '00616263;encoding=hex;purpose=isdn-uui'],
    ]);
    if (!built.ok) throw new Error(built.reason);
    expect(readNamedTarget(built.value, () => false)).toMatchObject({
      ok: true,
      value: {
        target: { kind: 'uri', uri: { user: 'queue', host: 'cc.example.com' } },
        embeddedHeaders: [
          ['X-Intent', 'billing; urgent'],
          ['User-to-User', '00616263;encoding=hex;purpose=isdn-uui'],
        ],
      },
    });
  });
});

describe('Referred-By (RFC 3892)', () => {
  it.each([
    [{ uri: 'sip:agent@ai.example.com' }, '<sip:agent@ai.example.com>'],
    [{ uri: 'sip:agent@ai.example.com', displayName: 'AI Agent' }, '"AI Agent" <sip:agent@ai.example.com>'],
    [{ uri: 'sip:a@b', displayName: 'Say "hi" \\o/' }, '"Say \\"hi\\" \\\\o/" <sip:a@b>'],
    [{ uri: 'sip:a@b', displayName: 'Line\r\nVia: x' }, '"LineVia: x" <sip:a@b>'],
    [{ uri: 'tel:+14155550100' }, '<tel:+14155550100>'],
  ])('%j → %s', (referrer, value) => {
    expect(buildReferredBy(referrer)).toEqual({ ok: true, value });
  });

  it('refuses something that is no URI', () => {
    expect(buildReferredBy({ uri: 'agent' }).ok).toBe(false);
  });
});

describe("NOTIFYs to the AI agent's REFER (RFC 3515 §2.4.4–2.4.7)", () => {
  it.each([
    [100, undefined, 'SIP/2.0 100 Trying\r\n', 'active;expires=60'],
    [180, 'Ringing', 'SIP/2.0 180 Ringing\r\n', 'active;expires=60'],
    [200, undefined, 'SIP/2.0 200 OK\r\n', 'terminated;reason=noresource'],
    [486, 'Busy Here', 'SIP/2.0 486 Busy Here\r\n', 'terminated;reason=noresource'],
    [408, undefined, 'SIP/2.0 408 Request Timeout\r\n', 'terminated;reason=noresource'],
  ])('%i %s', (status, reason, body, state) => {
    const n = buildReferNotify({
      referCseq: 93809824,
      status,
      ...(reason && { reason }),
      expiresSeconds: 60,
    });
    expect(n).toEqual({
      headers: [
        ['Event', 'refer;id=93809824'],
        ['Subscription-State', state],
        ['Content-Type', SIPFRAG_CONTENT_TYPE],
      ],
      body,
    });
  });

  it('is read back by a REFER sender as Baton sent it', () => {
    for (const [status, final] of [
      [180, false],
      [603, true],
    ] as const) {
      const n = buildReferNotify({ referCseq: 7, status, expiresSeconds: 30 });
      const msg = SipMessage.request(
        'NOTIFY',
        'sip:agent@ai.example.com',
        [
          ['Via', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnotify1'],
          ['From', '<sip:baton@192.0.2.10>;tag=b1'],
          ['To', '<sip:agent@ai.example.com>;tag=a1'],
          ['Call-ID', 'ai-leg-1@192.0.2.10'],
          ['CSeq', '8 NOTIFY'],
          ...n.headers.map(([name, value]) => [name, value] as [string, string]),
        ],
        Buffer.from(n.body),
      );
      const parsed = parseMessage(serializeMessage(msg));
      if (!parsed.ok) throw new Error(parsed.reason);
      const m = parsed.message;
      expect(m.get('content-length')).toBe(String(Buffer.byteLength(n.body)));
      expect(
        readReferNotify(
          {
            event: m.get('event'),
            subscriptionState: m.get('subscription-state'),
            contentType: m.get('content-type'),
            body: m.body.toString('utf8'),
          },
          { referCseq: 7, firstInDialog: false },
        ),
      ).toMatchObject({ ok: true, progress: { status, final, subscriptionTerminated: final } });
    }
  });

  it('keeps a status line one line whatever the reason phrase holds', () => {
    expect(statusLine({ status: 486, reason: 'Busy\r\nVia: evil' })).toBe('SIP/2.0 486 BusyVia: evil');
    expect(statusLine({ status: 486, reason: '   ' })).toBe('SIP/2.0 486 Busy Here');
  });
});
