/**
 * The rtpengine media adapter against a real rtpengine (userspace, loopback): an offer and an
 * answer anchor a call (RTP sent to rtpengine's ports arrives at the other party's socket), a
 * prompt plays to the party named by its tag (RTP arrives at that party's socket), and the
 * failures come back as codes: a call never anchored, a file rtpengine cannot open, a daemon
 * that does not answer.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../media/media-port.js';
import { RtpengineMedia } from '../../media/rtpengine/rtpengine-media.js';
import { allocPort, releasePort } from '../support/ports.js';
import { startRtpengine, writeToneWav, type RtpengineDaemon } from '../support/rtpengine.js';

/** How long a test waits for RTP that should arrive. */
const RTP_WAIT_MS = 3_000;

interface RtpPeer {
  readonly socket: Socket;
  readonly port: number;
  /** RTP packets received so far (version 2, any payload type). */
  readonly received: Buffer[];
  close(): Promise<void>;
}

async function rtpPeer(): Promise<RtpPeer> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (msg) => {
    if (msg.length >= 12 && msg[0]! >> 6 === 2) received.push(msg);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    socket,
    port: socket.address().port,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function sdp(port: number, session: number): string {
  return [
    'v=0',
    `o=- ${session} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

function mediaPort(description: string): number {
  const m = /^m=audio (\d+) /m.exec(description);
  if (m === null) throw new Error(`no audio m-line in\n${description}`);
  return Number(m[1]);
}

/** A 20 ms PCMU packet (RFC 3550 §5.1 header, payload type 0). */
function rtpPacket(seq: number, ssrc: number): Buffer {
  const packet = Buffer.alloc(12 + 160, 0xff);
  packet[0] = 0x80;
  packet[1] = 0;
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(seq * 160, 4);
  packet.writeUInt32BE(ssrc, 8);
  return packet;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + RTP_WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Send a few packets from `from` to rtpengine's `port` (rtpengine learns the source, then relays). */
async function sendRtp(from: RtpPeer, port: number, ssrc: number): Promise<void> {
  for (let seq = 1; seq <= 10; seq++) {
    from.socket.send(rtpPacket(seq, ssrc), port, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('rtpengine media adapter (real rtpengine)', () => {
  let daemon: RtpengineDaemon;
  let media: RtpengineMedia;
  let dir: string;
  let wav: string;

  beforeAll(async () => {
    daemon = await startRtpengine();
    media = new RtpengineMedia({ config: { host: daemon.host, port: daemon.port, timeoutMs: 2_000 } });
    dir = await mkdtemp(join(tmpdir(), 'baton-prompts-'));
    wav = join(dir, 'transfer-failed.wav');
    await writeToneWav(wav, 1);
  });

  afterAll(async () => {
    media?.close();
    await daemon?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('answers ping', async () => {
    await expect(media.ping()).resolves.toBeUndefined();
  });

  it('anchors a call: each side is offered rtpengine’s ports and RTP is relayed both ways', async () => {
    const caller = await rtpPeer();
    const agent = await rtpPeer();
    try {
      const offered = await media.offer({ callId: 'anchor-1', fromTag: 'caller', sdp: sdp(caller.port, 1) });
      const toAgent = mediaPort(offered);
      expect(toAgent).not.toBe(caller.port);
      expect(offered).toMatch(/^c=IN IP4 127\.0\.0\.1\r$/m);
      const answered = await media.answer({
        callId: 'anchor-1',
        fromTag: 'caller',
        toTag: 'agent',
        sdp: sdp(agent.port, 2),
      });
      const toCaller = mediaPort(answered);
      expect(toCaller).not.toBe(agent.port);

      await sendRtp(caller, toCaller, 0x1111);
      await until('the caller’s RTP at the agent', () => agent.received.length > 0);
      await sendRtp(agent, toAgent, 0x2222);
      await until('the agent’s RTP at the caller', () => caller.received.length > 0);
      expect(agent.received[0]!.readUInt32BE(8)).toBe(0x1111);
    } finally {
      await media.release('anchor-1');
      await caller.close();
      await agent.close();
    }
  });

  it('plays a prompt to the party its tag names: rtpengine reports the duration and RTP arrives there', async () => {
    const caller = await rtpPeer();
    const agent = await rtpPeer();
    try {
      await media.offer({ callId: 'play-1', fromTag: 'caller', sdp: sdp(caller.port, 1) });
      await media.answer({ callId: 'play-1', fromTag: 'caller', toTag: 'agent', sdp: sdp(agent.port, 2) });
      const result = await media.playPrompt({ callId: 'play-1', legTag: 'caller', file: wav });
      expect(result).toEqual({ played: true, durationMs: 1000 });
      // One second of 20 ms packets is 50; most of them must have arrived once the prompt is over.
      await until('the prompt’s RTP at the caller', () => caller.received.length >= 40);
      expect(caller.received.every((p) => (p[1]! & 0x7f) === 0)).toBe(true);
      expect(agent.received).toHaveLength(0);
    } finally {
      await media.release('play-1');
      await caller.close();
      await agent.close();
    }
  });

  it('does not play to a call it never anchored, and says so', async () => {
    await expect(media.playPrompt({ callId: 'never-offered', legTag: 'caller', file: wav })).resolves.toEqual(
      {
        played: false,
        reason: 'not-anchored',
        detail: expect.any(String),
      },
    );
  });

  it('reports a file rtpengine cannot open as refused, with rtpengine’s reason', async () => {
    await media.offer({ callId: 'play-missing', fromTag: 'caller', sdp: sdp(40_000, 1) });
    try {
      const result = await media.playPrompt({
        callId: 'play-missing',
        legTag: 'caller',
        file: join(dir, 'no-such-prompt.wav'),
      });
      expect(result).toMatchObject({ played: false, reason: 'refused' });
      expect(result.played === false && result.detail).toMatch(/playback/i);
    } finally {
      await media.release('play-missing');
    }
  });

  it('forgets a released call: a prompt afterwards is not-anchored', async () => {
    await media.offer({ callId: 'release-1', fromTag: 'caller', sdp: sdp(40_002, 1) });
    await media.release('release-1');
    await expect(
      media.playPrompt({ callId: 'release-1', legTag: 'caller', file: wav }),
    ).resolves.toMatchObject({
      played: false,
      reason: 'not-anchored',
    });
    await expect(
      media.answer({ callId: 'release-1', fromTag: 'caller', toTag: 'agent', sdp: sdp(40_004, 2) }),
    ).rejects.toMatchObject({ code: 'not-anchored' });
  });

  it('turns an rtpengine that does not answer into a timeout error', async () => {
    const silent = await allocPort();
    const nobody = new RtpengineMedia({ config: { host: '127.0.0.1', port: silent, timeoutMs: 100 } });
    try {
      const err = await nobody.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MediaError);
      expect(err).toMatchObject({ code: 'timeout' });
      const offer = await nobody
        .offer({ callId: 'x', fromTag: 'caller', sdp: sdp(40_006, 1) })
        .catch((e: unknown) => e);
      expect(offer).toMatchObject({ code: 'timeout' });
    } finally {
      nobody.close();
      releasePort(silent);
    }
  });
});
