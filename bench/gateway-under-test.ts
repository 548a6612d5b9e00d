/**
 * The real `baton` process as the benches run it: its YAML config written into the work
 * directory, started from source or dist, ready once `/readyz` answers 200.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { BenchError, captureTail, type ChildSet, waitForTcpPort } from './bench-processes.js';
import { nodeEntry, type BenchPaths } from './bench-cli.js';

export interface GatewayStartOptions {
  paths: BenchPaths;
  host: string;
  /** The port of `http.listen` in `config`. */
  httpPort: number;
  /** Where `baton.yaml` is written. */
  workDir: string;
  config: Record<string, unknown>;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  readyTimeoutMs: number;
}

export interface GatewayUnderTest {
  process: ChildProcess;
  /** The last lines of its stdout (the log). */
  out: () => string;
  /** The text of `/metrics`; empty when it does not answer. */
  metrics: () => Promise<string>;
}

export async function startGatewayProcess(
  children: ChildSet,
  opts: GatewayStartOptions,
): Promise<GatewayUnderTest> {
  const configFile = path.join(opts.workDir, 'baton.yaml');
  writeFileSync(configFile, stringify(opts.config));
  const gateway = children.spawn(
    process.execPath,
    [...nodeEntry(opts.paths, 'gateway/main', opts.nodeFlags), '--config', configFile],
    { cwd: opts.paths.root },
  );
  const out = captureTail(gateway.stdout);
  const err = captureTail(gateway.stderr);
  const base = `http://${opts.host}:${opts.httpPort}`;
  try {
    await waitForTcpPort(opts.host, opts.httpPort, opts.readyTimeoutMs, gateway);
    await waitReady(`${base}/readyz`, opts.readyTimeoutMs);
  } catch (e) {
    throw new BenchError('ENOTREADY', `gateway did not start: ${(e as Error).message}\n${err()}${out()}`);
  }
  return {
    process: gateway,
    out,
    metrics: () =>
      fetch(`${base}/metrics`)
        .then((res) => res.text())
        .catch(() => ''),
  };
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error('/readyz never answered 200');
    await new Promise((r) => setTimeout(r, 100));
  }
}
