/**
 * The cases of drachtio-srf's `test/b2b.js`, run with srf's own B2BUA app
 * (`test/scripts/b2b.js`, loaded in place and unmodified) on the embedded engine: an srf UAC
 * scenario calls in, the app bridges to an srf UAS scenario standing in for the `sipp-uas-*`
 * container the tape file dials.
 */
import { expect } from 'vitest';
import type Srf from 'drachtio-srf';
import type { EngineUnderTest } from '../support/engine-harness.js';
import type { SippServer, SippTransport } from '../support/sipp.js';
import { hangUp } from './srf-helpers.js';
import { launchB2bScriptApp, type SrfB2bScriptApp } from './srf-suite-apps.js';
import type { SrfRunId } from './srf-suite-map.js';
import {
  errorCollector,
  withAppAccount,
  expectCallerPass,
  farEndUri,
  receivedMessages,
  settleFarEnd,
  srfCaller,
  srfFarEnd,
  withEngine,
  type FarEndVerdict,
  type SrfRun,
} from './srf-suite-runs.js';

type B2bRunId = Extract<SrfRunId, `b2b-${string}`>;

interface Dialogs {
  uas: Srf.Dialog;
  uac: Srf.Dialog;
}

interface B2bCase {
  /** srf's UAS scenario for the B leg (the container the tape file dials). */
  farEnd: string;
  farEndVerdict?: FarEndVerdict;
  /** srf's UAC scenario for the A leg. */
  caller: string;
  /** Tell the script app what to do with the next INVITE, as the tape file does. */
  arm(app: SrfB2bScriptApp, bUri: string, far: SippServer, transport: SippTransport): void;
  /** Checks after both SIPp runs, beyond SIPp's own verdict. */
  check?(ctx: { callerMessages: string[] }): void;
}

/**
 * `{ responseHeaders: { Contact: 'sip:foo@localhost' } }`, as several tape cases pass it; a
 * fresh object per call, since createB2BUA writes into its options.
 */
function fooContact(): object {
  return { responseHeaders: { Contact: 'sip:foo@localhost' } };
}

async function runB2bCase(c: B2bCase, transport: SippTransport): Promise<void> {
  await withEngine(async (eut: EngineUnderTest) => {
    const far = await srfFarEnd(c.farEnd, transport);
    const { app, ready } = launchB2bScriptApp(eut);
    const appErrors = errorCollector();
    const events: string[] = [];
    app.on('error', appErrors.push);
    // As the tape file's first B2B instance: when A hangs up, hang up B, so the far end can finish.
    app.on('connected', ({ uas, uac }: Dialogs) => {
      events.push('connected');
      const hangUpB = (): void => void hangUp(uac).then(() => events.push('B hung up'), appErrors.push);
      // A's BYE may reach srf in the same read as the reply that resolves createB2BUA, and so
      // before this listener exists; the dialog then already says it is over.
      if (!(uas as Srf.Dialog & { connected: boolean }).connected) {
        events.push('A hung up before connected');
        hangUpB();
        return;
      }
      uas.on('destroy', () => {
        events.push('A hung up');
        hangUpB();
      });
    });
    try {
      c.arm(app, farEndUri(far, transport), far, transport);
      await ready;
      const a = await srfCaller(eut, c.caller, transport);
      await expectCallerPass(a, far);
      await settleFarEnd(far, c.farEndVerdict ?? 'completes');
      c.check?.({ callerMessages: receivedMessages(a.messages) });
      expect(appErrors.errors).toEqual([]);
    } catch (err) {
      throw withAppAccount(err, events, appErrors.errors);
    } finally {
      app.disconnect();
      await far.stop();
    }
  });
}

/** The first received message that starts with `startLine`. */
function received(messages: string[], startLine: RegExp): string {
  const found = messages.find((m) => startLine.test(m.trimStart()));
  if (found === undefined) throw new Error(`no received message matching ${startLine}`);
  return found;
}

const B2B_CASES: Record<
  Exclude<B2bRunId, 'b2b-late-sdp' | 'b2b-tag-on-200' | 'b2b-3pcc-uas-failure'>,
  B2bCase
> = {
  'b2b-prack': {
    farEnd: 'uas-prack.xml',
    caller: 'uac-prack.xml',
    arm: (app, uri) =>
      app.expectSuccess(uri, {
        proxyResponseHeaders: ['all'],
        responseHeaders: { Contact: 'sip:foo@localhost' },
      }),
  },
  'b2b-200-from-b': {
    farEnd: 'uas.xml',
    caller: 'uac.xml',
    arm: (app, uri) => app.expectSuccess(uri, fooContact()),
  },
  'b2b-cancel-from-a': {
    farEnd: 'uas-cancel.xml',
    caller: 'uac-cancel.xml',
    arm: (app, uri) => app.expectCancel(uri),
  },
  'b2b-pass-failure': {
    farEnd: 'uas-404.xml',
    caller: 'uac-expect-404.xml',
    arm: (app, uri) => app.expectFailure(uri, 404),
  },
  'b2b-replace-failure': {
    farEnd: 'uas-404.xml',
    caller: 'uac-expect-480.xml',
    arm: (app, uri) => app.expectFailure(uri, 404, 480),
  },
  'b2b-pass-headers': {
    farEnd: 'uas.xml',
    caller: 'uac.xml',
    arm: (app, uri) => app.passHeaders(uri),
  },
  'b2b-no-contact-in-request': {
    // The engine rejects the Contact-less INVITE itself (400); the app and B are never reached.
    farEnd: 'uas-404.xml',
    farEndVerdict: 'unchecked',
    caller: 'uac-expect-400-no-contact-header.xml',
    arm: (app, uri) => app.expectFailure(uri, 404, 400),
  },
  'b2b-no-contact-in-response': {
    // B's 200 has no Contact: createB2BUA must fail with 500 and the app answers A 480. What
    // the far end then gets (ACK/BYE or nothing) is not part of srf's case, so it is stopped.
    farEnd: 'uas-200-ok-no-contact-cancel.xml',
    farEndVerdict: 'unchecked',
    caller: 'uac-expect-480.xml',
    // The tape file dials this one without a scheme: 'sipp-uas-200-ok-no-contact-cancel'.
    arm: (app, _uri, far, transport) => app.expectFailure(farEndUri(far, transport, ''), 500, 480),
  },
  'b2b-response-headers-object': {
    farEnd: 'uas.xml',
    caller: 'uac-success-green.xml',
    arm: (app, uri) => app.passHeadersOnResponse(uri, { 'X-Color': 'green' }),
  },
  'b2b-response-headers-function': {
    farEnd: 'uas.xml',
    caller: 'uac-success-green.xml',
    arm: (app, uri) => app.passHeadersOnResponse(uri, () => ({ 'X-Color': 'green' })),
  },
  'b2b-display-name': {
    farEnd: 'uas.xml',
    caller: 'uac-displayname-from.xml',
    arm: (app, uri) => app.passHeaders(uri),
  },
  'b2b-sdp-a-promise': {
    farEnd: 'uas.xml',
    caller: 'uac.xml',
    arm: (app, uri) => app.sdpAsPromise(uri),
  },
  'b2b-sdp-a-string': {
    farEnd: 'uas.xml',
    caller: 'uac.xml',
    arm: (app, uri) => app.sdpAsFunctionReturningString(uri),
  },
  'b2b-uri-in-opts': {
    farEnd: 'uas.xml',
    caller: 'uac.xml',
    arm: (app, uri) => app.uriInOpts(uri),
  },
  'b2b-fast-reinvite-from-b': {
    farEnd: 'uas-reinvite.xml',
    caller: 'uac-delayed-ack.xml',
    arm: (app, uri) => app.immediateReinviteFromB(uri),
  },
};

/** Late SDP: srf's tape also asserts `uas.remote.sdp` holds the SDP A sent in its ACK. */
const lateSdp: SrfRun = async (transport) => {
  let uasRemoteSdp: string | undefined;
  await runB2bCase(
    {
      farEnd: 'uas.xml',
      caller: 'uac-nosdp.xml',
      arm: (app, uri) => {
        app.once('connected', ({ uas }: Dialogs) => (uasRemoteSdp = uas.remote.sdp));
        app.expectSuccess(uri, fooContact());
      },
    },
    transport,
  );
  expect(uasRemoteSdp).toMatch(/m=audio/);
};

/** srf's tape sets A's To tag from B's Call-ID; the caller's 200 must carry exactly that tag. */
const tagOn200: SrfRun = async (transport) => {
  let bCallId: string | undefined;
  await runB2bCase(
    {
      farEnd: 'uas.xml',
      caller: 'uac.xml',
      arm: (app, uri) =>
        app.expectSuccess(uri, {
          responseHeaders: (uacResponse: Srf.SrfResponse) => {
            bCallId = uacResponse.get('Call-ID');
            return { To: `tag=${bCallId}` };
          },
        }),
      check: ({ callerMessages }) => {
        const ok = received(callerMessages, /^SIP\/2\.0 200/);
        expect(bCallId).toBeTruthy();
        expect(ok).toMatch(new RegExp(`^To:.*;tag=${escapeRegExp(bCallId ?? '')}\\s*$`, 'mi'));
      },
    },
    transport,
  );
};

/**
 * srf's 3pcc regression case: A offers no SDP, B answers, then the app's `localSdpA` throws.
 * createB2BUA must reject cleanly (no `uac.destroy is not a function` escaping as an unhandled
 * rejection) and tear down B with ACK + BYE, which uas.xml requires to finish.
 */
const threePccUasFailure: SrfRun = async (transport) => {
  await withEngine(async (eut) => {
    const far = await srfFarEnd('uas.xml', transport);
    const { app, ready } = launchB2bScriptApp(eut);
    const appErrors = errorCollector();
    const failures = errorCollector();
    app.on('error', appErrors.push);
    app.on('failed', failures.push);
    try {
      app.expect3pccUasFailure(farEndUri(far, transport));
      await ready;
      // The tape does not judge A (it swallows its exit code); A does expect the app's 480.
      await expectCallerPass(await srfCaller(eut, 'uac-3pcc-nosdp.xml', transport), far);
      await settleFarEnd(far, 'completes');
      expect(appErrors.errors).toEqual([]);
      expect(failures.errors).toHaveLength(1);
    } finally {
      app.disconnect();
      await far.stop();
    }
  });
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const B2B_RUNS: Record<B2bRunId, SrfRun> = {
  ...(Object.fromEntries(
    Object.entries(B2B_CASES).map(([id, c]) => [id, (t: SippTransport) => runB2bCase(c, t)]),
  ) as Record<keyof typeof B2B_CASES, SrfRun>),
  'b2b-late-sdp': lateSdp,
  'b2b-tag-on-200': tagOn200,
  'b2b-3pcc-uas-failure': threePccUasFailure,
};

/** Time a whole B2B run may take: SIPp calls of a few seconds plus uas.xml's 4 s timewait. */
export const B2B_RUN_TIMEOUT_MS = 30_000;
