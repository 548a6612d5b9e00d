/**
 * A failed transfer's fallback prompt through a real rtpengine: the `baton` process with
 * `media.backend: rtpengine` (a userspace rtpengine on loopback), SIPp as the caller, the AI agent
 * and the human. The caller's call is anchored (its 200 carries rtpengine's media address, the
 * agent's INVITE too); the human answers 486; rtpengine plays the prompt to the caller and reports
 * its duration; the caller stays with the AI agent, which gets the final NOTIFY and hangs up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { allocPort } from '../support/ports.js';
import { startRtpengine, writeToneWav, type RtpengineDaemon } from '../support/rtpengine.js';
import { expectSippPass, runSipp, startSippServer, type SippResult } from '../support/sipp.js';

const DIALED = '+4930123';
const HUMAN_IP = '127.0.0.3';
const SIPP_TIMEOUT_MS = 20_000;
/** Shorter than the AI agent's pause after the final NOTIFY, so the prompt ends with the call up. */
const PROMPT_SECONDS = 0.5;
const AGENT_PAUSE_MS = 2_000;

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('gateway media: a failed transfer’s fallback prompt played by a real rtpengine', () => {
  let rtpengine: RtpengineDaemon;
  let gw: GatewayProcess;
  let dir: string;
  let prompt: string;
  let agentPort: number;
  let humanPort: number;

  beforeAll(async () => {
    rtpengine = await startRtpengine();
    dir = await mkdtemp(join(tmpdir(), 'baton-media-'));
    prompt = join(dir, 'transfer-failed.wav');
    await writeToneWav(prompt, PROMPT_SECONDS);
    agentPort = await allocPort();
    humanPort = await allocPort({ host: HUMAN_IP });
    gw = await startGateway({
      trunks: [{ name: 'carrier-a', addresses: ['127.0.0.1'] }],
      aiAgent: { uri: `sip:agent@127.0.0.1:${agentPort}`, answerTimeoutMs: 2000 },
      media: { backend: 'rtpengine', rtpengine: { host: rtpengine.host, port: rtpengine.port } },
      transfer: {
        targets: {
          support: {
            kind: 'internal',
            destination: `sip:support-queue@${HUMAN_IP}:${humanPort}`,
            fallback: { prompt, action: 'return-to-agent', node: 'Apology' },
          },
        },
      },
    });
  }, 40_000);

  afterAll(async () => {
    expect(await gw?.stop()).toBe(0);
    await rtpengine?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('the human answers 486: rtpengine plays the prompt to the caller, who stays with the AI agent', async () => {
    const keys = { refer_to: `sip:support@127.0.0.1:${gw.sipPort}`, transfer_target: 'support' };
    const agent = await startSippServer({
      scenario: 'ai-agent-refers-then-hangs-up.xml',
      localIp: '127.0.0.1',
      localPort: agentPort,
      keys,
      variables: { expect_final: '486' },
      callDurationMs: AGENT_PAUSE_MS,
      timeoutMs: SIPP_TIMEOUT_MS,
    });
    const human = await startSippServer({
      scenario: 'human-busy-486.xml',
      localIp: HUMAN_IP,
      localPort: humanPort,
      keys,
      timeoutMs: SIPP_TIMEOUT_MS,
    });
    const caller: SippResult = await runSipp({
      scenario: 'caller-stays-with-agent.xml',
      remote: gw.sipAddress,
      service: DIALED,
      keys,
      timeoutMs: SIPP_TIMEOUT_MS,
      traceMessages: true,
    });
    const agentResult = await agent.done;
    expectSippPass(caller, agentResult, await human.done);
    expect(agentResult.logs).toContain('NOTIFY sipfrag: SIP/2.0 486');

    const callId = /X-Baton-Call-Id: ([0-9a-f-]{36})/.exec(agentResult.logs)?.[1];
    expect(callId).toBeDefined();
    const playing = await waitFor('the prompt log line', () =>
      gw.logs.find((l) => l.msg === 'fallback prompt playing' && l.callId === callId),
    );
    // rtpengine's `play media` reply gives the file's length.
    expect(playing).toMatchObject({ prompt, durationMs: PROMPT_SECONDS * 1000 });
    const ended = await waitFor('the transfer ended log line', () =>
      gw.logs.find((l) => l.msg === 'transfer ended' && l.transferId === playing.transferId),
    );
    expect(ended).toMatchObject({ outcome: 'failed', reason: 'busy', fallback: 'return-to-agent' });
    expect(
      gw.logs.some(
        (l) => l.msg === 'the caller stays with the AI agent' && l.transferId === playing.transferId,
      ),
    ).toBe(true);
    expect(gw.logs.some((l) => l.msg === 'fallback prompt skipped: no media backend configured')).toBe(false);
    // The caller's 200 names rtpengine's media port, not the agent's: the call is anchored.
    const answer = /SIP\/2\.0 200 OK[\s\S]*?o=ai-agent[\s\S]*?m=audio (\d+) /.exec(caller.messages ?? '');
    expect(answer).not.toBeNull();
    const port = Number(answer?.[1]);
    expect(port).toBeGreaterThanOrEqual(rtpengine.rtpPorts.min);
    expect(port).toBeLessThanOrEqual(rtpengine.rtpPorts.max);
    // rtpengine anchored the call under Baton's call id and played to it.
    expect(rtpengine.output()).toMatch(new RegExp(`\\[${callId}\\]: \\[control\\] Received command 'offer'`));
    expect(rtpengine.output()).toMatch(
      new RegExp(`\\[${callId}\\]: \\[control\\] Received command 'play media'`),
    );
  });
});
