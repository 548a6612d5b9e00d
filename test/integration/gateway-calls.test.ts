/**
 * The gateway end to end, as a carrier and an AI agent meet it: the real `baton` process
 * (embedded engine, SQLite store, HTTP) started from a YAML file, SIPp as the caller and SIPp as
 * the AI agent, over UDP on loopback. Every flow of issue 3 is one test; each checks both SIPp
 * verdicts and that `/metrics` moved by exactly the expected amount.
 *
 * Addresses: 127.0.0.1 is trunk `carrier-a`; 127.0.0.2 is trunk `secure-ivr`, which needs digest
 * credentials; 127.0.0.9 is in no trunk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { allocPort } from '../support/ports.js';
import {
  expectSippPass,
  runSipp,
  startSippServer,
  type SippResult,
  type SippRunOptions,
  type SippServer,
} from '../support/sipp.js';

/** The number the carrier dials (`[service]`): becomes the agent's To and User-to-User. */
const DIALED = '+4930123';
const CALLER_NUMBER = '+15550100';
/** Short enough to keep the timeout tests quick, long enough for a loaded CI machine. */
const ANSWER_TIMEOUT_MS = 2000;
const SIPP_TIMEOUT_MS = 20_000;

function gatewayConfig(agentPort: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trunks: [
      { name: 'carrier-a', addresses: ['127.0.0.1'] },
      {
        name: 'secure-ivr',
        addresses: ['127.0.0.2'],
        // The SIPp harness's default -au / -ap (SCENARIO_KEY_DEFAULTS).
        auth: { username: 'baton', password: 'baton-secret', realm: 'baton.test' },
      },
    ],
    // Both challenges go out, MD5 first: SIPp 3.6.1 answers the first one and knows only MD5.
    security: { digestAlgorithms: ['MD5', 'SHA-256'] },
    aiAgent: {
      uri: `sip:agent@127.0.0.1:${agentPort}`,
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
      onFailure: { status: 486, reason: 'Busy Here' },
      headers: {
        'User-to-User': '{{call.to.user}};encoding=hex',
        'X-Caller-Number': '{{call.from.user}}',
      },
    },
    ...extra,
  };
}

/** Label sets of the counters the tests read. */
const calls = (trunk: string, result: string) => ['baton_calls_total', { trunk, result }] as const;
const rejected = (reason: string) => ['baton_calls_rejected_total', { reason }] as const;

/** How much each named series moves while `action` runs. */
async function deltas(
  gw: GatewayProcess,
  series: ReadonlyArray<readonly [string, Record<string, string>]>,
  action: () => Promise<void>,
): Promise<number[]> {
  const before = await Promise.all(series.map(([n, l]) => gw.metric(n, l)));
  await action();
  const after = await Promise.all(series.map(([n, l]) => gw.metric(n, l)));
  return after.map((v, i) => v - (before[i] ?? 0));
}

/**
 * A SIPp AI agent on the configured agent port. SIPp also binds its media port + 2 (video), which
 * the harness does not lease, so a clash there is retried with fresh media ports.
 */
async function startAgent(scenario: string, port: number): Promise<SippServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSippServer({
        scenario,
        localIp: '127.0.0.1',
        localPort: port,
        timeoutMs: SIPP_TIMEOUT_MS,
      });
    } catch (err) {
      if (attempt >= 3 || !/exit 254|bind/.test(String((err as Error).message))) throw err;
    }
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('gateway calls: SIPp caller → Baton → SIPp AI agent', () => {
  let gw: GatewayProcess;
  let agentPort: number;

  const agent = (scenario: string) => startAgent(scenario, agentPort);
  const caller = (scenario: string, opts: Partial<SippRunOptions> = {}): Promise<SippResult> =>
    runSipp({ scenario, remote: gw.sipAddress, service: DIALED, timeoutMs: SIPP_TIMEOUT_MS, ...opts });

  beforeAll(async () => {
    agentPort = await allocPort();
    gw = await startGateway(gatewayConfig(agentPort));
  }, 40_000);

  afterAll(async () => {
    expect(await gw?.stop()).toBe(0);
  }, 30_000);

  it('reports ready on /readyz and healthy on /healthz once up', async () => {
    const ready = await gw.http('GET', '/readyz', false);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true, draining: false, notReady: [] });
    expect((await gw.http('GET', '/healthz', false)).status).toBe(200);
    expect(await gw.metric('baton_engine_connected')).toBe(1);
  });

  it('basic call: ringing and the agent answer are relayed; the agent gets the context and configured headers', async () => {
    let agentResult: SippResult | undefined;
    const moved = await deltas(
      gw,
      [calls('carrier-a', 'answered'), ['baton_call_setup_seconds_count', {}]],
      async () => {
        const a = await agent('ai-agent-answers.xml');
        const c = await caller('caller-basic-call.xml');
        agentResult = await a.done;
        expectSippPass(c, agentResult);
      },
    );
    expect(moved).toEqual([1, 1]);
    const logs = agentResult?.logs ?? '';
    expect(logs).toContain('X-Baton-Trunk: carrier-a');
    // Configured headers, rendered per call; the name keeps its case (DRACHTIO_PRESERVE_HEADER_NAMES).
    expect(logs).toContain(`User-to-User: ${DIALED};encoding=hex`);
    expect(logs).toContain(`X-Caller-Number: ${CALLER_NUMBER}`);
    // One id for the call: the header the agent saw is the callId of the gateway's log lines.
    const callId = /X-Baton-Call-Id: ([0-9a-f-]{36})/.exec(logs)?.[1];
    expect(callId).toBeDefined();
    const ended = gw.logs.find((l) => l.callId === callId && l.msg === 'call ended');
    expect(ended).toMatchObject({ trunk: 'carrier-a', result: 'answered', cause: 'caller-hangup' });
  });

  it('caller hangs up: Baton sends BYE to the agent', async () => {
    const moved = await deltas(gw, [calls('carrier-a', 'answered')], async () => {
      const a = await agent('ai-agent-answers.xml');
      const c = await caller('caller-hangs-up.xml');
      expectSippPass(c, await a.done);
    });
    expect(moved).toEqual([1]);
  });

  it('AI agent hangs up: Baton sends BYE to the caller', async () => {
    const moved = await deltas(gw, [calls('carrier-a', 'answered')], async () => {
      const a = await agent('ai-agent-hangs-up.xml');
      const c = await caller('caller-expects-ai-hangup.xml');
      expectSippPass(c, await a.done);
    });
    expect(moved).toEqual([1]);
    expect(gw.logs.some((l) => l.msg === 'call ended' && l.cause === 'agent-hangup')).toBe(true);
  });

  it('AI agent busy: the caller gets the configured answer (486)', async () => {
    const moved = await deltas(gw, [calls('carrier-a', 'failed')], async () => {
      const a = await agent('ai-agent-busy.xml');
      const c = await caller('caller-expects-busy.xml');
      expectSippPass(c, await a.done);
    });
    expect(moved).toEqual([1]);
  });

  it('AI agent never answers: Baton cancels it at answerTimeoutMs and answers the caller', async () => {
    const moved = await deltas(gw, [calls('carrier-a', 'failed')], async () => {
      const a = await agent('ai-agent-rings-forever.xml');
      const c = await caller('caller-expects-busy.xml');
      expectSippPass(c, await a.done);
    });
    expect(moved).toEqual([1]);
    expect(gw.logs.some((l) => l.msg === 'call ended' && l.cause === 'agent-timeout')).toBe(true);
  });

  it('CANCEL while ringing: the caller gets 487 and Baton cancels the agent leg', async () => {
    const moved = await deltas(gw, [calls('carrier-a', 'cancelled')], async () => {
      const a = await agent('ai-agent-rings-forever.xml');
      const c = await caller('caller-cancel-while-ringing.xml', { callDurationMs: 300 });
      expectSippPass(c, await a.done);
    });
    expect(moved).toEqual([1]);
  });

  it('unknown source: 403 from an address in no trunk', async () => {
    const moved = await deltas(gw, [rejected('unknown-source'), calls('unknown', 'rejected')], async () => {
      expectSippPass(await caller('caller-expects-403.xml', { localIp: '127.0.0.9' }));
    });
    expect(moved).toEqual([1, 1]);
  });

  it('OPTIONS keepalive from a trunk is answered 200 by Baton (RFC 3261 §11)', async () => {
    expectSippPass(await caller('uac-options-expect-200.xml'));
  });

  it('digest challenge passed: 407, then the authenticated INVITE reaches the agent', async () => {
    let agentResult: SippResult | undefined;
    const moved = await deltas(gw, [calls('secure-ivr', 'answered'), rejected('auth-failed')], async () => {
      const a = await agent('ai-agent-answers.xml');
      const c = await caller('caller-digest-auth.xml', { localIp: '127.0.0.2' });
      agentResult = await a.done;
      expectSippPass(c, agentResult);
    });
    expect(moved).toEqual([1, 0]);
    expect(agentResult?.logs).toContain('X-Baton-Trunk: secure-ivr');
  });

  it('digest challenge failed: a wrong password gets 403, not a second challenge', async () => {
    const moved = await deltas(gw, [rejected('auth-failed'), calls('secure-ivr', 'rejected')], async () => {
      expectSippPass(await caller('caller-digest-auth-wrong-password.xml', { localIp: '127.0.0.2' }));
    });
    expect(moved).toEqual([1, 1]);
    expect(gw.logs.some((l) => l.msg === 'digest authentication failed' && l.reason === 'bad-response')).toBe(
      true,
    );
  });

  it('re-INVITE: the caller puts the call on hold and resumes it, passed through to the agent', async () => {
    const a = await agent('ai-agent-expects-reinvite.xml');
    const c = await caller('caller-reinvite-hold.xml');
    const agentResult = await a.done;
    expectSippPass(c, agentResult);
    expect(c.logs).toContain('hold answered with a=recvonly');
  });

  it('re-INVITE: the agent puts the caller on hold, passed through to the caller', async () => {
    const a = await agent('ai-agent-sends-reinvite.xml');
    const c = await caller('caller-expects-reinvite.xml', { callDurationMs: 200 });
    const agentResult = await a.done;
    expectSippPass(c, agentResult);
    expect(agentResult.logs).toContain('hold answered with a=recvonly');
  });

  it("late offer: the caller's INVITE has no SDP; the agent's offer and the caller's answer pass through", async () => {
    const moved = await deltas(gw, [calls('carrier-a', 'answered')], async () => {
      const a = await agent('ai-agent-late-offer.xml');
      const c = await caller('caller-late-offer.xml');
      const agentResult = await a.done;
      expectSippPass(c, agentResult);
      expect(agentResult.logs).toContain('answer in the ACK: o=late-caller');
    });
    expect(moved).toEqual([1]);
  });

  it('scanner: an INVITE from a known scanner User-Agent gets no answer', async () => {
    const moved = await deltas(gw, [rejected('scanner')], async () => {
      expectSippPass(await caller('caller-scanner-ignored.xml'));
    });
    expect(moved).toEqual([1]);
  });

  it('control API: lists the call, and DELETE /api/calls/{id} hangs up both legs', async () => {
    expect((await gw.http('GET', '/api/calls', false)).status).toBe(401);
    const moved = await deltas(gw, [calls('carrier-a', 'answered')], async () => {
      const a = await agent('ai-agent-answers.xml');
      const c = caller('caller-expects-ai-hangup.xml');
      const call = await waitFor('an active call in /api/calls', async () => {
        const { body } = await gw.http('GET', '/api/calls');
        const list = (JSON.parse(body) as { calls: Array<{ id: string; state: string; trunk: string }> })
          .calls;
        return list.find((x) => x.state === 'connected');
      });
      expect(call.trunk).toBe('carrier-a');
      expect(await gw.metric('baton_calls_active')).toBe(1);
      const one = await gw.http('GET', `/api/calls/${call.id}`);
      expect(one.status).toBe(200);
      expect(JSON.parse(one.body)).toMatchObject({
        id: call.id,
        to: expect.stringContaining(DIALED) as unknown,
      });
      expect((await gw.http('DELETE', `/api/calls/${call.id}`)).status).toBe(204);
      expectSippPass(await c, await a.done);
      expect((await gw.http('GET', `/api/calls/${call.id}`)).status).toBe(404);
    });
    expect(moved).toEqual([1]);
    expect(await gw.metric('baton_calls_active')).toBe(0);
  });

  // Last with this agent port: the engine keeps retransmitting the unanswered INVITE and its CANCEL
  // there (Timers A/E) for up to 32 s, which a SIPp agent started on the port next would receive.
  it('AI agent unreachable: after answerTimeoutMs the caller gets the configured answer', async () => {
    const moved = await deltas(gw, [calls('carrier-a', 'failed')], async () => {
      expectSippPass(await caller('caller-expects-busy.xml'));
    });
    expect(moved).toEqual([1]);
  });

  it('counts SIP traffic by method and status', async () => {
    expect(
      await gw.metric('baton_sip_requests_total', { method: 'INVITE', direction: 'inbound' }),
    ).toBeGreaterThan(0);
    expect(
      await gw.metric('baton_sip_requests_total', { method: 'INVITE', direction: 'outbound' }),
    ).toBeGreaterThan(0);
    expect(
      await gw.metric('baton_sip_responses_total', {
        method: 'INVITE',
        status: '407',
        direction: 'outbound',
      }),
    ).toBeGreaterThan(0);
    expect(
      await gw.metric('baton_sip_responses_total', { method: 'INVITE', status: '486', direction: 'inbound' }),
    ).toBe(1);
  });
});

describe('gateway limits and shutdown', () => {
  let gw: GatewayProcess;
  let agentPort: number;

  beforeAll(async () => {
    agentPort = await allocPort();
    gw = await startGateway(
      gatewayConfig(agentPort, {
        limits: { maxCalls: 1, retryAfterSeconds: 7 },
        shutdown: { drainTimeoutMs: 1500 },
      }),
    );
  }, 40_000);

  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  const caller = (scenario: string): Promise<SippResult> =>
    runSipp({ scenario, remote: gw.sipAddress, service: DIALED, timeoutMs: SIPP_TIMEOUT_MS });

  it('over maxCalls: a second call gets 503 with Retry-After while the first is up', async () => {
    const moved = await deltas(gw, [rejected('over-limit'), calls('carrier-a', 'rejected')], async () => {
      const a = await startAgent('ai-agent-answers.xml', agentPort);
      const first = caller('caller-expects-ai-hangup.xml');
      const call = await waitFor('the first call to connect', async () => {
        const { body } = await gw.http('GET', '/api/calls');
        return (JSON.parse(body) as { calls: Array<{ id: string; state: string }> }).calls.find(
          (x) => x.state === 'connected',
        );
      });
      const second = await caller('caller-expects-503-retry-after.xml');
      expectSippPass(second);
      expect(second.logs).toContain('Retry-After: 7');
      expect((await gw.http('DELETE', `/api/calls/${call.id}`)).status).toBe(204);
      expectSippPass(await first, await a.done);
    });
    expect(moved).toEqual([1, 1]);
  });

  it('SIGTERM: new calls get 503, the call still up is hung up after the drain timeout, exit 0', async () => {
    const a = await startAgent('ai-agent-answers.xml', agentPort);
    const first = caller('caller-expects-ai-hangup.xml');
    await waitFor('the call to connect', async () => {
      const { body } = await gw.http('GET', '/api/calls');
      return (JSON.parse(body) as { calls: Array<{ state: string }> }).calls.find(
        (x) => x.state === 'connected',
      );
    });
    gw.child.kill('SIGTERM');
    await waitFor('draining', () =>
      Promise.resolve(
        gw.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('draining')) || undefined,
      ),
    );
    // A load balancer's probe sees the drain: not ready, although engine and store are still up.
    const ready = await gw.http('GET', '/readyz', false);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({
      ready: false,
      checks: { engine: true, store: true },
      draining: true,
      notReady: ['draining'],
    });
    // Refused while draining (the reason is draining, not the maxCalls the first call holds).
    const refused = await caller('caller-expects-503-retry-after.xml');
    expectSippPass(refused);
    expect(await gw.metric(...rejected('draining'))).toBe(1);
    expectSippPass(await first, await a.done);
    expect(await gw.exited).toBe(0);
    expect(gw.logs.some((l) => l.msg === 'call ended' && l.cause === 'shutdown')).toBe(true);
  });
});

describe('gateway on an external SIP server (sip.drachtio)', () => {
  let engine: ChildProcess | undefined;
  let gw: GatewayProcess | undefined;

  afterAll(async () => {
    await gw?.stop();
    engine?.kill('SIGTERM');
  });

  it('connects to a separate baton-engine process as it would to drachtio-server, and carries a call', async () => {
    const [sipPort, adminPort, agentPort] = [await allocPort(), await allocPort(), await allocPort()];
    const secret = 'external-server-secret';
    engine = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', 'engine/main.ts'],
        ...['-c', `sip:127.0.0.1:${sipPort};transport=udp,tcp`, '--address', '127.0.0.1'],
        ...['-p', String(adminPort), '--secret', secret, '-l', 'warn'],
      ],
      { cwd: fileURLToPath(new URL('../../', import.meta.url)), stdio: 'ignore' },
    );
    gw = await startGateway({
      ...gatewayConfig(agentPort),
      sip: { drachtio: { host: '127.0.0.1', port: adminPort, secret } },
    });
    // The gateway started no engine of its own.
    expect(gw.logs.some((l) => l.msg === 'embedded SIP engine started')).toBe(false);
    const a = await startAgent('ai-agent-answers.xml', agentPort);
    const c = await runSipp({
      scenario: 'caller-basic-call.xml',
      remote: `127.0.0.1:${sipPort}`,
      service: DIALED,
      timeoutMs: SIPP_TIMEOUT_MS,
    });
    expectSippPass(c, await a.done);
    expect(await gw.metric('baton_calls_total', { trunk: 'carrier-a', result: 'answered' })).toBe(1);
  }, 60_000);
});
