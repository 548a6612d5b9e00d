/**
 * Dialog-layer races the engine must settle the way drachtio-server does, driven by a raw SIP
 * peer (exact messages, exact timing) against the engine with a real drachtio-srf app:
 * CANCEL after the 200 (481 + BYE), an overlapping re-INVITE (491), BYE before ACK, and
 * requests for dialogs that do not exist (481).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type Srf from 'drachtio-srf';
import { connectApp, startEngine, type EngineUnderTest } from '../support/engine-harness.js';
import { allocPort } from '../support/ports.js';
import { Inbox, UdpPeer, type Received } from '../support/raw-sip-client.js';
import { SDP_ANSWER, deferred, withTimeout } from '../conformance/srf-helpers.js';

let eut: EngineUnderTest;
let app: Srf;
let peer: UdpPeer;
let port: number;
let inbox: Inbox;

beforeEach(async () => {
  eut = await startEngine({ t1: 20 });
  app = await connectApp(eut);
  port = await allocPort();
  inbox = new Inbox();
  peer = await UdpPeer.bind('127.0.0.1', [port], inbox);
});

afterEach(async () => {
  await peer.close();
  await eut.close();
});

const SDP =
  'v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\n';

interface Call {
  callId: string;
  fromTag: string;
  toTag?: string;
}

function request(method: string, call: Call, cseq: number, branch: string, body = ''): Buffer {
  const to = `<sip:app@127.0.0.1:${eut.sipPort}>${call.toTag ? `;tag=${call.toTag}` : ''}`;
  const lines = [
    `${method} sip:app@127.0.0.1:${eut.sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${branch}`,
    `From: <sip:peer@127.0.0.1:${port}>;tag=${call.fromTag}`,
    `To: ${to}`,
    `Call-ID: ${call.callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:peer@127.0.0.1:${port}>`,
    'Max-Forwards: 70',
  ];
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return Buffer.from(lines.join('\r\n'));
}

function send(bytes: Buffer): Promise<void> {
  return peer.send(bytes, port, { host: '127.0.0.1', port: eut.sipPort });
}

const isResponse = (status: number, method: string) => (r: Received) =>
  r.status === status && (r.get('cseq') ?? '').endsWith(method);

async function answeredCall(id: string): Promise<{ call: Call; dialog: Promise<Srf.Dialog> }> {
  const dialog = deferred<Srf.Dialog>();
  app.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    app.createUAS(req, res, { localSdp: SDP_ANSWER }).then(dialog.resolve, dialog.reject);
  });
  const call: Call = { callId: `${id}@peer`, fromTag: `${id}-from` };
  await send(request('INVITE', call, 1, `${id}-inv`, SDP));
  const ok = await inbox.waitFor(isResponse(200, 'INVITE'), 3000);
  expect(ok, 'the 200 to the INVITE').toBeDefined();
  call.toTag = /;\s*tag=([^;>\s]+)/.exec(ok!.get('to') ?? '')?.[1];
  return { call, dialog: dialog.promise };
}

describe('dialog races (RFC 3261 / drachtio-server behaviour)', () => {
  it('CANCEL after the 200: 481 to the CANCEL, then the engine BYEs the caller and srf sees destroy', async () => {
    const { call, dialog } = await answeredCall('c200');
    const dlg = await dialog;
    const destroyed = deferred();
    dlg.on('destroy', () => destroyed.resolve());
    // The CANCEL names the INVITE's transaction (same branch, CSeq number) and has no To tag.
    await send(request('CANCEL', { callId: call.callId, fromTag: call.fromTag }, 1, 'c200-inv'));
    expect(await inbox.waitFor(isResponse(481, 'CANCEL'), 3000)).toBeDefined();
    const bye = await inbox.waitFor(
      (r) => r.status === undefined && r.bytes.toString().startsWith('BYE '),
      3000,
    );
    expect(bye?.get('reason')).toContain('CANCEL after 200 OK');
    await withTimeout(destroyed.promise, 3000, 'destroy');
  });

  it('a second re-INVITE while the first is unanswered gets 491 Request Pending (§14.2)', async () => {
    const { call, dialog } = await answeredCall('glare');
    await send(request('ACK', call, 1, 'glare-ack'));
    const dlg = await dialog;
    const held = deferred<() => void>();
    dlg.on('modify', (_req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      held.resolve(() => res.send(200, { body: SDP_ANSWER }));
    });
    // A new SDP version, so srf hands it to the app rather than treating it as a refresh.
    await send(request('INVITE', call, 2, 'glare-re1', SDP.replace('o=peer 1 1', 'o=peer 1 2')));
    const answerFirst = await withTimeout(held.promise, 3000, 'the app holding the first re-INVITE');
    await send(request('INVITE', call, 3, 'glare-re2', SDP.replace('o=peer 1 1', 'o=peer 1 3')));
    expect(await inbox.waitFor(isResponse(491, 'INVITE'), 3000)).toBeDefined();
    answerFirst();
    expect(await inbox.waitFor((r) => r.status === 200 && r.get('cseq') === '2 INVITE', 3000)).toBeDefined();
  });

  it('BYE before the ACK: the BYE is answered, srf sees destroy, and no ACK-timeout BYE follows', async () => {
    const { call, dialog } = await answeredCall('ackbye');
    const dlg = await dialog;
    const destroyed = deferred();
    dlg.on('destroy', () => destroyed.resolve());
    await send(request('BYE', call, 2, 'ackbye-bye'));
    expect(await inbox.waitFor(isResponse(200, 'BYE'), 3000)).toBeDefined();
    await send(request('ACK', call, 1, 'ackbye-ack'));
    await withTimeout(destroyed.promise, 3000, 'destroy');
    // 64·T1 = 1.28 s with T1 = 20 ms: an ACK timeout would have sent its BYE by now.
    await new Promise((r) => setTimeout(r, 1800));
    expect(inbox.messages.filter((r) => r.bytes.toString().startsWith('BYE '))).toEqual([]);
  });

  it.each(['BYE', 'INFO', 'INVITE'])(
    'a %s for a dialog that does not exist gets 481 (§12.2.2)',
    async (method) => {
      const ghost: Call = { callId: `ghost-${method}@peer`, fromTag: 'ghost-from', toTag: 'no-such-tag' };
      await send(request(method, ghost, 5, `ghost-${method}`, method === 'INVITE' ? SDP : ''));
      expect(await inbox.waitFor(isResponse(481, method), 3000)).toBeDefined();
    },
  );
});
