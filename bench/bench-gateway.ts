/**
 * `npm run bench:gateway`: how many calls per second go through the whole gateway.
 *
 * SIPp (caller) → Baton (the real `baton` process: embedded engine, call state machine, SQLite
 * store, metrics, logs) → SIPp (AI agent, answers every call) over UDP on loopback, ramped step
 * by step until a call fails, p99 of INVITE→200 (measured by the caller) passes the limit or
 * SIPp cannot keep the rate; then the same ramp against the direct SIPp pair as the reference.
 * Not a test: it asserts nothing and prints a table per step and a summary.
 *
 *   node dist/bench/bench-gateway.js [--target both|gateway|direct] [--rates 200,400,...]
 *        [--seconds 5] [--p99-limit 100] [--log-level warn] [--json FILE]
 *   node --import tsx bench/bench-gateway.ts ...   (from source: the gateway runs under tsx too)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchError, captureTail, stopChild, waitForTcpPort, type ChildSet } from './bench-processes.js';
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
import { describeRamp, formatProfile, summarizeRamp, type StepRecord } from './bench-report.js';
import { startGatewayProcess } from './gateway-under-test.js';

/** Loopback only, fixed ports in 28500–28899 (the gateway's reserved range). */
const HOST = '127.0.0.1';
const PORTS = {
  gatewaySip: 28560,
  gatewayHttp: 28580,
  engineAdmin: 28590,
  agent: 28570,
  directUas: 28575,
  uac: 28600,
  uacMedia: 28700,
  agentMedia: 28800,
};
/** Issue 3's target for the gateway path. */
const TARGET = { cps: 600, p99Ms: 100 } as const;
const DEFAULT_RATES = [200, 300, 400, 500, 600, 700, 800, 900, 1000, 1200, 1400, 1600];
const SETTLE_MS = 1500;
const READY_TIMEOUT_MS = 30_000;

const PATHS = benchPaths(import.meta.url);
/** The same pair as bench:engine, so the direct reference is the same in both benches. */
const SCENARIOS = {
  caller: path.join(PATHS.root, 'sipp-scenarios/uac-call-expect-200.xml'),
  agent: path.join(PATHS.root, 'sipp-scenarios/uas-answer-200.xml'),
};

const USAGE = `usage: bench-gateway [options]
  --target <t>       both | gateway | direct (default both)
  --rates <list>     comma-separated calls/s per step (default ${DEFAULT_RATES.join(',')}; env BENCH_RATES)
  --seconds <n>      length of each step (default 5; env BENCH_STEP_SECONDS)
  --p99-limit <ms>   a step with p99 above this ends the ramp (default ${TARGET.p99Ms})
  --log-level <l>    the gateway's logging.level (default warn; info logs two lines per call)
  --engine <where>   embedded (the gateway starts its engine, default) or process (a separate
                     baton-engine process the gateway reaches through sip.drachtio, as it would
                     a drachtio-server)
  --json <file>      also write the results as JSON
  --cpu-prof <dir>   run the gateway under node --cpu-prof, write the profile there and print its hot spots
  -h, --help`;

interface BenchOptions {
  target: 'both' | 'gateway' | 'direct';
  rates: number[];
  stepSeconds: number;
  p99LimitMs: number;
  logLevel: string;
  engine: 'embedded' | 'process';
  json?: string;
  cpuProfDir?: string;
}

function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...commonArgOptions(),
      target: { type: 'string', default: 'both' },
      'p99-limit': { type: 'string', default: String(TARGET.p99Ms) },
      'log-level': { type: 'string', default: 'warn' },
      engine: { type: 'string', default: 'embedded' },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const target = values.target;
  if (target !== 'both' && target !== 'gateway' && target !== 'direct') {
    throw new Error(`--target: expected both, gateway or direct, got "${target}"`);
  }
  const engine = values.engine;
  if (engine !== 'embedded' && engine !== 'process') {
    throw new Error(`--engine: expected embedded or process, got "${engine}"`);
  }
  return {
    target,
    engine,
    rates: parseRates(values.rates, DEFAULT_RATES),
    stepSeconds: positiveNumber('--seconds', values.seconds),
    p99LimitMs: positiveNumber('--p99-limit', values['p99-limit']),
    logLevel: values['log-level'],
    json: values.json,
    cpuProfDir: values['cpu-prof'] && path.resolve(values['cpu-prof']),
  };
}

interface SystemUnderTest extends ProcessesUnderTest {
  remote: string;
  stop(): Promise<void>;
}

const ENGINE_SECRET = 'baton-bench-gateway';

/** A separate baton-engine process, in the place a drachtio-server would take. */
async function startEngineProcess(children: ChildSet): Promise<ChildProcess> {
  const engine = children.spawn(
    process.execPath,
    [
      ...nodeEntry(PATHS, 'engine/main'),
      ...['-c', `sip:${HOST}:${PORTS.gatewaySip};transport=udp`, '--address', HOST],
      ...['-p', String(PORTS.engineAdmin), '--secret', ENGINE_SECRET, '-l', 'warn'],
    ],
    { cwd: PATHS.root },
  );
  const err = captureTail(engine.stderr);
  try {
    await waitForTcpPort(HOST, PORTS.engineAdmin, READY_TIMEOUT_MS, engine);
  } catch (e) {
    throw new BenchError('ENOTREADY', `engine did not start: ${(e as Error).message}\n${err()}`);
  }
  return engine;
}

const startAgent = (children: ChildSet, port: number, label: string): Promise<ChildProcess> =>
  startSippUas(children, {
    scenario: SCENARIOS.agent,
    localIp: HOST,
    localPort: port,
    mediaPort: PORTS.agentMedia,
    readyTimeoutMs: READY_TIMEOUT_MS,
    label,
  });

async function startGatewaySystem(
  children: ChildSet,
  workDir: string,
  opts: BenchOptions,
): Promise<SystemUnderTest> {
  const { logLevel, cpuProfDir } = opts;
  const engine = opts.engine === 'process' ? await startEngineProcess(children) : undefined;
  const agent = await startAgent(children, PORTS.agent, 'sipp agent');
  const config = {
    ...(engine === undefined
      ? { sip: { listen: [`udp:${HOST}:${PORTS.gatewaySip}`] }, engine: { admin: { host: HOST, port: 0 } } }
      : { sip: { drachtio: { host: HOST, port: PORTS.engineAdmin, secret: ENGINE_SECRET } } }),
    http: { listen: `${HOST}:${PORTS.gatewayHttp}` },
    trunks: [{ name: 'bench', addresses: [`${HOST}/32`] }],
    aiAgent: { uri: `sip:agent@${HOST}:${PORTS.agent}` },
    // Admission limits out of the way: the bench measures capacity, not the configured caps.
    limits: { maxCalls: 100_000, maxCallsPerSecond: 100_000 },
    store: { kind: 'sqlite', sqlitePath: path.join(workDir, 'baton.db') },
    logging: { level: logLevel },
  };
  const gateway = await startGatewayProcess(children, {
    paths: PATHS,
    host: HOST,
    httpPort: PORTS.gatewayHttp,
    workDir,
    config,
    nodeFlags: cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [],
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return {
    remote: `${HOST}:${PORTS.gatewaySip}`,
    server: gateway.process,
    app: agent,
    async stop() {
      const counters = (await gateway.metrics())
        .split('\n')
        .filter((l) => /^baton_calls_(total|rejected_total)\{/.test(l))
        .join('\n');
      if (counters) process.stdout.write(`gateway counters:\n${counters}\n`);
      await stopChild(gateway.process, 40_000);
      if (engine !== undefined) await stopChild(engine, 10_000);
      await stopChild(agent);
      const tail = gateway.out().trim();
      if (tail) process.stdout.write(`gateway log (last lines):\n${tail.split('\n').slice(-5).join('\n')}\n`);
    },
  };
}

async function startDirectSystem(children: ChildSet): Promise<SystemUnderTest> {
  const uas = await startAgent(children, PORTS.directUas, 'sipp uas');
  return {
    remote: `${HOST}:${PORTS.directUas}`,
    server: uas,
    async stop() {
      await stopChild(uas);
    },
  };
}

async function ramp(
  name: string,
  sut: SystemUnderTest,
  opts: BenchOptions,
  children: ChildSet,
  workRoot: string,
): Promise<StepRecord[]> {
  process.stdout.write(`\n== ${name} ==\n`);
  return runRamp(sut, {
    name,
    rates: opts.rates,
    stepSeconds: opts.stepSeconds,
    p99LimitMs: opts.p99LimitMs,
    settleMs: SETTLE_MS,
    settle: 'after',
    step: (rate, calls) =>
      runSampledStep(sut, opts.p99LimitMs, {
        scenario: SCENARIOS.caller,
        remote: sut.remote,
        localIp: HOST,
        localPort: PORTS.uac,
        mediaPort: PORTS.uacMedia,
        rate,
        calls,
        workDir: path.join(workRoot, `${name}-${rate}`),
        timeoutMs: (opts.stepSeconds + 20) * 1000,
        children,
      }),
  });
}

function gatewayTargetMet(steps: readonly StepRecord[]): boolean {
  return steps.some(
    (s) => s.verdict === 'ok' && s.rate >= TARGET.cps && s.p99Ms !== undefined && s.p99Ms < TARGET.p99Ms,
  );
}

async function run(opts: BenchOptions, children: ChildSet, workRoot: string): Promise<number> {
  process.stdout.write(
    machineLine('gateway', PATHS) +
      `steps of ${opts.stepSeconds} s, p99 limit ${opts.p99LimitMs} ms, gateway log level ${opts.logLevel}, ` +
      `engine ${opts.engine === 'embedded' ? 'embedded in the gateway' : 'in its own process'}; ` +
      `setup time = caller's INVITE → 200, measured by SIPp (1 ms resolution)\n` +
      `columns: srv = baton (engine + gateway in one process; direct pair: SIPp UAS), app = SIPp AI agent; ` +
      `MiB = peak RSS in the step; CPU% of one core\n`,
  );
  let gatewaySteps: StepRecord[] | undefined;
  let directSteps: StepRecord[] | undefined;
  if (opts.target !== 'direct') {
    if (opts.cpuProfDir) mkdirSync(opts.cpuProfDir, { recursive: true });
    const sut = await startGatewaySystem(children, workRoot, opts);
    try {
      gatewaySteps = await ramp('gateway', sut, opts, children, workRoot);
    } finally {
      await sut.stop();
    }
  }
  if (opts.target !== 'gateway') {
    const sut = await startDirectSystem(children);
    try {
      directSteps = await ramp('direct', sut, opts, children, workRoot);
    } finally {
      await sut.stop();
    }
  }
  const gateway = gatewaySteps && summarizeRamp(gatewaySteps);
  const direct = directSteps && summarizeRamp(directSteps);
  const lines = ['', '== summary =='];
  const p99 = opts.p99LimitMs;
  if (gateway) lines.push(...describeRamp('gateway (sipp → baton → sipp agent)', gateway, p99, 'setup p50'));
  if (direct) lines.push(...describeRamp('direct (sipp uac → sipp uas)', direct, p99, 'setup p50'));
  if (gateway?.maxSustainedCps !== undefined && direct?.maxSustainedCps !== undefined) {
    lines.push(`ratio gateway/direct: ${(gateway.maxSustainedCps / direct.maxSustainedCps).toFixed(2)}`);
  }
  if (gatewaySteps) {
    const met = gatewayTargetMet(gatewaySteps);
    lines.push(
      `target ≥ ${TARGET.cps} CPS with zero failed calls and p99 < ${TARGET.p99Ms} ms: ${met ? 'MET' : 'NOT MET'}`,
    );
  }
  const profile = opts.cpuProfDir ? readCpuProfile(opts.cpuProfDir, PATHS, 'largest') : undefined;
  if (profile) lines.push('', ...formatProfile(profile.summary), `profile: ${profile.file}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (opts.json) {
    writeJsonResult(opts.json, opts, {
      gateway: gatewaySteps && {
        steps: gatewaySteps,
        summary: gateway,
        targetMet: gatewayTargetMet(gatewaySteps),
      },
      direct: directSteps && { steps: directSteps, summary: direct },
    });
  }
  return 0;
}

runBench({
  name: 'bench-gateway',
  usage: USAGE,
  parse: parseBenchArgs,
  host: HOST,
  ports: PORTS,
  workDirPrefix: 'baton-bench-gw-',
  run,
});
