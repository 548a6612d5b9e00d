/**
 * The cases of drachtio-srf's `test/uac.js` on the embedded engine. That tape file has no app
 * script of its own (its app logic is inline), so each run below repeats that logic, case by
 * case, against srf's UAS scenario standing in for the container the tape file dials
 * (`sip:sipp-uas-*`, `sip:172.29.0.x`). Where the tape file leaves the call up, the run hangs
 * up so the far end can reach the end of its script.
 */
import { expect } from 'vitest';
import type Srf from 'drachtio-srf';
import type { SippServer, SippTransport } from '../support/sipp.js';
import { hangUp, withTimeout } from './srf-helpers.js';
import type { SrfRunId } from './srf-suite-map.js';
import {
  asError,
  farEndUri,
  inlineApp,
  receivedMessages,
  settleFarEnd,
  srfFarEnd,
  withEngine,
  type FarEndVerdict,
  type SrfRun,
} from './srf-suite-runs.js';

type UacRunId = Extract<SrfRunId, `uac-${string}` | `request-${string}`>;

/** The credentials srf's UAS scenarios verify (`<verifyauth username="foo" password="bar">`). */
const AUTH = { username: 'foo', password: 'bar' };

/** From/To of the tape file's requests; a fresh object each time, as srf adds to it. */
function tapeHeaders(): Record<string, string> {
  return { To: 'sip:dhorton@sip.drachtio.org', From: 'sip:dhorton@sip.drachtio.org' };
}

/** createUAC as srf implements it; its typings lack `callingNumber`, `auth` on this path and the callback form. */
type CreateUac = (
  uri: string,
  opts: object,
  progress?: object | ((err: unknown, req: unknown) => void),
  cb?: (err: unknown, dlg: Srf.Dialog) => void,
) => Promise<Srf.Dialog>;
type SrfRequestApi = (
  uriOrOpts: string | object,
  opts?: object | ((err: unknown, req: Srf.SrfRequest) => void),
  cb?: (err: unknown, req: Srf.SrfRequest) => void,
) => Promise<Srf.SrfRequest> | undefined;

/** The offer of the tape file's UPDATE case. */
const TAPE_UPDATE_SDP = [
  'v=0',
  'o=- 1608559736530 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 49170 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

function createUac(srf: Srf): CreateUac {
  return srf.createUAC.bind(srf) as unknown as CreateUac;
}

function requestApi(srf: Srf): SrfRequestApi {
  return srf.request.bind(srf) as unknown as SrfRequestApi;
}

interface UacCase {
  farEnd: string;
  farEndVerdict?: FarEndVerdict;
  body(srf: Srf, uri: string): Promise<void>;
  check?(far: { messages: string[] }): void;
}

async function runUacCase(c: UacCase, transport: SippTransport): Promise<void> {
  await withEngine(async (eut) => {
    const far: SippServer = await srfFarEnd(c.farEnd, transport);
    try {
      const srf = await inlineApp(eut);
      await c.body(srf, farEndUri(far, transport));
      const result = await settleFarEnd(far, c.farEndVerdict ?? 'completes');
      c.check?.({ messages: receivedMessages(result.messages) });
    } finally {
      await far.stop();
    }
  });
}

/** createUAC (INVITE with the tape's From/To), then BYE. */
async function callAndHangUp(srf: Srf, uri: string, opts: object = {}): Promise<Srf.Dialog> {
  const dlg = await createUac(srf)(uri, { method: 'INVITE', headers: tapeHeaders(), ...opts });
  await hangUp(dlg);
  return dlg;
}

/** The tape file's REGISTER with digest credentials; resolves with the final status. */
function registerOpts(): { method: string; headers: Record<string, string>; auth: typeof AUTH } {
  return {
    method: 'REGISTER',
    headers: { ...tapeHeaders(), Contact: '<sip:dhorton@localhost>;expires=3600' },
    auth: AUTH,
  };
}

/** The tape file's callback form: `srf.request(uri, opts, (err, req) => …)`. */
function registerWithCallback(srf: Srf, uri: string): Promise<Srf.SrfRequest> {
  return new Promise((resolve, reject) => {
    void requestApi(srf)(uri, registerOpts(), (err, req) => (err ? reject(asError(err)) : resolve(req)));
  });
}

function finalStatusOf(req: Srf.SrfRequest): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve) =>
      req.on('response', (res?: Srf.SrfResponse) => res && resolve(res.status)),
    ),
    10_000,
    'REGISTER response',
  );
}

const UAC_CASES: Record<UacRunId, UacCase> = {
  'uac-prack': {
    farEnd: 'uas-prack.xml',
    body: async (srf, uri) => void (await callAndHangUp(srf, uri)),
  },
  'uac-promise': {
    farEnd: 'uas.xml',
    body: async (srf, uri) => void (await callAndHangUp(srf, uri)),
  },
  'uac-callback': {
    farEnd: 'uas.xml',
    body: async (srf, uri) => {
      // As the tape file: createUAC(uri, opts, fn). srf 5 reads a function in third place as
      // cbRequest, so `fn` sees (err, request) once the INVITE is sent; the dialog still comes
      // from the returned promise, and is hung up so the far end can finish.
      let call: Promise<Srf.Dialog> | undefined;
      await new Promise<void>((resolve, reject) => {
        call = createUac(srf)(uri, { method: 'INVITE', headers: tapeHeaders() }, (err: unknown) =>
          err ? reject(asError(err)) : resolve(),
        );
      });
      await hangUp(await call!);
    },
  },
  'uac-calling-number': {
    farEnd: 'uas.xml',
    body: async (srf, uri) =>
      void (await callAndHangUp(srf, uri, {
        callingNumber: '12345',
        headers: { Subject: 'sending Contact based on callingNumber' },
      })),
  },
  'uac-calling-number-contact': {
    farEnd: 'uas.xml',
    body: async (srf, uri) =>
      void (await callAndHangUp(srf, uri, {
        callingNumber: '12345',
        headers: { Subject: 'sending explicit Contact', Contact: 'sip:foo@localhost' },
      })),
  },
  'uac-calling-number-lowercase-contact': {
    farEnd: 'uas.xml',
    body: async (srf, uri) =>
      void (await callAndHangUp(srf, uri, {
        callingNumber: '12345',
        headers: { Subject: 'sending explicit contact', contact: 'sip:foo@localhost' },
      })),
  },
  'uac-no-overlapping-reinvites': {
    // uas-reinvite-overlap.xml ends after the third re-INVITE's ACK (its own timewait), so the
    // tape's hang-up reaches it as an unexpected BYE; srf's testbed never judged its UAS
    // containers. What it received is judged instead: each re-INVITE only after the last ACK.
    farEnd: 'uas-reinvite-overlap.xml',
    farEndVerdict: 'unchecked',
    body: async (srf, uri) => {
      const dlg = await createUac(srf)(uri, { method: 'INVITE', headers: tapeHeaders() });
      // Three re-INVITEs at once: srf must send them one after another (the far end answers
      // each in turn and would see an overlap as an unexpected INVITE).
      await Promise.all([dlg.modify(dlg.local.sdp), dlg.modify(dlg.local.sdp), dlg.modify(dlg.local.sdp)]);
      await hangUp(dlg);
    },
    check: ({ messages }) => {
      const requests = messages.map((m) => /^([A-Z]+) /.exec(m.trimStart())?.[1]).filter(Boolean);
      expect(requests).toEqual(['INVITE', 'ACK', 'INVITE', 'ACK', 'INVITE', 'ACK', 'INVITE', 'ACK', 'BYE']);
    },
  },
  'uac-reinvite-auth': {
    farEnd: 'uas-reinvite-with-auth.xml',
    body: async (srf, uri) => {
      const dlg = await createUac(srf)(uri, { method: 'INVITE', headers: tapeHeaders(), auth: AUTH });
      await dlg.modify('hold');
      await hangUp(dlg);
    },
  },
  'uac-auth-same-server': {
    farEnd: 'uas-auth.xml',
    body: async (srf, uri) => void (await callAndHangUp(srf, uri, { auth: AUTH })),
  },
  'uac-407-without-challenge': {
    // The far end waits for an authenticated INVITE that srf must not be able to send.
    farEnd: 'uas-407-no-auth-header.xml',
    farEndVerdict: 'unchecked',
    body: async (srf, uri) => {
      await expect(
        createUac(srf)(uri, { method: 'INVITE', headers: tapeHeaders(), auth: AUTH }),
      ).rejects.toMatchObject({ status: 407 });
    },
  },
  'uac-auth': {
    farEnd: 'uas-auth.xml',
    body: async (srf, uri) => void (await callAndHangUp(srf, uri, { auth: AUTH })),
  },
  'uac-bye-auth': {
    // The far end challenges the BYE too; hangUp resolves only once the authenticated BYE got 200.
    farEnd: 'uas-bye-with-auth.xml',
    body: async (srf, uri) => void (await callAndHangUp(srf, uri, { auth: AUTH })),
  },
  'request-register-auth-callback': {
    farEnd: 'uas-auth-register.xml',
    body: async (srf, uri) => {
      expect(await finalStatusOf(await registerWithCallback(srf, uri))).toBe(200);
    },
  },
  'request-register-auth-promise': {
    farEnd: 'uas-auth-register.xml',
    body: async (srf, uri) => {
      const req = await requestApi(srf)(uri, registerOpts());
      expect(req).toBeDefined();
      expect(await finalStatusOf(req!)).toBe(200);
    },
  },
  'request-register-opts-uri': {
    farEnd: 'uas-auth-register.xml',
    body: async (srf, uri) => {
      const req = await requestApi(srf)({ uri, ...registerOpts() });
      expect(req).toBeDefined();
      expect(await finalStatusOf(req!)).toBe(200);
    },
  },
  'request-register-empty-realm': {
    farEnd: 'uas-auth-register-no-realm.xml',
    body: async (srf, uri) => {
      expect(await finalStatusOf(await registerWithCallback(srf, uri))).toBe(200);
    },
  },
  'uac-cancel': {
    farEnd: 'uas-cancel.xml',
    body: async (srf, uri) => {
      let inviteSent: Srf.SrfRequest | undefined;
      const outcome = await new Promise<unknown>((resolve) => {
        void createUac(srf)(
          uri,
          { headers: tapeHeaders() },
          {
            cbRequest: (_err: unknown, req: Srf.SrfRequest) => (inviteSent = req),
            cbProvisional: (response: Srf.SrfResponse) => {
              if (response.status < 200) {
                const cancel = inviteSent?.cancel.bind(inviteSent) as unknown as (opts: object) => void;
                cancel({ headers: { Reason: 'SIP;cause=200;text="Call completed elsewhere"' } });
              }
            },
          },
          (err) => resolve(err),
        );
      });
      expect(outcome).toMatchObject({ status: 487 });
    },
  },
  'uac-update-sdp': {
    farEnd: 'uas-update-with-sdp.xml',
    body: async (srf, uri) => {
      const dlg = await createUac(srf)(uri, {
        method: 'INVITE',
        headers: tapeHeaders(),
        localSdp: TAPE_UPDATE_SDP,
      });
      // The far end sends UPDATE with SDP right after its ACK; srf answers it by itself.
      await new Promise((r) => setTimeout(r, 1000));
      await hangUp(dlg);
    },
    check: ({ messages }) => {
      const answer = messages.find((m) => /^SIP\/2\.0 200/.test(m.trimStart()) && /^CSeq:.*UPDATE/im.test(m));
      expect(answer, 'the 200 OK to the far end UPDATE').toBeDefined();
      expect(answer).toMatch(/m=audio/);
    },
  },
};

export const UAC_RUNS = Object.fromEntries(
  Object.entries(UAC_CASES).map(([id, c]) => [id, (t: SippTransport) => runUacCase(c, t)]),
) as Record<UacRunId, SrfRun>;
