/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`) into the functions and files
 * where the time went: self time (samples whose top frame is the function) and total time
 * (samples with the function anywhere on the stack, counted once per sample even when it
 * recurses). Pure: profile JSON in, rows out.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotSpot {
  /** `name (file:line)`; file relative to `root` when inside it. */
  label: string;
  selfPercent: number;
  totalPercent: number;
}

export interface ProfileSummary {
  durationMs: number;
  /** Share of samples in which the process was not idle. */
  busyPercent: number;
  /** Garbage collection, as a share of the busy samples (as are the percentages below). */
  gcPercent: number;
  functions: HotSpot[];
  files: HotSpot[];
}

/** Frames that are not JavaScript functions of interest. */
const IDLE = '(idle)';
const GC = '(garbage collector)';

function shortUrl(url: string, root: string): string {
  const file = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (file === '') return '(native)';
  const rooted = file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
  const nm = rooted.lastIndexOf('node_modules/');
  return nm >= 0 ? rooted.slice(nm) : rooted;
}

function rank(counts: Map<string, { self: number; total: number }>, hits: number, top: number): HotSpot[] {
  return [...counts.entries()]
    .map(([label, c]) => ({
      label,
      selfPercent: (c.self / hits) * 100,
      totalPercent: (c.total / hits) * 100,
    }))
    .sort((a, b) => b.selfPercent - a.selfPercent)
    .slice(0, top);
}

export function summarizeCpuProfile(profile: CpuProfile, root: string, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const hitsById = new Map<number, number>();
  if (profile.samples) for (const id of profile.samples) hitsById.set(id, (hitsById.get(id) ?? 0) + 1);
  else for (const n of profile.nodes) hitsById.set(n.id, n.hitCount ?? 0);

  const fnKey = (f: CallFrame): string =>
    `${f.functionName || '(anonymous)'} (${shortUrl(f.url, root)}:${f.lineNumber + 1})`;
  const fileKey = (f: CallFrame): string => shortUrl(f.url, root);
  const functions = new Map<string, { self: number; total: number }>();
  const files = new Map<string, { self: number; total: number }>();
  let all = 0;
  let idle = 0;
  let gc = 0;

  for (const [id, hits] of hitsById) {
    const leaf = byId.get(id);
    if (!leaf || hits === 0) continue;
    all += hits;
    if (leaf.callFrame.functionName === IDLE) {
      idle += hits;
      continue;
    }
    if (leaf.callFrame.functionName === GC) gc += hits;
    const seenFns = new Set<string>();
    const seenFiles = new Set<string>();
    for (let node: ProfileNode | undefined = leaf; node; node = byId.get(parent.get(node.id) ?? -1)) {
      if (node.callFrame.functionName === '(root)') break;
      const fk = fnKey(node.callFrame);
      const uk = fileKey(node.callFrame);
      const fEntry = functions.get(fk) ?? { self: 0, total: 0 };
      const uEntry = files.get(uk) ?? { self: 0, total: 0 };
      if (node === leaf) {
        fEntry.self += hits;
        uEntry.self += hits;
      }
      if (!seenFns.has(fk)) fEntry.total += hits;
      if (!seenFiles.has(uk)) uEntry.total += hits;
      seenFns.add(fk);
      seenFiles.add(uk);
      functions.set(fk, fEntry);
      files.set(uk, uEntry);
    }
  }
  const busy = Math.max(1, all - idle);
  return {
    durationMs: (profile.endTime - profile.startTime) / 1000,
    busyPercent: all === 0 ? 0 : ((all - idle) / all) * 100,
    gcPercent: (gc / busy) * 100,
    functions: rank(functions, busy, top),
    files: rank(files, busy, top),
  };
}
