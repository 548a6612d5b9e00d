import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, splitLeader, type FramingError } from '../../engine/control/framing.js';

/** Feed chunks to a fresh decoder; collect frames and the first error. */
function decode(chunks: Buffer[], maxFrameBytes?: number): { frames: string[]; error?: FramingError } {
  const frames: string[] = [];
  const decoder = new FrameDecoder((p) => frames.push(p), { maxFrameBytes });
  for (const chunk of chunks) {
    const error = decoder.push(chunk);
    if (error !== undefined) return { frames, error };
  }
  return { frames };
}

/** How drachtio-srf frames what it sends (lib/wire-protocol.js `send`). */
function srfFrame(s: string): Buffer {
  return Buffer.from(`${Buffer.byteLength(s, 'utf8')}#${s}`, 'utf8');
}

const OPTIONS_FROM_APP =
  'e5b2c9d0-1|sip||\r\n' +
  'OPTIONS sip:bob@127.0.0.1:5099 SIP/2.0\r\n' +
  'from: <sip:alice@localhost>\r\n' +
  'X-Caller: Zoë 😀 日本語\r\n' +
  'Content-Length: 0\r\n\r\n';

describe('encodeFrame', () => {
  it('prefixes the UTF-8 byte length, not the UTF-16 length', () => {
    const payload = 'id|sip|Zoë 😀';
    const frame = encodeFrame(payload);
    const byteLength = Buffer.byteLength(payload, 'utf8');
    expect(byteLength).not.toBe(payload.length);
    expect(frame.toString('utf8')).toBe(`${byteLength}#${payload}`);
  });

  it('produces exactly what srf would send for the same payload', () => {
    expect(encodeFrame(OPTIONS_FROM_APP).equals(srfFrame(OPTIONS_FROM_APP))).toBe(true);
  });
});

describe('FrameDecoder', () => {
  it('decodes one frame in one chunk', () => {
    expect(decode([srfFrame('abc|ping')])).toEqual({ frames: ['abc|ping'] });
  });

  it('decodes several frames coalesced in one chunk, in order', () => {
    const chunk = Buffer.concat([srfFrame('1|route|invite'), srfFrame(OPTIONS_FROM_APP), srfFrame('2|ping')]);
    expect(decode([chunk]).frames).toEqual(['1|route|invite', OPTIONS_FROM_APP, '2|ping']);
  });

  it('reassembles a multi-byte payload split at every possible byte offset', () => {
    const wire = Buffer.concat([srfFrame(OPTIONS_FROM_APP), srfFrame('z|ping')]);
    for (let cut = 1; cut < wire.length; cut++) {
      const result = decode([wire.subarray(0, cut), wire.subarray(cut)]);
      expect(result, `cut at ${cut}`).toEqual({ frames: [OPTIONS_FROM_APP, 'z|ping'] });
    }
  });

  it('reassembles a frame delivered one byte per chunk', () => {
    const wire = srfFrame(OPTIONS_FROM_APP);
    const chunks = [...wire].map((b) => Buffer.from([b]));
    expect(decode(chunks).frames).toEqual([OPTIONS_FROM_APP]);
  });

  it("accepts frames larger than drachtio-server's five-digit limit", () => {
    const body = 'a=x-filler:' + 'é'.repeat(100_000);
    const payload = `id|sip||\r\n${body}`;
    const wire = srfFrame(payload);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 65_536) chunks.push(wire.subarray(i, i + 65_536));
    expect(chunks.length).toBeGreaterThan(2);
    const { frames, error } = decode(chunks);
    expect(error).toBeUndefined();
    expect(frames).toEqual([payload]);
  });

  it.each([
    ['a letter in the length', 'x2#ab', 'bad-length-character'],
    ['a space before #', '12 #abcdefghijkl', 'bad-length-character'],
    ['a JSON message from the obsolete protocol', '{"type":"auth"}', 'bad-length-character'],
    ['no digits before #', '#abc', 'empty-frame'],
    ['a zero length', '0#', 'empty-frame'],
  ])('reports %s as a protocol error instead of throwing', (_label, wire, code) => {
    const { frames, error } = decode([Buffer.from(wire)]);
    expect(frames).toEqual([]);
    expect(error?.code).toBe(code);
  });

  it('rejects an absurd length as soon as it exceeds the maximum, before any payload arrives', () => {
    const { error } = decode([Buffer.from('99999999999999999999999')]);
    expect(error?.code).toBe('frame-too-large');
    expect(decode([Buffer.from('11#')], 10).error?.code).toBe('frame-too-large');
    expect(decode([Buffer.from('10#0123456789')], 10)).toEqual({ frames: ['0123456789'] });
  });

  it('delivers the frames before an error, then stays failed', () => {
    const frames: string[] = [];
    const decoder = new FrameDecoder((p) => frames.push(p));
    const error = decoder.push(Buffer.concat([srfFrame('1|ping'), Buffer.from('junk#'), srfFrame('2|ping')]));
    expect(error?.code).toBe('bad-length-character');
    expect(decoder.push(srfFrame('3|ping'))).toBe(error);
    expect(frames).toEqual(['1|ping']);
  });

  it('delivers nothing more once stopped, even from the chunk being decoded', () => {
    const frames: string[] = [];
    const decoder = new FrameDecoder((p) => {
      frames.push(p);
      decoder.stop();
    });
    expect(decoder.push(Buffer.concat([srfFrame('1|bogus'), srfFrame('2|ping')]))).toBeUndefined();
    expect(decoder.push(srfFrame('3|ping'))).toBeUndefined();
    expect(frames).toEqual(['1|bogus']);
  });

  it('reports buffered bytes of an incomplete frame', () => {
    const decoder = new FrameDecoder(() => undefined);
    decoder.push(Buffer.from('10#abcd'));
    expect(decoder.pendingBytes).toBe(4);
  });
});

describe('splitLeader', () => {
  it('splits the leader on every pipe, keeping empty tokens', () => {
    expect(splitLeader('id|sip|||sip:proxy@10.0.0.1')).toEqual({
      tokens: ['id', 'sip', '', '', 'sip:proxy@10.0.0.1'],
      body: '',
    });
  });

  it('stops the leader at the first CRLF and leaves the SIP message untouched', () => {
    const sip = 'INFO sip:placeholder SIP/2.0\r\nX-Data: a|b|c\r\nContent-Length: 0\r\n\r\n';
    expect(splitLeader(`id|sip||call-1;from-tag=x\r\n${sip}`)).toEqual({
      tokens: ['id', 'sip', '', 'call-1;from-tag=x'],
      body: sip,
    });
  });

  it('treats a leader-only payload as having an empty body', () => {
    expect(splitLeader('id|authenticate|cymru|')).toEqual({
      tokens: ['id', 'authenticate', 'cymru', ''],
      body: '',
    });
  });
});
