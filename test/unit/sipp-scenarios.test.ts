/**
 * Every SIPp scenario in sipp-scenarios/ is played against its counterpart, SIPp against SIPp on
 * loopback, over UDP and TCP, before any engine sits between them. Both processes must exit 0:
 * that proves the scenarios are well-formed SIP that SIPp 3.6.1 accepts, that their checks pass
 * on correct traffic (and fail on wrong traffic), and that the harness in test/support works.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocPort, allocPorts, releasePort } from '../support/ports.js';
import {
  SCENARIO_DIR,
  describeFailure,
  expectSippPass,
  runSipp,
  startSippServer,
  type SippResult,
  type SippRunOptions,
  type SippTransport,
} from '../support/sipp.js';

/** Longest a scenario pair may take; the slowest (delayed ACK, REFER) need about a second. */
const PAIR_TIMEOUT_MS = 15_000;
/** After the caller finishes, how long the far end gets to finish too before it is stopped. */
const FAR_END_GRACE_MS = 3_000;

interface Pairing {
  uac: string;
  uas: string;
  keys?: Record<string, string>;
}

const PAIRINGS: Pairing[] = [
  { uac: 'uac-call-expect-200', uas: 'uas-answer-200' },
  { uac: 'uac-call-remote-bye', uas: 'uas-answer-then-bye' },
  { uac: 'uac-cancel-while-ringing', uas: 'uas-ring-forever' },
  { uac: 'uac-expect-404', uas: 'uas-reject-404' },
  { uac: 'uac-expect-480', uas: 'uas-reject-480' },
  { uac: 'uac-expect-486', uas: 'uas-reject-486' },
  { uac: 'uac-expect-503', uas: 'uas-reject-503' },
  { uac: 'uac-expect-302', uas: 'uas-redirect-302' },
  { uac: 'uac-options-expect-200', uas: 'uas-options-200' },
  { uac: 'uac-call-reinvite', uas: 'uas-expect-reinvite' },
  { uac: 'uac-call-expect-reinvite', uas: 'uas-reinvite-from-far' },
  { uac: 'uac-call-no-ack', uas: 'uas-ack-timeout-bye' },
  { uac: 'uac-delayed-ack', uas: 'uas-answer-200' },
  { uac: 'uac-late-offer', uas: 'uas-late-offer' },
  { uac: 'uac-prack', uas: 'uas-prack-183' },
  { uac: 'uac-call-digest', uas: 'uas-challenge-407' },
  { uac: 'uac-call-digest', uas: 'uas-challenge-401' },
  { uac: 'uac-register-digest', uas: 'uas-challenge-401-register' },
  { uac: 'uac-call-send-refer', uas: 'uas-refer-notify' },
  { uac: 'uac-call-send-refer', uas: 'uas-refer-notify', keys: { refer_final: '486 Busy Here' } },
  { uac: 'uac-call-expect-refer', uas: 'uas-send-refer' },
  { uac: 'uac-call-send-info', uas: 'uas-expect-info' },
  { uac: 'uac-call-expect-info', uas: 'uas-info' },
  { uac: 'uac-call-with-x-header', uas: 'uas-answer-expect-x-header' },
];

interface PairOutcome {
  caller: SippResult;
  farEnd: SippResult;
}

/** Start `uas` listening, run `uac` against it, and collect both results. */
async function playPair(
  uac: string,
  uas: string,
  transport: SippTransport,
  extra: Partial<SippRunOptions> = {},
): Promise<PairOutcome> {
  const common = { transport, timeoutMs: PAIR_TIMEOUT_MS, traceMessages: true, ...extra };
  const server = await startSippServer({ ...common, scenario: `${uas}.xml` });
  try {
    const caller = await runSipp({ ...common, scenario: `${uac}.xml`, remote: server.address });
    const farEnd = await Promise.race([
      server.done,
      new Promise<SippResult>((resolve) => {
        setTimeout(() => resolve(server.stop()), FAR_END_GRACE_MS).unref();
      }),
    ]);
    return { caller, farEnd };
  } finally {
    await server.stop();
  }
}

/** The engine-conformance set (`uac-*` / `uas-*`); the gateway's role-named scenarios are indexed by their own tests. */
function scenarioFiles(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((name) => name.endsWith('.xml') && /^ua[cs]-/.test(name))
    .map((name) => name.replace(/\.xml$/, ''))
    .sort();
}

describe.each<SippTransport>(['udp', 'tcp'])('scenario pairs over %s', (transport) => {
  describe.concurrent('both sides exit 0', () => {
    it.each(PAIRINGS)('$uac → $uas $keys', async ({ uac, uas, keys }) => {
      const { caller, farEnd } = await playPair(uac, uas, transport, { keys });
      expectSippPass(caller, farEnd);
    });
  });
});

describe('scenario checks fail the run on wrong traffic', () => {
  it.each([
    { uac: 'uac-call-digest', uas: 'uas-challenge-401' },
    { uac: 'uac-register-digest', uas: 'uas-challenge-401-register' },
  ])('$uas refuses a digest made with the wrong password', async ({ uac, uas }) => {
    const server = await startSippServer({ scenario: `${uas}.xml`, timeoutMs: PAIR_TIMEOUT_MS });
    try {
      // A later -ap overrides the harness's, so the caller digests with another password.
      const caller = await runSipp({
        scenario: `${uac}.xml`,
        remote: server.address,
        timeoutMs: 5_000,
        extraArgs: ['-ap', 'not-the-password'],
      });
      const farEnd = await server.done;
      expect(farEnd.logs).toContain('digest verified: false');
      expect(() => expectSippPass(farEnd)).toThrow(/exit (97|1) /);
      expect(caller.code).not.toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('an SDP offer where none is expected fails the ereg check, and the failure names the regexp', async () => {
    const { farEnd } = await playPair('uac-call-expect-200', 'uas-late-offer', 'udp', { timeoutMs: 5_000 });
    expect(farEnd.code).toBe(1);
    expect(farEnd.errors).toMatch(/regexp/i);
    expect(() => expectSippPass(farEnd)).toThrow(
      /exit 1 \(at least one call failed\)[\s\S]*--- error file ---/,
    );
  });

  it('an ACK where none is expected (the Timer H far end) fails the run', async () => {
    const { farEnd } = await playPair('uac-call-expect-200', 'uas-ack-timeout-bye', 'udp', {
      timeoutMs: 5_000,
    });
    expect(farEnd.code).toBe(1);
    expect(farEnd.errors).toContain('unexpected message');
  });
});

describe('harness', () => {
  it('collects call counters and response times for benches', async () => {
    const calls = 3;
    const server = await startSippServer({
      scenario: 'uas-answer-200.xml',
      calls,
      timeoutMs: PAIR_TIMEOUT_MS,
    });
    try {
      const caller = await runSipp({
        scenario: 'uac-call-expect-200.xml',
        remote: server.address,
        calls,
        rate: 10,
        ratePeriodMs: 100,
        maxConcurrentCalls: 2,
        callDurationMs: 20,
        stats: { intervalS: 1 },
        responseTimes: { everyNCalls: 1 },
        traceLogs: false,
        timeoutMs: PAIR_TIMEOUT_MS,
      });
      expectSippPass(caller, await server.done);
      expect(caller.stats).toMatchObject({ successfulCalls: calls, failedCalls: 0, createdCalls: calls });
      expect(caller.stats?.failureCauses).toEqual({});
      expect(caller.stats?.responseTimeMeanMs['1']).toBeGreaterThanOrEqual(0);
      expect(caller.responseTimes).toHaveLength(calls);
      for (const sample of caller.responseTimes ?? []) {
        expect(sample.rtd).toBe('1');
        expect(sample.responseTimeMs).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await server.stop();
    }
  });

  it('a server that is stopped before its call does not pass', async () => {
    const server = await startSippServer({ scenario: 'uas-answer-200.xml', transport: 'tcp' });
    const result = await server.stop();
    expect(result.stopped).toBe(true);
    expect(() => expectSippPass(result)).toThrow(/stopped before its scenario finished/);
    expect(describeFailure(result)).toContain('uas-answer-200.xml');
  });

  it('allocates distinct ports that bind on both UDP and TCP', async () => {
    const ports = await allocPorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) {
      await new Promise<void>((resolve, reject) => {
        const tcp = createServer().once('error', reject);
        tcp.listen({ host: '127.0.0.1', port }, () => {
          const udp = createSocket('udp4').once('error', reject);
          udp.bind({ address: '127.0.0.1', port }, () => udp.close(() => tcp.close(() => resolve())));
        });
      });
    }
    const another = await allocPort();
    expect(ports).not.toContain(another);
    for (const port of [...ports, another]) releasePort(port);
  });
});

describe('scenario index', () => {
  const files = scenarioFiles();
  const paired = new Set(PAIRINGS.flatMap((p) => [p.uac, p.uas]));
  const readme = readFileSync(join(SCENARIO_DIR, 'README.md'), 'utf8');

  it.each(files)('%s is played against a counterpart here', (name) => {
    expect(paired.has(name)).toBe(true);
  });

  it.each(files)('%s is listed in sipp-scenarios/README.md with its scenario name', (name) => {
    expect(readme).toContain(`\`${name}.xml\``);
    const scenarioName = /<scenario name="([^":]+)/.exec(
      readFileSync(join(SCENARIO_DIR, `${name}.xml`), 'utf8'),
    );
    expect(scenarioName?.[1]).toBe(name);
  });
});
