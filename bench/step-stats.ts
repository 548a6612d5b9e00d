/**
 * Pure helpers that turn what SIPp writes during one benchmark step into numbers: the
 * `-trace_rtt` file (one line per measured INVITE→200 response time), the `-trace_stat` CSV
 * (cumulative call counters), exact percentiles, and `/proc/<pid>/stat` CPU ticks.
 */

/** Response-time samples of one SIPp run, from its `-trace_rtt -rtt_freq 1` file. */
export interface RttSamples {
  /** Response times in ms, in arrival order (SIPp's clock resolution is 1 ms). */
  readonly times: number[];
  /** SIPp's `Date_ms` of the first and last sample (ms since SIPp started), when any. */
  readonly firstAtMs?: number;
  readonly lastAtMs?: number;
}

/**
 * Parses `Date_ms;response_time_ms;rtd_no` lines. Only samples of `rtd` (default 1, the
 * scenario's INVITE→200 measurement) are kept; the header and blank lines are skipped.
 */
export function parseRttCsv(text: string, rtd = '1'): RttSamples {
  const times: number[] = [];
  let firstAtMs: number | undefined;
  let lastAtMs: number | undefined;
  for (const line of text.split('\n')) {
    const [at, time, no] = line.trim().split(';');
    if (no !== rtd || at === undefined || time === undefined) continue;
    const atMs = Number(at);
    const ms = Number(time);
    if (!Number.isFinite(atMs) || !Number.isFinite(ms)) continue;
    times.push(ms);
    firstAtMs ??= atMs;
    lastAtMs = atMs;
  }
  return { times, firstAtMs, lastAtMs };
}

/**
 * The last snapshot of a `-trace_stat` CSV as counter name → raw value. SIPp writes one
 * header line, then one line per `-fd` period; the last line holds the final cumulative `(C)`
 * counters. Values are kept as text because some (times, dates) are not numbers.
 */
export function parseStatCsv(text: string): Map<string, string> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]?.split(';') ?? [];
  const last = lines.length > 1 ? (lines[lines.length - 1]?.split(';') ?? []) : [];
  const out = new Map<string, string>();
  header.forEach((name, i) => {
    const value = last[i];
    if (name !== '' && value !== undefined) out.set(name, value);
  });
  return out;
}

/** A numeric counter of a parsed stat snapshot; 0 when absent or not a number. */
export function statNumber(stats: Map<string, string>, name: string): number {
  const n = Number(stats.get(name));
  return Number.isFinite(n) ? n : 0;
}

/**
 * The cumulative failure counters that are non-zero, e.g. `{ FailedMaxUDPRetrans: 3 }`, so a
 * failed step says why without reading SIPp's logs.
 */
export function failureBreakdown(stats: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of stats.keys()) {
    if (!name.startsWith('Failed') || !name.endsWith('(C)') || name === 'FailedCall(C)') continue;
    const n = statNumber(stats, name);
    if (n > 0) out[name.slice(0, -3)] = n;
  }
  return out;
}

/** Exact nearest-rank percentile (p in 0..100) of unsorted samples; undefined when empty. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/**
 * utime + stime (clock ticks) from the text of `/proc/<pid>/stat`. The command name in field 2
 * is parenthesised and may hold spaces, so fields are counted after the last `)`.
 */
export function cpuTicksFromProcStat(text: string): number | undefined {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name, field 3 (state) is rest[0]; utime is field 14 and stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** `VmRSS` of `/proc/<pid>/status` text, in MiB. */
export function rssMibFromProcStatus(text: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]) / 1024;
}
