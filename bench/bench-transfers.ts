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
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stopChild, type ChildSet } from './bench-processes.js';
import {
  benchPaths,
  commonArgOptions,
  machineLine,
  parseRates,
  positiveNumber,
  runBench,
  writeJsonResult,
} from './bench-cli.js';
import { runRamp, runSampledStep, startSippUas, type ProcessesUnderTest } from './bench-ramp.js';
import { describeVerdict, summarizeRamp } from './bench-report.js';
import { startGatewayProcess } from './gateway-under-test.js';

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

const PATHS = benchPaths(import.meta.url);
const SCENARIOS = {
  carrier: path.join(PATHS.root, 'sipp-scenarios/carrier-accepts-refer.xml'),
  agent: path.join(PATHS.root, 'sipp-scenarios/ai-agent-refers-to-support.xml'),
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
    options: { ...commonArgOptions(), 'log-level': { type: 'string', default: 'warn' } },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    rates: parseRates(values.rates, DEFAULT_RATES),
    stepSeconds: positiveNumber('--seconds', values.seconds),
    logLevel: values['log-level'],
    json: values.json,
  };
}

interface Running extends ProcessesUnderTest {
  app: ChildProcess;
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
  const agent = await startSippUas(children, {
    scenario: SCENARIOS.agent,
    localIp: HOST,
    localPort: PORTS.agent,
    mediaPort: PORTS.agentMedia,
    extraArgs: [
      ...['-key', 'refer_to', `sip:carrier-refer@${HOST}:${PORTS.gatewaySip}`, '-set', 'expect_final', '200'],
      ...['-d', String(AGENT_TALK_MS)],
    ],
    cwd: workDir,
    readyTimeoutMs: READY_TIMEOUT_MS,
    label: 'sipp agent',
  });
  const gateway = await startGatewayProcess(children, {
    paths: PATHS,
    host: HOST,
    httpPort: PORTS.gatewayHttp,
    workDir,
    config,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return {
    server: gateway.process,
    app: agent,
    async stop() {
      const metrics = await gateway.metrics();
      await stopChild(gateway.process, 40_000);
      await stopChild(agent);
      return metrics;
    },
  };
}

async function run(opts: BenchOptions, children: ChildSet, workRoot: string): Promise<number> {
  process.stdout.write(
    machineLine('transfers', PATHS) +
      `steps of ${opts.stepSeconds} s; one call + REFER transfer per "call" (carrier-accepts-refer ↔ ai-agent-refers-to-support); ` +
      `ms columns = the caller's INVITE → 200\n` +
      `columns: srv = baton, app = SIPp AI agent; MiB = peak RSS in the step; CPU% of one core\n`,
  );
  let steps;
  let metrics = '';
  const sut = await start(children, workRoot, opts);
  try {
    process.stdout.write(`\n== transfers ==\n`);
    steps = await runRamp(sut, {
      name: 'transfers',
      rates: opts.rates,
      stepSeconds: opts.stepSeconds,
      p99LimitMs: P99_LIMIT_MS,
      settleMs: SETTLE_MS,
      settle: 'after',
      step: (rate, calls) =>
        runSampledStep(sut, P99_LIMIT_MS, {
          scenario: SCENARIOS.carrier,
          remote: `${HOST}:${PORTS.gatewaySip}`,
          localIp: HOST,
          localPort: PORTS.uac,
          mediaPort: PORTS.uacMedia,
          rate,
          calls,
          workDir: path.join(workRoot, `transfers-${rate}`),
          timeoutMs: (opts.stepSeconds + 20) * 1000,
          children,
        }),
    });
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
  if (opts.json) writeJsonResult(opts.json, opts, { steps, summary, targetMet: met });
  return 0;
}

runBench({
  name: 'bench-transfers',
  usage: USAGE,
  parse: parseBenchArgs,
  host: HOST,
  ports: PORTS,
  workDirPrefix: 'baton-bench-tr-',
  run,
});
