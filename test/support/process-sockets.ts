/**
 * Readiness of a child process that listens on a port, read from Linux /proc: the process is
 * ready once one of its own file descriptors is a socket bound to the port (for TCP, in LISTEN
 * state). Checking the owner, not just the port, means another process that happens to hold
 * the port never passes for ours. SIPp, for one, prints no "ready" line.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

const POLL_MS = 10;

/**
 * Resolve once process `pid` owns a socket bound to `port` (TCP: listening); reject after
 * `timeoutMs`. An undefined pid (the process never started) never resolves: race this wait
 * against the process's exit.
 */
export async function waitUntilBound(
  pid: number | undefined,
  port: number,
  transport: 'udp' | 'tcp',
  timeoutMs: number,
): Promise<void> {
  if (pid === undefined) return new Promise<void>(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ownsBoundSocket(pid, port, transport)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`process ${pid} did not bind ${transport} port ${port} within ${timeoutMs} ms`);
}

async function ownsBoundSocket(pid: number, port: number, transport: 'udp' | 'tcp'): Promise<boolean> {
  const inodes = await socketInodes(pid);
  if (inodes.size === 0) return false;
  const tables =
    transport === 'udp' ? ['/proc/net/udp', '/proc/net/udp6'] : ['/proc/net/tcp', '/proc/net/tcp6'];
  for (const table of tables) {
    for (const line of (await readTable(table)).split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const state = cols[3];
      const inode = cols[9];
      if (local === undefined || inode === undefined) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== port) continue;
      if (transport === 'tcp' && state !== '0A') continue; // 0A = TCP_LISTEN
      if (inodes.has(inode)) return true;
    }
  }
  return false;
}

async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return inodes;
}

async function readTable(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return ''; // no IPv6 table on this host
  }
}
