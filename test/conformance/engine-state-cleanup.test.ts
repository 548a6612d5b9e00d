/**
 * The engine forgets every call once its timers have run: no dialog, no app-facing
 * transaction and no SIP transaction outlives the calls (checked after 64·T1 with T1 = 20 ms).
 */
import { describe, expect, it } from 'vitest';
import type Srf from 'drachtio-srf';
import { connectApp, startEngine } from '../support/engine-harness.js';
import { expectSippPass, runSipp, startSippServer } from '../support/sipp.js';
import { SDP_ANSWER, waitFor } from './srf-helpers.js';

const CALLS = 100;

describe('engine state after many calls', () => {
  it('UAS calls answered by srf and hung up by the caller leave nothing behind', async () => {
    const eut = await startEngine({ t1: 20 });
    try {
      const app = await connectApp(eut);
      app.invite(
        (req: Srf.SrfRequest, res: Srf.SrfResponse) => void app.createUAS(req, res, { localSdp: SDP_ANSWER }),
      );
      expectSippPass(
        await runSipp({
          scenario: 'uac-call-expect-200.xml',
          remote: `127.0.0.1:${eut.sipPort}`,
          calls: CALLS,
          rate: 100,
          callDurationMs: 10,
          timeoutMs: 20_000,
        }),
      );
      await waitFor(() => eut.engine.transactionCounts().server === 0, 5000, 'server transactions to end');
      expect(eut.engine.core.stats()).toEqual({ dialogs: 0, serverEntries: 0, clientEntries: 0 });
      expect(eut.engine.transactionCounts()).toEqual({ client: 0, server: 0 });
    } finally {
      await eut.close();
    }
  });

  it('B2BUA calls (srf createB2BUA to a SIPp far end) leave nothing behind', async () => {
    const eut = await startEngine({ t1: 20 });
    const far = await startSippServer({ scenario: 'uas-answer-200.xml', calls: CALLS, timeoutMs: 20_000 });
    try {
      const app = await connectApp(eut);
      app.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
        app.createB2BUA(req, res, `sip:far-end@${far.address}`, { localSdpB: req.body }).then(
          ({ uas: a, uac: b }: { uas: Srf.Dialog; uac: Srf.Dialog }) => {
            a.on('destroy', () => b.destroy());
            b.on('destroy', () => a.destroy());
          },
          () => undefined,
        );
      });
      expectSippPass(
        await runSipp({
          scenario: 'uac-call-expect-200.xml',
          remote: `127.0.0.1:${eut.sipPort}`,
          calls: CALLS,
          rate: 100,
          callDurationMs: 10,
          timeoutMs: 20_000,
        }),
      );
      expectSippPass(await far.done);
      await waitFor(
        () => eut.engine.transactionCounts().client + eut.engine.transactionCounts().server === 0,
        5000,
        'transactions to end',
      );
      expect(eut.engine.core.stats()).toEqual({ dialogs: 0, serverEntries: 0, clientEntries: 0 });
    } finally {
      await far.stop();
      await eut.close();
    }
  });
});
