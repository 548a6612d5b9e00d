/**
 * `npm run bench:transfers`: how many call + REFER transfers per second go through the gateway.
 *
 * Each call: SIPp (the carrier) → Baton → SIPp (the AI agent) answers, then REFERs the call to the
 * configured target `carrier-refer`; Baton answers 202 and REFERs the carrier's leg (Refer-To with
 * the UUI embedded, Referred-By); the carrier accepts (202, NOTIFY 100, NOTIFY 200) and hangs up;
 * Baton sends the AI agent NOTIFY 100 and 200 and releases it. Both SIPp scenarios check every
 * message (`carrier-accepts-refer.xml`, `ai-agent-refers-to-support.xml`), so a call only counts
 * as successful when the whole transfer was right. Ramped step by step until a call fails or
 * SIPp cannot keep the rate. Not a test: it asserts nothing and prints a table per step.
 *
 *   node dist/bench/bench-transfers.js [--rates 50,100,...] [--seconds 5] [--log-level warn] [--json FILE]
 *   node --import tsx bench/bench-transfers.ts ...
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  type StepRecord,
} from './bench-report.js';
import { runSippStep } from './sipp-step.js';

/** Loopback only, fixed ports in 28500–28899 (the gateway's range), none bench:gateway uses. */
const HOST = '127.0.0.1';
const PORTS = {
  gatewaySip: 28510,
  gatewayHttp: 28520,
  agent: 28540,
  uac: 28650,
  uacMedia: 28750,
  agentMedia: 28850,
};
/** Issue 4's target: call + REFER transfers per second with zero failures. */
const TARGET_TPS = 150;
const DEFAULT_RATES = [50, 100, 150, 200, 250, 300, 400, 500];
/**
 * The setup time (the caller's INVITE → 200) is all SIPp measures per call; a transfer step is
 * judged on failures and achieved rate, so the p99 limit is generous.
 */
const P99_LIMIT_MS = 1000;
/** How long the AI agent talks before it REFERs (SIPp `-d`). */
const AGENT_TALK_MS = 50;
const SETTLE_MS = 2000;
const READY_TIMEOUT_MS = 30_000;
const SIPP_BUFFER_BYTES = 4 * 1024 * 1024;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ROOT = FROM_SOURCE ? path.resolve(HERE, '..') : path.resolve(HERE, '../..');
const SCENARIOS = {
  carrier: path.join(ROOT, 'sipp-scenarios/carrier-accepts-refer.xml'),
  agent: path.join(ROOT, 'sipp-scenarios/ai-agent-refers-to-support.xml'),
};

const USAGE = `usage: bench-transfers [options]
  --rates <list>     comma-separated transfers/s per step (default ${DEFAULT_RATES.join(',')}; env BENCH_RATES)
  --seconds <n>      length of each step (default 5; env BENCH_STEP_SECONDS)
  --log-level <l>    the gateway's logging.level (default warn; info logs about ten lines per transfer)
  --json <file>      also write the results as JSON
  -h, --help`;

interface BenchOptions {
  rates: number[];
  stepSeconds: number;
  logLevel: string;
  json?: string;
}

function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      rates: { type: 'string', default: process.env.BENCH_RATES },
      seconds: { type: 'string', default: process.env.BENCH_STEP_SECONDS ?? '5' },
      'log-level': { type: 'string', default: 'warn' },
      json: { type: 'string' },
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
  return {
    rates: values.rates
      ? values.rates.split(',').map((r) => Math.round(positive('--rates', r.trim())))
      : DEFAULT_RATES,
    stepSeconds: positive('--seconds', values.seconds),
    logLevel: values['log-level'],
    json: values.json,
  };
}

interface Running {
  gateway: ChildProcess;
  agent: ChildProcess;
  stop(): Promise<string>;
}

async function start(children: ChildSet, workDir: string, opts: BenchOptions): Promise<Running> {
  const config = {
    sip: { listen: [`udp:${HOST}:${PORTS.gatewaySip}`] },
    engine: { admin: { host: HOST, port: 0 } },
    http: { listen: `${HOST}:${PORTS.gatewayHttp}` },
    trunks: [{ name: 'bench', addresses: [`${HOST}/32`], outbound: { uri: 'sip:gw.carrier.example' } }],
    aiAgent: { uri: `sip:agent@${HOST}:${PORTS.agent}` },
    limits: { maxCalls: 100_000, maxCallsPerSecond: 100_000 },
    transfer: {
      targets: {
        'carrier-refer': {
          kind: 'external',
          method: 'refer',
          destination: '+14155550100',
          trunk: 'bench',
          headers: { 'X-Intent': '{{vars.intent}}' },
          uui: { data: '{{conversationId}}', encoding: 'hex', placement: 'refer-to-uri' },
        },
      },
    },
    store: { kind: 'sqlite', sqlitePath: path.join(workDir, 'baton.db') },
    logging: { level: opts.logLevel },
  };
  const configFile = path.join(workDir, 'baton.yaml');
  writeFileSync(configFile, stringify(config));
  const agent = children.spawn(
    'sipp',
    [
      ...['-sf', SCENARIOS.agent, '-i', HOST, '-p', String(PORTS.agent), '-mp', String(PORTS.agentMedia)],
      ...['-key', 'refer_to', `sip:carrier-refer@${HOST}:${PORTS.gatewaySip}`, '-set', 'expect_final', '200'],
      ...['-d', String(AGENT_TALK_MS), '-buff_size', String(SIPP_BUFFER_BYTES), '-nostdin'],
    ],
    { cwd: workDir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const agentErr = captureTail(agent.stderr);
  try {
    await waitForUdpPort(PORTS.agent, READY_TIMEOUT_MS, agent);
  } catch (err) {
    throw new BenchError('ENOTREADY', `sipp agent did not start: ${(err as Error).message}\n${agentErr()}`);
  }
  const entry = FROM_SOURCE
    ? ['--import', 'tsx', path.join(ROOT, 'gateway/main.ts')]
    : [path.join(ROOT, 'dist/gateway/main.js')];
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
    gateway,
    agent,
    async stop() {
      const metrics = await fetchText(`http://${HOST}:${PORTS.gatewayHttp}/metrics`).catch(() => '');
      await stopChild(gateway, 40_000);
      await stopChild(agent);
      return metrics;
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

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench-transfers: ${(err as Error).message}\n${USAGE}\n`);
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
  const workRoot = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-tr-'));
  process.stdout.write(
    `bench:transfers — ${os.cpus().length} CPUs, node ${process.version}, ${FROM_SOURCE ? 'from source (tsx)' : 'compiled'}; ` +
      `steps of ${opts.stepSeconds} s; one call + REFER transfer per "call" (carrier-accepts-refer ↔ ai-agent-refers-to-support); ` +
      `ms columns = the caller's INVITE → 200\n` +
      `columns: srv = baton, app = SIPp AI agent; MiB = peak RSS in the step; CPU% of one core\n`,
  );
  const steps: StepRecord[] = [];
  let metrics = '';
  try {
    const sut = await start(children, workRoot, opts);
    try {
      process.stdout.write(`\n== transfers ==\n${formatStepHeader()}\n`);
      for (const rate of opts.rates) {
        const sampler = new ProcessSampler({ server: sut.gateway.pid, app: sut.agent.pid });
        const result = await runSippStep({
          scenario: SCENARIOS.carrier,
          remote: `${HOST}:${PORTS.gatewaySip}`,
          localIp: HOST,
          localPort: PORTS.uac,
          mediaPort: PORTS.uacMedia,
          rate,
          calls: Math.round(rate * opts.stepSeconds),
          workDir: path.join(workRoot, `transfers-${rate}`),
          timeoutMs: (opts.stepSeconds + 20) * 1000,
          children,
          onStart: (pid) => sampler.add('sipp', pid),
        });
        const step: StepRecord = {
          ...result,
          verdict: judgeStep(result, P99_LIMIT_MS),
          usage: sampler.stop(),
        };
        steps.push(step);
        process.stdout.write(`${formatStepRow(step, P99_LIMIT_MS)}\n`);
        if (step.verdict !== 'ok') {
          for (const line of step.errors.slice(0, 4)) process.stdout.write(`    sipp: ${line}\n`);
          break;
        }
        if (sut.gateway.exitCode !== null || sut.agent.exitCode !== null) {
          throw new BenchError('EEXITED', 'a process under test exited during the ramp');
        }
        await new Promise((r) => setTimeout(r, SETTLE_MS));
      }
    } finally {
      metrics = await sut.stop();
    }
    const summary = summarizeRamp(steps);
    const lines = ['', '== summary =='];
    const best = summary.best;
    lines.push(
      best === undefined
        ? 'no sustained step'
        : `max sustained ${best.rate} transfers/s${summary.stoppedAt === undefined ? ' (top of the ramp)' : ''}, ` +
            `achieved ${best.achievedCps.toFixed(1)}/s, ${best.successful} transfers in the step, none failed`,
    );
    if (summary.stoppedAt) {
      lines.push(
        `  stopped at ${summary.stoppedAt.rate}/s: ${describeVerdict(summary.stoppedAt.verdict, P99_LIMIT_MS)}`,
      );
    }
    const met = steps.some((s) => s.verdict === 'ok' && s.rate >= TARGET_TPS);
    lines.push(`target ≥ ${TARGET_TPS} transfers/s with zero failures: ${met ? 'MET' : 'NOT MET'}`);
    const counters = metrics.split('\n').filter((l) => /^baton_transfer(s_total|_failures_total)\{/.test(l));
    if (counters.length > 0) lines.push('gateway counters:', ...counters);
    process.stdout.write(`${lines.join('\n')}\n`);
    if (opts.json) {
      const result = {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, node: process.version },
        options: opts,
        steps,
        summary,
        targetMet: met,
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
    process.stderr.write(`bench-transfers: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
