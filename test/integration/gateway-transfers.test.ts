/**
 * Transfers end to end, as the AI agent, the human and the carrier meet them: the real `baton`
 * process (embedded engine, SQLite store, HTTP) started from a YAML file; SIPp as the caller (a
 * carrier on trunk carrier-a, 127.0.0.1), the AI agent (127.0.0.1) and the human (127.0.0.3);
 * over UDP on loopback. Each test checks every SIPp verdict (the scenarios ereg the injected
 * headers, the UUI, the sipfrag bodies of the NOTIFYs the AI agent gets), how `/metrics` moved,
 * and the transfer session record through `GET /api/transfers/{id}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { allocPort } from '../support/ports.js';
import { expectSippPass, type SippResult, type SippRunOptions } from '../support/sipp.js';
import {
  deltas,
  failures,
  HEADERS,
  HUMAN_IP,
  transferParties,
  transfers,
  UUI,
  waitFor,
  type TransferRecord,
} from '../support/transfer-harness.js';

/** Short so the timeout tests stay quick; the schema's minimum is 1 s. */
const RING_TIMEOUT_MS = 1500;
const NOTIFY_TIMEOUT_MS = 1500;

function transferConfig(agentPort: number, humanPort: number): Record<string, unknown> {
  const human = `sip:support-queue@${HUMAN_IP}:${humanPort}`;
  return {
    trunks: [
      {
        name: 'carrier-a',
        addresses: ['127.0.0.1'],
        // The REFER's challenge (carrier-challenges-refer-407) is answered with these.
        outbound: { uri: 'sip:gw.carrier.example', username: 'baton', password: 'baton-secret' },
      },
    ],
    aiAgent: {
      uri: `sip:agent@127.0.0.1:${agentPort}`,
      answerTimeoutMs: 2000,
      onFailure: { status: 486, reason: 'Busy Here' },
      headers: { 'User-to-User': '{{call.to.user}};encoding=hex', 'X-Caller-Number': '{{call.from.user}}' },
    },
    transfer: {
      ringTimeoutMs: RING_TIMEOUT_MS,
      notifyTimeoutMs: NOTIFY_TIMEOUT_MS,
      referByeGraceMs: 500,
      allow: [`sip:*@${HUMAN_IP}`],
      targets: {
        support: {
          kind: 'internal',
          destination: human,
          headers: HEADERS,
          uui: UUI,
          fallback: { prompt: 'prompts/transfer-failed.wav', action: 'return-to-agent', node: 'Apology' },
        },
        'support-or-hangup': {
          kind: 'internal',
          destination: human,
          headers: HEADERS,
          uui: UUI,
          fallback: { action: 'hangup' },
        },
        'busy-desk': {
          kind: 'internal',
          destination: `sip:busy-desk@${HUMAN_IP}:${humanPort}`,
          fallback: { action: 'target', target: 'support' },
        },
        'support-returns': { kind: 'internal', destination: human, onHumanHangup: 'return-to-agent' },
        'support-bye': { kind: 'external', method: 'bye', destination: human, headers: HEADERS, uui: UUI },
        'carrier-refer': {
          kind: 'external',
          method: 'refer',
          destination: '+14155550100',
          trunk: 'carrier-a',
          headers: { 'X-Intent': '{{vars.intent}}' },
          uui: { ...UUI, placement: 'refer-to-uri' },
        },
        ivr: { kind: 'ivr', tags: { 'X-Transfer-Tag': 'billing', 'X-Containment': 'transferred' } },
      },
    },
  };
}

describe('gateway transfers: SIPp caller → Baton → SIPp AI agent, human, carrier', () => {
  let gw: GatewayProcess;
  let agentPort: number;
  let humanPort: number;

  const keys = (extra: Record<string, string | number> = {}): Record<string, string | number> => ({
    refer_to: `sip:support@127.0.0.1:${gw.sipPort}`,
    transfer_target: 'support',
    refer_final: '486 Busy Here',
    ...extra,
  });

  const { agent, human, caller, sessionOfCall, endedSession } = transferParties({
    gw: () => gw,
    agentPort: () => agentPort,
    humanPort: () => humanPort,
    keys,
  });

  /** The transfer session of the call whose X-Baton-Call-Id the agent logged. */
  async function sessionOf(agentLogs: string): Promise<TransferRecord> {
    const callId = /X-Baton-Call-Id: ([0-9a-f-]{36})/.exec(agentLogs)?.[1];
    expect(callId).toBeDefined();
    return sessionOfCall(callId);
  }

  async function post(
    path: string,
    body: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function connectedCallId(): Promise<string> {
    return waitFor('a connected call', async () => {
      const { body } = await gw.http('GET', '/api/calls');
      const list = (JSON.parse(body) as { calls: Array<{ id: string; state: string }> }).calls;
      return list.find((c) => c.state === 'connected')?.id;
    });
  }

  beforeAll(async () => {
    agentPort = await allocPort();
    humanPort = await allocPort({ host: HUMAN_IP });
    gw = await startGateway(transferConfig(agentPort, humanPort));
  }, 40_000);

  afterAll(async () => {
    expect(await gw?.stop()).toBe(0);
  }, 30_000);

  describe('trigger REFER, mode invite (bridge)', () => {
    it('success: 202, NOTIFY 100 then 200 to the AI agent; the human gets the headers and UUI; the caller is re-INVITEd onto the human; the AI leg is released', async () => {
      let agentResult: SippResult | undefined;
      let humanResult: SippResult | undefined;
      const moved = await deltas(
        gw,
        [transfers('invite', 'completed'), ['baton_transfer_duration_seconds_count', { mode: 'invite' }]],
        async () => {
          const a = await agent('ai-agent-refers-to-support.xml', { variables: { expect_final: '200' } });
          const h = await human('human-answers.xml');
          const c = await caller('caller-expects-reinvite-then-bye.xml', { callDurationMs: 300 });
          agentResult = await a.done;
          humanResult = await h.done;
          expectSippPass(c, agentResult, humanResult);
        },
      );
      expect(moved).toEqual([1, 1]);
      expect(agentResult?.logs).toContain('NOTIFY sipfrag: SIP/2.0 200 OK');
      expect(humanResult?.logs).toMatch(
        /User-to-User: [0-9A-F]+;encoding=hex;purpose=isdn-uui;content=isdn-uui/,
      );
      const session = await sessionOf(agentResult?.logs ?? '');
      expect(session).toMatchObject({
        target: 'support',
        mode: 'invite',
        state: 'ended',
        outcome: 'completed',
        sipStatus: 200,
        vars: { intent: 'billing' },
      });
      expect(session.history.map((h) => h.state)).toEqual(['pending', 'queued', 'active', 'ended']);
      expect(await gw.metric('baton_transfers_active')).toBe(0);
    });

    it.each([
      ['human-busy-486.xml', '486', 'busy'],
      ['human-not-found-404.xml', '404', 'not-found'],
      ['human-unavailable-503.xml', '503', 'unavailable'],
    ])(
      'the human refuses (%s): the caller stays with the AI agent, which gets the final NOTIFY SIP/2.0 %s and carries on',
      async (scenario, status, reason) => {
        let agentResult: SippResult | undefined;
        const moved = await deltas(
          gw,
          [transfers('invite', 'failed'), failures(reason, status)],
          async () => {
            const a = await agent('ai-agent-refers-then-hangs-up.xml', {
              variables: { expect_final: status },
              callDurationMs: 300,
            });
            const h = await human(scenario);
            const c = await caller('caller-stays-with-agent.xml');
            agentResult = await a.done;
            expectSippPass(c, agentResult, await h.done);
          },
        );
        expect(moved).toEqual([1, 1]);
        const session = await sessionOf(agentResult?.logs ?? '');
        expect(session).toMatchObject({
          outcome: 'failed',
          failureReason: reason,
          sipStatus: Number(status),
        });
        const logs = gw.logs.filter((l) => l.transferId === session.id);
        // No media layer: the configured prompt is skipped with a log line, the fallback goes on.
        expect(logs.some((l) => l.msg === 'fallback prompt skipped: no media backend configured')).toBe(true);
        expect(logs.find((l) => l.msg === 'transfer ended')).toMatchObject({
          outcome: 'failed',
          reason,
          fallback: 'return-to-agent',
          mode: 'invite',
        });
      },
    );

    it('no answer: the ring timeout cancels the human; the AI agent gets SIP/2.0 480 and keeps the caller', async () => {
      let agentResult: SippResult | undefined;
      const moved = await deltas(
        gw,
        [transfers('invite', 'failed'), failures('no-answer', 'none')],
        async () => {
          const a = await agent('ai-agent-refers-then-hangs-up.xml', {
            variables: { expect_final: '480' },
            callDurationMs: 300,
          });
          const h = await human('human-rings-forever.xml');
          const c = await caller('caller-stays-with-agent.xml');
          agentResult = await a.done;
          expectSippPass(c, agentResult, await h.done);
        },
      );
      expect(moved).toEqual([1, 1]);
      expect(await sessionOf(agentResult?.logs ?? '')).toMatchObject({
        outcome: 'failed',
        failureReason: 'no-answer',
      });
    });

    it('the caller hangs up while the human rings: CANCEL to the human, SIP/2.0 487 and BYE to the AI agent', async () => {
      let agentResult: SippResult | undefined;
      const moved = await deltas(
        gw,
        [transfers('invite', 'abandoned'), failures('caller-hung-up', 'none')],
        async () => {
          const a = await agent('ai-agent-refers-to-support.xml', { variables: { expect_final: '487' } });
          const h = await human('human-rings-forever.xml');
          const c = await caller('caller-basic-call.xml', { callDurationMs: 700 });
          agentResult = await a.done;
          expectSippPass(c, agentResult, await h.done);
        },
      );
      expect(moved).toEqual([1, 1]);
      expect(await sessionOf(agentResult?.logs ?? '')).toMatchObject({ outcome: 'abandoned' });
    });

    it('fallback hangup: the human is busy and the target says hang up; the caller gets a polite BYE', async () => {
      const moved = await deltas(gw, [transfers('invite', 'failed')], async () => {
        const a = await agent('ai-agent-refers-to-support.xml', {
          keys: { refer_to: `sip:support-or-hangup@127.0.0.1:${gw.sipPort}` },
          variables: { expect_final: '486' },
        });
        const h = await human('human-busy-486.xml');
        const c = await caller('caller-expects-ai-hangup.xml');
        expectSippPass(c, await a.done, await h.done);
      });
      expect(moved).toEqual([1]);
      expect(gw.logs.some((l) => l.msg === 'call ended' && l.cause === 'transfer-failed')).toBe(true);
    });

    it('a target neither configured nor allowed: 403 to the REFER, logged, the call goes on', async () => {
      const moved = await deltas(gw, [failures('bad-target', '403')], async () => {
        const a = await agent('ai-agent-refer-not-allowed-403.xml', {
          keys: { refer_to: 'sip:+19005550123@203.0.113.9' },
        });
        const c = await caller('caller-stays-with-agent.xml');
        expectSippPass(c, await a.done);
      });
      expect(moved).toEqual([1]);
      expect(gw.logs.some((l) => l.msg === 'transfer target not allowed')).toBe(true);
    });

    it('a URI that transfer.allow admits: the human is dialled, and its hang-up ends the call', async () => {
      const moved = await deltas(gw, [transfers('invite', 'completed')], async () => {
        const a = await agent('ai-agent-refers-to-support.xml', {
          keys: { refer_to: `sip:agent-7@${HUMAN_IP}:${humanPort}` },
          variables: { expect_final: '200' },
        });
        const h = await human('human-answers-then-hangs-up.xml', { callDurationMs: 300 });
        const c = await caller('caller-expects-reinvite-then-hangup.xml');
        expectSippPass(c, await a.done, await h.done);
      });
      expect(moved).toEqual([1]);
      expect(gw.logs.some((l) => l.msg === 'transfer target allowed')).toBe(true);
      expect(gw.logs.some((l) => l.msg === 'call ended' && l.cause === 'human-hangup')).toBe(true);
    });
    it('fallback target: the first target is busy, the next one answers (two attempts, one session)', async () => {
      let humanResult: SippResult | undefined;
      let agentResult: SippResult | undefined;
      const moved = await deltas(
        gw,
        [transfers('invite', 'completed'), failures('busy', '486')],
        async () => {
          const a = await agent('ai-agent-refers-to-support.xml', {
            keys: { refer_to: `sip:busy-desk@127.0.0.1:${gw.sipPort}` },
            variables: { expect_final: '200' },
          });
          const h = await human('human-busy-then-answers.xml', { calls: 2 });
          const c = await caller('caller-expects-reinvite-then-bye.xml', { callDurationMs: 300 });
          agentResult = await a.done;
          humanResult = await h.done;
          expectSippPass(c, agentResult, humanResult);
        },
      );
      expect(moved).toEqual([1, 1]);
      expect(humanResult?.logs).toMatch(
        /fallback target: X-Intent: billing User-to-User: [0-9A-F]+;encoding=hex/,
      );
      const session = await sessionOf(agentResult?.logs ?? '');
      expect(session).toMatchObject({ target: 'support', outcome: 'completed', failureReason: 'busy' });
    });

    it('onHumanHangup return-to-agent: the human hangs up, the agent is dialled again and takes the caller back (post_agent)', async () => {
      let agentResult: SippResult | undefined;
      const moved = await deltas(gw, [transfers('invite', 'completed')], async () => {
        const a = await agent('ai-agent-refers-then-takes-caller-back.xml', {
          calls: 2,
          keys: { refer_to: `sip:support-returns@127.0.0.1:${gw.sipPort}` },
          variables: { expect_final: '200' },
        });
        const h = await human('human-answers-then-hangs-up.xml', { callDurationMs: 300 });
        const c = await caller('caller-moved-to-human-then-back.xml', { callDurationMs: 300 });
        agentResult = await a.done;
        expectSippPass(c, agentResult, await h.done);
      });
      expect(moved).toEqual([1]);
      const logs = agentResult?.logs ?? '';
      expect(logs).toContain('X-Baton-Transfer-Reason: human-hangup');
      const session = await sessionOf(logs);
      expect(session.outcome).toBe('completed');
      expect(session.history.map((h) => h.state)).toEqual([
        'pending',
        'queued',
        'active',
        'post_agent',
        'ended',
      ]);
    });
  });

  describe('trigger API: POST /api/calls/{id}/transfer', () => {
    it('202 with the transfer id; the human is bridged; GET /api/transfers/{id} shows the session', async () => {
      const a = await agent('ai-agent-answers.xml');
      const h = await human('human-answers.xml');
      const c = caller('caller-expects-reinvite-then-bye.xml', { callDurationMs: 300 });
      const callId = await connectedCallId();
      const moved = await deltas(gw, [transfers('invite', 'completed')], async () => {
        const started = await post(`/api/calls/${callId}/transfer`, {
          target: 'support',
          vars: { intent: 'billing' },
        });
        expect(started.status).toBe(202);
        const transferId = String(started.json.transferId);
        // One transfer at a time.
        const again = await post(`/api/calls/${callId}/transfer`, { target: 'support' });
        expect(again.status).toBe(409);
        expect(again.json).toMatchObject({ error: { code: 'transfer-conflict' } });
        expectSippPass(await c, await a.done, await h.done);
        const session = await endedSession(transferId);
        expect(session).toMatchObject({
          callId,
          target: 'support',
          outcome: 'completed',
          vars: { intent: 'billing' },
        });
      });
      expect(moved).toEqual([1]);
    });

    it('the human is busy: the caller stays with the AI agent (no NOTIFY: the API asked)', async () => {
      const moved = await deltas(gw, [transfers('invite', 'failed'), failures('busy', '486')], async () => {
        const a = await agent('ai-agent-hangs-up.xml', { callDurationMs: 1500 });
        const h = await human('human-busy-486.xml');
        const c = caller('caller-stays-with-agent.xml');
        const callId = await connectedCallId();
        const started = await post(`/api/calls/${callId}/transfer`, {
          target: 'support',
          vars: { intent: 'billing' },
        });
        expect(started.status).toBe(202);
        expectSippPass(await c, await a.done, await h.done);
        expect(await endedSession(String(started.json.transferId))).toMatchObject({
          outcome: 'failed',
          failureReason: 'busy',
          sipStatus: 486,
        });
      });
      expect(moved).toEqual([1, 1]);
    });

    it('refuses what it cannot do: 404 unknown call, 400 invalid body, 403 target not allowed', async () => {
      expect((await post('/api/calls/no-such-call/transfer', { target: 'support' })).status).toBe(404);
      const a = await agent('ai-agent-hangs-up.xml', { callDurationMs: 1000 });
      const c = caller('caller-expects-ai-hangup.xml');
      const callId = await connectedCallId();
      const invalid = await post(`/api/calls/${callId}/transfer`, {
        target: 'support',
        vars: { intent: 'a\r\nb' },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.json).toMatchObject({ error: { code: 'invalid-transfer-request' } });
      const noTarget = await post(`/api/calls/${callId}/transfer`, { vars: {} });
      expect(noTarget.status).toBe(400);
      const denied = await post(`/api/calls/${callId}/transfer`, { target: 'sip:x@203.0.113.9' });
      expect(denied.status).toBe(403);
      expect(denied.json).toMatchObject({ error: { code: 'target-not-allowed' } });
      expectSippPass(await c, await a.done);
      expect((await gw.http('GET', '/api/transfers/no-such-transfer')).status).toBe(404);
    });
  });

  describe('trigger BYE with X-Transfer-Target', () => {
    it('the AI agent hangs up naming support: the caller is bridged to the human with the BYE’s X-Intent', async () => {
      const moved = await deltas(gw, [transfers('invite', 'completed')], async () => {
        const a = await agent('ai-agent-hangs-up-with-transfer-target.xml');
        const h = await human('human-answers.xml');
        const c = await caller('caller-expects-reinvite-then-bye.xml', { callDurationMs: 300 });
        expectSippPass(c, await a.done, await h.done);
      });
      expect(moved).toEqual([1]);
    });

    it('the transfer fails with the AI leg gone: the agent is dialled again with X-Baton-Fallback-Node, -Transfer-Status, -Transfer-Reason and takes the caller back', async () => {
      let agentResult: SippResult | undefined;
      const moved = await deltas(gw, [transfers('invite', 'failed'), failures('busy', '486')], async () => {
        const a = await agent('ai-agent-hangs-up-then-takes-caller-back.xml', { calls: 2 });
        const h = await human('human-busy-486.xml');
        const c = await caller('caller-taken-back-by-agent.xml', { callDurationMs: 300 });
        agentResult = await a.done;
        expectSippPass(c, agentResult, await h.done);
      });
      expect(moved).toEqual([1, 1]);
      const logs = agentResult?.logs ?? '';
      expect(logs).toContain('X-Baton-Transfer-Reason: busy');
      expect(logs).toContain('X-Baton-Transfer-Status: 486');
      expect(logs).toContain('X-Baton-Fallback-Node: Apology');
      expect(logs).toContain('offer in the INVITE (must be empty): \n');
    });
  });

  describe('mode bye (INVITE then BYE)', () => {
    it('success: the human is dialled and bridged, the AI leg released', async () => {
      const moved = await deltas(gw, [transfers('bye', 'completed')], async () => {
        const a = await agent('ai-agent-refers-to-support.xml', {
          keys: { refer_to: `sip:support-bye@127.0.0.1:${gw.sipPort}` },
          variables: { expect_final: '200' },
        });
        const h = await human('human-answers.xml');
        const c = await caller('caller-expects-reinvite-then-bye.xml', { callDurationMs: 300 });
        expectSippPass(c, await a.done, await h.done);
      });
      expect(moved).toEqual([1]);
    });
  });

  describe('mode refer (REFER on the caller’s leg)', () => {
    const refer = (extra: Partial<SippRunOptions> = {}) =>
      agent('ai-agent-refers-to-support.xml', {
        ...extra,
        keys: { refer_to: `sip:carrier-refer@127.0.0.1:${gw.sipPort}`, ...extra.keys },
      });
    const referThenHangUp = (expectFinal: string) =>
      agent('ai-agent-refers-then-hangs-up.xml', {
        keys: { refer_to: `sip:carrier-refer@127.0.0.1:${gw.sipPort}` },
        variables: { expect_final: expectFinal },
        callDurationMs: 300,
      });

    it('success: Refer-To with the UUI embedded, Referred-By; NOTIFY 100 then 200; the carrier ends the call', async () => {
      let agentResult: SippResult | undefined;
      const moved = await deltas(gw, [transfers('refer', 'completed')], async () => {
        const a = await refer({ variables: { expect_final: '200' } });
        const c = await caller('carrier-accepts-refer.xml');
        agentResult = await a.done;
        expectSippPass(c, agentResult);
      });
      expect(moved).toEqual([1]);
      expect(await sessionOf(agentResult?.logs ?? '')).toMatchObject({
        mode: 'refer',
        outcome: 'completed',
        sipStatus: 200,
      });
    });

    it('success without the carrier’s BYE: Baton ends the caller’s leg after referByeGraceMs', async () => {
      const moved = await deltas(gw, [transfers('refer', 'completed')], async () => {
        const a = await refer({ variables: { expect_final: '200' } });
        const c = await caller('carrier-accepts-refer-without-bye.xml');
        expectSippPass(c, await a.done);
      });
      expect(moved).toEqual([1]);
      expect(gw.logs.some((l) => l.msg === 'call ended' && l.cause === 'transferred')).toBe(true);
    });

    it('REFER challenged 407: answered with the trunk’s credentials, then accepted', async () => {
      const moved = await deltas(
        gw,
        [transfers('refer', 'completed'), failures('auth-failed', '407')],
        async () => {
          const a = await refer({ variables: { expect_final: '200' } });
          const c = await caller('carrier-challenges-refer-407.xml');
          expectSippPass(c, await a.done);
        },
      );
      expect(moved).toEqual([1, 0]);
    });

    it.each([
      ['405 Method Not Allowed', '405', 'refer-not-supported'],
      ['403 Forbidden', '403', 'rejected'],
      ['500 Server Internal Error', '500', 'unavailable'],
    ])(
      'REFER answered %s: the caller stays with the AI agent (reason %s)',
      async (_answer, status, reason) => {
        const moved = await deltas(gw, [transfers('refer', 'failed'), failures(reason, status)], async () => {
          const a = await referThenHangUp(status);
          const c = await caller(`carrier-rejects-refer-${status}.xml`);
          expectSippPass(c, await a.done);
        });
        expect(moved).toEqual([1, 1]);
      },
    );

    it.each([
      ['486 Busy Here', '486', 'busy'],
      ['503 Service Unavailable', '503', 'unavailable'],
    ])('NOTIFY SIP/2.0 %s: the caller stays with the AI agent', async (final, status, reason) => {
      const moved = await deltas(gw, [transfers('refer', 'failed'), failures(reason, status)], async () => {
        const a = await referThenHangUp(status);
        const c = await caller('carrier-notify-failure.xml', { keys: { refer_final: final } });
        expectSippPass(c, await a.done);
      });
      expect(moved).toEqual([1, 1]);
    });

    it('no NOTIFY at all: notifyTimeoutMs ends the attempt (timeout); the caller stays with the AI agent', async () => {
      const moved = await deltas(
        gw,
        [transfers('refer', 'failed'), failures('timeout', 'none')],
        async () => {
          const a = await referThenHangUp('408');
          const c = await caller('carrier-no-notify.xml');
          expectSippPass(c, await a.done);
        },
      );
      expect(moved).toEqual([1, 1]);
    });
  });

  describe('mode ivr (hand-back)', () => {
    it('BYE to the IVR carrying the transfer tags; the AI agent gets SIP/2.0 200 and its BYE', async () => {
      const moved = await deltas(gw, [transfers('ivr', 'completed')], async () => {
        const a = await agent('ai-agent-refers-to-support.xml', {
          keys: { refer_to: `sip:ivr@127.0.0.1:${gw.sipPort}` },
          variables: { expect_final: '200' },
        });
        const c = await caller('caller-expects-handback-bye.xml');
        expectSippPass(c, await a.done);
      });
      expect(moved).toEqual([1]);
    });
  });

  it('moves every transfer metric and leaves none active', async () => {
    expect(await gw.metric('baton_transfers_active')).toBe(0);
    expect(await gw.metric('baton_transfer_duration_seconds_count', { mode: 'refer' })).toBeGreaterThan(0);
    expect(
      await gw.metric('baton_sip_requests_total', { method: 'REFER', direction: 'outbound' }),
    ).toBeGreaterThan(0);
    expect(
      await gw.metric('baton_sip_requests_total', { method: 'NOTIFY', direction: 'outbound' }),
    ).toBeGreaterThan(0);
  });
});
