/**
 * Free loopback ports for tests that bind real sockets (SIPp processes, the engine).
 *
 * The kernel picks a port (bind port 0 on TCP); the same port must also bind on UDP, because
 * SIP listens on both. The probe sockets are then closed, so nothing stops another vitest
 * worker (a separate process) from being handed the same port by the kernel a moment later.
 * A lease file per port, created with O_EXCL in a shared directory, closes that gap: a port
 * whose lease is younger than LEASE_MS is never handed out twice. Leases are given back by
 * their user (the SIPp harness does so when a run ends) or when the process exits; a killed
 * worker's leases age out and are swept.
 */
import { createSocket } from 'node:dgram';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long a handed-out port stays reserved for its owner: longer than any test file runs. */
const LEASE_MS = 10 * 60_000;
/** Candidate ports tried before giving up (each costs two binds and a file create). */
const MAX_ATTEMPTS = 50;
const LEASE_DIR = join(tmpdir(), 'baton-port-leases');

const heldLeases = new Set<string>();
let exitHookInstalled = false;
let leaseDirReady = false;

export interface AllocPortOptions {
  /** Address the port must be free on; 127.0.0.1 unless a test runs over ::1. */
  host?: string;
}

/**
 * A port free on both TCP and UDP at `host`, leased to this process so parallel test workers
 * do not collide.
 */
export async function allocPort(options: AllocPortOptions = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await kernelTcpPort(host);
    if (!(await udpPortFree(host, port))) continue;
    if (takeLease(port)) return port;
  }
  throw new Error(`no free TCP+UDP port on ${host} after ${MAX_ATTEMPTS} attempts`);
}

/** `count` distinct ports from {@link allocPort}. */
export async function allocPorts(count: number, options: AllocPortOptions = {}): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await allocPort(options));
  return ports;
}

/** Give a leased port back early (optional: leases are also dropped when the process exits). */
export function releasePort(port: number): void {
  const path = leasePath(port);
  if (!heldLeases.delete(path)) return;
  removeQuietly(path);
}

function kernelTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('TCP probe socket has no port'));
      });
    });
  });
}

function udpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

function takeLease(port: number): boolean {
  if (!leaseDirReady) {
    mkdirSync(LEASE_DIR, { recursive: true });
    sweepExpiredLeases();
    leaseDirReady = true;
  }
  const path = leasePath(port);
  if (!createExclusive(path)) {
    if (!leaseExpired(path)) return false;
    // A stale lease from a worker that died: reclaim it, but still race fairly for it.
    removeQuietly(path);
    if (!createExclusive(path)) return false;
  }
  heldLeases.add(path);
  installExitHook();
  return true;
}

function createExclusive(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx'));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function leaseExpired(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > LEASE_MS;
  } catch {
    return true;
  }
}

/**
 * Workers that are killed rather than exiting (vitest ends its forks with a signal) never run
 * their exit hook; their leases are dropped here once expired, so the directory stays small.
 */
function sweepExpiredLeases(): void {
  for (const name of readdirSync(LEASE_DIR)) {
    const path = join(LEASE_DIR, name);
    if (leaseExpired(path)) removeQuietly(path);
  }
}

function leasePath(port: number): string {
  return join(LEASE_DIR, String(port));
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: another process reclaimed it, or the directory was cleaned.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const path of heldLeases) removeQuietly(path);
    heldLeases.clear();
  });
}
