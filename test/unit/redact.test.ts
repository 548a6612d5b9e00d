import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.js';
import { REDACTED, redactConfig, redactUrlPassword } from '../../config/redact.js';

describe('redactConfig', () => {
  const config = loadConfig({
    env: {
      BATON_API_TOKEN: 'api-token-0123456789',
      BATON_ENGINE_SECRET: 'engine-secret',
      BATON_STORE__KIND: 'redis',
      BATON_STORE__REDIS_URL: 'redis://baton:redis-pw@127.0.0.1:6379/0',
      BATON_TRUNKS__0:
        '{"name":"a","addresses":["192.0.2.0/24"],"auth":{"username":"u","password":"in-pw"},' +
        '"outbound":{"uri":"sip:gw.example","username":"o","password":"out-pw"}}',
      BATON_AI_AGENT__HEADERS:
        '{"X-Api-Key":"hdr-key","Authorization":"Bearer x","X-Conversation-Id":"{{call.id}}"}',
    },
  });

  it('masks every secret and leaves the rest as configured', () => {
    const out = redactConfig(config) as typeof config;
    expect(out.http.apiToken).toBe(REDACTED);
    expect(out.engine.admin.secret).toBe(REDACTED);
    expect(out.store.redisUrl).toBe('redis://baton:***@127.0.0.1:6379/0');
    expect(out.trunks[0]?.auth).toEqual({ username: 'u', password: REDACTED });
    expect(out.trunks[0]?.outbound).toEqual({ uri: 'sip:gw.example', username: 'o', password: REDACTED });
    expect(out.aiAgent.headers).toEqual({
      'X-Api-Key': REDACTED,
      Authorization: REDACTED,
      'X-Conversation-Id': '{{call.id}}',
    });
    expect(out.http.listen).toEqual(config.http.listen);
    const text = JSON.stringify(out);
    for (const secret of [
      'api-token-0123456789',
      'engine-secret',
      'redis-pw',
      'in-pw',
      'out-pw',
      'hdr-key',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('copies, leaving the frozen config untouched', () => {
    redactConfig(config);
    expect(config.http.apiToken).toBe('api-token-0123456789');
  });

  it('leaves unset secrets unset', () => {
    const out = redactConfig(loadConfig({ env: {} })) as Record<string, Record<string, unknown>>;
    expect(out.http?.apiToken).toBeUndefined();
  });
});

describe('redactUrlPassword', () => {
  it.each([
    ['redis://:pw@host:6379/0', 'redis://:***@host:6379/0'],
    ['rediss://user:p%40ss@host/1', 'rediss://user:***@host/1'],
    ['redis://host:6379', 'redis://host:6379'],
    ['not a url with a pw', REDACTED],
  ])('%s → %s', (url, expected) => {
    expect(redactUrlPassword(url)).toBe(expected);
  });
});
