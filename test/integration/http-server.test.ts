import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary, CallsApi } from '../../gateway/http/calls-api.js';
import type { TransferSessionRecord } from '../../gateway/store/store-port.js';
import { createHttpServer, type HttpServer, type Readiness } from '../../gateway/http/http-server.js';
import { createRootLogger } from '../../gateway/observability/logger.js';
import { createMetrics } from '../../gateway/observability/metrics.js';

const TOKEN = 'test-token-0123456789';

/** Calls in memory; `hangup` removes the call and remembers it. */
class FakeCalls implements CallsApi {
  readonly hungUp: string[] = [];
  readonly calls = new Map<string, CallSummary>();

  add(id: string): void {
    this.calls.set(id, {
      id,
      trunk: 'carrier-a',
      state: 'agent-connected',
      from: 'sip:+15551230000@203.0.113.5',
      to: 'sip:+15559870000@baton.example',
      startedAt: '2026-01-01T00:00:00.000Z',
    });
  }

  list(): CallSummary[] {
    return [...this.calls.values()];
  }

  get(id: string): CallSummary | undefined {
    return this.calls.get(id);
  }

  hangup(id: string): Promise<boolean> {
    const existed = this.calls.delete(id);
    if (existed) this.hungUp.push(id);
    return Promise.resolve(existed);
  }

  /** A transfer of a known call gets the id `transfer-of-<call id>`. */
  transfer(id: string): { transferId: string } | undefined {
    return this.calls.has(id) ? { transferId: `transfer-of-${id}` } : undefined;
  }

  /** Every known call id doubles as a transfer session id. */
  getTransfer(id: string): Promise<TransferSessionRecord | undefined> {
    if (!this.calls.has(id)) return Promise.resolve(undefined);
    const at = new Date('2026-01-01T00:00:00.000Z');
    return Promise.resolve({
      id,
      callId: id,
      target: 'support',
      mode: 'invite',
      state: 'pending',
      createdAt: at,
      updatedAt: at,
      vars: {},
      history: [],
    });
  }
}

const silent = createRootLogger({
  level: 'warn',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

interface Running {
  server: HttpServer;
  base: string;
  calls: FakeCalls;
  readiness: Readiness;
}

async function run(apiToken: string | undefined): Promise<Running> {
  const calls = new FakeCalls();
  const readiness: Readiness = { engine: true, store: true };
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.callsActive.set(2);
  const server = createHttpServer({
    listen: { host: '127.0.0.1', port: 0 },
    apiToken,
    maxBodyBytes: 1024,
    metrics,
    health: () => ({ ...readiness }),
    calls,
    logger: silent,
  });
  const { host, port } = await server.start();
  return { server, base: `http://${host}:${port}`, calls, readiness };
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('HTTP server with an API token', () => {
  let s: Running;
  beforeAll(async () => {
    s = await run(TOKEN);
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('/healthz answers 200 without a token', async () => {
    const res = await fetch(`${s.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 when engine and store are up, 503 naming the part that is not', async () => {
    const ok = await fetch(`${s.base}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ready: true, checks: { engine: true, store: true }, notReady: [] });
    s.readiness.engine = false;
    try {
      const down = await fetch(`${s.base}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        ready: false,
        checks: { engine: false, store: true },
        notReady: ['engine'],
      });
    } finally {
      s.readiness.engine = true;
    }
  });

  it('/readyz is 503 naming `draining` while the gateway drains, engine and store still up', async () => {
    s.readiness.draining = false;
    try {
      const ok = await fetch(`${s.base}/readyz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        ready: true,
        checks: { engine: true, store: true },
        draining: false,
        notReady: [],
      });
      s.readiness.draining = true;
      s.readiness.store = false;
      const draining = await fetch(`${s.base}/readyz`);
      expect(draining.status).toBe(503);
      expect(await draining.json()).toEqual({
        ready: false,
        checks: { engine: true, store: false },
        draining: true,
        notReady: ['store', 'draining'],
      });
    } finally {
      delete s.readiness.draining;
      s.readiness.store = true;
    }
  });

  it('/metrics serves the Prometheus text format', async () => {
    const res = await fetch(`${s.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('baton_calls_active 2');
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789' }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
  ])('/api/calls is 401 with %s', async (_case, headers: Record<string, string>) => {
    const res = await fetch(`${s.base}/api/calls`, { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="baton"');
    expect(await res.json()).toEqual({
      error: { code: 'unauthorized', message: expect.any(String) as unknown },
    });
  });

  it('unknown /api routes are 401 before 404, so they reveal nothing without a token', async () => {
    expect((await fetch(`${s.base}/api/nothing`)).status).toBe(401);
    const res = await fetch(`${s.base}/api/nothing`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'route-not-found' } });
  });

  it('GET /api/calls lists the calls with a valid token (scheme case-insensitive)', async () => {
    s.calls.add('call-1');
    const res = await fetch(`${s.base}/api/calls`, { headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { calls: CallSummary[] };
    expect(body.calls.map((c) => c.id)).toContain('call-1');
  });

  it('GET /api/calls/{id} returns the call, or 404 call-not-found', async () => {
    s.calls.add('call-2');
    const found = await fetch(`${s.base}/api/calls/call-2`, { headers: auth });
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ id: 'call-2', trunk: 'carrier-a' });
    const missing = await fetch(`${s.base}/api/calls/no-such-call`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'call-not-found' } });
  });

  it('DELETE /api/calls/{id} hangs the call up (204), then 404', async () => {
    s.calls.add('call 3');
    const res = await fetch(`${s.base}/api/calls/call%203`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(204);
    expect(s.calls.hungUp).toEqual(['call 3']);
    const again = await fetch(`${s.base}/api/calls/call%203`, { method: 'DELETE', headers: auth });
    expect(again.status).toBe(404);
  });

  it('a method the route does not serve is 405 with Allow', async () => {
    const res = await fetch(`${s.base}/api/calls`, { method: 'POST', headers: auth });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.json()).toMatchObject({ error: { code: 'method-not-allowed' } });
  });

  it('a body that is not JSON is 400, not JSON at all 415, too large 413', async () => {
    s.calls.add('call-4');
    const url = `${s.base}/api/calls/call-4`;
    const bad = await fetch(url, {
      method: 'DELETE',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"reason": ',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad-request' } });
    const text = await fetch(url, {
      method: 'DELETE',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(text.status).toBe(415);
    const big = await fetch(url, {
      method: 'DELETE',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(2048) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'payload-too-large' } });
    expect(s.calls.hungUp).not.toContain('call-4');
  });

  it('an unknown route outside /api is 404 JSON', async () => {
    const res = await fetch(`${s.base}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
  });

  it('/api/openapi.json is open, parses, and lists exactly the served paths', async () => {
    const res = await fetch(`${s.base}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/calls',
        '/api/calls/{id}',
        '/api/calls/{id}/transfer',
        '/api/transfers/{id}',
        '/api/openapi.json',
        '/healthz',
        '/metrics',
        '/readyz',
      ].sort(),
    );
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    // Every documented operation answers something other than 404/405 on this server.
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops).filter((k) => ['get', 'delete'].includes(k))) {
        s.calls.add('doc-call');
        const res2 = await fetch(`${s.base}${path.replace('{id}', 'doc-call')}`, {
          method: method.toUpperCase(),
          headers: auth,
        });
        expect([404, 405]).not.toContain(res2.status);
      }
    }
  });
});

describe('HTTP server without an API token', () => {
  let s: Running;
  beforeAll(async () => {
    s = await run(undefined);
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('turns the control API off (403 api-disabled) and keeps probes open', async () => {
    const res = await fetch(`${s.base}/api/calls`, {
      headers: { authorization: 'Bearer anything-at-all-here' },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'api-disabled' } });
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.base}/api/openapi.json`)).status).toBe(200);
  });
});
