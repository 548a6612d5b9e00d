/**
 * Several srf apps on one engine, an app going away mid-call, and SIP over IPv6 loopback.
 */
import { describe, expect, it } from 'vitest';
import type Srf from 'drachtio-srf';
import { connectApp, startEngine } from '../support/engine-harness.js';
import { expectSippPass, runSipp, type SippTransport } from '../support/sipp.js';
import { SDP_ANSWER, waitFor } from './srf-helpers.js';

describe('apps connecting and leaving', () => {
  it('new calls are shared round-robin between two apps that routed INVITE', async () => {
    const eut = await startEngine();
    try {
      const seen = [0, 0];
      for (const i of [0, 1]) {
        const app = await connectApp(eut);
        app.invite((_req, res) => {
          seen[i]! += 1;
          res.send(486);
        });
      }
      for (let n = 0; n < 4; n++) {
        expectSippPass(await runSipp({ scenario: 'uac-expect-486.xml', remote: `127.0.0.1:${eut.sipPort}` }));
      }
      expect(seen).toEqual([2, 2]);
    } finally {
      await eut.close();
    }
  });

  it('an app that disconnects mid-call: the engine BYEs the caller, and new calls get 503', async () => {
    const eut = await startEngine();
    try {
      const app = await connectApp(eut);
      app.invite((req, res) => {
        void app
          .createUAS(req, res, { localSdp: SDP_ANSWER })
          .then(() => setTimeout(() => app.disconnect(), 100));
      });
      expectSippPass(
        await runSipp({ scenario: 'uac-call-remote-bye.xml', remote: `127.0.0.1:${eut.sipPort}` }),
      );
      expectSippPass(await runSipp({ scenario: 'uac-expect-503.xml', remote: `127.0.0.1:${eut.sipPort}` }));
      expect(eut.engine.core.stats().dialogs).toBe(0);
    } finally {
      await eut.close();
    }
  });
});

describe('CDRs', () => {
  it('an app that routes cdr:* events gets attempt, start and stop for an answered call', async () => {
    const eut = await startEngine();
    try {
      const callApp = await connectApp(eut);
      callApp.invite(
        (req: Srf.SrfRequest, res: Srf.SrfResponse) =>
          void callApp.createUAS(req, res, { localSdp: SDP_ANSWER }),
      );
      const cdrApp = await connectApp(eut);
      const events: string[] = [];
      // srf registers a `route|cdr:<event>` with the server for each cdr handler.
      const on = cdrApp.on.bind(cdrApp) as unknown as (
        event: string,
        fn: (...args: unknown[]) => void,
      ) => void;
      on('cdr:attempt', (source) => events.push(`attempt:${String(source)}`));
      on('cdr:start', (source, _time, role) => events.push(`start:${String(source)}:${String(role)}`));
      on('cdr:stop', (source, _time, reason) => events.push(`stop:${String(source)}:${String(reason)}`));
      await new Promise((r) => setTimeout(r, 50));
      expectSippPass(
        await runSipp({ scenario: 'uac-call-expect-200.xml', remote: `127.0.0.1:${eut.sipPort}` }),
      );
      await waitFor(() => events.length >= 3, 3000, 'three CDR events');
      expect(events).toEqual(['attempt:network', 'start:network:uas', 'stop:network:normal-release']);
    } finally {
      await eut.close();
    }
  });
});

describe.each<SippTransport>(['udp', 'tcp'])('SIP over IPv6 loopback (%s)', (transport) => {
  it('a call from [::1] is answered by an srf app and hung up', async () => {
    const eut = await startEngine({ host: '::1' });
    try {
      const app = await connectApp(eut);
      app.invite(
        (req: Srf.SrfRequest, res: Srf.SrfResponse) => void app.createUAS(req, res, { localSdp: SDP_ANSWER }),
      );
      expectSippPass(
        await runSipp({
          scenario: 'uac-call-expect-200.xml',
          remote: `[::1]:${eut.sipPort}`,
          localIp: '::1',
          transport,
          timeoutMs: 10_000,
        }),
      );
    } finally {
      await eut.close();
    }
  });
});
