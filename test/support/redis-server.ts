/**
 * Runs a real `redis-server` (Debian package redis-server) for the tests of the Redis store: a
 * private, memory-only instance on a free loopback port, ready (answering PING) when returned.
 * A missing binary is an error that says how to install it, never a skipped test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocPort, releasePort } from './ports.js';

const REDIS_SERVER = 'redis-server';
/** How long startRedisServer waits for the server to answer PING. */
const READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 25;
/** Time a single PING probe may take before it counts as "not ready yet". */
const PROBE_TIMEOUT_MS = 500;
/** Time a stopped server gets to exit on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3_000;
/** Tail of the server's output kept for error messages. */
const OUTPUT_KEEP_CHARS = 8 * 1024;

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stop the server (SIGTERM, then SIGKILL) and remove its folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Listen on this port (e.g. to bring a stopped server back where clients expect it); allocated when absent. */
  port?: number;
  /** More `redis-server` arguments, e.g. `['--requirepass', 'secret']`. */
  args?: readonly string[];
}

export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await allocPort());
  // With --save '' and --appendonly no nothing is written, but the folder keeps any stray file out of the repository.
  const dir = await mkdtemp(join(tmpdir(), 'baton-redis-'));
  const child = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--logfile',
      '',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEEP_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killChild(child, exited);
    if (options.port === undefined) releasePort(port);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(child, port, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/** Resolve once the server answers PING; reject if it cannot start or does not answer in time. */
function waitReady(child: ChildProcess, port: number, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      child.off('error', onError);
      child.off('exit', onExit);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      finish(
        err.code === 'ENOENT'
          ? new Error(
              `${REDIS_SERVER} is not installed: run \`npm run setup:system\` (installs Debian redis-server)`,
            )
          : new Error(`cannot start ${REDIS_SERVER}: ${err.message}`),
      );
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      finish(
        new Error(
          `${REDIS_SERVER} exited (code ${code}, signal ${signal}) before it was ready:\n${output()}`,
        ),
      );
    };
    const deadline = setTimeout(() => {
      finish(new Error(`${REDIS_SERVER} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${output()}`));
    }, READY_TIMEOUT_MS);
    child.once('error', onError);
    child.once('exit', onExit);

    const probe = (): void => {
      if (settled) return;
      void ping(port).then((ok) => {
        if (ok) finish();
        else if (!settled) setTimeout(probe, READY_POLL_MS);
      });
    };
    probe();
  });
}

/**
 * One PING over a fresh connection (RESP inline command); true on `+PONG`, or on `-NOAUTH` from
 * a server started with `--requirepass` (it is serving, it just wants a password first).
 */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

async function killChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let graceTimer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((resolve) => {
    graceTimer = setTimeout(() => resolve(false), STOP_GRACE_MS);
  });
  const exitedInTime = await Promise.race([exited.then(() => true), graceOver]);
  clearTimeout(graceTimer);
  if (!exitedInTime) {
    child.kill('SIGKILL');
    await exited;
  }
}
