/**
 * Parsers for the files SIPp writes for benches: the statistics CSV (-trace_stat -stf) and the
 * response-time CSV (-trace_rtt). Pure functions over the file text.
 */

/** The cumulative counters of a SIPp run, from the last row of its -trace_stat file. */
export interface SippStats {
  /** Calls that reached the end of the scenario. */
  successfulCalls: number;
  /** Calls that failed for any reason (see `failureCauses`). */
  failedCalls: number;
  /** Calls created (outgoing for a UAC scenario, incoming for a UAS one). */
  createdCalls: number;
  /** Calls still open when the row was written (non-zero only in a run cut short). */
  openCalls: number;
  /** UDP retransmissions SIPp sent. */
  retransmissions: number;
  /** Messages SIPp could not place in any call. */
  outOfCallMessages: number;
  /** Non-zero cumulative failure counters, e.g. `{ FailedUnexpectedMessage: 2 }`. */
  failureCauses: Record<string, number>;
  /** Mean of each response-time measure (RTD) in milliseconds, keyed by its number, e.g. `{ 1: 4.2 }`. */
  responseTimeMeanMs: Record<string, number>;
  /** Every column of the last row as SIPp wrote it. */
  columns: Record<string, string>;
  /** Data rows in the file (one per -fd period, plus one at start and one at exit). */
  rows: number;
}

/** One response-time sample from the -trace_rtt file. */
export interface SippRttSample {
  /** When the sample was taken, in milliseconds since the run started. */
  atMs: number;
  /** The measured time (start_rtd to rtd), in whole milliseconds as SIPp writes it. */
  responseTimeMs: number;
  /** Which measure it belongs to (the value of start_rtd / rtd in the scenario). */
  rtd: string;
}

/** Parse a SIPp statistics CSV (`;`-separated, header row first); reads the last data row. */
export function parseSippStats(csv: string): SippStats {
  const lines = csv.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0]?.split(';');
  const dataRows = lines.slice(1).filter((line) => line !== lines[0]);
  const last = dataRows.at(-1)?.split(';');
  if (header === undefined || last === undefined) {
    throw new Error('SIPp statistics file has no data row');
  }
  const columns: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name !== '') columns[name] = last[i] ?? '';
  });
  const count = (name: string): number => {
    const value = Number(columns[name]);
    return Number.isFinite(value) ? value : 0;
  };

  const failureCauses: Record<string, number> = {};
  const responseTimeMeanMs: Record<string, number> = {};
  for (const name of Object.keys(columns)) {
    const failure = /^(Failed\w+)\(C\)$/.exec(name);
    if (failure?.[1] !== undefined && failure[1] !== 'FailedCall' && count(name) > 0) {
      failureCauses[failure[1]] = count(name);
    }
    const rtd = /^ResponseTime(\w+)\(C\)$/.exec(name);
    const duration = columns[name];
    if (rtd?.[1] !== undefined && !rtd[1].endsWith('StDev') && duration !== undefined) {
      responseTimeMeanMs[rtd[1]] = durationToMs(duration);
    }
  }

  return {
    successfulCalls: count('SuccessfulCall(C)'),
    failedCalls: count('FailedCall(C)'),
    createdCalls: count('TotalCallCreated'),
    openCalls: count('CurrentCall'),
    retransmissions: count('Retransmissions(C)'),
    outOfCallMessages: count('OutOfCallMsgs(C)'),
    failureCauses,
    responseTimeMeanMs,
    columns,
    rows: dataRows.length,
  };
}

/** Parse a SIPp response-time CSV (`Date_ms;response_time_ms;rtd_no` rows). */
export function parseSippRtt(csv: string): SippRttSample[] {
  const samples: SippRttSample[] = [];
  for (const line of csv.split(/\r?\n/)) {
    const [at, time, rtd] = line.split(';');
    const atMs = Number(at);
    const responseTimeMs = Number(time);
    if (rtd === undefined || at === '' || !Number.isFinite(atMs) || !Number.isFinite(responseTimeMs)) {
      continue; // the header row, or a blank line
    }
    samples.push({ atMs, responseTimeMs, rtd: rtd.trim() });
  }
  return samples;
}

/** SIPp durations look like `00:00:01:234000` (hours:minutes:seconds:microseconds). */
function durationToMs(text: string): number {
  const parts = text.split(':').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return Number.NaN;
  const [h = 0, m = 0, s = 0, us = 0] = parts;
  return ((h * 60 + m) * 60 + s) * 1000 + us / 1000;
}
