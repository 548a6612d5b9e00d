/**
 * What every bench entry point does around its own measurement: where it runs from (source under
 * tsx or compiled), the options they all read, the checks before anything starts (SIPp present,
 * ports free), the work directory, the JSON result file, and the exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertPortFree, BenchError, ChildSet } from './bench-processes.js';
import { summarizeCpuProfile, type CpuProfile, type ProfileSummary } from './cpu-profile-summary.js';

export interface BenchPaths {
  /** Run from source (`bench/*.ts` under tsx) or compiled (`dist/bench/*.js`). */
  fromSource: boolean;
  /** The repository root. */
  root: string;
}

/** `moduleUrl`: the entry point's `import.meta.url`. */
export function benchPaths(moduleUrl: string): BenchPaths {
  const here = path.dirname(fileURLToPath(moduleUrl));
  const fromSource = moduleUrl.endsWith('.ts');
  return { fromSource, root: fromSource ? path.resolve(here, '..') : path.resolve(here, '../..') };
}

/** `node <script>` arguments for one of our entry points (`engine/main`), from source or from dist. */
export function nodeEntry(paths: BenchPaths, entry: string, nodeFlags: readonly string[] = []): string[] {
  return paths.fromSource
    ? [...nodeFlags, '--import', 'tsx', path.join(paths.root, `${entry}.ts`)]
    : [...nodeFlags, path.join(paths.root, 'dist', `${entry}.js`)];
}

export function positiveNumber(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got "${text}"`);
  return n;
}

/** `--rates 200,400,...`, or the bench's default ramp when not given. */
export function parseRates(text: string | undefined, defaults: number[]): number[] {
  return text ? text.split(',').map((r) => Math.round(positiveNumber('--rates', r.trim()))) : defaults;
}

/** The `node:util` parseArgs options every bench reads, defaults from the environment. */
export function commonArgOptions() {
  return {
    rates: { type: 'string', default: process.env.BENCH_RATES },
    seconds: { type: 'string', default: process.env.BENCH_STEP_SECONDS ?? '5' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
}

/** The start of the first line a bench prints: the machine and how the bench runs. */
export function machineLine(name: string, paths: BenchPaths): string {
  const how = paths.fromSource ? 'from source (tsx)' : 'compiled';
  return `bench:${name} — ${os.cpus().length} CPUs, node ${process.version}, ${how}; `;
}

/** Writes the results as JSON, after the date, the machine and the options they were run with. */
export function writeJsonResult(file: string, options: unknown, results: Record<string, unknown>): void {
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    options,
    ...results,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`results written to ${file}\n`);
}

/**
 * The `.cpuprofile` in `dir` that `pick` chooses (`newest`, or `largest`: under tsx the loader
 * thread writes a profile too, and the main thread's is the largest), summarised.
 */
export function readCpuProfile(
  dir: string,
  paths: BenchPaths,
  pick: 'newest' | 'largest',
): { file: string; summary: ProfileSummary } | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  const rank = (f: string): number => (pick === 'newest' ? statSync(f).mtimeMs : statSync(f).size);
  const file = files.sort((a, b) => rank(b) - rank(a))[0];
  if (file === undefined) return undefined;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return { file, summary: summarizeCpuProfile(profile, paths.root) };
}

export interface BenchCli<O> {
  /** `bench-engine`: the prefix of error messages. */
  name: string;
  usage: string;
  /** Throws an Error whose message says what is wrong with the arguments. */
  parse: (argv: string[]) => O | 'help';
  host: string;
  /** Every fixed port the bench binds or sends to; all must be free before it starts. */
  ports: Record<string, number>;
  /** The prefix of the temporary work directory. */
  workDirPrefix: string;
  /** A directory the user asked to keep the work files in, instead of a temporary one. */
  keepWorkDir?: (opts: O) => string | undefined;
  run: (opts: O, children: ChildSet, workRoot: string) => Promise<number>;
}

async function benchMain<O>(cli: BenchCli<O>): Promise<number> {
  let opts;
  try {
    opts = cli.parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${cli.name}: ${(err as Error).message}\n${cli.usage}\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(`${cli.usage}\n`);
    return 0;
  }
  if (spawnSync('sipp', ['-v']).error) {
    throw new BenchError('ENOSIPP', 'sipp is not installed (npm run setup:system installs it)');
  }
  for (const port of Object.values(cli.ports)) await assertPortFree(cli.host, port);
  const children = new ChildSet();
  children.installExitHandlers();
  const kept = cli.keepWorkDir?.(opts);
  if (kept !== undefined) mkdirSync(kept, { recursive: true });
  const workRoot = kept ?? mkdtempSync(path.join(os.tmpdir(), cli.workDirPrefix));
  const removeWorkRoot = (): void => {
    if (kept === undefined) rmSync(workRoot, { recursive: true, force: true });
  };
  // Also on 'exit', so an interrupted run (Ctrl-C) leaves no temporary files either.
  process.once('exit', removeWorkRoot);
  try {
    return await cli.run(opts, children, workRoot);
  } finally {
    children.killAll('SIGKILL');
    removeWorkRoot();
  }
}

/** Runs a bench entry point to its end and exits with its code (1 on an unexpected error). */
export function runBench<O>(cli: BenchCli<O>): void {
  benchMain(cli).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${cli.name}: ${String((err as Error)?.stack ?? err)}\n`);
      process.exit(1);
    },
  );
}
