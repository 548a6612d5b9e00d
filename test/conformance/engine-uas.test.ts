/**
 * drachtio-srf as a UAS on the embedded engine: SIPp callers → engine → an unmodified srf app,
 * over UDP and TCP. Each test sets what the app does with the next request; SIPp's exit code
 * (and its ereg checks on what it received) is the verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Srf from 'drachtio-srf';
import { connectApp, startEngine, type EngineUnderTest } from '../support/engine-harness.js';
import { expectSippPass, runSipp, type SippTransport } from '../support/sipp.js';
import { SDP_ANSWER, deferred, holdAnswer, waitFor, withTimeout } from './srf-helpers.js';
import { dialogRequest } from './srf-helpers.js';

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void | Promise<void>;

let eut: EngineUnderTest;
let srf: Srf;
let onInvite: Handler = () => undefined;
let onOptions: Handler = (_req, res) => res.send(200);

beforeAll(async () => {
  eut = await startEngine();
  srf = await connectApp(eut);
  srf.invite((req, res) => void onInvite(req, res));
  // srf.options exists in drachtio-srf's JavaScript but not in its shipped typings.
  (srf as unknown as { options(h: Handler): void }).options((req, res) => void onOptions(req, res));
});

afterAll(async () => {
  await eut?.close();
});

/** createUAS with our SDP answer; resolves with the dialog. */
async function answer(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<Srf.Dialog> {
  return srf.createUAS(req, res, { localSdp: SDP_ANSWER });
}

describe.each<SippTransport>(['udp', 'tcp'])('srf UAS over %s', (transport) => {
  const caller = (scenario: string) =>
    runSipp({ scenario, remote: `127.0.0.1:${eut.sipPort}`, transport, timeoutMs: 15_000 });

  it('answers a call with createUAS; the caller hangs up and the app sees destroy', async () => {
    const destroyed = deferred();
    onInvite = async (req, res) => {
      const dlg = await answer(req, res);
      dlg.on('destroy', () => destroyed.resolve());
    };
    expectSippPass(await caller('uac-call-expect-200.xml'));
    await withTimeout(destroyed.promise, 3000, 'dialog destroy');
  });

  it('hangs up from the app side (dialog.destroy → BYE to the caller)', async () => {
    onInvite = async (req, res) => {
      const dlg = await answer(req, res);
      setTimeout(() => void dlg.destroy(), 150);
    };
    expectSippPass(await caller('uac-call-remote-bye.xml'));
  });

  it('rejects with 486 (res.send)', async () => {
    onInvite = (_req, res) => res.send(486);
    expectSippPass(await caller('uac-expect-486.xml'));
  });

  it('rejects with 404 and the caller ACKs (ACK absorbed by the stack)', async () => {
    onInvite = (_req, res) => res.send(404);
    expectSippPass(await caller('uac-expect-404.xml'));
  });

  it('answers OPTIONS', async () => {
    onOptions = (_req, res) => res.send(200);
    expectSippPass(await caller('uac-options-expect-200.xml'));
  });

  it('the caller CANCELs while ringing: 200 + 487 from the stack, cancel event in the app', async () => {
    const cancelled = deferred();
    onInvite = (req, res) => {
      req.on('cancel', () => cancelled.resolve());
      res.send(180);
    };
    expectSippPass(await caller('uac-cancel-while-ringing.xml'));
    await withTimeout(cancelled.promise, 3000, 'cancel event');
  });

  it('accepts a re-INVITE (hold) from the caller via the dialog modify event', async () => {
    const modified = deferred();
    onInvite = async (req, res) => {
      const dlg = await answer(req, res);
      dlg.on('modify', (mreq: Srf.SrfRequest, mres: Srf.SrfResponse) => {
        expect(mreq.body).toMatch(/a=sendonly|a=inactive/);
        mres.send(200, { body: holdAnswer() });
        modified.resolve();
      });
    };
    expectSippPass(await caller('uac-call-reinvite.xml'));
    await withTimeout(modified.promise, 3000, 'modify event');
  });

  it('sends a re-INVITE to the caller (dialog.modify)', async () => {
    onInvite = async (req, res) => {
      const dlg = await answer(req, res);
      setTimeout(() => void dlg.modify(SDP_ANSWER), 100);
    };
    expectSippPass(await caller('uac-call-expect-reinvite.xml'));
  });

  it('receives INFO in the dialog', async () => {
    const info = deferred<string>();
    onInvite = async (req, res) => {
      const dlg = await answer(req, res);
      dlg.on('info', (ireq: Srf.SrfRequest, ires: Srf.SrfResponse) => {
        ires.send(200);
        info.resolve(ireq.body);
      });
    };
    expectSippPass(await caller('uac-call-send-info.xml'));
    expect(await withTimeout(info.promise, 3000, 'info')).toContain('Signal=5');
  });

  it('sends INFO in the dialog', async () => {
    onInvite = async (req, res) => {
      const dlg = await answer(req, res);
      setTimeout(() => {
        void dialogRequest(dlg, {
          method: 'INFO',
          headers: { 'Content-Type': 'application/dtmf-relay' },
          body: 'Signal=5\r\nDuration=160\r\n',
        });
      }, 100);
    };
    expectSippPass(await caller('uac-call-expect-info.xml'));
  });

  it('sends REFER and follows the NOTIFY sipfrag progress (RFC 3515)', async () => {
    const notifies: string[] = [];
    const referStatus = deferred<number>();
    onInvite = async (req, res) => {
      const dlg = await answer(req, res);
      dlg.on('notify', (nreq: Srf.SrfRequest, nres: Srf.SrfResponse) => {
        nres.send(200);
        notifies.push(nreq.body);
      });
      setTimeout(() => {
        dialogRequest(dlg, { method: 'REFER', headers: { 'Refer-To': '<sip:human@127.0.0.1>' } }).then(
          (r: Srf.SrfResponse) => referStatus.resolve(r.status),
          referStatus.reject,
        );
      }, 100);
    };
    expectSippPass(await caller('uac-call-expect-refer.xml'));
    expect(await withTimeout(referStatus.promise, 3000, 'REFER response')).toBe(202);
    await waitFor(() => notifies.length >= 2, 3000, 'two NOTIFYs');
    expect(notifies[0]).toContain('SIP/2.0 100');
    expect(notifies[notifies.length - 1]).toContain('SIP/2.0 200');
  });

  it('receives REFER from the caller and answers 202 + NOTIFYs', async () => {
    const referTo = deferred<string>();
    onInvite = async (req, res) => {
      const dlg = await answer(req, res);
      dlg.on('refer', (rreq: Srf.SrfRequest, rres: Srf.SrfResponse) => {
        rres.send(202);
        referTo.resolve(rreq.get('Refer-To'));
        const notify = (frag: string, state: string): Promise<unknown> =>
          dialogRequest(dlg, {
            method: 'NOTIFY',
            headers: {
              Event: 'refer',
              'Subscription-State': state,
              'Content-Type': 'message/sipfrag;version=2.0',
            },
            body: `${frag}\r\n`,
          });
        void notify('SIP/2.0 100 Trying', 'active;expires=60').then(() =>
          notify('SIP/2.0 200 OK', 'terminated;reason=noresource'),
        );
      });
    };
    expectSippPass(await caller('uac-call-send-refer.xml'));
    expect(await withTimeout(referTo.promise, 3000, 'refer')).toContain('transfer-target');
  });

  it('handles a late offer: 200 carries the offer, the ACK the answer', async () => {
    const ack = deferred<string>();
    onInvite = async (req, res) => {
      expect(req.body ?? '').toBe('');
      const dlg = await srf.createUAS(req, res, { localSdp: SDP_ANSWER });
      // srf resolves createUAS on the 200; the ACK (with the answer) follows as the 'ack' event.
      (dlg as unknown as NodeJS.EventEmitter).once('ack', (ackReq: Srf.SrfRequest) =>
        ack.resolve(ackReq.body),
      );
    };
    expectSippPass(await caller('uac-late-offer.xml'));
    expect(await withTimeout(ack.promise, 3000, 'ACK with answer')).toContain('m=audio');
  });

  it('tolerates a delayed ACK (200 retransmitted until the ACK arrives)', async () => {
    onInvite = async (req, res) => {
      await answer(req, res);
    };
    expectSippPass(await caller('uac-delayed-ack.xml'));
  });
});

describe('srf UAS without an app routing INVITE', () => {
  it('answers 503 when no app routed the method', async () => {
    const lone = await startEngine();
    try {
      expectSippPass(
        await runSipp({
          scenario: 'uac-expect-503.xml',
          remote: `127.0.0.1:${lone.sipPort}`,
          timeoutMs: 10_000,
        }),
      );
    } finally {
      await lone.close();
    }
  });
});

describe('ACK timeout (Timer H = 64·T1)', () => {
  it.each<SippTransport>(['udp', 'tcp'])(
    'over %s: no ACK for the 200 → the engine BYEs the caller and srf sees destroy',
    async (transport) => {
      // T1 = 50 ms puts Timer H at 3.2 s instead of 32 s.
      const fast = await startEngine({ t1: 50 });
      try {
        const app = await connectApp(fast);
        const destroyed = deferred<string>();
        app.invite((req, res) => {
          void app
            .createUAS(req, res, { localSdp: SDP_ANSWER })
            .then((dlg: Srf.Dialog) =>
              dlg.on('destroy', (msg: Srf.SrfRequest | undefined, reason?: string) =>
                destroyed.resolve(reason ?? msg?.get('Reason') ?? ''),
              ),
            );
        });
        const result = await runSipp({
          scenario: 'uac-call-no-ack.xml',
          remote: `127.0.0.1:${fast.sipPort}`,
          transport,
          timeoutMs: 15_000,
        });
        expectSippPass(result);
        await withTimeout(destroyed.promise, 5000, 'destroy after ACK timeout');
      } finally {
        await fast.close();
      }
    },
    30_000,
  );
});
