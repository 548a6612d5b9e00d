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
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  assertPortFree,
  BenchError,
  captureTail,
  ChildSet,
  ProcessSampler,
  stopChild,
  waitForTcpPort,
  waitForUdpPort,
} from './bench-processes.js';
import {
  describeVerdict,
  formatStepHeader,
  formatStepRow,
  judgeStep,
  summarizeRamp,
  type RampSummary,
  type StepRecord,
} from './bench-report.js';
import { formatProfile } from './bench-report.js';
import { summarizeCpuProfile, type CpuProfile } from './cpu-profile-summary.js';
import { runSippStep } from './sipp-step.js';

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
const SIPP_BUFFER_BYTES = 4 * 1024 * 1024;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ROOT = FROM_SOURCE ? path.resolve(HERE, '..') : path.resolve(HERE, '../..');
/** The same pair as bench:engine, so the direct reference is the same in both benches. */
const SCENARIOS = {
  caller: path.join(ROOT, 'sipp-scenarios/uac-call-expect-200.xml'),
  agent: path.join(ROOT, 'sipp-scenarios/uas-answer-200.xml'),
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
      target: { type: 'string', default: 'both' },
      rates: { type: 'string', default: process.env.BENCH_RATES },
      seconds: { type: 'string', default: process.env.BENCH_STEP_SECONDS ?? '5' },
      'p99-limit': { type: 'string', default: String(TARGET.p99Ms) },
      'log-level': { type: 'string', default: 'warn' },
      engine: { type: 'string', default: 'embedded' },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
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
    rates: values.rates
      ? values.rates.split(',').map((r) => Math.round(positive('--rates', r.trim())))
      : DEFAULT_RATES,
    stepSeconds: positive('--seconds', values.seconds),
    p99LimitMs: positive('--p99-limit', values['p99-limit']),
    logLevel: values['log-level'],
    json: values.json,
    cpuProfDir: values['cpu-prof'] && path.resolve(values['cpu-prof']),
  };
}

interface SystemUnderTest {
  remote: string;
  server: ChildProcess;
  app?: ChildProcess;
  stop(): Promise<void>;
}

function startAgent(children: ChildSet, port: number): ChildProcess {
  return children.spawn(
    'sipp',
    [
      ...['-sf', SCENARIOS.agent, '-i', HOST, '-p', String(port), '-mp', String(PORTS.agentMedia)],
      ...['-buff_size', String(SIPP_BUFFER_BYTES), '-nostdin'],
    ],
    { cwd: os.tmpdir(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

const ENGINE_SECRET = 'baton-bench-gateway';

/** A separate baton-engine process, in the place a drachtio-server would take. */
async function startEngineProcess(children: ChildSet): Promise<ChildProcess> {
  const entry = FROM_SOURCE
    ? ['--import', 'tsx', path.join(ROOT, 'engine/main.ts')]
    : [path.join(ROOT, 'dist/engine/main.js')];
  const engine = children.spawn(
    process.execPath,
    [
      ...entry,
      ...['-c', `sip:${HOST}:${PORTS.gatewaySip};transport=udp`, '--address', HOST],
      ...['-p', String(PORTS.engineAdmin), '--secret', ENGINE_SECRET, '-l', 'warn'],
    ],
    { cwd: ROOT },
  );
  const err = captureTail(engine.stderr);
  try {
    await waitForTcpPort(HOST, PORTS.engineAdmin, READY_TIMEOUT_MS, engine);
  } catch (e) {
    throw new BenchError('ENOTREADY', `engine did not start: ${(e as Error).message}\n${err()}`);
  }
  return engine;
}

async function startGatewaySystem(
  children: ChildSet,
  workDir: string,
  opts: BenchOptions,
): Promise<SystemUnderTest> {
  const { logLevel, cpuProfDir } = opts;
  const engine = opts.engine === 'process' ? await startEngineProcess(children) : undefined;
  const agent = startAgent(children, PORTS.agent);
  const agentErr = captureTail(agent.stderr);
  try {
    await waitForUdpPort(PORTS.agent, READY_TIMEOUT_MS, agent);
  } catch (err) {
    throw new BenchError('ENOTREADY', `sipp agent did not start: ${(err as Error).message}\n${agentErr()}`);
  }
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
  const configFile = path.join(workDir, 'baton.yaml');
  writeFileSync(configFile, stringify(config));
  const profFlags = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const entry = FROM_SOURCE
    ? [...profFlags, '--import', 'tsx', path.join(ROOT, 'gateway/main.ts')]
    : [...profFlags, path.join(ROOT, 'dist/gateway/main.js')];
  const gateway = children.spawn(process.execPath, [...entry, '--config', configFile], { cwd: ROOT });
  const gatewayOut = captureTail(gateway.stdout);
  const gatewayErr = captureTail(gateway.stderr);
  try {
    await waitForTcpPort(HOST, PORTS.gatewayHttp, READY_TIMEOUT_MS, gateway);
    await waitReady();
  } catch (err) {
    throw new BenchError(
      'ENOTREADY',
      `gateway did not start: ${(err as Error).message}\n${gatewayErr()}${gatewayOut()}`,
    );
  }
  return {
    remote: `${HOST}:${PORTS.gatewaySip}`,
    server: gateway,
    app: agent,
    async stop() {
      const metrics = await fetchText(`http://${HOST}:${PORTS.gatewayHttp}/metrics`).catch(() => '');
      const counters = metrics
        .split('\n')
        .filter((l) => /^baton_calls_(total|rejected_total)\{/.test(l))
        .join('\n');
      if (counters) process.stdout.write(`gateway counters:\n${counters}\n`);
      await stopChild(gateway, 40_000);
      if (engine !== undefined) await stopChild(engine, 10_000);
      await stopChild(agent);
      const tail = gatewayOut().trim();
      if (tail) process.stdout.write(`gateway log (last lines):\n${tail.split('\n').slice(-5).join('\n')}\n`);
    },
  };
}

async function startDirectSystem(children: ChildSet): Promise<SystemUnderTest> {
  const uas = startAgent(children, PORTS.directUas);
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

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  return res.text();
}

async function waitReady(): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const res = await fetch(`http://${HOST}:${PORTS.gatewayHttp}/readyz`).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error('/readyz never answered 200');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runRamp(
  name: string,
  sut: SystemUnderTest,
  opts: BenchOptions,
  children: ChildSet,
  workRoot: string,
): Promise<StepRecord[]> {
  process.stdout.write(`\n== ${name} ==\n${formatStepHeader()}\n`);
  const steps: StepRecord[] = [];
  for (const rate of opts.rates) {
    const sampler = new ProcessSampler({ server: sut.server.pid, app: sut.app?.pid });
    const result = await runSippStep({
      scenario: SCENARIOS.caller,
      remote: sut.remote,
      localIp: HOST,
      localPort: PORTS.uac,
      mediaPort: PORTS.uacMedia,
      rate,
      calls: Math.round(rate * opts.stepSeconds),
      workDir: path.join(workRoot, `${name}-${rate}`),
      timeoutMs: (opts.stepSeconds + 20) * 1000,
      children,
      onStart: (pid) => sampler.add('sipp', pid),
    });
    const step: StepRecord = {
      ...result,
      verdict: judgeStep(result, opts.p99LimitMs),
      usage: sampler.stop(),
    };
    steps.push(step);
    process.stdout.write(`${formatStepRow(step, opts.p99LimitMs)}\n`);
    if (step.verdict !== 'ok') {
      for (const line of step.errors.slice(0, 4)) process.stdout.write(`    sipp: ${line}\n`);
      break;
    }
    if (sut.server.exitCode !== null || sut.app?.exitCode != null) {
      throw new BenchError('EEXITED', `${name}: a process under test exited during the ramp`);
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
  }
  return steps;
}

const fixed = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(0));

function describeRamp(name: string, summary: RampSummary, p99LimitMs: number): string[] {
  const lines: string[] = [];
  const b = summary.best;
  if (b === undefined) lines.push(`${name}: no sustained step`);
  else {
    const top = summary.stoppedAt === undefined ? ' (top of the ramp: the limit is higher)' : '';
    lines.push(
      `${name}: max sustained ${b.rate} CPS${top}, achieved ${b.achievedCps.toFixed(1)} CPS, ` +
        `setup p50 ${fixed(b.p50Ms)} ms, p99 ${fixed(b.p99Ms)} ms, max ${fixed(b.maxMs)} ms`,
    );
  }
  const s = summary.stoppedAt;
  if (s) {
    lines.push(
      `  stopped at ${s.rate} CPS: ${describeVerdict(s.verdict, p99LimitMs)} ` +
        `(${s.failed} failed, p99 ${fixed(s.p99Ms)} ms, achieved ${s.achievedCps.toFixed(1)} CPS)`,
    );
  }
  return lines;
}

function gatewayTargetMet(steps: readonly StepRecord[]): boolean {
  return steps.some(
    (s) => s.verdict === 'ok' && s.rate >= TARGET.cps && s.p99Ms !== undefined && s.p99Ms < TARGET.p99Ms,
  );
}

/** The main thread's profile: the largest one (under tsx the loader thread writes one too). */
function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench-gateway: ${(err as Error).message}\n${USAGE}\n`);
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
  const workRoot = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-gw-'));
  process.stdout.write(
    `bench:gateway — ${os.cpus().length} CPUs, node ${process.version}, ${FROM_SOURCE ? 'from source (tsx)' : 'compiled'}; ` +
      `steps of ${opts.stepSeconds} s, p99 limit ${opts.p99LimitMs} ms, gateway log level ${opts.logLevel}, ` +
      `engine ${opts.engine === 'embedded' ? 'embedded in the gateway' : 'in its own process'}; ` +
      `setup time = caller's INVITE → 200, measured by SIPp (1 ms resolution)\n` +
      `columns: srv = baton (engine + gateway in one process; direct pair: SIPp UAS), app = SIPp AI agent; ` +
      `MiB = peak RSS in the step; CPU% of one core\n`,
  );
  try {
    let gatewaySteps: StepRecord[] | undefined;
    let directSteps: StepRecord[] | undefined;
    if (opts.target !== 'direct') {
      if (opts.cpuProfDir) mkdirSync(opts.cpuProfDir, { recursive: true });
      const sut = await startGatewaySystem(children, workRoot, opts);
      try {
        gatewaySteps = await runRamp('gateway', sut, opts, children, workRoot);
      } finally {
        await sut.stop();
      }
    }
    if (opts.target !== 'gateway') {
      const sut = await startDirectSystem(children);
      try {
        directSteps = await runRamp('direct', sut, opts, children, workRoot);
      } finally {
        await sut.stop();
      }
    }
    const gateway = gatewaySteps && summarizeRamp(gatewaySteps);
    const direct = directSteps && summarizeRamp(directSteps);
    const lines = ['', '== summary =='];
    if (gateway) lines.push(...describeRamp('gateway (sipp → baton → sipp agent)', gateway, opts.p99LimitMs));
    if (direct) lines.push(...describeRamp('direct (sipp uac → sipp uas)', direct, opts.p99LimitMs));
    if (gateway?.maxSustainedCps !== undefined && direct?.maxSustainedCps !== undefined) {
      lines.push(`ratio gateway/direct: ${(gateway.maxSustainedCps / direct.maxSustainedCps).toFixed(2)}`);
    }
    if (gatewaySteps) {
      const met = gatewayTargetMet(gatewaySteps);
      lines.push(
        `target ≥ ${TARGET.cps} CPS with zero failed calls and p99 < ${TARGET.p99Ms} ms: ${met ? 'MET' : 'NOT MET'}`,
      );
    }
    const profileFile = opts.cpuProfDir && newestProfile(opts.cpuProfDir);
    if (profileFile) {
      const profile = summarizeCpuProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile, ROOT);
      lines.push('', ...formatProfile(profile), `profile: ${profileFile}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (opts.json) {
      const result = {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, node: process.version },
        options: opts,
        gateway: gatewaySteps && {
          steps: gatewaySteps,
          summary: gateway,
          targetMet: gatewayTargetMet(gatewaySteps),
        },
        direct: directSteps && { steps: directSteps, summary: direct },
      };
      writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`results written to ${opts.json}\n`);
    }
    return 0;
  } finally {
    children.killAll('SIGKILL');
    rmSync(workRoot, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench-gateway: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
