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
import { createWriteStream, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  BenchError,
  captureTail,
  stopChild,
  waitForLine,
  waitForTcpPort,
  type ChildSet,
} from './bench-processes.js';
import {
  benchPaths,
  commonArgOptions,
  machineLine,
  nodeEntry,
  parseRates,
  positiveNumber,
  readCpuProfile,
  runBench,
  writeJsonResult,
} from './bench-cli.js';
import { runRamp, runSampledStep, startSippUas, type ProcessesUnderTest } from './bench-ramp.js';
import { formatSummary, summarizeRamp, targetMet, type StepRecord } from './bench-report.js';

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

const PATHS = benchPaths(import.meta.url);
const SCENARIOS = {
  uac: path.join(PATHS.root, 'sipp-scenarios/uac-call-expect-200.xml'),
  uas: path.join(PATHS.root, 'sipp-scenarios/uas-answer-200.xml'),
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
      ...commonArgOptions(),
      target: { type: 'string', default: 'both' },
      'p99-limit': { type: 'string', default: '200' },
      traces: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'engine-node-flags': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const target = values.target;
  if (target !== 'both' && target !== 'engine' && target !== 'direct') {
    throw new Error(`--target: expected both, engine or direct, got "${target}"`);
  }
  return {
    target,
    rates: parseRates(values.rates, DEFAULT_RATES),
    stepSeconds: positiveNumber('--seconds', values.seconds),
    p99LimitMs: positiveNumber('--p99-limit', values['p99-limit']),
    json: values.json,
    tracesDir: values.traces && path.resolve(values.traces),
    cpuProfDir: values['cpu-prof'] && path.resolve(values['cpu-prof']),
    engineNodeFlags: values['engine-node-flags']?.split(/\s+/).filter((f) => f !== '') ?? [],
  };
}

interface SystemUnderTest extends ProcessesUnderTest {
  remote: string;
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
      ...nodeEntry(PATHS, 'engine/main', nodeFlags),
      ...['-c', `sip:${HOST}:${PORTS.engineSip};transport=udp`, '--address', HOST],
      ...['-p', String(PORTS.engineAdmin), '--secret', SECRET, '-l', 'warn'],
    ],
    { cwd: PATHS.root },
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
    [
      ...nodeEntry(PATHS, 'bench/apps/uas-answer-app'),
      '--port',
      String(PORTS.engineAdmin),
      '--secret',
      SECRET,
    ],
    { cwd: PATHS.root },
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
  const uas = await startSippUas(children, {
    scenario: SCENARIOS.uas,
    localIp: HOST,
    localPort: PORTS.directUas,
    mediaPort: PORTS.uasMedia,
    readyTimeoutMs: READY_TIMEOUT_MS,
    label: 'sipp uas',
  });
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
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const step = await runSampledStep(sut, opts.p99LimitMs, {
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
  });
  lag.disable();
  return {
    ...step,
    load1: os.loadavg()[0],
    // The histogram counts from the timer's due time, so subtract its 10 ms resolution.
    benchLagMs: Math.max(0, lag.max / 1e6 - 10),
  };
}

async function ramp(
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
  return runRamp(sut, {
    name,
    rates: opts.rates,
    stepSeconds: opts.stepSeconds,
    p99LimitMs: opts.p99LimitMs,
    settleMs: SETTLE_MS,
    settle: 'before',
    step: (rate, calls) => runStep(name, sut, rate, calls, opts, children, workRoot),
  });
}

async function run(opts: BenchOptions, children: ChildSet, workRoot: string): Promise<number> {
  if (opts.cpuProfDir) mkdirSync(opts.cpuProfDir, { recursive: true });
  process.stdout.write(
    machineLine('engine', PATHS) +
      `steps of ${opts.stepSeconds} s, p99 limit ${opts.p99LimitMs} ms; INVITE→200 response times measured by SIPp (whole ms, in steps of its clock)\n` +
      `columns: srv = engine (direct pair: SIPp UAS), app = srf app; MiB = peak RSS in the step; CPU% of one core; ` +
      `load = 1-min load average at the step's end; lag = longest stall of the idle bench process ` +
      `(the machine is shared: other work and host stalls show here)\n`,
  );
  let engineSteps: StepRecord[] | undefined;
  let directSteps: StepRecord[] | undefined;
  if (opts.target !== 'direct') {
    const sut = await startEngineSystem(children, opts);
    try {
      engineSteps = await ramp('engine', sut, opts, children, workRoot);
    } finally {
      await sut.stop();
    }
  }
  if (opts.target !== 'engine') {
    const sut = await startDirectSystem(children);
    try {
      directSteps = await ramp('direct', sut, opts, children, workRoot);
    } finally {
      await sut.stop();
    }
  }
  const read = opts.cpuProfDir ? readCpuProfile(opts.cpuProfDir, PATHS, 'newest') : undefined;
  const profile = read?.summary;
  process.stdout.write(
    `${formatSummary({ engine: engineSteps, direct: directSteps, p99LimitMs: opts.p99LimitMs, profile })}\n`,
  );
  if (read) process.stdout.write(`profile: ${read.file}\n`);
  if (opts.json) {
    writeJsonResult(opts.json, opts, {
      engine: engineSteps && {
        steps: engineSteps,
        summary: summarizeRamp(engineSteps),
        targetMet: targetMet(engineSteps),
      },
      direct: directSteps && { steps: directSteps, summary: summarizeRamp(directSteps) },
      profile,
    });
  }
  return 0;
}

runBench({
  name: 'bench-engine',
  usage: USAGE,
  parse: parseBenchArgs,
  host: HOST,
  ports: PORTS,
  workDirPrefix: 'baton-bench-',
  keepWorkDir: (opts) => opts.tracesDir,
  run,
});
