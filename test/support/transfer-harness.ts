/**
 * What the transfer integration tests share: the numbers and templates of their gateway config,
 * metric deltas around an action, the transfer session record, and the SIPp parties (AI agent,
 * human, caller) bound to one running gateway and the ports it was configured with.
 */
import type { GatewayProcess } from './gateway-process.js';
import { runSipp, startSippServer, type SippResult, type SippRunOptions, type SippServer } from './sipp.js';

export const DIALED = '+4930123';
export const HUMAN_IP = '127.0.0.3';
export const SIPP_TIMEOUT_MS = 20_000;

export const UUI = { data: '{{conversationId}}', encoding: 'hex', purpose: 'isdn-uui', content: 'isdn-uui' };
export const HEADERS = { 'X-Intent': '{{vars.intent}}', 'X-Caller': '{{call.from.user}}' };

export type Series = readonly [string, Record<string, string>];
export const transfers = (mode: string, result: string): Series => [
  'baton_transfers_total',
  { mode, result },
];
export const failures = (reason: string, code: string): Series => [
  'baton_transfer_failures_total',
  { reason, code },
];

/** How much each series moved while `action` ran. */
export async function deltas(
  gw: GatewayProcess,
  series: readonly Series[],
  action: () => Promise<void>,
): Promise<number[]> {
  const before = await Promise.all(series.map(([n, l]) => gw.metric(n, l)));
  await action();
  const after = await Promise.all(series.map(([n, l]) => gw.metric(n, l)));
  return after.map((v, i) => v - (before[i] ?? 0));
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The body of `GET /api/transfers/{id}`. */
export interface TransferRecord {
  id: string;
  callId: string;
  target: string;
  mode: string;
  state: string;
  outcome?: string;
  failureReason?: string;
  sipStatus?: number;
  vars: Record<string, string>;
  history: Array<{ state: string; detail?: string }>;
}

export function omitKeys(opts: Partial<SippRunOptions>): Partial<SippRunOptions> {
  const { keys: _keys, ...rest } = opts;
  return rest;
}

/** The Baton call id the AI agent's scenario logged from X-Baton-Call-Id. */
export function batonCallId(agentLogs: string): string {
  const callId = /X-Baton-Call-Id: ([0-9a-f-]{36})/.exec(agentLogs)?.[1];
  if (callId === undefined) throw new Error(`the AI agent logged no X-Baton-Call-Id:\n${agentLogs}`);
  return callId;
}

type Keys = Record<string, string | number>;

/** Read lazily: the gateway and the ports only exist once the suite's `beforeAll` ran. */
export interface TransferEnv {
  gw(): GatewayProcess;
  agentPort(): number;
  humanPort(): number;
  /** The SIPp `-key` values every party gets, with a test's own on top. */
  keys(extra?: Keys): Keys;
}

export interface TransferParties {
  /** A SIPp far end on a fixed port; a clash on its unleased media port is retried. */
  server: (opts: SippRunOptions) => Promise<SippServer>;
  agent: (scenario: string, opts?: Partial<SippRunOptions>) => Promise<SippServer>;
  human: (scenario: string, opts?: Partial<SippRunOptions>) => Promise<SippServer>;
  caller: (scenario: string, opts?: Partial<SippRunOptions>) => Promise<SippResult>;
  /** The transfer session started for a Baton call, once it has ended. */
  sessionOfCall: (callId: string | undefined) => Promise<TransferRecord>;
  /** GET /api/transfers/{id} once the session has ended. */
  endedSession: (id: string) => Promise<TransferRecord>;
}

export function transferParties(env: TransferEnv): TransferParties {
  async function server(opts: SippRunOptions): Promise<SippServer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startSippServer({ timeoutMs: SIPP_TIMEOUT_MS, ...opts });
      } catch (err) {
        if (attempt >= 3 || !/exit 254|bind/.test(String((err as Error).message))) throw err;
      }
    }
  }
  async function endedSession(id: string): Promise<TransferRecord> {
    return waitFor(`transfer ${id} to end`, async () => {
      const res = await env.gw().http('GET', `/api/transfers/${id}`);
      if (res.status !== 200) return undefined;
      const record = JSON.parse(res.body) as TransferRecord;
      return record.state === 'ended' ? record : undefined;
    });
  }
  return {
    server,
    endedSession,
    agent: (scenario, opts = {}) =>
      server({
        scenario,
        localIp: '127.0.0.1',
        localPort: env.agentPort(),
        ...omitKeys(opts),
        keys: env.keys(opts.keys),
      }),
    human: (scenario, opts = {}) =>
      server({
        scenario,
        localIp: HUMAN_IP,
        localPort: env.humanPort(),
        ...omitKeys(opts),
        keys: env.keys(opts.keys),
      }),
    caller: (scenario, opts = {}) =>
      runSipp({
        scenario,
        remote: env.gw().sipAddress,
        service: DIALED,
        timeoutMs: SIPP_TIMEOUT_MS,
        ...omitKeys(opts),
        keys: env.keys(opts.keys),
      }),
    async sessionOfCall(callId) {
      const started = await waitFor('the transfer started log line', () =>
        Promise.resolve(env.gw().logs.find((l) => l.msg === 'transfer started' && l.callId === callId)),
      );
      return endedSession(String(started.transferId));
    },
  };
}
