/**
 * The ramp every bench runs: one SIPp step per rate, each judged and printed as a row, until a
 * step is not sustained or the rates run out; and the far end they share, a SIPp UAS.
 */
import os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { BenchError, captureTail, ChildSet, ProcessSampler, waitForUdpPort } from './bench-processes.js';
import { formatStepHeader, formatStepRow, judgeStep, type StepRecord } from './bench-report.js';
import { runSippStep, type SippStepOptions } from './sipp-step.js';

/** SIPp's default socket buffer drops bursts (see sipp-step.ts); 4 MiB is this machine's maximum. */
const SIPP_BUFFER_BYTES = 4 * 1024 * 1024;

/** The processes a step samples (RSS, CPU) and the ramp watches for an early exit. */
export interface ProcessesUnderTest {
  /** The system under test (or the SIPp UAS of the direct pair). */
  server: ChildProcess;
  /** Its application side, when it has one (srf app, AI agent). */
  app?: ChildProcess;
}

/** One SIPp step with the processes under test and SIPp itself sampled, judged against the limit. */
export async function runSampledStep(
  sut: ProcessesUnderTest,
  p99LimitMs: number,
  sipp: Omit<SippStepOptions, 'onStart'>,
): Promise<StepRecord> {
  const sampler = new ProcessSampler({ server: sut.server.pid, app: sut.app?.pid });
  const result = await runSippStep({ ...sipp, onStart: (pid) => sampler.add('sipp', pid) });
  return { ...result, verdict: judgeStep(result, p99LimitMs), usage: sampler.stop() };
}

export interface RampOptions {
  /** Names the ramp in the error when a process under test exits. */
  name: string;
  rates: readonly number[];
  stepSeconds: number;
  p99LimitMs: number;
  /** Pause between steps so the transactions of one drain before the next measures. */
  settleMs: number;
  /**
   * `before`: pause before every step, the first too (it follows a warm-up); `after`: pause
   * after every sustained step.
   */
  settle: 'before' | 'after';
  /** One step of `calls` calls at `rate` calls/s. */
  step: (rate: number, calls: number) => Promise<StepRecord>;
}

/** Prints the table header and a row per step; the steps run, the last one the first not sustained. */
export async function runRamp(sut: ProcessesUnderTest, opts: RampOptions): Promise<StepRecord[]> {
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, opts.settleMs));
  const checkAlive = (): void => {
    if (sut.server.exitCode !== null || (sut.app !== undefined && sut.app.exitCode !== null)) {
      throw new BenchError('EEXITED', `${opts.name}: a process under test exited during the ramp`);
    }
  };
  process.stdout.write(`${formatStepHeader()}\n`);
  const steps: StepRecord[] = [];
  for (const rate of opts.rates) {
    if (opts.settle === 'before') {
      await settle();
      checkAlive();
    }
    const step = await opts.step(rate, Math.round(rate * opts.stepSeconds));
    steps.push(step);
    process.stdout.write(`${formatStepRow(step, opts.p99LimitMs)}\n`);
    if (step.verdict !== 'ok') {
      for (const line of step.errors.slice(0, 4)) process.stdout.write(`    sipp: ${line}\n`);
      break;
    }
    if (opts.settle === 'after') {
      checkAlive();
      await settle();
    }
  }
  return steps;
}

export interface SippUasOptions {
  scenario: string;
  localIp: string;
  localPort: number;
  mediaPort: number;
  /** Scenario arguments (`-key`, `-set`, `-d`, ...). */
  extraArgs?: string[];
  /** Where SIPp writes its files; the temporary directory by default. */
  cwd?: string;
  readyTimeoutMs: number;
  /** Names it in the error when it does not start, e.g. `sipp agent`. */
  label: string;
}

/** A SIPp UAS answering on `localPort`, once its socket is bound. */
export async function startSippUas(children: ChildSet, opts: SippUasOptions): Promise<ChildProcess> {
  const uas = children.spawn(
    'sipp',
    [
      ...['-sf', opts.scenario, '-i', opts.localIp, '-p', String(opts.localPort)],
      ...['-mp', String(opts.mediaPort), ...(opts.extraArgs ?? [])],
      ...['-buff_size', String(SIPP_BUFFER_BYTES), '-nostdin'],
    ],
    { cwd: opts.cwd ?? os.tmpdir(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const uasErr = captureTail(uas.stderr);
  try {
    await waitForUdpPort(opts.localPort, opts.readyTimeoutMs, uas);
  } catch (err) {
    throw new BenchError('ENOTREADY', `${opts.label} did not start: ${(err as Error).message}\n${uasErr()}`);
  }
  return uas;
}
