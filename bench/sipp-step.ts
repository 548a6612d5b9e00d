/**
 * One ramp step: SIPp as the caller at a fixed rate for a fixed number of calls, with every
 * INVITE→200 response time traced (`-trace_rtt -rtt_freq 1`), the final counters dumped
 * (`-trace_stat`) and errors logged (`-trace_err`), all into a fresh work directory.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { captureTail, waitForExit, type ChildSet } from './bench-processes.js';
import {
  failureBreakdown,
  parseRttCsv,
  parseStatCsv,
  percentile,
  statNumber,
  type RttSamples,
} from './step-stats.js';

/**
 * SIPp's default socket buffer is 64 KiB; a burst of a few hundred datagrams overflows it and
 * the loss shows up as retransmission delay that belongs to the caller, not to the system
 * under test. 4 MiB is this machine's rmem_max/wmem_max.
 */
const SIPP_BUFFER_BYTES = 4 * 1024 * 1024;
const MAX_OPEN_CALLS = 15_000;
/** A call whose next message is this late is aborted and counted as failed. */
const RECV_TIMEOUT_MS = 5000;

/** SIPp's own chatter on stderr, not a reason for a failure. */
const NOISE = /^(Resolving remote host|The following events occurred:|Done\.)/;

export interface SippStepOptions {
  scenario: string;
  /** Where the INVITEs go, `host:port`. */
  remote: string;
  localIp: string;
  localPort: number;
  mediaPort: number;
  rate: number;
  calls: number;
  /** Fresh directory for SIPp's trace files (created if missing). */
  workDir: string;
  /** Hard bound: SIPp is killed after this long. */
  timeoutMs: number;
  children: ChildSet;
  /** Called with SIPp's pid as soon as it is started (to sample its CPU). */
  onStart?: (pid: number) => void;
}

export interface SippStepResult {
  rate: number;
  calls: number;
  /** SIPp's exit code: 0 all calls succeeded, 1 some failed, others fatal; null if killed. */
  exitCode: number | null;
  killedOnTimeout: boolean;
  created: number;
  successful: number;
  failed: number;
  failures: Record<string, number>;
  /** SIPp's cumulative call rate (calls created / elapsed), what its screen prints. */
  achievedCps: number;
  samples: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  /** First lines of SIPp's error log and stderr, when it reported any. */
  errors: string[];
}

function readIfPresent(file: string | undefined): string {
  if (file === undefined) return '';
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export async function runSippStep(opts: SippStepOptions): Promise<SippStepResult> {
  mkdirSync(opts.workDir, { recursive: true });
  const statFile = path.join(opts.workDir, 'stat.csv');
  const errorFile = path.join(opts.workDir, 'errors.log');
  const args = [
    opts.remote,
    ...[
      '-sf',
      opts.scenario,
      '-i',
      opts.localIp,
      '-p',
      String(opts.localPort),
      '-mp',
      String(opts.mediaPort),
    ],
    ...['-r', String(opts.rate), '-m', String(opts.calls)],
    // Room for 2 s of calls in flight, so the limit does not throttle a healthy run, but below
    // SIPp's open-files limit (20,000 here), which it checks against open calls at start.
    ...['-l', String(Math.min(MAX_OPEN_CALLS, Math.max(100, opts.rate * 2)))],
    ...['-buff_size', String(SIPP_BUFFER_BYTES), '-max_invite_retrans', '3'],
    ...['-recv_timeout', String(RECV_TIMEOUT_MS), '-timeout', `${Math.ceil(opts.timeoutMs / 1000)}s`],
    ...['-trace_rtt', '-rtt_freq', '1', '-trace_stat', '-stf', statFile, '-fd', '1'],
    ...['-trace_err', '-error_file', errorFile, '-nostdin'],
  ];
  const sipp = opts.children.spawn('sipp', args, { cwd: opts.workDir, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = captureTail(sipp.stderr);
  if (sipp.pid !== undefined) opts.onStart?.(sipp.pid);
  let killedOnTimeout = false;
  const killer = setTimeout(() => {
    killedOnTimeout = true;
    sipp.kill('SIGKILL');
  }, opts.timeoutMs + 5000);
  const exitCode = await waitForExit(sipp).finally(() => clearTimeout(killer));

  const rttFile = readdirSync(opts.workDir).find((f) => f.endsWith('_rtt.csv'));
  const rtt: RttSamples = parseRttCsv(readIfPresent(rttFile && path.join(opts.workDir, rttFile)));
  const stats = parseStatCsv(readIfPresent(statFile));
  const errors = [...readIfPresent(errorFile).split('\n'), ...stderr().split('\n')]
    .map((l) => l.trim())
    .filter((l) => l !== '' && !NOISE.test(l))
    .map((l) => (l.length > 240 ? `${l.slice(0, 240)}…` : l))
    .slice(0, 8);
  const successful = statNumber(stats, 'SuccessfulCall(C)');
  const created = statNumber(stats, 'OutgoingCall(C)');
  return {
    rate: opts.rate,
    calls: opts.calls,
    exitCode,
    killedOnTimeout,
    created,
    successful,
    // Calls never started (SIPp killed or quit early) count as failed too.
    failed: Math.max(statNumber(stats, 'FailedCall(C)'), opts.calls - successful),
    failures: failureBreakdown(stats),
    achievedCps: statNumber(stats, 'CallRate(C)'),
    samples: rtt.times.length,
    p50Ms: percentile(rtt.times, 50),
    p99Ms: percentile(rtt.times, 99),
    maxMs: percentile(rtt.times, 100),
    errors,
  };
}
