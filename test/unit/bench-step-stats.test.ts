/**
 * The benchmark's pure parts: SIPp's trace files (lines as SIPp 3.6.1 writes them), /proc
 * readings, percentiles, step verdicts and the CPU-profile summary.
 */
import { describe, expect, it } from 'vitest';
import { judgeStep, summarizeRamp, targetMet, type StepRecord } from '../../bench/bench-report.js';
import { summarizeCpuProfile, type CpuProfile } from '../../bench/cpu-profile-summary.js';
import type { SippStepResult } from '../../bench/sipp-step.js';
import {
  cpuTicksFromProcStat,
  failureBreakdown,
  parseRttCsv,
  parseStatCsv,
  percentile,
  rssMibFromProcStatus,
  statNumber,
} from '../../bench/step-stats.js';

const STAT_HEADER =
  'StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;CallRate(P);CallRate(C);' +
  'IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);TotalCallCreated;CurrentCall;' +
  'SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);FailedCannotSendMessage(P);' +
  'FailedCannotSendMessage(C);FailedMaxUDPRetrans(P);FailedMaxUDPRetrans(C);';

const statLine = (callRate: string, created: number, ok: number, failed: number, maxUdp: number): string =>
  '2026-11-21\t09:32:13.813186\t1795253533.813186;2026-11-21\t09:32:17.817228\t1795253537.817228;' +
  `2026-11-21\t09:32:17.817346\t1795253537.817346;00:00:00;00:00:04;250;0;${callRate};0;0;0;${created};` +
  `${created};0;0;${ok};0;${failed};0;0;0;${maxUdp};`;

describe('parseRttCsv', () => {
  it('keeps the response times of rtd 1 in order, with the first and last dates', () => {
    const text = 'Date_ms;response_time_ms;rtd_no\n16.001;8;1\n16.001;8;1\n2000;0;1\n2004;4;2\n4000;12;1\n';
    expect(parseRttCsv(text)).toEqual({ times: [8, 8, 0, 12], firstAtMs: 16.001, lastAtMs: 4000 });
  });

  it('gives no samples for an empty or missing file', () => {
    expect(parseRttCsv('')).toEqual({ times: [], firstAtMs: undefined, lastAtMs: undefined });
  });
});

describe('parseStatCsv', () => {
  it('reads the last snapshot by counter name', () => {
    const text = `${STAT_HEADER}\n${statLine('120.5', 500, 480, 0, 0)}\n${statLine('249.75', 1000, 997, 3, 3)}\n`;
    const stats = parseStatCsv(text);
    expect(statNumber(stats, 'CallRate(C)')).toBe(249.75);
    expect(statNumber(stats, 'OutgoingCall(C)')).toBe(1000);
    expect(statNumber(stats, 'SuccessfulCall(C)')).toBe(997);
    expect(statNumber(stats, 'FailedCall(C)')).toBe(3);
    expect(failureBreakdown(stats)).toEqual({ FailedMaxUDPRetrans: 3 });
  });

  it('treats a header without snapshots as no counters', () => {
    const stats = parseStatCsv(`${STAT_HEADER}\n`);
    expect(stats.size).toBe(0);
    expect(statNumber(stats, 'SuccessfulCall(C)')).toBe(0);
  });
});

describe('percentile', () => {
  it('is the exact nearest-rank value', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('/proc readings', () => {
  it('adds utime and stime after a command name with spaces and parentheses', () => {
    const stat =
      '19677 (node (vitest 1)) R 19667 19667 14390 0 -1 4194304 100 0 0 0 250 31 0 0 20 0 1 0 154281';
    expect(cpuTicksFromProcStat(stat)).toBe(281);
  });

  it('reads VmRSS in MiB', () => {
    expect(rssMibFromProcStatus('Name:\tnode\nVmHWM:\t  400000 kB\nVmRSS:\t  307200 kB\n')).toBe(300);
  });
});

const result = (over: Partial<SippStepResult>): SippStepResult => ({
  rate: 1000,
  calls: 5000,
  exitCode: 0,
  killedOnTimeout: false,
  created: 5000,
  successful: 5000,
  failed: 0,
  failures: {},
  achievedCps: 998.2,
  samples: 5000,
  p50Ms: 1,
  p99Ms: 20,
  maxMs: 40,
  errors: [],
  ...over,
});

describe('judgeStep', () => {
  it.each([
    ['ok', {}],
    ['failed-calls', { failed: 1, successful: 4999, exitCode: 1 }],
    ['failed-calls', { successful: 4000, exitCode: null, killedOnTimeout: true }],
    ['slow', { p99Ms: 201 }],
    ['slow', { p99Ms: undefined }],
    ['rate-not-reached', { achievedCps: 850 }],
  ] as const)('%s for %j', (verdict, over) => {
    expect(judgeStep(result(over), 200)).toBe(verdict);
  });
});

describe('summarizeRamp and targetMet', () => {
  const step = (rate: number, p99Ms: number, verdict: StepRecord['verdict'], rss: number): StepRecord => ({
    ...result({ rate, p99Ms }),
    verdict,
    usage: { server: { peakRssMib: rss } },
  });

  it('takes the last sustained step, the step that stopped the ramp and the peak RSS', () => {
    const steps = [step(1400, 30, 'ok', 200), step(1600, 45, 'ok', 260), step(1800, 250, 'slow', 310)];
    const summary = summarizeRamp(steps);
    expect(summary.maxSustainedCps).toBe(1600);
    expect(summary.stoppedAt?.rate).toBe(1800);
    expect(summary.peakServerRssMib).toBe(310);
    expect(targetMet(steps)).toBe(true);
  });

  it('does not meet the target when the sustained steps at 1500+ have p99 of 50 ms or more', () => {
    expect(targetMet([step(1400, 10, 'ok', 1), step(1600, 50, 'ok', 1), step(1800, 20, 'slow', 1)])).toBe(
      false,
    );
  });
});

describe('summarizeCpuProfile', () => {
  const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
  // (root) → onMessage → parse (leaf) / send (leaf); (idle) under root; recursive walk → walk.
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 2_000_000,
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5, 6] },
      { id: 2, callFrame: frame('onMessage', 'file:///repo/dist/engine/a.js', 9), children: [3, 4] },
      { id: 3, callFrame: frame('parse', 'file:///repo/dist/engine/b.js', 19) },
      { id: 4, callFrame: frame('doSend', 'node:dgram', 686) },
      { id: 5, callFrame: frame('(idle)', '') },
      { id: 6, callFrame: frame('walk', 'file:///repo/node_modules/x/y.js'), children: [7] },
      { id: 7, callFrame: frame('walk', 'file:///repo/node_modules/x/y.js') },
    ],
    samples: [3, 3, 3, 4, 5, 5, 5, 5, 7, 2],
  };

  it('splits self and total time over busy samples, counting recursion once', () => {
    const s = summarizeCpuProfile(profile, '/repo');
    expect(s.durationMs).toBe(2000);
    expect(s.busyPercent).toBeCloseTo(60);
    const fn = Object.fromEntries(
      s.functions.map((h) => [h.label, [Math.round(h.selfPercent * 100), Math.round(h.totalPercent * 100)]]),
    );
    // Six busy samples: parse 3, onMessage 1 (+ its two callees' 4), doSend 1, walk 1.
    expect(fn['parse (dist/engine/b.js:20)']).toEqual([5000, 5000]);
    expect(fn['onMessage (dist/engine/a.js:10)']).toEqual([1667, 8333]);
    expect(fn['doSend (node:dgram:687)']).toEqual([1667, 1667]);
    expect(fn['walk (node_modules/x/y.js:1)']).toEqual([1667, 1667]);
    expect(s.files[0]).toMatchObject({ label: 'dist/engine/b.js', selfPercent: 50 });
  });
});
