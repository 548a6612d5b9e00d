/**
 * The cases of drachtio-srf's `test/uas.js`, `test/reinvite-tests.js` and `test/refer.js` on the
 * embedded engine. The UAS cases use srf's own app (`test/scripts/uas.js`, in place); the REFER
 * case loads `test/scripts/refer-uas.js` in place on a second engine (srf's `drachtio-uas`) and
 * repeats `test/scripts/refer-b2b.js` inline, because that script dials the fixed testbed
 * address 172.29.0.19 where the second engine stands in on a loopback port.
 */
import type { EventEmitter } from 'node:events';
import { expect } from 'vitest';
import type Srf from 'drachtio-srf';
import { expectSippPass, type SippTransport } from '../support/sipp.js';
import { deferred, dialogRequest, waitFor, withTimeout } from './srf-helpers.js';
import { launchReferUasScript, launchUasScriptApp, type SrfUasScriptApp } from './srf-suite-apps.js';
import type { SrfRunId } from './srf-suite-map.js';
import { errorCollector, inlineApp, srfCaller, withEngine, type SrfRun } from './srf-suite-runs.js';

type UasRunId = Extract<SrfRunId, `uas-${string}` | 'reinvite-fnack' | 'refer-attended-transfer'>;

/** T1 for the ACK-timeout case: the dialog dies after 64·T1 = 3.2 s instead of srf's 32 s. */
const FAST_T1_MS = 50;

interface UasCase {
  caller: string;
  t1?: number;
  /** Set the script app up for the next request; may return a check to run after the caller. */
  arm(app: SrfUasScriptApp): (() => Promise<void>) | void;
}

async function runUasCase(c: UasCase, transport: SippTransport): Promise<void> {
  await withEngine(
    async (eut) => {
      const { app, ready } = launchUasScriptApp(eut);
      const appErrors = errorCollector();
      app.on('error', appErrors.push);
      try {
        const after = c.arm(app);
        await ready;
        expectSippPass(await srfCaller(eut, c.caller, transport));
        await after?.();
        expect(appErrors.errors).toEqual([]);
      } finally {
        app.disconnect();
      }
    },
    { t1: c.t1 },
  );
}

/** The script app emitted `connected` (createUAS resolved). */
function expectConnected(app: SrfUasScriptApp): () => Promise<void> {
  let connected = false;
  app.once('connected', () => (connected = true));
  return async () => {
    await waitFor(() => connected, 3000, 'createUAS to resolve');
  };
}

interface SubscriptionDialog extends Srf.Dialog {
  getCountOfSubscriptions(): number;
}

const UAS_CASES: Record<Exclude<UasRunId, 'reinvite-fnack' | 'refer-attended-transfer'>, UasCase> = {
  'uas-reject-503': {
    caller: 'uac-expect-503.xml',
    arm: (app) => void app.reject(503),
  },
  'uas-promise': {
    caller: 'uac.xml',
    arm: (app) => expectConnected(app.accept()),
  },
  'uas-callback': {
    caller: 'uac.xml',
    arm: (app) => void app.acceptCb(),
  },
  'uas-body-alias': {
    caller: 'uac.xml',
    arm: (app) => expectConnected(app.accept(null, true)),
  },
  'uas-ack-timeout': {
    // The caller drops every 200 and never ACKs: after Timer H the engine BYEs the caller and
    // srf destroys the dialog with reason 'ACK timeout'.
    caller: 'uac-drop-all-200.xml',
    t1: FAST_T1_MS,
    arm: (app) => {
      const connected = deferred<Srf.Dialog>();
      const destroyed = deferred<string>();
      app.accept().once('connected', (dlg: Srf.Dialog) => {
        connected.resolve(dlg);
        // srf emits destroy(msg, reason); its typings declare only the message.
        const events = dlg as unknown as EventEmitter;
        events.on('destroy', (_msg: unknown, reason: string) => destroyed.resolve(reason));
      });
      return async () => {
        await withTimeout(connected.promise, 3000, 'uas dialog created when 200 OK sent');
        expect(await withTimeout(destroyed.promise, 3000, 'uas dialog destroyed')).toBe('ACK timeout');
      };
    },
  },
  'uas-subscribe': {
    // As the tape file: on the new subscription dialog, NOTIFY active then terminated; the
    // terminated NOTIFY ends the subscription and with it the dialog's count.
    caller: 'uac-subscribe.xml',
    arm: (app) => {
      const counts = deferred<[number, number]>();
      app.acceptSubscribe().once('connected', (dlg: SubscriptionDialog) => {
        const before = dlg.getCountOfSubscriptions();
        const notify = (state: string) =>
          dialogRequest(dlg, {
            method: 'NOTIFY',
            headers: { Event: 'presence', 'Subscription-State': state },
          });
        notify('active')
          .then(() => notify('terminated'))
          .then(() => counts.resolve([before, dlg.getCountOfSubscriptions()]), counts.reject);
      });
      return async () => {
        const [before, after] = await withTimeout(counts.promise, 3000, 'NOTIFYs');
        expect(before, 'creates a dialog on successful SUBSCRIBE').toBe(1);
        expect(after, 'dialog destroyed on terminated subscription').toBe(0);
      };
    },
  },
};

/** reinvite-tests.js: a re-INVITE without SDP; `res.send(200, {body}, cb, fnAck)` sees the ACK. */
const reinviteFnAck: SrfRun = async (transport) => {
  await withEngine(async (eut) => {
    const { app, ready } = launchUasScriptApp(eut);
    try {
      const acked = app.handleReinviteScenario();
      await ready;
      expectSippPass(await srfCaller(eut, 'uac-send-reinvite-no-sdp.xml', transport));
      await withTimeout(acked, 3000, 'fnAck for the re-INVITE 200');
    } finally {
      app.disconnect();
    }
  });
};

/**
 * refer.js: attended transfer. Two callers reach the B2BUA (engine 1), which bridges each to
 * refer-uas.js (engine 2). refer-uas REFERs the second call with `Replaces` naming the first;
 * the B2BUA finds that dialog by Call-ID and From tag and re-INVITEs both callers to each other.
 */
const referAttendedTransfer: SrfRun = async (transport) => {
  await withEngine(async (sut) => {
    await withEngine(async (second) => {
      const uasScript = launchReferUasScript(second);
      const b2bErrors = errorCollector();
      try {
        const b2b = await inlineApp(sut);
        armReferB2b(
          b2b,
          `sip:127.0.0.1:${second.sipPort}${transport === 'tcp' ? ';transport=tcp' : ''}`,
          b2bErrors.push,
        );
        await uasScript.ready;
        const [first, secondCall] = await Promise.all([
          srfCaller(sut, 'uac-recv-reinvite.xml', transport),
          srfCaller(sut, 'uac-recv-reinvite.xml', transport),
        ]);
        expectSippPass(first, secondCall);
        expect(b2bErrors.errors).toEqual([]);
      } finally {
        uasScript.app.disconnect();
      }
    });
  });
};

/** srf's test/scripts/refer-b2b.js, with its B-leg target (172.29.0.19) as a parameter. */
function armReferB2b(srf: Srf, target: string, onError: (err: unknown) => void): void {
  srf.invite((req, res) => {
    void (async () => {
      const { uas, uac } = await srf.createB2BUA(req, res, target, {});
      uac.on('refer', (refer: Srf.SrfRequest, referRes: Srf.SrfResponse) => {
        void (async () => {
          referRes.send(202);
          const referTo = decodeURIComponent(refer.get('Refer-To'));
          const match = /\?Replaces=(.*);from-tag=(.*);to-tag=(.*)/.exec(referTo);
          if (!match) throw new Error(`Refer-To without Replaces: ${referTo}`);
          const [, callId, fromTag] = match;
          const transferee = findDialog(srf, callId!, fromTag!);
          const other = transferee?.other;
          if (!other) throw new Error(`no B2BUA dialog for Call-ID ${callId} from-tag ${fromTag}`);
          await other.modify(uas.remote.sdp);
          await uas.modify(other.remote.sdp);
          void uas.destroy();
          void other.destroy();
        })().catch(onError);
      });
    })().catch(onError);
  });
}

/** `srf.findDialogByCallIDAndFromTag`, which srf's typings omit; `other` is set by createB2BUA. */
function findDialog(
  srf: Srf,
  callId: string,
  fromTag: string,
): (Srf.Dialog & { other?: Srf.Dialog }) | undefined {
  const api = srf as unknown as {
    findDialogByCallIDAndFromTag(
      callId: string,
      tag: string,
    ): (Srf.Dialog & { other?: Srf.Dialog }) | undefined;
  };
  return api.findDialogByCallIDAndFromTag(callId, fromTag);
}

export const UAS_RUNS: Record<UasRunId, SrfRun> = {
  ...(Object.fromEntries(
    Object.entries(UAS_CASES).map(([id, c]) => [id, (t: SippTransport) => runUasCase(c, t)]),
  ) as Record<keyof typeof UAS_CASES, SrfRun>),
  'reinvite-fnack': reinviteFnAck,
  'refer-attended-transfer': referAttendedTransfer,
};
