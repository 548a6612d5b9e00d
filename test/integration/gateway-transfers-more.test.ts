/**
 * Transfers end to end, the mode × outcome cells `gateway-transfers.test.ts` leaves out: the IVR
 * hand-back by REFER, mode `bye` refused by the human, mode `refer` with the caller hanging up
 * before the outcome and with a ringing target (1xx sipfrag), and per-call overrides carried by
 * the AI agent's REFER as X-headers. The real `baton` process (embedded engine, SQLite store,
 * HTTP) runs from a YAML file; SIPp plays the caller (a carrier on trunk carrier-a, or an IVR,
 * 127.0.0.1), the AI agent (127.0.0.1) and the human (127.0.0.3) over UDP on loopback. Each test
 * checks every SIPp verdict (the scenarios ereg the REFER's Refer-To, tags, headers and UUI, and
 * the sipfrag of every NOTIFY the AI agent gets), how `/metrics` moved, and the session record
 * through `GET /api/transfers/{id}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { allocPort } from '../support/ports.js';
import { expectSippPass, type SippResult } from '../support/sipp.js';
import {
  batonCallId,
  deltas,
  failures,
  HEADERS,
  HUMAN_IP,
  transferParties,
  transfers,
  UUI,
  type TransferRecord,
} from '../support/transfer-harness.js';

/** The schema's minimum; no test here waits for a timer to expire. */
const RING_TIMEOUT_MS = 1500;
const NOTIFY_TIMEOUT_MS = 1500;
/** What `X-Transfer-Uui` puts in the UUI; `carrier-accepts-refer-with-overrides` expects its hex. */
const UUI_OVERRIDE = 'case-4711';

function transferConfig(agentPort: number, humanPort: number): Record<string, unknown> {
  const human = `sip:support-queue@${HUMAN_IP}:${humanPort}`;
  return {
    trunks: [
      {
        name: 'carrier-a',
        addresses: ['127.0.0.1'],
        outbound: { uri: 'sip:gw.carrier.example', username: 'baton', password: 'baton-secret' },
      },
    ],
    aiAgent: {
      uri: `sip:agent@127.0.0.1:${agentPort}`,
      answerTimeoutMs: 2000,
      onFailure: { status: 486, reason: 'Busy Here' },
    },
    transfer: {
      ringTimeoutMs: RING_TIMEOUT_MS,
      notifyTimeoutMs: NOTIFY_TIMEOUT_MS,
      referByeGraceMs: 500,
      allow: [`sip:*@${HUMAN_IP}`],
      targets: {
        // kind internal transfers by invite only: an X-Transfer-Method: refer override is refused.
        support: { kind: 'internal', destination: human, headers: HEADERS, uui: UUI },
        'support-bye': {
          kind: 'external',
          method: 'bye',
          destination: human,
          headers: HEADERS,
          uui: UUI,
          fallback: { action: 'return-to-agent', node: 'Apology' },
        },
        'carrier-refer': {
          kind: 'external',
          method: 'refer',
          destination: '+14155550100',
          trunk: 'carrier-a',
          headers: { 'X-Intent': '{{vars.intent}}' },
          uui: { ...UUI, placement: 'refer-to-uri' },
        },
        // Configured to dial the human; the tests override the method to refer.
        flex: {
          kind: 'external',
          destination: human,
          headers: { 'X-Intent': '{{vars.intent}}' },
          uui: { data: '{{conversationId}}', encoding: 'hex', purpose: 'isdn-uui' },
        },
        'ivr-refer': {
          kind: 'ivr',
          method: 'refer',
          destination: 'sip:containment@ivr.example.com',
          tags: { 'X-Transfer-Tag': 'billing', 'X-Containment': 'transferred' },
        },
      },
    },
  };
}

describe('gateway transfers, more cells: SIPp caller → Baton → SIPp AI agent, human, carrier, IVR', () => {
  let gw: GatewayProcess;
  let agentPort: number;
  let humanPort: number;

  const keys = (extra: Record<string, string | number> = {}): Record<string, string | number> => ({
    refer_to: `sip:support@127.0.0.1:${gw.sipPort}`,
    transfer_method: 'refer',
    transfer_uui: UUI_OVERRIDE,
    ...extra,
  });
  const targetUri = (name: string): string => `sip:${name}@127.0.0.1:${gw.sipPort}`;

  const { agent, human, caller, sessionOfCall } = transferParties({
    gw: () => gw,
    agentPort: () => agentPort,
    humanPort: () => humanPort,
    keys,
  });

  /** The transfer session of the call whose X-Baton-Call-Id the agent logged, once ended. */
  async function sessionOf(agentLogs: string): Promise<TransferRecord> {
    return sessionOfCall(batonCallId(agentLogs));
  }

  beforeAll(async () => {
    agentPort = await allocPort();
    humanPort = await allocPort({ host: HUMAN_IP });
    gw = await startGateway(transferConfig(agentPort, humanPort));
  }, 40_000);

  afterAll(async () => {
    expect(await gw?.stop()).toBe(0);
  }, 30_000);

  describe('mode ivr (hand-back) by REFER', () => {
    it('REFER on the IVR’s leg carrying the transfer tags; 202, NOTIFY 100 then 200; the AI agent gets SIP/2.0 200 and its BYE', async () => {
      let agentResult: SippResult | undefined;
      let ivrResult: SippResult | undefined;
      const moved = await deltas(
        gw,
        [transfers('ivr', 'completed'), ['baton_transfer_duration_seconds_count', { mode: 'ivr' }]],
        async () => {
          const a = await agent('ai-agent-refers-to-support.xml', {
            keys: { refer_to: targetUri('ivr-refer') },
            variables: { expect_final: '200' },
          });
          ivrResult = await caller('caller-expects-handback-refer.xml');
          agentResult = await a.done;
          expectSippPass(ivrResult, agentResult);
        },
      );
      expect(moved).toEqual([1, 1]);
      expect(ivrResult?.logs).toContain('tags: X-Transfer-Tag: billing, X-Containment: transferred');
      expect(agentResult?.logs).toContain('NOTIFY sipfrag: SIP/2.0 200 OK');
      const session = await sessionOf(agentResult?.logs ?? '');
      expect(session).toMatchObject({
        target: 'ivr-refer',
        mode: 'ivr',
        outcome: 'completed',
        sipStatus: 200,
      });
      expect(session.history.map((h) => h.state)).toEqual(['pending', 'active', 'ended']);
      expect(await gw.metric('baton_transfers_active')).toBe(0);
    });
  });

  describe('mode bye (INVITE then BYE): the human refuses', () => {
    it.each([
      ['human-busy-486.xml', '486', 'busy'],
      ['human-not-found-404.xml', '404', 'not-found'],
    ])(
      '%s: the caller stays with the AI agent, which gets the final NOTIFY SIP/2.0 %s (reason %s) and carries on',
      async (scenario, status, reason) => {
        let agentResult: SippResult | undefined;
        const moved = await deltas(
          gw,
          [transfers('bye', 'failed'), failures(reason, status), transfers('bye', 'completed')],
          async () => {
            const a = await agent('ai-agent-refers-then-hangs-up.xml', {
              keys: { refer_to: targetUri('support-bye') },
              variables: { expect_final: status },
              callDurationMs: 300,
            });
            const h = await human(scenario);
            const c = await caller('caller-stays-with-agent.xml');
            agentResult = await a.done;
            expectSippPass(c, agentResult, await h.done);
          },
        );
        expect(moved).toEqual([1, 1, 0]);
        const session = await sessionOf(agentResult?.logs ?? '');
        expect(session).toMatchObject({
          target: 'support-bye',
          mode: 'bye',
          outcome: 'failed',
          failureReason: reason,
          sipStatus: Number(status),
          vars: { intent: 'billing' },
        });
        expect(gw.logs.find((l) => l.msg === 'transfer ended' && l.transferId === session.id)).toMatchObject({
          outcome: 'failed',
          reason,
          fallback: 'return-to-agent',
          mode: 'bye',
        });
        expect(await gw.metric('baton_transfers_active')).toBe(0);
      },
    );
  });

  describe('mode refer (REFER on the caller’s leg)', () => {
    it('the caller hangs up while Baton waits for the final NOTIFY: the AI agent gets SIP/2.0 487 and BYE; the session is abandoned', async () => {
      let agentResult: SippResult | undefined;
      const moved = await deltas(
        gw,
        [
          transfers('refer', 'abandoned'),
          failures('caller-hung-up', 'none'),
          transfers('refer', 'completed'),
          transfers('refer', 'failed'),
        ],
        async () => {
          const a = await agent('ai-agent-refers-to-support.xml', {
            keys: { refer_to: targetUri('carrier-refer') },
            variables: { expect_final: '487' },
          });
          const c = await caller('carrier-hangs-up-while-refer-pending.xml');
          agentResult = await a.done;
          expectSippPass(c, agentResult);
        },
      );
      expect(moved).toEqual([1, 1, 0, 0]);
      expect(agentResult?.logs).toContain('NOTIFY sipfrag: SIP/2.0 487 Request Terminated');
      const session = await sessionOf(agentResult?.logs ?? '');
      expect(session).toMatchObject({
        target: 'carrier-refer',
        mode: 'refer',
        outcome: 'abandoned',
        failureReason: 'caller-hung-up',
      });
      expect(session.sipStatus).toBeUndefined();
      expect(session.history.map((h) => h.state)).toEqual(['pending', 'ended']);
      const callId = batonCallId(agentResult?.logs ?? '');
      expect(gw.logs.find((l) => l.msg === 'call ended' && l.callId === callId)).toMatchObject({
        cause: 'caller-hangup',
      });
      expect(await gw.metric('baton_transfers_active')).toBe(0);
    });

    it('NOTIFY SIP/2.0 180 Ringing before the final 200: the session goes queued → active; the AI agent gets the 180 as progress', async () => {
      let agentResult: SippResult | undefined;
      const moved = await deltas(
        gw,
        [transfers('refer', 'completed'), ['baton_transfer_duration_seconds_count', { mode: 'refer' }]],
        async () => {
          const a = await agent('ai-agent-refers-to-support.xml', {
            keys: { refer_to: targetUri('carrier-refer') },
            variables: { expect_final: '200' },
          });
          const c = await caller('carrier-accepts-refer-after-ringing.xml');
          agentResult = await a.done;
          expectSippPass(c, agentResult);
        },
      );
      expect(moved).toEqual([1, 1]);
      const notifies = [...(agentResult?.logs ?? '').matchAll(/NOTIFY sipfrag: (SIP\/2\.0 \d+[^(]*)\(/g)].map(
        (m) => m[1]?.trim(),
      );
      expect(notifies).toEqual(['SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
      const session = await sessionOf(agentResult?.logs ?? '');
      expect(session).toMatchObject({ mode: 'refer', outcome: 'completed', sipStatus: 200 });
      expect(session.history.map((h) => h.state)).toEqual(['pending', 'queued', 'active', 'ended']);
      expect(await gw.metric('baton_transfers_active')).toBe(0);
    });
  });

  describe('per-call overrides in the REFER trigger’s X-headers', () => {
    it.each([
      ['as headers of the REFER', 'ai-agent-refers-with-overrides.xml', ''],
      [
        'as headers embedded in the Refer-To URI',
        'ai-agent-refers-to-support.xml',
        `?X-Transfer-Method=refer&X-Transfer-Uui=${UUI_OVERRIDE}`,
      ],
    ])(
      'X-Transfer-Method: refer and X-Transfer-Uui %s: a target configured for invite is reached by a REFER on the caller’s leg, with the UUI data replaced',
      async (_how, agentScenario, uriHeaders) => {
        let agentResult: SippResult | undefined;
        const moved = await deltas(
          gw,
          [transfers('refer', 'completed'), transfers('invite', 'completed'), transfers('invite', 'failed')],
          async () => {
            // No human is listening: an INVITE to the configured destination would fail the transfer.
            const a = await agent(agentScenario, {
              keys: { refer_to: `${targetUri('flex')}${uriHeaders}` },
              variables: { expect_final: '200' },
            });
            const c = await caller('carrier-accepts-refer-with-overrides.xml');
            agentResult = await a.done;
            expectSippPass(c, agentResult);
          },
        );
        expect(moved).toEqual([1, 0, 0]);
        const session = await sessionOf(agentResult?.logs ?? '');
        expect(session).toMatchObject({
          target: 'flex',
          mode: 'refer',
          outcome: 'completed',
          sipStatus: 200,
        });
        // The override headers are settings, not vars.
        expect(session.vars).toEqual({ intent: 'billing' });
      },
    );

    it.each([
      ['a method the schema does not know', 'flex', 'teleport'],
      ['a method the target’s kind forbids (internal transfers by invite)', 'support', 'refer'],
    ])(
      'an invalid override (%s) is refused with 400 to the REFER, logged, and the call goes on',
      async (_why, target, method) => {
        let agentResult: SippResult | undefined;
        const moved = await deltas(
          gw,
          [failures('bad-target', '400'), transfers('refer', 'completed'), transfers('invite', 'completed')],
          async () => {
            const a = await agent('ai-agent-refer-override-refused-400.xml', {
              keys: { refer_to: targetUri(target), transfer_method: method },
            });
            const c = await caller('caller-stays-with-agent.xml');
            agentResult = await a.done;
            expectSippPass(c, agentResult);
          },
        );
        expect(moved).toEqual([1, 0, 0]);
        const callId = batonCallId(agentResult?.logs ?? '');
        const refused = gw.logs.find((l) => l.msg === 'transfer request invalid' && l.callId === callId);
        expect(refused).toMatchObject({ target: `<${targetUri(target)}>` });
        expect(String(refused?.err)).toContain('overrides.method');
        expect(gw.logs.some((l) => l.msg === 'transfer started' && l.callId === callId)).toBe(false);
      },
    );
  });
});
