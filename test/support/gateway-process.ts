/**
 * Runs the real gateway as a user would: `node --import tsx gateway/main.ts --config <file>`
 * (or the built `dist/gateway/main.js` when `BATON_TEST_DIST=1`), with a YAML file written to a
 * temporary folder, its SIP and HTTP ports leased from `ports.ts`. The process's JSON log lines
 * are kept for assertions; `metric()` reads one sample from `/metrics`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { allocPort } from './ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Start-up under tsx compiles the gateway on the fly; on a busy 2-core machine that takes a while. */
const READY_TIMEOUT_MS = 20_000;

export const API_TOKEN = 'gateway-test-token-0123456789';

export interface GatewayProcess {
  readonly sipPort: number;
  readonly httpPort: number;
  /** `127.0.0.1:<sipPort>`, for SIPp's remote. */
  readonly sipAddress: string;
  readonly child: ChildProcess;
  /** Every JSON log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** GET/DELETE against the HTTP port; `auth` adds the bearer token (default true). */
  http(method: string, path: string, auth?: boolean): Promise<{ status: number; body: string }>;
  /** One sample of `/metrics`, 0 when the series does not exist yet. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGTERM (or `signal`) and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * @param config the YAML config as an object; `sip.listen`, `http` and `store` are filled in
 *   unless given (SIP udp+tcp on a leased port, HTTP on another, SQLite in a temp folder)
 */
export async function startGateway(config: Record<string, unknown>): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-gw-'));
  const sipPort = await allocPort();
  const httpPort = await allocPort();
  const full = {
    sip: { listen: [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`] },
    engine: { admin: { host: '127.0.0.1', port: 0 } },
    http: { listen: `127.0.0.1:${httpPort}`, apiToken: API_TOKEN },
    store: { kind: 'sqlite', sqlitePath: join(dir, 'baton.db') },
    logging: { level: 'info' },
    ...config,
  };
  const file = join(dir, 'baton.yaml');
  writeFileSync(file, stringify(full));

  const useDist = process.env.BATON_TEST_DIST === '1';
  const entry = useDist ? ['dist/gateway/main.js'] : ['--import', 'tsx', 'gateway/main.ts'];
  const child = spawn(process.execPath, [...entry, '--config', file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: gatewayEnv(),
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let pending = '';
  const listeners: Array<(line: Record<string, unknown>) => void> = [];
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      if (text.trim() === '') continue;
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        logs.push(line);
        for (const l of listeners) l(line);
      } catch {
        logs.push({ msg: text });
      }
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => rmSync(dir, { recursive: true, force: true }));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway not ready in ${READY_TIMEOUT_MS} ms\n${stderr}`)),
      READY_TIMEOUT_MS,
    );
    listeners.push((line) => {
      if (line.msg === 'baton ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `gateway exited with ${code} before it was ready\n${stderr}\n${JSON.stringify(logs.slice(-5))}`,
        ),
      );
    });
  });

  const http = async (
    method: string,
    path: string,
    auth = true,
  ): Promise<{ status: number; body: string }> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method,
      headers: auth ? { authorization: `Bearer ${API_TOKEN}` } : {},
    });
    return { status: res.status, body: await res.text() };
  };

  return {
    sipPort,
    httpPort,
    sipAddress: `127.0.0.1:${sipPort}`,
    child,
    logs,
    exited,
    http,
    async metric(name, labels = {}) {
      const { body } = await http('GET', '/metrics', false);
      return metricValue(body, name, labels);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

/** The test's environment without BATON_* overrides, which would change the config under test. */
function gatewayEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('BATON_')) delete env[key];
  return env;
}

/** The value of the series `name{labels}` in a Prometheus text exposition (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g))
      have.set(pair[1] ?? '', pair[2] ?? '');
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return 0;
}
