/**
 * Child-process plumbing for the benchmark: every process it starts is tracked so that it is
 * ended on normal exit, on SIGINT/SIGTERM and on errors; readiness waits are bounded; a sampler
 * reads `/proc` for the RSS and CPU time of the processes under measurement.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { cpuTicksFromProcStat, rssMibFromProcStatus } from './step-stats.js';

/** Linux reports /proc CPU times in USER_HZ ticks, 100 per second on every mainstream build. */
const CLOCK_TICKS_PER_SECOND = 100;

export class BenchError extends Error {
  constructor(
    readonly code: 'EPORTBUSY' | 'ENOTREADY' | 'EEXITED' | 'ENOSIPP',
    message: string,
  ) {
    super(message);
  }
}

/** The set of live children; `killAll` is safe to call from a process 'exit' handler. */
export class ChildSet {
  private readonly live = new Set<ChildProcess>();

  spawn(command: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.live.add(child);
    child.once('exit', () => this.live.delete(child));
    child.once('error', () => this.live.delete(child));
    return child;
  }

  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const child of this.live) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
  }

  /**
   * Ends every child when this process exits for any reason. On Ctrl-C or SIGTERM the run is
   * abandoned at once: a half-finished step must not be judged or summarised.
   */
  installExitHandlers(): void {
    process.once('exit', () => this.killAll('SIGKILL'));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
        this.killAll('SIGKILL');
        process.exit(130);
      });
    }
  }
}

/** Resolves with the exit code (or null when killed by a signal). */
export function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = waitForExit(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until `host:port` accepts a TCP connection, or fails after `timeoutMs`. */
export async function waitForTcpPort(
  host: string,
  port: number,
  timeoutMs: number,
  child?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new BenchError(
        'EEXITED',
        `process exited (code ${child.exitCode}) before ${host}:${port} opened`,
      );
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new BenchError('ENOTREADY', `${host}:${port} not open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Fails when a UDP or TCP port is already bound on `host`: a leftover process would otherwise
 * answer in place of the one under test (readiness is judged by the port being bound).
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  const udp = await new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
  const tcp = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
  if (!udp || !tcp)
    throw new BenchError('EPORTBUSY', `${host}:${port} is already in use (${udp ? 'tcp' : 'udp'})`);
}

/**
 * Polls `/proc/net/udp` until a socket is bound to local `port` (SIPp answers nothing we could
 * probe with before a call, so its bound socket is the readiness signal).
 */
export async function waitForUdpPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new BenchError(
        'EEXITED',
        `process exited (code ${child.exitCode}) before UDP port ${port} was bound`,
      );
    }
    const table = ['/proc/net/udp', '/proc/net/udp6'].map((f) => readProcFile(f) ?? '').join('\n');
    // Each row: "sl local_address rem_address ..."; local_address is HEXIP:HEXPORT.
    if (table.split('\n').some((row) => row.trim().split(/\s+/)[1]?.endsWith(hexPort))) return;
    if (Date.now() > deadline)
      throw new BenchError('ENOTREADY', `UDP port ${port} not bound after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves when a line of the child's stdout matches `pattern`; rejects on exit or timeout. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const hit = lines.find((l) => pattern.test(l));
      if (hit !== undefined) finish(() => resolve(hit));
    };
    const onExit = (code: number | null): void =>
      finish(() =>
        reject(new BenchError('EEXITED', `process exited (code ${code}) before ${String(pattern)}`)),
      );
    const timer = setTimeout(
      () => finish(() => reject(new BenchError('ENOTREADY', `no ${String(pattern)} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Keeps reading a child's output (a pipe nobody reads fills up and blocks the child) and keeps
 * its last `limit` characters for error reports.
 */
export function captureTail(stream: NodeJS.ReadableStream | null, limit = 4000): () => string {
  let tail = '';
  stream?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-limit);
  });
  return () => tail;
}

export interface ProcessUsage {
  /** Highest VmRSS seen while sampling, MiB. */
  peakRssMib?: number;
  /** CPU time used while sampling as a percentage of one core (200 = both cores busy). */
  cpuPercent?: number;
}

function readProcFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process has exited
  }
}

interface Reading {
  rssMib?: number;
  ticks?: number;
}

function readProcess(pid: number): Reading | undefined {
  const status = readProcFile(`/proc/${pid}/status`);
  const stat = readProcFile(`/proc/${pid}/stat`);
  if (status === undefined || stat === undefined) return undefined;
  return { rssMib: rssMibFromProcStatus(status), ticks: cpuTicksFromProcStat(stat) };
}

/**
 * Samples RSS and CPU ticks of a set of pids every `periodMs` until stopped. A pid added late
 * (SIPp is started per step) is measured from its first sample.
 */
export class ProcessSampler {
  private readonly state = new Map<
    string,
    {
      read: () => Reading | undefined;
      peakRssMib?: number;
      firstTicks?: number;
      lastTicks?: number;
      firstAt: number;
      lastAt: number;
    }
  >();
  private readonly timer: NodeJS.Timeout;

  constructor(
    pids: Record<string, number | undefined>,
    private readonly periodMs = 200,
  ) {
    for (const [name, pid] of Object.entries(pids)) if (pid !== undefined) this.add(name, pid);
    this.timer = setInterval(() => this.sample(), this.periodMs);
  }

  add(name: string, pid: number): void {
    this.track(name, () => readProcess(pid));
  }

  /** Takes a last sample and returns the usage per name. */
  stop(): Record<string, ProcessUsage> {
    clearInterval(this.timer);
    this.sample();
    const out: Record<string, ProcessUsage> = {};
    for (const [name, s] of this.state) {
      const seconds = (s.lastAt - s.firstAt) / 1000;
      const ticks =
        s.firstTicks !== undefined && s.lastTicks !== undefined ? s.lastTicks - s.firstTicks : undefined;
      out[name] = {
        peakRssMib: s.peakRssMib,
        cpuPercent:
          ticks !== undefined && seconds > 0 ? (ticks / CLOCK_TICKS_PER_SECOND / seconds) * 100 : undefined,
      };
    }
    return out;
  }

  private track(name: string, read: () => Reading | undefined): void {
    this.state.set(name, { read, firstAt: Date.now(), lastAt: Date.now() });
    this.sampleOne(name);
  }

  private sample(): void {
    for (const name of this.state.keys()) this.sampleOne(name);
  }

  private sampleOne(name: string): void {
    const s = this.state.get(name);
    const reading = s?.read();
    if (!s || !reading) return;
    if (reading.rssMib !== undefined) s.peakRssMib = Math.max(s.peakRssMib ?? 0, reading.rssMib);
    if (reading.ticks !== undefined) {
      if (s.firstTicks === undefined) {
        s.firstTicks = reading.ticks;
        s.firstAt = Date.now();
      }
      s.lastTicks = reading.ticks;
      s.lastAt = Date.now();
    }
  }
}
