/**
 * Runs a real rtpengine (Debian package rtpengine-daemon) for the media tests: userspace only
 * (`--table=-1`, no kernel module, so no root capabilities are needed), RTP on 127.0.0.1, the ng
 * control socket on a free loopback port, ready (answering ng `ping`) when returned. A missing
 * binary is an error that says how to install it, never a skipped test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { RtpengineMedia } from '../../media/rtpengine/rtpengine-media.js';
import { allocPort, releasePort } from './ports.js';

const RTPENGINE = 'rtpengine';
const READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 50;
const PROBE_TIMEOUT_MS = 200;
const STOP_GRACE_MS = 3_000;
const OUTPUT_KEEP_CHARS = 8 * 1024;
/**
 * RTP ports, below Linux's ephemeral range (32768+) so kernel-assigned test ports rarely land in
 * it; each process takes its own slice, and rtpengine skips a port that is taken anyway.
 */
const RTP_PORT_BASE = 20_000;
const RTP_PORT_SLICE = 100;
const RTP_PORT_SLICES = 90;

export interface RtpengineDaemon {
  readonly host: string;
  /** The ng control port (UDP). */
  readonly port: number;
  /** The RTP ports it hands out (inclusive). */
  readonly rtpPorts: { readonly min: number; readonly max: number };
  /** Its stderr log so far (the tail), for assertions and failure messages. */
  output(): string;
  /** Stop it (SIGTERM, then SIGKILL). Safe to call twice. */
  stop(): Promise<void>;
}

export async function startRtpengine(): Promise<RtpengineDaemon> {
  const host = '127.0.0.1';
  const port = await allocPort();
  const portMin = RTP_PORT_BASE + (process.pid % RTP_PORT_SLICES) * RTP_PORT_SLICE;
  const child = spawn(
    RTPENGINE,
    [
      // No /etc/rtpengine/rtpengine.conf: every setting is on this line.
      '--config-file=none',
      '--table=-1',
      `--interface=${host}`,
      `--listen-ng=${host}:${port}`,
      `--port-min=${portMin}`,
      `--port-max=${portMin + RTP_PORT_SLICE - 1}`,
      '--foreground',
      '--log-stderr',
      '--log-level=6',
      // A deleted call is gone at once, not 30 s later.
      '--delete-delay=0',
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
    releasePort(port);
  };
  try {
    await waitReady(child, host, port, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host,
    port,
    rtpPorts: { min: portMin, max: portMin + RTP_PORT_SLICE - 1 },
    output: () => output,
    stop,
  };
}

function waitReady(child: ChildProcess, host: string, port: number, output: () => string): Promise<void> {
  const probe = new RtpengineMedia({ config: { host, port, timeoutMs: PROBE_TIMEOUT_MS } });
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      child.off('error', onError);
      child.off('exit', onExit);
      probe.close();
      if (err === undefined) resolve();
      else reject(err);
    };
    const onError = (err: NodeJS.ErrnoException): void =>
      finish(
        err.code === 'ENOENT'
          ? new Error(
              `${RTPENGINE} is not installed: run \`npm run setup:system\` (installs Debian rtpengine-daemon)`,
            )
          : new Error(`cannot start ${RTPENGINE}: ${err.message}`),
      );
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(
        new Error(`${RTPENGINE} exited (code ${code}, signal ${signal}) before it was ready:\n${output()}`),
      );
    const deadline = setTimeout(
      () =>
        finish(new Error(`${RTPENGINE} did not answer ng ping within ${READY_TIMEOUT_MS} ms:\n${output()}`)),
      READY_TIMEOUT_MS,
    );
    child.once('error', onError);
    child.once('exit', onExit);
    const ping = (): void => {
      if (settled) return;
      probe.ping().then(
        () => finish(),
        () => {
          if (!settled) setTimeout(ping, READY_POLL_MS);
        },
      );
    };
    ping();
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

/**
 * Write a mono 16-bit PCM WAV (RIFF header per the WAVE format: `fmt ` chunk of 16 bytes, then
 * `data`) holding `seconds` of a 440 Hz tone at 8 kHz: what rtpengine plays as a prompt.
 */
export async function writeToneWav(path: string, seconds: number): Promise<void> {
  const rate = 8000;
  const samples = Math.round(rate * seconds);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  await writeFile(path, Buffer.concat([header, data]));
}
