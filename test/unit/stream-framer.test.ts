import { describe, it, expect } from 'vitest';
import { contentLength, FramingError, StreamFramer } from '../../engine/transport/stream-framer.js';

type Event = { kind: 'message'; text: string } | { kind: 'ping' } | { kind: 'error'; error: FramingError };

function framer(maxMessageBytes = 65_535): { f: StreamFramer; events: Event[] } {
  const events: Event[] = [];
  const f = new StreamFramer(
    {
      onMessage: (frame) => events.push({ kind: 'message', text: frame.toString('utf8') }),
      onPing: () => events.push({ kind: 'ping' }),
      onError: (error) => events.push({ kind: 'error', error }),
    },
    { maxMessageBytes },
  );
  return { f, events };
}

const INVITE_BODY =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';

function invite(callId: string, body = INVITE_BODY): string {
  return (
    'INVITE sip:bob@127.0.0.1:5060 SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-' +
    callId +
    '\r\n' +
    'From: <sip:alice@127.0.0.1>;tag=a1\r\n' +
    'To: <sip:bob@127.0.0.1>\r\n' +
    `Call-ID: ${callId}\r\n` +
    'CSeq: 1 INVITE\r\n' +
    'Content-Type: application/sdp\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    '\r\n' +
    body
  );
}

const BYE =
  'BYE sip:bob@127.0.0.1:5060 SIP/2.0\r\n' +
  'Via: SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-bye\r\n' +
  'From: <sip:alice@127.0.0.1>;tag=a1\r\n' +
  'To: <sip:bob@127.0.0.1>;tag=b1\r\n' +
  'Call-ID: c1\r\n' +
  'CSeq: 2 BYE\r\n' +
  'l: 0\r\n' +
  '\r\n';

describe('StreamFramer', () => {
  it('frames one message delivered in one chunk', () => {
    const { f, events } = framer();
    f.push(Buffer.from(invite('c1')));
    expect(events).toEqual([{ kind: 'message', text: invite('c1') }]);
    expect(f.buffered).toBe(0);
  });

  it('frames a message split at every byte', () => {
    const { f, events } = framer();
    const bytes = Buffer.from(invite('c1'));
    for (let i = 0; i < bytes.length; i++) f.push(bytes.subarray(i, i + 1));
    expect(events).toEqual([{ kind: 'message', text: invite('c1') }]);
    expect(f.buffered).toBe(0);
  });

  it('frames a message split inside the blank line and inside the body', () => {
    const text = invite('c1');
    const blank = text.indexOf('\r\n\r\n');
    for (const cut of [blank + 1, blank + 2, blank + 3, blank + 10]) {
      const { f, events } = framer();
      f.push(Buffer.from(text.slice(0, cut)));
      expect(events).toEqual([]);
      f.push(Buffer.from(text.slice(cut)));
      expect(events).toEqual([{ kind: 'message', text }]);
    }
  });

  it('frames bare-LF messages (RFC 3261 §7.5 leniency) fed one byte at a time', () => {
    const { f, events } = framer();
    const text =
      BYE.replaceAll('\r\n', '\n') +
      invite('c2').replaceAll('\r\n', '\n').replace('Content-Length: 87', 'Content-Length: 81');
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i++) f.push(bytes.subarray(i, i + 1));
    expect(events.map((e) => (e.kind === 'message' ? e.text.split('\n')[0] : e.kind))).toEqual([
      'BYE sip:bob@127.0.0.1:5060 SIP/2.0',
      'INVITE sip:bob@127.0.0.1:5060 SIP/2.0',
    ]);
    expect(f.buffered).toBe(0);
  });

  it('frames coalesced messages, including one cut across chunks', () => {
    const { f, events } = framer();
    const all = invite('c1') + BYE + invite('c2');
    const cut = all.length - 20;
    f.push(Buffer.from(all.slice(0, cut)));
    expect(events.map((e) => e.kind)).toEqual(['message', 'message']);
    f.push(Buffer.from(all.slice(cut)));
    expect(events).toEqual([
      { kind: 'message', text: invite('c1') },
      { kind: 'message', text: BYE },
      { kind: 'message', text: invite('c2') },
    ]);
  });

  it('counts Content-Length in bytes, not characters', () => {
    const { f, events } = framer();
    const body = 'Grüße, 世界\r\n';
    f.push(Buffer.from(invite('c1', body) + BYE));
    expect(events).toEqual([
      { kind: 'message', text: invite('c1', body) },
      { kind: 'message', text: BYE },
    ]);
  });

  it('answers a CRLF CRLF ping between messages (RFC 5626 §4.4.1)', () => {
    const { f, events } = framer();
    f.push(Buffer.from(BYE + '\r\n\r\n' + BYE));
    expect(events.map((e) => e.kind)).toEqual(['message', 'ping', 'message']);
  });

  it('recognises a ping on its own and one split across chunks', () => {
    const { f, events } = framer();
    f.push(Buffer.from('\r\n\r\n'));
    f.push(Buffer.from('\r\n'));
    expect(events).toEqual([{ kind: 'ping' }]);
    f.push(Buffer.from('\r\n'));
    expect(events).toEqual([{ kind: 'ping' }, { kind: 'ping' }]);
    expect(f.buffered).toBe(0);
  });

  it('ignores a lone CRLF (a pong) before a message', () => {
    const { f, events } = framer();
    f.push(Buffer.from('\r\n'));
    f.push(Buffer.from(BYE));
    f.push(Buffer.from('\r\n' + BYE));
    expect(events).toEqual([
      { kind: 'message', text: BYE },
      { kind: 'message', text: BYE },
    ]);
  });

  it('rejects a message without Content-Length with 400 and stops', () => {
    const { f, events } = framer();
    const noLength = BYE.replace('l: 0\r\n', '');
    f.push(Buffer.from(noLength + BYE));
    expect(events).toHaveLength(1);
    const ev = events[0]!;
    expect(ev.kind).toBe('error');
    if (ev.kind !== 'error') return;
    expect(ev.error.problem).toBe('missing-content-length');
    expect(ev.error.status).toBe(400);
    expect(ev.error.code).toBe('EFRAMING');
    expect(ev.error.head?.toString('latin1')).toBe(noLength.slice(0, -4));
    expect(f.failed).toBe(true);
    f.push(Buffer.from(BYE));
    expect(events).toHaveLength(1);
  });

  it('rejects a non-numeric Content-Length with 400', () => {
    const { f, events } = framer();
    f.push(Buffer.from(BYE.replace('l: 0', 'l: 12abc')));
    expect(events).toMatchObject([{ kind: 'error', error: { problem: 'bad-content-length', status: 400 } }]);
  });

  it('rejects a message whose Content-Length exceeds the limit without buffering its body', () => {
    const { f, events } = framer(1024);
    f.push(Buffer.from(invite('c1', 'x'.repeat(100_000)).slice(0, 600)));
    expect(events).toMatchObject([{ kind: 'error', error: { problem: 'too-large', status: 513 } }]);
    expect(f.buffered).toBe(0);
  });

  it('rejects a header section that never ends once it reaches the limit', () => {
    const { f, events } = framer(1024);
    f.push(Buffer.from('INVITE sip:bob@127.0.0.1 SIP/2.0\r\n'));
    for (let i = 0; i < 100 && events.length === 0; i++)
      f.push(Buffer.from(`X-Filler-${i}: ${'y'.repeat(40)}\r\n`));
    expect(events).toMatchObject([{ kind: 'error', error: { problem: 'too-large', status: 513 } }]);
    const ev = events[0]!;
    if (ev.kind === 'error') expect(ev.error.head?.length).toBe(1024);
    expect(f.buffered).toBe(0);
  });

  it('holds only the unfinished message between chunks', () => {
    const { f } = framer();
    const text = BYE + invite('c1');
    f.push(Buffer.from(text.slice(0, BYE.length + 10)));
    expect(f.buffered).toBe(10);
  });
});

describe('contentLength', () => {
  it.each<[string, number | undefined]>([
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: 42', 42],
    ['INVITE sip:a@b SIP/2.0\r\ncontent-length:7', 7],
    ['INVITE sip:a@b SIP/2.0\r\nCONTENT-LENGTH   :  13  ', 13],
    ['INVITE sip:a@b SIP/2.0\r\nl: 5', 5],
    ['INVITE sip:a@b SIP/2.0\r\nL:0\r\nVia: x', 0],
    ['SIP/2.0 200 OK\r\nLocation: x\r\nContent-Length: 3', 3],
    ['INVITE sip:a@b SIP/2.0\nContent-Length: 9', 9],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Type: application/sdp', undefined],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Lengthy: 3', undefined],
    ['INVITE sip:a@b SIP/2.0\r\nContent_Length: 3', undefined],
    ['INVITE sip:a@b SIP/2.0', undefined],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: ', -1],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: -1', -1],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: 12345678901', -1],
  ])('%j → %s', (head, expected) => {
    expect(contentLength(Buffer.from(head, 'latin1'))).toBe(expected);
  });
});
