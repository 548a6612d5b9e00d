/**
 * Every assertion of drachtio-srf's own integration suite (the tape files in
 * `node_modules/drachtio-srf/test/`, reference §4.1) and what Baton does with it: run it
 * against the embedded engine with srf's own SIPp scenario, or record why it does not apply.
 *
 * A tape file makes several `t.pass` / `t.ok` assertions; some belong to the same SIPp call
 * (the late-SDP call asserts twice), so each row names the *run* that checks it. The drift check
 * in `srf-own-suite.test.ts` re-reads the tape files with {@link readSrfTapeAssertions} and
 * compares them with this table, so an srf upgrade that adds, renames or drops a case fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SippTransport } from '../support/sipp.js';

/** The tape files srf's `test/index.js` runs against a server (utils.js needs none). */
export const SRF_TAPE_FILES = [
  'b2b.js',
  'uac.js',
  'uas.js',
  'reinvite-tests.js',
  'refer.js',
  'proxy.js',
] as const;
export type SrfTapeFile = (typeof SRF_TAPE_FILES)[number];

/** One SIPp-driven run: srf's scenarios and app logic for one or more tape assertions. */
export type SrfRunId =
  | 'b2b-prack'
  | 'b2b-late-sdp'
  | 'b2b-200-from-b'
  | 'b2b-tag-on-200'
  | 'b2b-cancel-from-a'
  | 'b2b-pass-failure'
  | 'b2b-replace-failure'
  | 'b2b-pass-headers'
  | 'b2b-no-contact-in-request'
  | 'b2b-no-contact-in-response'
  | 'b2b-response-headers-object'
  | 'b2b-response-headers-function'
  | 'b2b-display-name'
  | 'b2b-sdp-a-promise'
  | 'b2b-sdp-a-string'
  | 'b2b-uri-in-opts'
  | 'b2b-3pcc-uas-failure'
  | 'b2b-fast-reinvite-from-b'
  | 'uac-prack'
  | 'uac-promise'
  | 'uac-callback'
  | 'uac-calling-number'
  | 'uac-calling-number-contact'
  | 'uac-calling-number-lowercase-contact'
  | 'uac-no-overlapping-reinvites'
  | 'uac-reinvite-auth'
  | 'uac-auth-same-server'
  | 'uac-407-without-challenge'
  | 'uac-auth'
  | 'uac-bye-auth'
  | 'request-register-auth-callback'
  | 'request-register-auth-promise'
  | 'request-register-opts-uri'
  | 'request-register-empty-realm'
  | 'uac-cancel'
  | 'uac-update-sdp'
  | 'uas-reject-503'
  | 'uas-promise'
  | 'uas-callback'
  | 'uas-body-alias'
  | 'uas-ack-timeout'
  | 'uas-subscribe'
  | 'reinvite-fnack'
  | 'refer-attended-transfer';

/**
 * What a not-applicable case's reason rests on, so a test can check it still holds: a fact of
 * srf's files (an srf upgrade could change it) or of the engine (a later engine could lift it).
 */
export type SrfReasonEvidence =
  { kind: 'scenario-contains'; scenario: string; text: string } | { kind: 'engine-refuses-proxy' };

export type SrfCaseStatus =
  | { status: 'run'; run: SrfRunId }
  | { status: 'not-applicable'; reason: string; evidence: SrfReasonEvidence };

export type SrfCase = {
  file: SrfTapeFile;
  /** The assertion's message, as written in the tape file. */
  name: string;
} & SrfCaseStatus;

const run = (file: SrfTapeFile, name: string, id: SrfRunId): SrfCase => ({
  file,
  name,
  status: 'run',
  run: id,
});
const notApplicable = (
  file: SrfTapeFile,
  name: string,
  reason: string,
  evidence: SrfReasonEvidence,
): SrfCase => ({ file, name, status: 'not-applicable', reason, evidence });

const PROXY_GAP =
  'srf.proxyRequest is a documented gap of the embedded engine: it answers the `proxy` command with NOK ' +
  '("proxy not supported by the embedded engine"), so uac-proxy.xml cannot get its 200';

export const SRF_CASES: readonly SrfCase[] = [
  run('b2b.js', 'b2b handles PRACK for both UAS and UAC', 'b2b-prack'),
  run('b2b.js', 'b2b handles INVITE with late sdp', 'b2b-late-sdp'),
  run('b2b.js', 'uas.remote.sdp holds the SDP answer from the A-leg ACK on a 3pcc call', 'b2b-late-sdp'),
  run('b2b.js', 'b2b handles 200 OK from B', 'b2b-200-from-b'),
  run('b2b.js', 'b2b sets tag on 200 OK', 'b2b-tag-on-200'),
  run('b2b.js', 'b2b CANCELs B leg when CANCEL is received from A', 'b2b-cancel-from-a'),
  run('b2b.js', 'b2b passes failure', 'b2b-pass-failure'),
  run('b2b.js', 'dont pass failure to A if opts.passFailure === false', 'b2b-replace-failure'),
  run('b2b.js', 'pass headers from A to B and vice-versa', 'b2b-pass-headers'),
  run('b2b.js', 'reject if no contact headers in request', 'b2b-no-contact-in-request'),
  run('b2b.js', 'reject if no contact headers in response', 'b2b-no-contact-in-response'),
  run('b2b.js', 'can supply headers for response to A', 'b2b-response-headers-object'),
  run(
    'b2b.js',
    'can supply response headers as a function returning an object',
    'b2b-response-headers-function',
  ),
  run('b2b.js', 'pass displayname in From header from A to B', 'b2b-display-name'),
  run('b2b.js', 'provide opts.localSdpA as a function returning a Promise', 'b2b-sdp-a-promise'),
  run('b2b.js', 'provide opts.localSdpA as a function returning a string', 'b2b-sdp-a-string'),
  run('b2b.js', 'Srf#createB2BUA(req, res, {uri}) is valid signature', 'b2b-uri-in-opts'),
  run('b2b.js', 'b2b 3pcc UAS failure does not crash and tears down the B leg', 'b2b-3pcc-uas-failure'),
  run(
    'b2b.js',
    'Srf#createB2BUA queues fast requests from B until receiving ACK from A',
    'b2b-fast-reinvite-from-b',
  ),

  run('uac.js', 'Srf#createUAC sends PRACK when received RSeq', 'uac-prack'),
  notApplicable(
    'uac.js',
    'Srf#createUAC follows 3XX redirect when asked',
    "uas-302.xml redirects to the fixed address <sip:172.29.0.13> (the sipp-uas container of srf's docker " +
      'testbed); on loopback-only networking nothing answers there, and the scenario may not be copied and ' +
      're-pointed',
    { kind: 'scenario-contains', scenario: 'uas-302.xml', text: 'Contact: <sip:172.29.0.13>' },
  ),
  run('uac.js', 'Srf#createUAC returns a Promise that resolves with the uac dialog', 'uac-promise'),
  run('uac.js', 'Srf#createUAC can take a callback that returns the uac dialog', 'uac-callback'),
  // srf's uac.js asserts the same message three times: Subject only, explicit `Contact`, lower-case `contact`.
  run('uac.js', 'Srf#createUAC accepts opts.callingNumber', 'uac-calling-number'),
  run('uac.js', 'Srf#createUAC accepts opts.callingNumber', 'uac-calling-number-contact'),
  run('uac.js', 'Srf#createUAC accepts opts.callingNumber', 'uac-calling-number-lowercase-contact'),
  run('uac.js', 'SipDialog will not send overlapping re-invites', 'uac-no-overlapping-reinvites'),
  run('uac.js', 'SipDialog will handle authentication on re-invites', 'uac-reinvite-auth'),
  run(
    'uac.js',
    'Srf#createUAC can handle digest authentication, sending to same server',
    'uac-auth-same-server',
  ),
  run('uac.js', 'Srf#createUAC cannot handle digest without authentication', 'uac-407-without-challenge'),
  run('uac.js', 'Srf#createUAC can handle digest authentication', 'uac-auth'),
  run('uac.js', 'Srf#createUAC can handle bye with digest authentication', 'uac-bye-auth'),
  run('uac.js', 'Srf#request can handle digest authentication', 'request-register-auth-callback'),
  run('uac.js', 'Srf#request returns a Promise', 'request-register-auth-promise'),
  run('uac.js', 'srf.request accepts opts.uri', 'request-register-opts-uri'),
  run(
    'uac.js',
    'Srf#request can handle digest authentication with empty realm',
    'request-register-empty-realm',
  ),
  run('uac.js', 'Srf#request can be canceled', 'uac-cancel'),
  run('uac.js', 'SipDialog will send SDP with 200 OK to UPDATE', 'uac-update-sdp'),

  run('uas.js', 'uas reject INVITE with 503', 'uas-reject-503'),
  run('uas.js', 'Srf#createUAS returns a promise', 'uas-promise'),
  run('uas.js', 'Srf#createUAS accepts a callback', 'uas-callback'),
  run('uas.js', 'Srf#createUAS opts.body is an alias for opts.localSdp', 'uas-body-alias'),
  run('uas.js', 'uas dialog created when 200 OK sent', 'uas-ack-timeout'),
  run('uas.js', 'uas dialog destroyed with ACK timeout after 32s', 'uas-ack-timeout'),
  run('uas.js', 'creates a dialog on successful SUBSCRIBE', 'uas-subscribe'),
  run('uas.js', 'dialog destroyed on terminated subscription', 'uas-subscribe'),

  run('reinvite-tests.js', 'res#send of 200 OK supports fnAck', 'reinvite-fnack'),

  run('refer.js', 'attended transfer success', 'refer-attended-transfer'),

  notApplicable('proxy.js', 'srf.proxyRequest returns a Promise', PROXY_GAP, {
    kind: 'engine-refuses-proxy',
  }),
  notApplicable('proxy.js', 'srf.proxyRequest accepts a callback', PROXY_GAP, {
    kind: 'engine-refuses-proxy',
  }),
];

/** The runs named by {@link SRF_CASES}, each once, in table order. */
export function srfRunIds(cases: readonly SrfCase[] = SRF_CASES): SrfRunId[] {
  const ids: SrfRunId[] = [];
  for (const c of cases) if (c.status === 'run' && !ids.includes(c.run)) ids.push(c.run);
  return ids;
}

export interface SrfTapeAssertion {
  file: SrfTapeFile;
  name: string;
}

/**
 * The `t.pass('…')` and `t.ok(…, '…')` assertions of srf's tape files, in file order, read from
 * the installed package. The message is the last string literal among the call's arguments.
 */
export function readSrfTapeAssertions(testDir: string): SrfTapeAssertion[] {
  const out: SrfTapeAssertion[] = [];
  for (const file of SRF_TAPE_FILES) {
    const source = readFileSync(join(testDir, file), 'utf8');
    for (const call of source.matchAll(/\bt\.(?:pass|ok)\(([\s\S]*?)\);/g)) {
      const literals = [...(call[1] ?? '').matchAll(/'([^']*)'|"([^"]*)"|`([^`$]*)`/g)];
      const last = literals[literals.length - 1];
      if (last === undefined) throw new Error(`srf ${file}: assertion without a message: ${call[0]}`);
      out.push({ file, name: last[1] ?? last[2] ?? last[3] ?? '' });
    }
  }
  return out;
}

/**
 * Runs that cannot use TCP, and why. Every other run goes over UDP and over TCP: srf's scenarios
 * are written with `[transport]` and SIPp takes `-t`, though srf's testbed itself only ran UDP.
 */
export const SRF_UDP_ONLY: Partial<Record<SrfRunId, string>> = {
  'uas-subscribe':
    'uac-subscribe.xml sends its SUBSCRIBE without Content-Length, which RFC 3261 §18.3/§20.14 require on a ' +
    'stream transport; the engine rightly answers 400 over TCP',
};

/** The transports a run uses. */
export function srfRunTransports(run: SrfRunId): SippTransport[] {
  return SRF_UDP_ONLY[run] === undefined ? ['udp', 'tcp'] : ['udp'];
}
