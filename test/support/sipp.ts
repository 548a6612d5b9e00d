/**
 * Runs SIPp (Debian `sip-tester`, SIPp 3.6.1, `/usr/bin/sipp`) as a real process for the
 * conformance, integration and bench tiers: callers, AI agents, carriers and humans.
 *
 * Every run gets its own temporary working directory (SIPp writes files named after the
 * scenario into its working directory), its own loopback ports (SIP, media, control) and a
 * unique Call-ID prefix, so parallel test workers never meet. SIPp's verdict is its exit code
 * (0: every call reached the end of its scenario); the error file, the `<log>` actions and,
 * when asked, the message trace come back with the result so a failure explains itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocPort, releasePort } from './ports.js';
import { waitUntilBound } from './process-sockets.js';
import { parseSippRtt, parseSippStats, type SippRttSample, type SippStats } from './sipp-stats.js';

export { parseSippRtt, parseSippStats, type SippRttSample, type SippStats } from './sipp-stats.js';

/** The repository's scenario folder. */
export const SCENARIO_DIR = fileURLToPath(new URL('../../sipp-scenarios/', import.meta.url));

/**
 * Values for the `-key` keywords our scenarios use (see sipp-scenarios/README.md). SIPp
 * refuses to start when a scenario uses a keyword it was not given, so every run gets these
 * unless `keys` overrides them; unused keys are harmless.
 */
export const SCENARIO_KEY_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  auth_user: 'baton',
  auth_password: 'baton-secret',
  auth_realm: 'baton.test',
  refer_to: 'sip:transfer-target@127.0.0.1',
  refer_final: '200 OK',
  redirect_to: 'sip:redirected@127.0.0.1',
  transfer_target: 'support',
});

/** How long the default run may take before SIPp's own global timeout fails it. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** Scenario `<pause/>` length (-d): short, so conformance runs stay quick. */
const DEFAULT_CALL_DURATION_MS = 100;
/** Our kill timer fires this long after SIPp's own -timeout should have ended the run. */
const KILL_GRACE_MS = 3_000;
/** Time given to a stopped SIPp to exit on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 2_000;
/** How long startSippServer waits for the listening socket to appear. */
const READY_TIMEOUT_MS = 5_000;
/** Tail of stdout kept: SIPp redraws its statistics screen on stdout every second. */
const STDOUT_KEEP_CHARS = 64 * 1024;
/** Exit code SIPp uses when it cannot bind its socket (-2). */
const EXIT_BIND_FAILED = 254;

export type SippTransport = 'udp' | 'tcp';

export interface SippRunOptions {
  /** A file name in sipp-scenarios/ (e.g. `uac-call-expect-200.xml`) or an absolute path. */
  scenario: string;
  /** `host:port` SIPp sends to. Omit for a UAS scenario that waits for its first request. */
  remote?: string;
  /** Local address for SIP, media and control sockets (-i, -mi, -ci, with -bind_local). */
  localIp?: string;
  /** Local SIP port (-p); allocated when omitted. */
  localPort?: number;
  /** `udp` → `-t u1` (one socket), `tcp` → `-t t1` (one connection). Default udp. */
  transport?: SippTransport;
  /** Calls to run before exiting (-m). Default 1. */
  calls?: number;
  /** Whole-run limit: SIPp's -timeout (whole seconds, a timeout fails the run) plus our kill timer. */
  timeoutMs?: number;
  /** `-key name value` keywords, merged over {@link SCENARIO_KEY_DEFAULTS}. */
  keys?: Record<string, string | number>;
  /** `-set name value` global variables (scenarios declare them with `<Global variables=...>`). */
  variables?: Record<string, string | number>;
  /** Request-URI user part (-s), `[service]` in scenarios. SIPp's default is `service`. */
  service?: string;
  /** Send everything to this `host:port` instead of `remote` (-rsa), e.g. an outbound proxy. */
  remoteSendAddress?: string;
  /** Length of each scenario `<pause/>` without its own duration (-d). Default 100 ms. */
  callDurationMs?: number;
  /** Calls started per `ratePeriodMs` (-r). SIPp's default is 10. */
  rate?: number;
  /** Rate period in milliseconds (-rp). Default 1000. */
  ratePeriodMs?: number;
  /** Maximum simultaneous calls (-l). */
  maxConcurrentCalls?: number;
  /** Keep the full SIP message trace (-trace_msg) in `result.messages`. */
  traceMessages?: boolean;
  /** Keep the scenarios' `<log>` output (-trace_logs) in `result.logs`. Default true. */
  traceLogs?: boolean;
  /** Collect -trace_stat counters into `result.stats`; `intervalS` sets -fd (default 1). */
  stats?: boolean | { intervalS?: number };
  /** Collect -trace_rtt samples into `result.responseTimes`; `everyNCalls` sets -rtt_freq (default 1). */
  responseTimes?: boolean | { everyNCalls?: number };
  /** Anything else, appended last. */
  extraArgs?: readonly string[];
}

export interface SippResult {
  /** SIPp's exit code (0: all calls succeeded); null when it was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Our kill timer had to end the process. */
  killedByTimer: boolean;
  /** The process was ended by `stop()` rather than by finishing its calls. */
  stopped: boolean;
  scenario: string;
  args: string[];
  durationMs: number;
  /** The last 64 KiB of stdout (SIPp's statistics screens). */
  stdout: string;
  stderr: string;
  /** The -error_file: unexpected messages, failed checks, timeouts. */
  errors: string;
  /** Output of the scenario's `<log>` actions (empty when traceLogs is false). */
  logs: string;
  /** The -message_file, when traceMessages was set. */
  messages?: string;
  stats?: SippStats;
  responseTimes?: SippRttSample[];
}

export interface SippServer {
  /** The local SIP port the scenario listens on. */
  port: number;
  /** `host:port` to point callers (or the engine) at. */
  address: string;
  pid: number;
  /** Settles when SIPp exits; never rejects. */
  done: Promise<SippResult>;
  /** End SIPp now (SIGTERM, then SIGKILL), e.g. in a test's cleanup. */
  stop(): Promise<SippResult>;
}

interface PreparedRun {
  scenario: string;
  args: string[];
  workDir: string;
  localIp: string;
  localPort: number;
  transport: SippTransport;
  timeoutMs: number;
  files: { errors: string; logs?: string; messages?: string; stats?: string; wantRtt: boolean };
  /** Ports this run allocated itself, given back when SIPp has exited. */
  leasedPorts: number[];
}

interface RunningSipp {
  child: ChildProcess;
  result: Promise<SippResult>;
  markStopped(): void;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Run a SIPp scenario to the end and report how it went (never rejects on a SIPp failure). */
export async function runSipp(options: SippRunOptions): Promise<SippResult> {
  // Ports come from the kernel's ephemeral range, so another process may take one between
  // allocation and SIPp's bind; SIPp then exits before sending anything, and a fresh port is safe.
  const attempts = options.localPort === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const result = await launch(await prepareRun(options)).result;
    if (result.code !== EXIT_BIND_FAILED || attempt >= attempts) return result;
  }
}

/**
 * Start a SIPp scenario that must be listening before anything calls it (a UAS: far end,
 * human, carrier). Resolves once SIPp's SIP socket is bound (TCP: listening), checked against
 * the process's own sockets in /proc.
 */
export async function startSippServer(options: SippRunOptions): Promise<SippServer> {
  const attempts = options.localPort === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const run = await prepareRun(options);
    const running = launch(run);
    const pid = running.child.pid;
    let outcome: 'ready' | SippResult;
    try {
      outcome = await Promise.race([
        waitUntilBound(pid, run.localPort, run.transport, READY_TIMEOUT_MS).then(() => 'ready' as const),
        running.result,
      ]);
    } catch (err) {
      const result = await stopChild(running);
      throw new Error(`${(err as Error).message}\n${describeFailure(result)}`, { cause: err });
    }
    if (outcome === 'ready' && pid !== undefined) {
      return {
        port: run.localPort,
        address: formatAddress(run.localIp, run.localPort),
        pid,
        done: running.result,
        stop: () => stopChild(running),
      };
    }
    if (outcome === 'ready') throw new Error('SIPp started without a pid');
    // Another process took the port between allocation and bind: try a fresh one.
    if (outcome.code === EXIT_BIND_FAILED && attempt < attempts) continue;
    throw new Error(`SIPp server did not start listening\n${describeFailure(outcome)}`);
  }
}

/** Throw, with SIPp's own account of what went wrong, unless every run exited 0. */
export function expectSippPass(...results: SippResult[]): void {
  const failures = results.filter((r) => r.code !== 0 || r.stopped || r.killedByTimer);
  if (failures.length > 0) throw new Error(failures.map(describeFailure).join('\n\n'));
}

/** A readable account of a run: verdict, command line, error file, logs, trace tail. */
export function describeFailure(result: SippResult): string {
  const parts = [
    `sipp ${result.scenario}: ${verdict(result)} after ${result.durationMs} ms`,
    `command: sipp ${result.args.join(' ')}`,
  ];
  const section = (title: string, text: string | undefined, keep: number): void => {
    const trimmed = text?.trim();
    if (!trimmed) return;
    const shown = trimmed.length > keep ? `…${trimmed.slice(-keep)}` : trimmed;
    parts.push(`--- ${title} ---\n${shown}`);
  };
  section('error file', result.errors, 6_000);
  section('scenario log', result.logs, 2_000);
  section('message trace (end)', result.messages, 8_000);
  section('stderr', result.stderr, 2_000);
  return parts.join('\n');
}

function verdict(result: SippResult): string {
  if (result.killedByTimer) return 'killed by the harness timer (SIPp ignored its own -timeout)';
  if (result.stopped) return 'stopped before its scenario finished';
  switch (result.code) {
    case 0:
      return 'exit 0 (all calls succeeded)';
    case 1:
      return 'exit 1 (at least one call failed)';
    case 97:
      return 'exit 97 (stopped by the scenario: a check failed, see its log)';
    case 99:
      return 'exit 99 (no call was processed)';
    case 254:
      return 'exit 254 (could not bind a socket)';
    case 255:
      return 'exit 255 (fatal error or global timeout)';
    case null:
      return `ended by ${result.signal ?? 'a signal'}`;
    default:
      return `exit ${result.code}`;
  }
}

async function prepareRun(options: SippRunOptions): Promise<PreparedRun> {
  const localIp = options.localIp ?? '127.0.0.1';
  const transport = options.transport ?? 'udp';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const localPort = options.localPort ?? (await allocPort({ host: localIp }));
  const mediaPort = await allocPort({ host: localIp });
  const controlPort = await allocPort({ host: localIp });
  const leasedPorts = [mediaPort, controlPort, ...(options.localPort === undefined ? [localPort] : [])];
  const scenario = isAbsolute(options.scenario) ? options.scenario : join(SCENARIO_DIR, options.scenario);
  const workDir = await mkdtemp(join(tmpdir(), 'baton-sipp-'));
  const runId = randomBytes(4).toString('hex');
  const keys = { ...SCENARIO_KEY_DEFAULTS, ...options.keys };
  const traceLogs = options.traceLogs ?? true;

  const files: PreparedRun['files'] = {
    errors: join(workDir, 'errors.log'),
    logs: traceLogs ? join(workDir, 'logs.log') : undefined,
    messages: options.traceMessages ? join(workDir, 'messages.log') : undefined,
    stats: options.stats ? join(workDir, 'stats.csv') : undefined,
    wantRtt: Boolean(options.responseTimes),
  };

  const args: string[] = [];
  if (options.remote !== undefined) args.push(options.remote);
  // prettier-ignore
  args.push(
    '-sf', scenario,
    '-t', transport === 'tcp' ? 't1' : 'u1',
    // Bind every socket to the loopback address: SIP, RTP echo and the UDP control socket.
    '-i', localIp, '-p', String(localPort), '-bind_local',
    '-mi', localIp, '-mp', String(mediaPort),
    // SIPp 3.6.1 opens its UDP control socket as IPv4 only (errno 97 with -ci ::1).
    '-ci', localIp.includes(':') ? '127.0.0.1' : localIp, '-cp', String(controlPort),
    '-m', String(options.calls ?? 1),
    '-nostdin',
    '-timeout', `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`, '-timeout_error',
    '-cid_str', `%u-%p-${runId}@%s`,
    '-d', String(options.callDurationMs ?? DEFAULT_CALL_DURATION_MS),
    '-trace_err', '-error_file', files.errors,
    // [authentication] takes its credentials from -au / -ap only (SIPp 3.6.1 does not expand
    // keywords inside it), so they follow the auth_user / auth_password keys.
    '-au', String(keys.auth_user), '-ap', String(keys.auth_password),
  );
  for (const [name, value] of Object.entries(keys)) args.push('-key', name, String(value));
  for (const [name, value] of Object.entries(options.variables ?? {})) args.push('-set', name, String(value));
  if (options.service !== undefined) args.push('-s', options.service);
  if (options.remoteSendAddress !== undefined) args.push('-rsa', options.remoteSendAddress);
  if (options.rate !== undefined) args.push('-r', String(options.rate));
  if (options.ratePeriodMs !== undefined) args.push('-rp', String(options.ratePeriodMs));
  if (options.maxConcurrentCalls !== undefined) args.push('-l', String(options.maxConcurrentCalls));
  if (files.logs !== undefined) args.push('-trace_logs', '-log_file', files.logs);
  if (files.messages !== undefined) args.push('-trace_msg', '-message_file', files.messages);
  if (files.stats !== undefined) {
    const interval = typeof options.stats === 'object' ? (options.stats.intervalS ?? 1) : 1;
    args.push('-trace_stat', '-stf', files.stats, '-fd', String(interval));
  }
  if (options.responseTimes) {
    const every = typeof options.responseTimes === 'object' ? (options.responseTimes.everyNCalls ?? 1) : 1;
    // The file is `<scenario>_<pid>_rtt.csv` in the working directory: SIPp 3.6.1 has no option to name it.
    args.push('-trace_rtt', '-rtt_freq', String(every));
  }
  args.push(...(options.extraArgs ?? []));

  return {
    scenario: options.scenario,
    args,
    workDir,
    localIp,
    localPort,
    transport,
    timeoutMs,
    files,
    leasedPorts,
  };
}

function launch(run: PreparedRun): RunningSipp {
  const started = Date.now();
  const child = spawn('sipp', run.args, { cwd: run.workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stopped = false;
  let killedByTimer = false;
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout = (stdout + chunk).slice(-STDOUT_KEEP_CHARS);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killTimer = setTimeout(() => {
    killedByTimer = true;
    child.kill('SIGKILL');
  }, run.timeoutMs + KILL_GRACE_MS);

  const result = new Promise<SippResult>((resolve) => {
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, failure?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      liveChildren.delete(child);
      for (const port of run.leasedPorts) releasePort(port);
      const base = {
        code,
        signal,
        killedByTimer,
        stopped,
        scenario: run.scenario,
        args: run.args,
        durationMs: Date.now() - started,
        stdout,
        stderr: failure ? `${stderr}\n${failure.message}`.trim() : stderr,
      };
      void collectFiles(run).then((files) => resolve({ ...base, ...files }));
    };
    // 'error' without a pid means SIPp never started (e.g. not installed): no 'close' follows.
    child.once('error', (err) => {
      if (child.pid === undefined) finish(null, null, err);
    });
    child.once('close', (code, signal) => finish(code, signal));
  });
  const markStopped = (): void => {
    stopped = true;
  };
  return { child, result, markStopped };
}

async function collectFiles(
  run: PreparedRun,
): Promise<Pick<SippResult, 'errors' | 'logs' | 'messages' | 'stats' | 'responseTimes'>> {
  const { files } = run;
  const errors = await readOptional(files.errors);
  const logs = files.logs === undefined ? '' : await readOptional(files.logs);
  const messages = files.messages === undefined ? undefined : await readOptional(files.messages);
  let stats: SippStats | undefined;
  if (files.stats !== undefined) {
    const text = await readOptional(files.stats);
    stats = text.trim() === '' ? undefined : parseSippStats(text);
  }
  let responseTimes: SippRttSample[] | undefined;
  if (files.wantRtt) {
    const rttFiles = (await readdir(run.workDir)).filter((name) => name.endsWith('_rtt.csv'));
    responseTimes = [];
    for (const name of rttFiles)
      responseTimes.push(...parseSippRtt(await readOptional(join(run.workDir, name))));
  }
  await rm(run.workDir, { recursive: true, force: true });
  return { errors, logs, messages, stats, responseTimes };
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

async function stopChild(running: RunningSipp): Promise<SippResult> {
  const { child } = running;
  if (child.exitCode === null && child.signalCode === null) {
    running.markStopped();
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    const result = await running.result;
    clearTimeout(escalate);
    return result;
  }
  return running.result;
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test worker that exits mid-run must not leave SIPp processes holding ports.
  process.once('exit', () => {
    for (const c of liveChildren) c.kill('SIGKILL');
  });
}
