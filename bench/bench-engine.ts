/**
 * `npm run bench:engine`: how many calls per second the engine carries.
 *
 * SIPp (caller) → engine (child process) → a minimal drachtio-srf UAS app (child process) over
 * UDP on loopback, rate ramped step by step until a call fails, p99 of INVITE→200 exceeds the
 * limit or SIPp cannot keep the rate; then the same ramp against a direct SIPp uac → SIPp uas
 * pair as the reference. Prints a table per step and a summary; not a test, asserts nothing.
 *
 *   node dist/bench/bench-engine.js [--target both|engine|direct] [--rates 200,400,...]
 *        [--seconds 5] [--p99-limit 200] [--json FILE] [--traces DIR] [--cpu-prof DIR]
 *        [--engine-node-flags="--trace-gc"]
 *   node --import tsx bench/bench-engine.ts ...   (from source, spawns the engine from source too)
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  assertPortFree,
  BenchError,
  captureTail,
  ChildSet,
  ProcessSampler,
  stopChild,
  waitForLine,
  waitForTcpPort,
  waitForUdpPort,
} from './bench-processes.js';
import {
  formatStepHeader,
  formatStepRow,
  formatSummary,
  judgeStep,
  summarizeRamp,
  targetMet,
  type StepRecord,
} from './bench-report.js';
import { summarizeCpuProfile, type CpuProfile } from './cpu-profile-summary.js';
import { runSippStep } from './sipp-step.js';

/** Loopback only, ports from the range reserved for this bench (26000–26999). */
const HOST = '127.0.0.1';
const PORTS = {
  engineSip: 26060,
  engineAdmin: 26022,
  directUas: 26070,
  uac: 26100,
  uacMedia: 26200,
  uasMedia: 26300,
};
const SECRET = 'baton-bench';
const DEFAULT_RATES = [
  200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000, 2400, 2800, 3200, 3600, 4000, 4500, 5000, 6000,
  7000, 8000, 10000, 12000, 14000, 16000,
];
/** Pause between steps so transactions of the previous one drain before the next measures. */
const SETTLE_MS = 1000;
const WARM_UP = { rate: 250, calls: 1000 };
const READY_TIMEOUT_MS = 15_000;

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Run from source (`bench/*.ts` under tsx) or compiled (`dist/bench/*.js`). */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ROOT = FROM_SOURCE ? path.resolve(HERE, '..') : path.resolve(HERE, '../..');
const SCENARIOS = {
  uac: path.join(ROOT, 'sipp-scenarios/uac-call-expect-200.xml'),
  uas: path.join(ROOT, 'sipp-scenarios/uas-answer-200.xml'),
};

const USAGE = `usage: bench-engine [options]
  --target <t>       both | engine | direct (default both)
  --rates <list>     comma-separated calls/s per step (default ${DEFAULT_RATES.join(',')}; env BENCH_RATES)
  --seconds <n>      length of each step; calls per step = rate × n (default 5; env BENCH_STEP_SECONDS)
  --p99-limit <ms>   a step with p99 above this ends the ramp (default 200)
  --json <file>      also write the results as JSON
  --traces <dir>     keep SIPp's trace files (response times, stats, errors) there instead of deleting them
  --cpu-prof <dir>   run the engine under node --cpu-prof, write the profile there and print its hot spots
  --engine-node-flags <flags>  extra node flags for the engine, e.g. "--trace-gc" (its log goes to --traces)
  -h, --help`;

interface BenchOptions {
  target: 'both' | 'engine' | 'direct';
  rates: number[];
  stepSeconds: number;
  p99LimitMs: number;
  json?: string;
  tracesDir?: string;
  cpuProfDir?: string;
  /** Extra node flags for the engine process, e.g. `--trace-gc` or `--max-semi-space-size=32`. */
  engineNodeFlags: string[];
}

function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', default: 'both' },
      rates: { type: 'string', default: process.env.BENCH_RATES },
      seconds: { type: 'string', default: process.env.BENCH_STEP_SECONDS ?? '5' },
      'p99-limit': { type: 'string', default: '200' },
      json: { type: 'string' },
      traces: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'engine-node-flags': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const positive = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got "${text}"`);
    return n;
  };
  const target = values.target;
  if (target !== 'both' && target !== 'engine' && target !== 'direct') {
    throw new Error(`--target: expected both, engine or direct, got "${target}"`);
  }
  return {
    target,
    rates: values.rates
      ? values.rates.split(',').map((r) => Math.round(positive('--rates', r.trim())))
      : DEFAULT_RATES,
    stepSeconds: positive('--seconds', values.seconds),
    p99LimitMs: positive('--p99-limit', values['p99-limit']),
    json: values.json,
    tracesDir: values.traces && path.resolve(values.traces),
    cpuProfDir: values['cpu-prof'] && path.resolve(values['cpu-prof']),
    engineNodeFlags: values['engine-node-flags']?.split(/\s+/).filter((f) => f !== '') ?? [],
  };
}

/** `node <script>` for one of our entry points, from source or from dist. */
function nodeArgs(entry: string, nodeFlags: string[] = []): string[] {
  return FROM_SOURCE
    ? [...nodeFlags, '--import', 'tsx', path.join(ROOT, `${entry}.ts`)]
    : [...nodeFlags, path.join(ROOT, 'dist', `${entry}.js`)];
}

interface SystemUnderTest {
  remote: string;
  server: ChildProcess;
  app?: ChildProcess;
  stop(): Promise<void>;
}

async function startEngineSystem(children: ChildSet, opts: BenchOptions): Promise<SystemUnderTest> {
  const nodeFlags = [
    ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []),
    ...opts.engineNodeFlags,
  ];
  const engine = children.spawn(
    process.execPath,
    [
      ...nodeArgs('engine/main', nodeFlags),
      ...['-c', `sip:${HOST}:${PORTS.engineSip};transport=udp`, '--address', HOST],
      ...['-p', String(PORTS.engineAdmin), '--secret', SECRET, '-l', 'warn'],
    ],
    { cwd: ROOT },
  );
  if (opts.tracesDir) engine.stdout?.pipe(createWriteStream(path.join(opts.tracesDir, 'engine.log')));
  const engineOut = captureTail(engine.stdout);
  const engineErr = captureTail(engine.stderr);
  try {
    await waitForTcpPort(HOST, PORTS.engineAdmin, READY_TIMEOUT_MS, engine);
  } catch (err) {
    throw new BenchError(
      'ENOTREADY',
      `engine did not start: ${(err as Error).message}\n${engineErr()}${engineOut()}`,
    );
  }
  const app = children.spawn(
    process.execPath,
    [...nodeArgs('bench/apps/uas-answer-app'), '--port', String(PORTS.engineAdmin), '--secret', SECRET],
    { cwd: ROOT },
  );
  const appOut = captureTail(app.stdout);
  const appErr = captureTail(app.stderr);
  try {
    await waitForLine(app, /^ready$/, READY_TIMEOUT_MS);
  } catch (err) {
    throw new BenchError('ENOTREADY', `srf app did not connect: ${(err as Error).message}\n${appErr()}`);
  }
  // srf sends its `route` frames right after authenticating; let them land before traffic.
  await new Promise((r) => setTimeout(r, 200));
  return {
    remote: `${HOST}:${PORTS.engineSip}`,
    server: engine,
    app,
    async stop() {
      await stopChild(app);
      const counters = appOut()
        .split('\n')
        .find((l) => l.startsWith('{"counters"'));
      if (counters) process.stdout.write(`srf app: ${counters}\n`);
      await stopChild(engine, 10_000);
      const warnings = engineOut().trim();
      if (warnings)
        process.stdout.write(`engine log (last lines):\n${warnings.split('\n').slice(-5).join('\n')}\n`);
    },
  };
}

async function startDirectSystem(children: ChildSet): Promise<SystemUnderTest> {
  const uas = children.spawn(
    'sipp',
    [
      ...['-sf', SCENARIOS.uas, '-i', HOST, '-p', String(PORTS.directUas), '-mp', String(PORTS.uasMedia)],
      ...['-buff_size', String(4 * 1024 * 1024), '-nostdin'],
    ],
    { cwd: os.tmpdir(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const uasErr = captureTail(uas.stderr);
  try {
    await waitForUdpPort(PORTS.directUas, READY_TIMEOUT_MS, uas);
  } catch (err) {
    throw new BenchError('ENOTREADY', `sipp uas did not start: ${(err as Error).message}\n${uasErr()}`);
  }
  return {
    remote: `${HOST}:${PORTS.directUas}`,
    server: uas,
    async stop() {
      await stopChild(uas);
    },
  };
}

async function runStep(
  name: string,
  sut: SystemUnderTest,
  rate: number,
  calls: number,
  opts: BenchOptions,
  children: ChildSet,
  workRoot: string,
): Promise<StepRecord> {
  const sampler = new ProcessSampler({ server: sut.server.pid, app: sut.app?.pid });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const result = await runSippStep({
    scenario: SCENARIOS.uac,
    remote: sut.remote,
    localIp: HOST,
    localPort: PORTS.uac,
    mediaPort: PORTS.uacMedia,
    rate,
    calls,
    workDir: path.join(workRoot, `${name}-${rate}-${calls}`),
    timeoutMs: (calls / rate + 20) * 1000,
    children,
    onStart: (pid) => sampler.add('sipp', pid),
  });
  lag.disable();
  return {
    ...result,
    verdict: judgeStep(result, opts.p99LimitMs),
    usage: sampler.stop(),
    load1: os.loadavg()[0],
    // The histogram counts from the timer's due time, so subtract its 10 ms resolution.
    benchLagMs: Math.max(0, lag.max / 1e6 - 10),
  };
}

async function runRamp(
  name: string,
  sut: SystemUnderTest,
  opts: BenchOptions,
  children: ChildSet,
  workRoot: string,
): Promise<StepRecord[]> {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  process.stdout.write(`\n== ${name} == (machine load average ${load})\n`);
  // A fresh process runs cold code (interpreter, then JIT) for its first thousand calls or so;
  // the first step would measure that start-up instead of the steady state.
  const warm = await runStep(name, sut, WARM_UP.rate, WARM_UP.calls, opts, children, workRoot);
  process.stdout.write(
    `warm-up: ${warm.successful}/${warm.calls} calls at ${WARM_UP.rate} CPS, p99 ${warm.p99Ms ?? '-'} ms (not counted)\n`,
  );
  process.stdout.write(`${formatStepHeader()}\n`);
  const steps: StepRecord[] = [];
  for (const rate of opts.rates) {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    if (sut.server.exitCode !== null || (sut.app !== undefined && sut.app.exitCode !== null)) {
      throw new BenchError('EEXITED', `${name}: a process under test exited during the ramp`);
    }
    const step = await runStep(
      name,
      sut,
      rate,
      Math.round(rate * opts.stepSeconds),
      opts,
      children,
      workRoot,
    );
    steps.push(step);
    process.stdout.write(`${formatStepRow(step, opts.p99LimitMs)}\n`);
    if (step.verdict !== 'ok') {
      for (const line of step.errors.slice(0, 4)) process.stdout.write(`    sipp: ${line}\n`);
      break;
    }
  }
  return steps;
}

function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench-engine: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (spawnSync('sipp', ['-v']).error) {
    throw new BenchError('ENOSIPP', 'sipp is not installed (npm run setup:system installs it)');
  }
  for (const port of Object.values(PORTS)) await assertPortFree(HOST, port);
  const children = new ChildSet();
  children.installExitHandlers();
  const workRoot = opts.tracesDir ?? mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
  // On 'exit', so an interrupted run (Ctrl-C) leaves no temporary files either.
  if (opts.tracesDir === undefined)
    process.once('exit', () => rmSync(workRoot, { recursive: true, force: true }));
  if (opts.cpuProfDir) mkdirSync(opts.cpuProfDir, { recursive: true });
  if (opts.tracesDir) mkdirSync(opts.tracesDir, { recursive: true });
  process.stdout.write(
    `bench:engine — ${os.cpus().length} CPUs, node ${process.version}, ${FROM_SOURCE ? 'from source (tsx)' : 'compiled'}; ` +
      `steps of ${opts.stepSeconds} s, p99 limit ${opts.p99LimitMs} ms; INVITE→200 response times measured by SIPp (whole ms, in steps of its clock)\n` +
      `columns: srv = engine (direct pair: SIPp UAS), app = srf app; MiB = peak RSS in the step; CPU% of one core; ` +
      `load = 1-min load average at the step's end; lag = longest stall of the idle bench process ` +
      `(the machine is shared: other work and host stalls show here)\n`,
  );
  try {
    let engineSteps: StepRecord[] | undefined;
    let directSteps: StepRecord[] | undefined;
    if (opts.target !== 'direct') {
      const sut = await startEngineSystem(children, opts);
      try {
        engineSteps = await runRamp('engine', sut, opts, children, workRoot);
      } finally {
        await sut.stop();
      }
    }
    if (opts.target !== 'engine') {
      const sut = await startDirectSystem(children);
      try {
        directSteps = await runRamp('direct', sut, opts, children, workRoot);
      } finally {
        await sut.stop();
      }
    }
    const profileFile = opts.cpuProfDir && newestProfile(opts.cpuProfDir);
    const profile = profileFile
      ? summarizeCpuProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile, ROOT)
      : undefined;
    process.stdout.write(
      `${formatSummary({ engine: engineSteps, direct: directSteps, p99LimitMs: opts.p99LimitMs, profile })}\n`,
    );
    if (profileFile) process.stdout.write(`profile: ${profileFile}\n`);
    if (opts.json) {
      const result = {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, node: process.version },
        options: opts,
        engine: engineSteps && {
          steps: engineSteps,
          summary: summarizeRamp(engineSteps),
          targetMet: targetMet(engineSteps),
        },
        direct: directSteps && { steps: directSteps, summary: summarizeRamp(directSteps) },
        profile,
      };
      writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`results written to ${opts.json}\n`);
    }
    return 0;
  } finally {
    children.killAll('SIGKILL');
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench-engine: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
