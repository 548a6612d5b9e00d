/**
 * Judging and printing the ramp: a step's verdict, the per-step table, and the summary with
 * the maximum sustained rate, the engine/direct ratio and the issue's target. Pure.
 */
import type { ProcessUsage } from './bench-processes.js';
import type { ProfileSummary } from './cpu-profile-summary.js';
import type { SippStepResult } from './sipp-step.js';

/** A step is sustained only when all calls succeeded, p99 is within the limit and the rate held. */
export type StepVerdict = 'ok' | 'failed-calls' | 'slow' | 'rate-not-reached';

/** The issue's target for the engine path: ≥ 1,500 CPS with p99 under 50 ms. */
export const TARGET = { cps: 1500, p99Ms: 50 } as const;

/** SIPp paces calls in whole ticks; below 90 % of the asked rate it could not keep up. */
const RATE_REACHED_RATIO = 0.9;

export interface StepRecord extends SippStepResult {
  verdict: StepVerdict;
  /** `server`: the engine (or the SIPp UAS of the direct pair); `app`: the srf app; `sipp`: the caller. */
  usage: Partial<Record<'server' | 'app' | 'sipp', ProcessUsage>>;
  /**
   * The machine's 1-minute load average when the step ended. The machine is shared: a load
   * well above what the bench's own processes explain means other work competed for the cores.
   */
  load1?: number;
  /**
   * Longest event-loop delay of the bench process itself during the step, ms. The bench is
   * nearly idle, so a long delay here means the whole machine stalled (scheduler, VM host),
   * not the engine.
   */
  benchLagMs?: number;
}

export interface RampSummary {
  /** Highest target rate of a sustained step; undefined when not even the first one held. */
  maxSustainedCps?: number;
  best?: StepRecord;
  /** The step that ended the ramp, when one did (else the ramp ran out of rates). */
  stoppedAt?: StepRecord;
  peakServerRssMib?: number;
  peakAppRssMib?: number;
}

export function judgeStep(step: SippStepResult, p99LimitMs: number): StepVerdict {
  if (step.failed > 0 || step.successful < step.calls || step.exitCode !== 0) return 'failed-calls';
  if (step.p99Ms === undefined || step.p99Ms > p99LimitMs) return 'slow';
  if (step.achievedCps < step.rate * RATE_REACHED_RATIO) return 'rate-not-reached';
  return 'ok';
}

export function describeVerdict(verdict: StepVerdict, p99LimitMs: number): string {
  switch (verdict) {
    case 'ok':
      return 'sustained';
    case 'failed-calls':
      return 'calls failed';
    case 'slow':
      return `p99 above ${p99LimitMs} ms`;
    case 'rate-not-reached':
      return `SIPp could not reach ${Math.round(RATE_REACHED_RATIO * 100)} % of the rate`;
  }
}

export function summarizeRamp(steps: readonly StepRecord[]): RampSummary {
  const sustained = steps.filter((s) => s.verdict === 'ok');
  const best = sustained[sustained.length - 1];
  const stoppedAt = steps.find((s) => s.verdict !== 'ok');
  const peak = (key: 'server' | 'app'): number | undefined => {
    const values = steps.map((s) => s.usage[key]?.peakRssMib).filter((v): v is number => v !== undefined);
    return values.length ? Math.max(...values) : undefined;
  };
  return {
    maxSustainedCps: best?.rate,
    best,
    stoppedAt,
    peakServerRssMib: peak('server'),
    peakAppRssMib: peak('app'),
  };
}

/** Whether a sustained engine step met the issue's target. */
export function targetMet(steps: readonly StepRecord[]): boolean {
  return steps.some(
    (s) => s.verdict === 'ok' && s.rate >= TARGET.cps && s.p99Ms !== undefined && s.p99Ms < TARGET.p99Ms,
  );
}

const fixed = (n: number | undefined, digits = 0): string => (n === undefined ? '-' : n.toFixed(digits));

const COLUMNS: ReadonlyArray<[string, number]> = [
  ['target', 6],
  ['achieved', 8],
  ['ok', 6],
  ['failed', 6],
  ['p50 ms', 6],
  ['p99 ms', 6],
  ['max ms', 6],
  ['srv MiB', 7],
  ['app MiB', 7],
  ['srv CPU%', 8],
  ['app CPU%', 8],
  ['sipp CPU%', 9],
  ['load', 5],
  ['lag ms', 6],
];

export function formatStepHeader(): string {
  return `${COLUMNS.map(([name, width]) => name.padStart(width)).join(' ')}  verdict`;
}

export function formatStepRow(step: StepRecord, p99LimitMs: number): string {
  const cells = [
    String(step.rate),
    fixed(step.achievedCps, 1),
    String(step.successful),
    String(step.failed),
    fixed(step.p50Ms),
    fixed(step.p99Ms),
    fixed(step.maxMs),
    fixed(step.usage.server?.peakRssMib, 1),
    fixed(step.usage.app?.peakRssMib, 1),
    fixed(step.usage.server?.cpuPercent),
    fixed(step.usage.app?.cpuPercent),
    fixed(step.usage.sipp?.cpuPercent),
    fixed(step.load1, 1),
    fixed(step.benchLagMs),
  ];
  const row = cells.map((c, i) => c.padStart(COLUMNS[i]?.[1] ?? 0)).join(' ');
  const failures = Object.entries(step.failures)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${row}  ${describeVerdict(step.verdict, p99LimitMs)}${failures ? ` (${failures})` : ''}`;
}

/** The summary lines of one ramp; `p50Label` is how its p50 is named, e.g. `setup p50`. */
export function describeRamp(
  name: string,
  summary: RampSummary,
  p99LimitMs: number,
  p50Label = 'p50',
): string[] {
  const lines: string[] = [];
  if (summary.best === undefined) {
    lines.push(`${name}: no sustained step`);
  } else {
    const b = summary.best;
    const top = summary.stoppedAt === undefined ? ' (top of the ramp: the limit is higher)' : '';
    lines.push(
      `${name}: max sustained ${b.rate} CPS${top}, achieved ${fixed(b.achievedCps, 1)} CPS, ` +
        `${p50Label} ${fixed(b.p50Ms)} ms, p99 ${fixed(b.p99Ms)} ms, max ${fixed(b.maxMs)} ms`,
    );
  }
  if (summary.stoppedAt) {
    const s = summary.stoppedAt;
    lines.push(
      `  stopped at ${s.rate} CPS: ${describeVerdict(s.verdict, p99LimitMs)} ` +
        `(${s.failed} failed, p99 ${fixed(s.p99Ms)} ms, achieved ${fixed(s.achievedCps, 1)} CPS)`,
    );
  }
  return lines;
}

export interface BenchOutcome {
  engine?: StepRecord[];
  direct?: StepRecord[];
  p99LimitMs: number;
  profile?: ProfileSummary;
}

export function formatSummary(outcome: BenchOutcome): string {
  const lines = ['', '== summary =='];
  const engine = outcome.engine && summarizeRamp(outcome.engine);
  const direct = outcome.direct && summarizeRamp(outcome.direct);
  if (engine) {
    lines.push(...describeRamp('engine (sipp → engine → srf app)', engine, outcome.p99LimitMs));
    lines.push(
      `  engine peak RSS ${fixed(engine.peakServerRssMib, 1)} MiB, srf app peak RSS ${fixed(engine.peakAppRssMib, 1)} MiB`,
    );
  }
  if (direct) lines.push(...describeRamp('direct (sipp uac → sipp uas)', direct, outcome.p99LimitMs));
  if (engine?.maxSustainedCps !== undefined && direct?.maxSustainedCps !== undefined) {
    const bound = direct.stoppedAt === undefined ? ' (direct pair not saturated: an upper bound)' : '';
    lines.push(
      `ratio engine/direct: ${(engine.maxSustainedCps / direct.maxSustainedCps).toFixed(2)}${bound}`,
    );
  }
  if (outcome.engine) {
    const met = targetMet(outcome.engine);
    lines.push(
      `target ≥ ${TARGET.cps} CPS with p99 < ${TARGET.p99Ms} ms through the engine: ${met ? 'MET' : 'NOT MET'}`,
    );
  }
  if (outcome.profile) lines.push('', ...formatProfile(outcome.profile));
  return lines.join('\n');
}

export function formatProfile(p: ProfileSummary): string[] {
  const row = (h: { label: string; selfPercent: number; totalPercent: number }): string =>
    `${h.selfPercent.toFixed(1).padStart(6)} ${h.totalPercent.toFixed(1).padStart(6)}  ${h.label}`;
  return [
    `== engine CPU profile: ${(p.durationMs / 1000).toFixed(1)} s, busy ${p.busyPercent.toFixed(0)} %, GC ${p.gcPercent.toFixed(1)} % of busy ==`,
    ' self%  total%  function (percent of busy samples)',
    ...p.functions.map(row),
    '',
    ' self%  total%  file',
    ...p.files.map(row),
  ];
}
