/**
 * drachtio-srf as a UAC and as a B2BUA on the embedded engine, over UDP and TCP, with SIPp far
 * ends (and SIPp callers for the B2BUA). Covers digest challenges answered by srf, CANCEL,
 * failure pass-through, header pass-through, PRACK on both legs, in-dialog REFER/NOTIFY, BYE
 * from either side and the engine's own 408 when nobody answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Srf from 'drachtio-srf';
import { connectApp, startEngine, type EngineUnderTest } from '../support/engine-harness.js';
import { allocPort } from '../support/ports.js';
import {
  SCENARIO_KEY_DEFAULTS,
  expectSippPass,
  runSipp,
  startSippServer,
  type SippServer,
  type SippTransport,
} from '../support/sipp.js';
import { SDP_ANSWER, deferred, hangUp, requestFinal, waitFor, withTimeout } from './srf-helpers.js';
import { dialogRequest } from './srf-helpers.js';

let eut: EngineUnderTest;
let srf: Srf;
let onInvite: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void | Promise<void> = () => undefined;

beforeAll(async () => {
  eut = await startEngine();
  srf = await connectApp(eut);
  srf.invite((req, res) => void onInvite(req, res));
});

afterAll(async () => {
  await eut?.close();
});

const credentials = {
  username: SCENARIO_KEY_DEFAULTS.auth_user!,
  password: SCENARIO_KEY_DEFAULTS.auth_password!,
};

function uriOf(server: SippServer, transport: SippTransport): string {
  return `sip:far-end@${server.address}${transport === 'tcp' ? ';transport=tcp' : ''}`;
}

async function farEnd(scenario: string, transport: SippTransport): Promise<SippServer> {
  return startSippServer({ scenario, transport, timeoutMs: 15_000 });
}

describe.each<SippTransport>(['udp', 'tcp'])('srf UAC over %s', (transport) => {
  it('createUAC to an answering far end, then BYE from the app', async () => {
    const uas = await farEnd('uas-answer-200.xml', transport);
    const dlg = await srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER });
    expect(dlg.remote.sdp).toContain('m=audio');
    await hangUp(dlg);
    expectSippPass(await uas.done);
  });

  it('the far end hangs up: srf sees destroy', async () => {
    const uas = await farEnd('uas-answer-then-bye.xml', transport);
    const dlg = await srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER });
    const destroyed = deferred();
    dlg.on('destroy', () => destroyed.resolve());
    await withTimeout(destroyed.promise, 5000, 'destroy');
    expectSippPass(await uas.done);
  });

  it('answers a 407 digest challenge with the credentials given (new INVITE, same Call-ID)', async () => {
    const uas = await farEnd('uas-challenge-407.xml', transport);
    const dlg = await srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER, auth: credentials });
    await hangUp(dlg);
    expectSippPass(await uas.done);
  });

  it('answers a 401 challenge; the far end verifies the digest', async () => {
    const uas = await farEnd('uas-challenge-401.xml', transport);
    const dlg = await srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER, auth: credentials });
    await hangUp(dlg);
    expectSippPass(await uas.done);
  });

  it('a 404 rejects createUAC with the status (the stack ACKs it)', async () => {
    const uas = await farEnd('uas-reject-404.xml', transport);
    await expect(srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER })).rejects.toMatchObject({
      status: 404,
    });
    expectSippPass(await uas.done);
  });

  it('srf.request OPTIONS gets the far end 200', async () => {
    const uas = await farEnd('uas-options-200.xml', transport);
    const res = await withTimeout(
      requestFinal(srf, uriOf(uas, transport), { method: 'OPTIONS' }),
      5000,
      'OPTIONS',
    );
    expect(res.status).toBe(200);
    expectSippPass(await uas.done);
  });

  it('CANCELs a ringing INVITE: createUAC rejects with 487', async () => {
    const uas = await farEnd('uas-ring-forever.xml', transport);
    let request: Srf.SrfRequest | undefined;
    // srf calls cbRequest(err, req); its typings declare cbRequest(req).
    const progress = {
      cbRequest: (_err: unknown, req: Srf.SrfRequest) => (request = req),
      // The scripted far end expects the CANCEL after its 180 (not after its 100 Trying).
      cbProvisional: (res: Srf.SrfResponse) => {
        if (res.status === 180) request?.cancel(() => undefined);
      },
    };
    const call = srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER }, progress as never);
    await expect(call).rejects.toMatchObject({ status: 487 });
    expectSippPass(await uas.done);
  });

  it('follows a reliable 183 with PRACK (RFC 3262)', async () => {
    const uas = await farEnd('uas-prack-183.xml', transport);
    const dlg = await srf.createUAC(uriOf(uas, transport), {
      localSdp: SDP_ANSWER,
      headers: { Supported: '100rel' },
    });
    await hangUp(dlg);
    expectSippPass(await uas.done);
  });

  it('re-INVITEs the far end to hold (dialog.modify)', async () => {
    const uas = await farEnd('uas-expect-reinvite.xml', transport);
    const dlg = await srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER });
    const answer = await dlg.modify(SDP_ANSWER.replace('a=sendrecv', 'a=sendonly'));
    expect(answer).toMatch(/a=recvonly|a=inactive/);
    await hangUp(dlg);
    expectSippPass(await uas.done);
  });

  it('accepts a re-INVITE from the far end', async () => {
    const uas = await farEnd('uas-reinvite-from-far.xml', transport);
    const dlg = await srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER });
    const modified = deferred();
    dlg.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      res.send(200, { body: SDP_ANSWER });
      modified.resolve();
    });
    await withTimeout(modified.promise, 5000, 'modify');
    await new Promise((r) => setTimeout(r, 100));
    await hangUp(dlg);
    expectSippPass(await uas.done);
  });

  it('sends REFER in the dialog and receives NOTIFY sipfrag 100 then 200', async () => {
    const uas = await farEnd('uas-refer-notify.xml', transport);
    const dlg = await srf.createUAC(uriOf(uas, transport), { localSdp: SDP_ANSWER });
    const frags: string[] = [];
    dlg.on('notify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      res.send(200);
      frags.push(req.body);
    });
    const res = await dialogRequest(dlg, {
      method: 'REFER',
      headers: { 'Refer-To': '<sip:human@127.0.0.1>', 'Referred-By': '<sip:baton@127.0.0.1>' },
    });
    expect(res.status).toBe(202);
    await waitFor(() => frags.length >= 2, 5000, 'NOTIFYs');
    expect(frags[0]).toContain('SIP/2.0 100');
    expect(frags[frags.length - 1]).toContain('SIP/2.0 200');
    await hangUp(dlg);
    expectSippPass(await uas.done);
  });
});

describe('engine timers for UAC requests', () => {
  it('an INVITE nobody answers ends with the engine-made 408 after Timer B (64·T1)', async () => {
    const fast = await startEngine({ t1: 50 });
    try {
      const app = await connectApp(fast);
      const silentPort = await allocPort();
      await expect(
        app.createUAC(`sip:nobody@127.0.0.1:${silentPort}`, { localSdp: SDP_ANSWER }),
      ).rejects.toMatchObject({ status: 408 });
    } finally {
      await fast.close();
    }
  }, 20_000);

  it('a TCP target that refuses the connection ends with a 503', async () => {
    const silentPort = await allocPort();
    await expect(
      srf.createUAC(`sip:nobody@127.0.0.1:${silentPort};transport=tcp`, { localSdp: SDP_ANSWER }),
    ).rejects.toMatchObject({ status: 503 });
  });

  it('a TLS target is refused with the transport-not-available reason', async () => {
    await expect(srf.createUAC('sips:nobody@127.0.0.1:5061', { localSdp: SDP_ANSWER })).rejects.toThrow(
      /transport not available/,
    );
  });
});

describe.each<SippTransport>(['udp', 'tcp'])('srf B2BUA over %s', (transport) => {
  const caller = (scenario: string) =>
    runSipp({ scenario, remote: `127.0.0.1:${eut.sipPort}`, transport, timeoutMs: 15_000 });

  async function bridgeTo(scenario: string, opts: Record<string, unknown> = {}): Promise<SippServer> {
    const uas = await farEnd(scenario, transport);
    onInvite = async (req, res) => {
      try {
        const { uas: a, uac: b } = await srf.createB2BUA(req, res, uriOf(uas, transport), {
          localSdpB: req.body,
          ...opts,
        });
        a.on('destroy', () => void b.destroy());
        b.on('destroy', () => void a.destroy());
      } catch {
        // failures are passed to the caller by createB2BUA itself
      }
    };
    return uas;
  }

  it('bridges a call; provisionals relayed; the caller hangs up and B gets the BYE', async () => {
    const uas = await bridgeTo('uas-answer-200.xml');
    expectSippPass(await caller('uac-call-expect-200.xml'));
    expectSippPass(await uas.done);
  });

  it('B hangs up: A gets the BYE', async () => {
    const uas = await bridgeTo('uas-answer-then-bye.xml');
    expectSippPass(await caller('uac-call-remote-bye.xml'));
    expectSippPass(await uas.done);
  });

  it('CANCEL from A is propagated to B', async () => {
    const uas = await bridgeTo('uas-ring-forever.xml');
    expectSippPass(await caller('uac-cancel-while-ringing.xml'));
    expectSippPass(await uas.done);
  });

  it('a failure from B is passed through to A', async () => {
    const uas = await bridgeTo('uas-reject-486.xml');
    expectSippPass(await caller('uac-expect-486.xml'));
    expectSippPass(await uas.done);
  });

  it('passes a caller header through to B (proxyRequestHeaders), name case kept', async () => {
    const uas = await bridgeTo('uas-answer-expect-x-header.xml', { proxyRequestHeaders: ['X-Baton-Passed'] });
    expectSippPass(await caller('uac-call-with-x-header.xml'));
    expectSippPass(await uas.done);
  });

  it('reliable 183 on both legs: PRACK from A, PRACK to B', async () => {
    // As drachtio-srf's own PRACK case: copy all headers both ways, so B sees A's 100rel offer
    // and A gets B's Require: 100rel (which makes srf send the A-leg 183 reliably).
    const uas = await bridgeTo('uas-prack-183.xml', {
      proxyRequestHeaders: ['all'],
      proxyResponseHeaders: ['all'],
    });
    expectSippPass(await caller('uac-prack.xml'));
    expectSippPass(await uas.done);
  });
});
