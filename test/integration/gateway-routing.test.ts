/**
 * Gateway-core settings as a user meets them, against real `baton` processes:
 *
 * - `aiAgent.routes`: SIPp callers dial different numbers from different trunks; two SIPp AI
 *   agents on different ports; each call lands on the agent its route names (Request-URI and the
 *   route's header, logged by `ai-agent-expects-route.xml`) and the other agent receives nothing.
 * - `security.digestNonceSecret`: two instances share the key, so a challenge issued by one is
 *   answered to the other (a carrier's retry reaching another instance behind one address), and
 *   `digestNonceTtlSeconds` makes an old nonce stale.
 * - `store.retainEndedDays`: ended records older than the retention, put in the SQLite file before
 *   the start, are gone after it; calls in progress and recent ones stay.
 *
 * Addresses: 127.0.0.1 is trunk `carrier-a`, 127.0.0.3 trunk `ivr`, 127.0.0.2 trunk `secure`
 * (digest credentials required).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipMessage } from '../../engine/sip/message.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import { digestResponse } from '../../gateway/security/digest-auth.js';
import { SqliteStore } from '../../gateway/store/sqlite-store.js';
import type { CallRecord, TransferSessionRecord } from '../../gateway/store/store-port.js';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { allocPort, releasePort } from '../support/ports.js';
import { ackFor, Inbox, UdpPeer, type Received } from '../support/raw-sip-client.js';
import {
  expectSippPass,
  runSipp,
  SCENARIO_KEY_DEFAULTS,
  startSippServer,
  type SippResult,
  type SippServer,
} from '../support/sipp.js';

const SIPP_TIMEOUT_MS = 20_000;
/** Both instances sign nonces with this key (at least 32 bytes). */
const SHARED_SECRET = 'routing-test-nonce-key-0123456789abcdef';
const NONCE_TTL_SECONDS = 5;
const USER = SCENARIO_KEY_DEFAULTS.auth_user ?? 'baton';
const PASSWORD = SCENARIO_KEY_DEFAULTS.auth_password ?? 'baton-secret';
const REALM = 'baton.test';
/** Both instances answer a call whose agent cannot be reached with this, unlike 403 / 407. */
const AGENT_FAILED = { status: 480, reason: 'Agent Unavailable' };
const DAY_MS = 24 * 60 * 60 * 1000;

function trunks(): Array<Record<string, unknown>> {
  return [
    { name: 'carrier-a', addresses: ['127.0.0.1'] },
    { name: 'ivr', addresses: ['127.0.0.3'] },
    { name: 'secure', addresses: ['127.0.0.2'], auth: { username: USER, password: PASSWORD, realm: REALM } },
  ];
}

/** A SIPp AI agent; SIPp's unleased media port + 2 may clash, which is retried. */
async function startAgent(port: number): Promise<SippServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSippServer({
        scenario: 'ai-agent-expects-route.xml',
        localIp: '127.0.0.1',
        localPort: port,
        timeoutMs: SIPP_TIMEOUT_MS,
      });
    } catch (err) {
      if (attempt >= 3 || !/exit 254|bind/.test(String((err as Error).message))) throw err;
    }
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ended records older than any retention, a recent one and one still in progress. */
async function seedStore(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  await store.open();
  const now = Date.now();
  const record = (id: string, endedDaysAgo: number | undefined): CallRecord => {
    const base = {
      id,
      conversationId: `conv-${id}`,
      trunk: 'carrier-a',
      caller: { uri: 'sip:+15550100@carrier.example' },
      callee: { uri: 'sip:+4930123@baton.example' },
      source: '127.0.0.1:5060',
      instanceId: 'seed',
      startedAt: new Date(now - 60 * DAY_MS),
    };
    return endedDaysAgo === undefined
      ? { ...base, state: 'answered' }
      : { ...base, state: 'ended', result: 'answered', endedAt: new Date(now - endedDaysAgo * DAY_MS) };
  };
  const endedAt = new Date(now - 45 * DAY_MS);
  const transfer: TransferSessionRecord = {
    id: 'seed-old-transfer',
    callId: 'seed-old-ended',
    target: 'support',
    mode: 'invite',
    createdAt: endedAt,
    updatedAt: endedAt,
    vars: {},
    history: [],
    state: 'ended',
    outcome: 'completed',
    endedAt,
  };
  try {
    await store.putCall(record('seed-old-ended', 45));
    await store.putCall(record('seed-recent-ended', 2));
    await store.putCall(record('seed-in-progress', undefined));
    await store.putTransferSession(transfer);
  } finally {
    await store.close();
  }
}

describe('aiAgent.routes, shared digest nonce key and retention, on real gateway processes', () => {
  let dir: string;
  let sqlitePath: string;
  let gw: GatewayProcess;
  let other: GatewayProcess;
  let salesPort: number;
  let supportPort: number;
  let peer: UdpPeer;
  let peerPort: number;
  const inbox = new Inbox();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-routing-'));
    sqlitePath = join(dir, 'baton.db');
    await seedStore(sqlitePath);
    [salesPort, supportPort] = [await allocPort(), await allocPort()];
    const unreachablePort = await allocPort();
    [gw, other] = await Promise.all([
      startGateway({
        trunks: trunks(),
        aiAgent: {
          uri: `sip:agent@127.0.0.1:${supportPort}`,
          answerTimeoutMs: 2000,
          onFailure: AGENT_FAILED,
          routes: [
            {
              dialed: '+4930*',
              uri: `sip:sales@127.0.0.1:${salesPort}`,
              headers: { 'X-Route': 'sales for {{call.to.user}}' },
            },
            { trunk: 'ivr', uri: `sip:support@127.0.0.1:${supportPort}`, headers: { 'X-Route': 'support' } },
          ],
        },
        security: { digestNonceSecret: SHARED_SECRET, digestNonceTtlSeconds: NONCE_TTL_SECONDS },
        store: { kind: 'sqlite', sqlitePath, retainEndedDays: 30 },
      }),
      startGateway({
        trunks: trunks(),
        // Nothing listens there: a call that passes the challenge ends with AGENT_FAILED.
        aiAgent: {
          uri: `sip:agent@127.0.0.1:${unreachablePort}`,
          answerTimeoutMs: 1000,
          onFailure: AGENT_FAILED,
        },
        security: { digestNonceSecret: SHARED_SECRET, digestNonceTtlSeconds: NONCE_TTL_SECONDS },
      }),
    ]);
    peerPort = await allocPort({ host: '127.0.0.2' });
    peer = await UdpPeer.bind('127.0.0.2', [peerPort], inbox);
  }, 60_000);

  afterAll(async () => {
    await peer?.close();
    releasePort(peerPort);
    await Promise.all([gw?.stop(), other?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /**
   * One SIPp call dialing `dialed` from `localIp`, with both agents listening: the one on
   * `expectedPort` must answer it, the other must receive nothing.
   */
  async function routedCall(dialed: string, localIp: string, expectedPort: number): Promise<SippResult> {
    const agents = new Map([
      [salesPort, await startAgent(salesPort)],
      [supportPort, await startAgent(supportPort)],
    ]);
    try {
      const caller = await runSipp({
        scenario: 'caller-basic-call.xml',
        remote: gw.sipAddress,
        service: dialed,
        localIp,
        timeoutMs: SIPP_TIMEOUT_MS,
      });
      const right = await (agents.get(expectedPort) as SippServer).done;
      expectSippPass(caller, right);
      for (const [port, agent] of agents) {
        if (port === expectedPort) continue;
        const wrong = await agent.stop();
        expect(wrong.stopped).toBe(true);
        expect(wrong.logs).not.toContain('Request-URI');
      }
      return right;
    } finally {
      await Promise.all([...agents.values()].map((a) => a.stop()));
    }
  }

  it('a dialed number matching a route goes to that route’s agent, with its headers', async () => {
    const agent = await routedCall('+4930123', '127.0.0.1', salesPort);
    expect(agent.logs).toContain(`Request-URI: INVITE sip:sales@127.0.0.1:${salesPort} SIP/2.0`);
    expect(agent.logs).toContain('X-Route: (sales for +4930123)');
  });

  it('a call from a trunk with a route goes to that route’s agent', async () => {
    const agent = await routedCall('+4940123', '127.0.0.3', supportPort);
    expect(agent.logs).toContain(`Request-URI: INVITE sip:support@127.0.0.1:${supportPort} SIP/2.0`);
    expect(agent.logs).toContain('X-Route: (support)');
  });

  it('a call no route takes goes to aiAgent.uri without any route header', async () => {
    const agent = await routedCall('+4940123', '127.0.0.1', supportPort);
    expect(agent.logs).toContain(`Request-URI: INVITE sip:agent@127.0.0.1:${supportPort} SIP/2.0`);
    expect(agent.logs).toContain('X-Route: ()');
    expect(await gw.metric('baton_calls_total', { trunk: 'carrier-a', result: 'answered' })).toBe(2);
    expect(await gw.metric('baton_calls_total', { trunk: 'ivr', result: 'answered' })).toBe(1);
  });

  /** Send an INVITE from the trunk `secure` (127.0.0.2) and wait for its final response. */
  let sent = 0;
  async function invite(
    to: GatewayProcess,
    call: { callId: string; cseq: number; authorization?: string },
  ): Promise<Received> {
    const uri = `sip:+4930123@127.0.0.1:${to.sipPort}`;
    const branch = `z9hG4bK-${randomBytes(6).toString('hex')}`;
    const headers: Array<[string, string]> = [
      ['Via', `SIP/2.0/UDP 127.0.0.2:${peerPort};branch=${branch};rport`],
      ['Max-Forwards', '70'],
      ['From', `<sip:+15550100@127.0.0.2>;tag=${call.callId}`],
      ['To', `<${uri}>`],
      ['Call-ID', call.callId],
      ['CSeq', `${call.cseq} INVITE`],
      ['Contact', `<sip:+15550100@127.0.0.2:${peerPort}>`],
    ];
    if (call.authorization !== undefined) headers.push(['Proxy-Authorization', call.authorization]);
    const from = inbox.messages.length;
    sent += 1;
    await peer.send(serializeMessage(SipMessage.request('INVITE', uri, headers)), peerPort, {
      host: '127.0.0.1',
      port: to.sipPort,
    });
    const final = await inbox.waitFor(
      (r) =>
        r.status !== undefined &&
        r.status >= 200 &&
        r.get('call-id') === call.callId &&
        r.get('cseq') === `${call.cseq} INVITE`,
      10_000,
      from,
    );
    if (final === undefined) throw new Error(`no final response to INVITE ${sent} (${call.callId})`);
    const ack = ackFor(uri, final);
    if (ack !== undefined) await peer.send(ack, peerPort, { host: '127.0.0.1', port: to.sipPort });
    return final;
  }

  /** The Proxy-Authorization answering the first (SHA-256) challenge of a 407. */
  function answer(challenge: Received, uri: string): string {
    const value = challenge.get('proxy-authenticate') ?? '';
    const nonce = /nonce="([^"]+)"/.exec(value)?.[1] ?? '';
    const algorithm = /algorithm=([A-Za-z0-9-]+)/.exec(value)?.[1];
    expect(algorithm).toBe('SHA-256');
    expect(value).toContain(`realm="${REALM}"`);
    const fields = {
      username: USER,
      realm: REALM,
      uri,
      nonce,
      nc: '00000001',
      cnonce: 'c0ffee',
      qop: 'auth',
    };
    const response = digestResponse('SHA-256', { ...fields, password: PASSWORD, method: 'INVITE' });
    return (
      `Digest username="${USER}", realm="${REALM}", nonce="${nonce}", uri="${uri}", ` +
      `response="${response}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c0ffee"`
    );
  }

  it('digest: a challenge issued by one instance is answered to the other, which shares the nonce key', async () => {
    const callId = `shared-${randomBytes(4).toString('hex')}`;
    const challenge = await invite(gw, { callId, cseq: 1 });
    expect(challenge.status).toBe(407);
    const authorization = answer(challenge, `sip:+4930123@127.0.0.1:${other.sipPort}`);
    const final = await invite(other, { callId, cseq: 2, authorization });
    // Past the challenge: the call reached the agent leg (unreachable), not 403 / 407.
    expect(final.status).toBe(AGENT_FAILED.status);
    expect(await other.metric('baton_calls_rejected_total', { reason: 'auth-failed' })).toBe(0);
    expect(await other.metric('baton_calls_total', { trunk: 'secure', result: 'failed' })).toBe(1);
  });

  it('digest: a nonce older than digestNonceTtlSeconds is stale and challenged again', async () => {
    const callId = `stale-${randomBytes(4).toString('hex')}`;
    const challenge = await invite(gw, { callId, cseq: 1 });
    expect(challenge.status).toBe(407);
    const authorization = answer(challenge, `sip:+4930123@127.0.0.1:${gw.sipPort}`);
    await new Promise((r) => setTimeout(r, NONCE_TTL_SECONDS * 1000 + 500));
    const again = await invite(gw, { callId, cseq: 2, authorization });
    expect(again.status).toBe(407);
    expect(again.get('proxy-authenticate')).toMatch(/stale=true/i);
  }, 20_000);

  it('retention: ended records older than retainEndedDays are purged at start; recent and active ones stay', async () => {
    const purged = await waitFor('the purge at start', () =>
      gw.logs.find((l) => l.msg === 'purged ended records'),
    );
    expect(purged).toMatchObject({ calls: 1, transferSessions: 1 });
    expect(await gw.stop()).toBe(0);
    const store = new SqliteStore({ path: sqlitePath });
    await store.open();
    try {
      expect(await store.getCall('seed-old-ended')).toBeUndefined();
      expect(await store.getTransferSession('seed-old-transfer')).toBeUndefined();
      expect(await store.getCall('seed-recent-ended')).toBeDefined();
      expect(await store.getCall('seed-in-progress')).toBeDefined();
      // The routed calls of this file, recorded by the gateway itself.
      const routed = (await store.listCalls({ state: 'ended' })).filter((c) => c.instanceId !== 'seed');
      expect(routed.map((c) => c.trunk).sort()).toEqual(['carrier-a', 'carrier-a', 'ivr']);
    } finally {
      await store.close();
    }
  });
});
