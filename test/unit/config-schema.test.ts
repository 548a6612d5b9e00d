import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_YAML } from '../../config/config-docs.js';
import { ConfigError, type ConfigIssue } from '../../config/config-error.js';
import { loadConfig } from '../../config/load-config.js';
import { configSchema } from '../../config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function file(yaml: string): string {
  const path = join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

/** The issues of the ConfigError that loading throws (fails the test if it does not throw one). */
function issuesOf(load: () => unknown): ConfigIssue[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const EXAMPLE_ENV = { BATON_API_TOKEN: 'token-0123456789abcdef', CARRIER_A_PASSWORD: 'carrier-secret' };

describe('defaults', () => {
  it('{} is a valid config: embedded engine on udp+tcp 5060, HTTP 8080, SQLite under ./data', () => {
    const config = loadConfig({ env: {} });
    expect(config.sip.listen).toEqual([
      { protocol: 'udp', host: '0.0.0.0', port: 5060 },
      { protocol: 'tcp', host: '0.0.0.0', port: 5060 },
    ]);
    expect(config.sip.drachtio).toBeUndefined();
    expect(config.http.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.http.apiToken).toBeUndefined();
    expect(config.store).toMatchObject({ kind: 'sqlite', sqlitePath: './data/baton.db' });
    expect(config.engine.admin).toMatchObject({ host: '127.0.0.1', port: 9022 });
    expect(config.engine.sipTimers).toEqual({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });
    expect(config.trunks).toEqual([]);
    expect(config.aiAgent.uri).toBe('sip:agent@127.0.0.1:5070');
    expect(config.aiAgent.onFailure.status).toBe(503);
    expect(config.limits).toEqual({ maxCalls: 2000, maxCallsPerSecond: 200, retryAfterSeconds: 5 });
    expect(config.security.digestAlgorithms).toEqual(['SHA-256', 'MD5']);
    expect(config.security.scannerUserAgents).toContain('friendly-scanner');
  });

  it('generates a fresh engine admin secret at each load when none is set', () => {
    const a = loadConfig({ env: {} }).engine.admin.secret;
    const b = loadConfig({ env: {} }).engine.admin.secret;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it('an empty file is the defaults', () => {
    expect(loadConfig({ file: file(''), env: {} }).http.listen.port).toBe(8080);
  });
});

describe('the example from the issue', () => {
  it('loads with its environment variables filled in', () => {
    const config = loadConfig({ file: file(EXAMPLE_CONFIG_YAML), env: EXAMPLE_ENV });
    expect(config.http.apiToken).toBe('token-0123456789abcdef');
    expect(config.trunks).toEqual([
      {
        name: 'carrier-a',
        addresses: ['203.0.113.0/24', '2001:db8::/32'],
        auth: { username: 'u', password: 'carrier-secret' },
        outbound: { uri: 'sip:gw.carrier-a.example;transport=udp', username: 'u', password: 'p' },
      },
    ]);
    expect(config.aiAgent.headers).toEqual({ 'X-Conversation-Id': '{{call.id}}' });
    expect(config.limits.maxCallsPerSecond).toBe(200);
  });

  it('names the key whose variable is missing', () => {
    const issues = issuesOf(() =>
      loadConfig({ file: file(EXAMPLE_CONFIG_YAML), env: { BATON_API_TOKEN: EXAMPLE_ENV.BATON_API_TOKEN } }),
    );
    expect(issues).toEqual([
      { path: 'trunks[0].auth.password', message: expect.stringContaining('CARRIER_A_PASSWORD is not set') },
    ]);
  });

  it('accepts an external drachtio-server instead of the embedded engine', () => {
    const yaml = EXAMPLE_CONFIG_YAML.replace(/^ {2}listen: .*\n {2}# (drachtio: .*)$/m, '  $1');
    const config = loadConfig({ file: file(yaml), env: EXAMPLE_ENV });
    expect(config.sip).toEqual({ listen: [], drachtio: { host: '127.0.0.1', port: 9022, secret: 'cymru' } });
  });
});

describe('all problems at once', () => {
  it('reports every invalid key in one error, each with its path', () => {
    const path = file(`
sip:
  listen: ["udp:0.0.0.0:5060", "sctp:0.0.0.0:5060"]
http:
  listen: "0.0.0.0:99999"
trunks:
  - name: a
    addresses: ["203.0.113.0/24", "203.0.113.7/24"]
limits: { maxCalls: 0 }
logging: { level: loud }
`);
    let error: unknown;
    try {
      loadConfig({ file: path, env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.issues.map((i) => i.path)).toEqual([
      'sip.listen[1]',
      'http.listen',
      'trunks[0].addresses[1]',
      'limits.maxCalls',
      'logging.level',
    ]);
    expect(e.message.split('\n')[0]).toBe(`Invalid configuration (${path}): 5 problems`);
    expect(e.message).toContain('\n  sip.listen[1]: ');
    expect(e.message).toContain('\n  trunks[0].addresses[1]: invalid CIDR: host bits are set below /24');
  });

  it('names the key of a bad CIDR, IPv6 included', () => {
    const issues = issuesOf(() =>
      configCheck({ trunks: [{ name: 'a', addresses: ['2001:db8::/32', '2001:db8:::/48', '10.0.0.0/33'] }] }),
    );
    expect(issues.map((i) => i.path)).toEqual(['trunks[0].addresses[1]', 'trunks[0].addresses[2]']);
    expect(issues.every((i) => i.message.startsWith('invalid CIDR'))).toBe(true);
  });

  it('refuses unknown keys and suggests the one meant', () => {
    const issues = issuesOf(() => configCheck({ limits: { maxCall: 5 }, transfers: {} }));
    expect(issues).toEqual([
      { path: 'limits.maxCall', message: "unknown key; did you mean 'maxCalls'?" },
      { path: 'transfers', message: expect.stringContaining('unknown key') },
    ]);
  });

  it('never echoes a secret value in a message', () => {
    const issues = issuesOf(() => configCheck({ http: { apiToken: 'sekrit' } }));
    expect(issues).toEqual([{ path: 'http.apiToken', message: 'must be at least 16 characters' }]);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf(() =>
      loadConfig({ file: file('limits:\n  maxCalls: 1\n  maxCalls: 2\n'), env: {} }),
    );
    expect(issues[0]).toEqual({ path: 'line 3, column 3', message: 'Map keys must be unique' });
  });

  it('reports a missing file', () => {
    const issues = issuesOf(() => loadConfig({ file: join(dir, 'nope.yaml'), env: {} }));
    expect(issues).toEqual([{ path: '', message: expect.stringContaining('ENOENT') }]);
  });
});

describe('cross-field rules', () => {
  it('sip.listen and sip.drachtio exclude each other', () => {
    const issues = issuesOf(() =>
      configCheck({ sip: { listen: ['udp:0.0.0.0:5060'], drachtio: { host: '10.0.0.5', secret: 'cymru' } } }),
    );
    expect(issues).toEqual([{ path: 'sip.drachtio', message: expect.stringContaining('not both') }]);
  });

  it('trunk names are unique and a block belongs to one trunk', () => {
    const issues = issuesOf(() =>
      configCheck({
        trunks: [
          { name: 'a', addresses: ['203.0.113.0/24'] },
          { name: 'a', addresses: ['2001:db8::/32'] },
          { name: 'b', addresses: ['2001:DB8:0::/32', '203.0.113.128/25'] },
        ],
      }),
    );
    expect(issues).toEqual([
      { path: 'trunks[1].name', message: "'a' is already trunks[0].name" },
      {
        path: 'trunks[2].addresses[0]',
        message: expect.stringContaining('2001:db8::/32 is also in trunks[1]'),
      },
    ]);
  });

  it('TCP ports opened by the process must not collide', () => {
    const issues = issuesOf(() =>
      configCheck({
        sip: { listen: ['udp:0.0.0.0:8080', 'tcp:0.0.0.0:8080'] },
        engine: { admin: { port: 8080 } },
      }),
    );
    expect(issues).toEqual([
      { path: 'engine.admin.port', message: 'TCP 127.0.0.1:8080 is also used by http.listen' },
      { path: 'sip.listen[1]', message: 'TCP 0.0.0.0:8080 is also used by http.listen' },
    ]);
  });

  it.each([
    [{ engine: { admin: { host: '0.0.0.0' } } }, 'engine.admin.secret'],
    [{ store: { kind: 'redis' } }, 'store.redisUrl'],
    [{ engine: { sipTimers: { t1Ms: 5000, t2Ms: 4000 } } }, 'engine.sipTimers.t2Ms'],
    [
      { trunks: [{ name: 'a', outbound: { uri: 'sip:gw.example', username: 'u' } }] },
      'trunks[0].outbound.password',
    ],
    [{ aiAgent: { headers: { 'Call-ID': 'x' } } }, 'aiAgent.headers["Call-ID"]'],
    [{ aiAgent: { uri: 'http://agent.example' } }, 'aiAgent.uri'],
    [{ sip: { listen: [] } }, 'sip.listen'],
  ])('%j is refused at %s', (input, path) => {
    expect(issuesOf(() => configCheck(input)).map((i) => i.path)).toEqual([path]);
  });
});

describe('environment', () => {
  it('fills ${VAR:-default}, keeps $${ literal and reads a lone reference as the type the key wants', () => {
    const config = loadConfig({
      file: file(`
http:
  listen: { host: 127.0.0.1, port: \${HTTP_PORT} }
aiAgent:
  uri: sip:agent@\${AGENT_HOST:-127.0.0.1}:5070
  headers: { X-Template: "$\${literal}", X-Empty: "\${EMPTY:-fallback}" }
`),
      env: { HTTP_PORT: '9090', EMPTY: '' },
    });
    expect(config.http.listen).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.aiAgent.uri).toBe('sip:agent@127.0.0.1:5070');
    expect(config.aiAgent.headers).toEqual({ 'X-Template': '${literal}', 'X-Empty': 'fallback' });
  });

  it("refuses an unterminated '${' at its key", () => {
    const issues = issuesOf(() =>
      loadConfig({
        file: file('trunks:\n  - { name: a, auth: { username: u, password: "ab${cd" } }\n'),
        env: {},
      }),
    );
    expect(issues).toEqual([{ path: 'trunks[0].auth.password', message: expect.stringContaining("'$${'") }]);
  });

  it('a variable value cannot change the document structure', () => {
    const config = loadConfig({
      file: file('trunks:\n  - { name: a, auth: { username: u, password: ${PW} } }\n'),
      env: { PW: 'x}, evil: {a: 1' },
    });
    expect(config.trunks[0]?.auth?.password).toBe('x}, evil: {a: 1');
  });

  it('applies BATON_* overrides over the file, reading values by the type of their key', () => {
    const config = loadConfig({
      file: file(EXAMPLE_CONFIG_YAML),
      env: {
        ...EXAMPLE_ENV,
        BATON_HTTP__LISTEN: '[::1]:9091',
        BATON_LIMITS__MAX_CALLS: '500',
        BATON_SIP__LISTEN: '["udp:127.0.0.1:5070"]',
        BATON_TRUNKS__0__AUTH__PASSWORD: 'from-env',
        BATON_AI_AGENT__HEADERS: '{"X-A": "1"}',
        BATON_LOG_LEVEL: 'debug',
        BATON_STORE__SQLITE_PATH: '12345',
        BATON_UNRELATED: 'ignored: no __ in the name',
      },
    });
    expect(config.http.listen).toEqual({ host: '::1', port: 9091 });
    expect(config.limits.maxCalls).toBe(500);
    expect(config.sip.listen).toEqual([{ protocol: 'udp', host: '127.0.0.1', port: 5070 }]);
    expect(config.trunks[0]?.auth?.password).toBe('from-env');
    expect(config.aiAgent.headers).toEqual({ 'X-A': '1' });
    expect(config.logging.level).toBe('debug');
    expect(config.store.sqlitePath).toBe('12345');
  });

  it('the short names set their keys', () => {
    const config = loadConfig({
      env: { BATON_API_TOKEN: 'abcdefghijklmnopqrstuvwxyz', BATON_ENGINE_SECRET: 'engine-secret' },
    });
    expect(config.http.apiToken).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(config.engine.admin.secret).toBe('engine-secret');
  });

  it('refuses a BATON_*__* name that matches no key, and names the variable behind a bad value', () => {
    const issues = issuesOf(() =>
      loadConfig({
        env: {
          BATON_LIMITS__MAX_CALS: '5',
          BATON_AI_AGENT__HEADERS__X_A: '1',
          BATON_LIMITS__RETRY_AFTER_SECONDS: 'soon',
        },
      }),
    );
    expect(issues).toEqual([
      { path: 'BATON_LIMITS__MAX_CALS', message: expect.stringContaining("no key 'MAX_CALS' under limits") },
      { path: 'BATON_AI_AGENT__HEADERS__X_A', message: expect.stringContaining('is set as a whole') },
      {
        path: 'limits.retryAfterSeconds',
        message: expect.stringContaining('(set by BATON_LIMITS__RETRY_AFTER_SECONDS)'),
      },
    ]);
  });
});

describe('the result', () => {
  it('is frozen all the way down', () => {
    const config = loadConfig({ file: file(EXAMPLE_CONFIG_YAML), env: EXAMPLE_ENV });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.trunks[0]?.addresses)).toBe(true);
    expect(Object.isFrozen(config.sip.listen[0])).toBe(true);
    expect(() => {
      (config.limits as { maxCalls: number }).maxCalls = 1;
    }).toThrow(TypeError);
  });

  it('matches what the schema alone gives for the same input', () => {
    const fromSchema = configSchema.parse({ limits: { maxCalls: 7 } });
    const loaded = loadConfig({ file: file('limits: { maxCalls: 7 }\n'), env: {} });
    expect({ ...loaded, engine: null }).toEqual({ ...fromSchema, engine: null });
  });
});

/** Load a config given as an object (written out as YAML/JSON, which YAML reads). */
function configCheck(input: object): unknown {
  return loadConfig({ file: file(JSON.stringify(input)), env: {} });
}
