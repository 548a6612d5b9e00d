/**
 * drachtio-srf's own integration suite, run in place against Baton's embedded engine: srf's SIPp
 * scenarios from `node_modules/drachtio-srf/test/scenarios` as callers and far ends, srf's own
 * test apps (`test/scripts/*.js`, loaded unmodified) or, where a tape file keeps its app logic
 * inline, the same logic here. No drachtio-server and no Docker: the testbed's containers
 * become SIPp processes and engines on loopback ports.
 *
 * `SRF_CASES` (srf-suite-map.ts) lists every assertion of srf's tape files with its status;
 * the first test re-reads the tape files so the table cannot drift from the installed srf.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type Srf from 'drachtio-srf';
import { expectSippPass, type SippTransport } from '../support/sipp.js';
import { SRF_TEST_DIR } from './srf-suite-apps.js';
import { B2B_RUNS } from './srf-suite-b2b-runs.js';
import {
  SRF_CASES,
  SRF_UDP_ONLY,
  readSrfTapeAssertions,
  srfRunIds,
  srfRunTransports,
  type SrfCase,
  type SrfReasonEvidence,
  type SrfRunId,
} from './srf-suite-map.js';
import { inlineApp, runAttributingRejections, srfCaller, withEngine, type SrfRun } from './srf-suite-runs.js';
import { UAC_RUNS } from './srf-suite-uac-runs.js';
import { UAS_RUNS } from './srf-suite-uas-runs.js';

/** Every run the table names has an implementation (the compiler checks the union is covered). */
const RUNS: Record<SrfRunId, SrfRun> = { ...B2B_RUNS, ...UAC_RUNS, ...UAS_RUNS };

/** A run: SIPp calls of a few seconds, far ends' 4 s timewait, the 3.2 s ACK timeout. */
const RUN_TIMEOUT_MS = 40_000;

type NotApplicableCase = Extract<SrfCase, { status: 'not-applicable' }>;

describe('drachtio-srf integration cases: the table', () => {
  it('lists every t.pass / t.ok assertion of srf’s tape files, in order, with a status', () => {
    const inTapeFiles = readSrfTapeAssertions(SRF_TEST_DIR);
    expect(SRF_CASES.map(({ file, name }) => ({ file, name }))).toEqual(inTapeFiles);
  });

  it('has an implementation for each run it names, and no other', () => {
    expect(Object.keys(RUNS).sort()).toEqual([...srfRunIds()].sort());
  });

  it('keeps uas-subscribe to UDP while uac-subscribe.xml sends no Content-Length', () => {
    expect(Object.keys(SRF_UDP_ONLY)).toEqual(['uas-subscribe']);
    const scenario = readFileSync(join(SRF_TEST_DIR, 'scenarios', 'uac-subscribe.xml'), 'utf8');
    const subscribe = /SUBSCRIBE sip:[\s\S]*?\]\]>/.exec(scenario)?.[0];
    expect(subscribe).toBeDefined();
    expect(subscribe).not.toMatch(/Content-Length/i);
  });
});

describe.each(SRF_CASES.filter((c): c is NotApplicableCase => c.status === 'not-applicable'))(
  'srf $file: "$name" is not applicable',
  (c) => {
    it('for a reason that still holds', async () => {
      expect(c.reason.length).toBeGreaterThan(0);
      await expectEvidence(c.evidence);
    });
  },
);

async function expectEvidence(evidence: SrfReasonEvidence): Promise<void> {
  switch (evidence.kind) {
    case 'scenario-contains':
      expect(readFileSync(join(SRF_TEST_DIR, 'scenarios', evidence.scenario), 'utf8')).toContain(
        evidence.text,
      );
      return;
    case 'engine-refuses-proxy':
      return expectEngineRefusesProxy();
  }
}

/**
 * The proxy cases' reason, checked live: srf.proxyRequest on the engine rejects, and srf's own
 * uac-expect-503.xml caller gets the 503 the app then sends.
 */
async function expectEngineRefusesProxy(): Promise<void> {
  await withEngine(async (eut) => {
    const srf = await inlineApp(eut);
    let refusal: unknown;
    srf.invite((req, res) => {
      const proxy = srf.proxyRequest.bind(srf) as unknown as (
        r: Srf.SrfRequest,
        dest: string,
        opts: object,
      ) => Promise<unknown>;
      proxy(req, 'sip:127.0.0.1:5060', { remainInDialog: true }).then(
        () => res.send(500),
        (err: unknown) => {
          refusal = err;
          res.send(503);
        },
      );
    });
    expectSippPass(await srfCaller(eut, 'uac-expect-503.xml', 'udp'));
    expect(refusal).toBeDefined();
  });
}

const runRows = srfRunIds().flatMap((run) =>
  srfRunTransports(run).map((transport: SippTransport) => ({
    run,
    transport,
    cases: SRF_CASES.filter((c) => c.status === 'run' && c.run === run)
      .map((c) => `${c.file}: ${c.name}`)
      .join(' | '),
  })),
);

describe.concurrent('drachtio-srf integration cases on the engine', () => {
  it.each(runRows)(
    '$run over $transport ($cases)',
    async ({ run, transport }) => {
      await runAttributingRejections(() => RUNS[run](transport));
    },
    RUN_TIMEOUT_MS,
  );
});
