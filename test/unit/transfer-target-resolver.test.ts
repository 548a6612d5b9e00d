import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import { TemplateError } from '../../gateway/call/template.js';
import { AllowList, readNamedTarget } from '../../gateway/transfer/allow-patterns.js';
import { numberUri, TargetResolver } from '../../gateway/transfer/target-resolver.js';
import {
  InvalidTransferRequestError,
  TargetNotAllowedError,
} from '../../gateway/transfer/transfer-errors.js';
import type { ResolvedTarget } from '../../gateway/transfer/transfer-types.js';

const BATON_HOSTS = new Set(['baton.example.com', '192.0.2.10']);
const isLocalHost = (host: string): boolean => BATON_HOSTS.has(host);

const CONFIG: ConfigInput = {
  trunks: [{ name: 'carrier-a', outbound: { uri: 'sip:gw.carrier-a.example;transport=udp' } }],
  transfer: {
    allow: ['+1*', 'sip:*@cc.example.com', 'sip:desk-*@*.cc.example.org:5070'],
    maxAttempts: 3,
    adhoc: { trunk: 'carrier-a', method: 'refer' },
    targets: {
      support: {
        kind: 'internal',
        destination: 'sip:queue-support@cc.example.com',
        headers: { 'X-Intent': '{{vars.intent}}', 'X-Caller': '{{call.from.user}}' },
        uui: { data: '{{conversationId}}', purpose: 'isdn-uui', content: 'isdn-uui' },
        fallback: { prompt: 'prompts/transfer-failed.wav', action: 'target', target: 'billing' },
      },
      billing: {
        kind: 'external',
        method: 'refer',
        destination: '+14155550100',
        trunk: 'carrier-a',
        fallback: { action: 'target', target: 'overflow' },
      },
      overflow: {
        kind: 'external',
        destination: 'sip:overflow@cc.example.com',
        fallback: { action: 'target', target: 'last' },
      },
      last: { kind: 'external', destination: 'sip:last@cc.example.com', fallback: { action: 'hangup' } },
      'ivr-main': { kind: 'ivr', tags: { 'X-Transfer-Tag': 'billing' } },
    },
  },
};

function resolver(input: ConfigInput = CONFIG): TargetResolver {
  const config = configSchema.parse(input);
  return new TargetResolver(config.transfer, config.trunks, { isLocalHost });
}

/** The names down the fallback chain. */
function chain(t: ResolvedTarget): string[] {
  const names = [t.name];
  for (let f = t.fallback; f.action === 'target'; f = f.next.fallback) names.push(f.next.name);
  return names;
}

describe('readNamedTarget', () => {
  it.each([
    ['support', { kind: 'name', name: 'support' }],
    ['<sip:support@baton.example.com>', { kind: 'name', name: 'support' }],
    ['"Support" <sip:support@192.0.2.10:5060;transport=tcp>;x=y', { kind: 'name', name: 'support' }],
    ['+14155550100', { kind: 'number', number: '+14155550100' }],
    ['+1 (415) 555-0100', { kind: 'number', number: '+14155550100' }],
    ['tel:+1-415-555-0100;phone-context=x', { kind: 'number', number: '+14155550100' }],
    ['sip:+14155550100@baton.example.com;user=phone', { kind: 'number', number: '+14155550100' }],
    ['sip:%2B14155550100@baton.example.com', { kind: 'number', number: '+14155550100' }],
    [
      'sip:+14155550100@carrier.example',
      {
        kind: 'uri',
        uri: { scheme: 'sip', user: '+14155550100', host: 'carrier.example', port: undefined, params: '' },
      },
    ],
    [
      'SIPS:Alice@CC.Example.COM:5061;transport=tls',
      {
        kind: 'uri',
        uri: { scheme: 'sips', user: 'Alice', host: 'cc.example.com', port: 5061, params: ';transport=tls' },
      },
    ],
  ])('%s', (text, target) => {
    expect(readNamedTarget(text, isLocalHost)).toMatchObject({ ok: true, value: { target } });
  });

  it.each([
    'sip:x@evil.example@cc.example.com',
    'sip:user:secret@cc.example.com',
    'sip:x@cc.example.com:99999',
    'sip:x@[::1',
    '<sip:x@cc.example.com',
    'http://cc.example.com',
    'two words',
    'sip:x@cc.example.com?X-A',
    'sip:%ZZ@cc.example.com',
  ])('refuses %j', (text) => {
    expect(readNamedTarget(text, isLocalHost).ok).toBe(false);
  });
});

describe('transfer.allow: no toll fraud through a chatty model', () => {
  const allow = new AllowList([
    '+1*',
    '+4930123*',
    'sip:*@cc.example.com',
    'sip:desk-*@*.cc.example.org:5070',
  ]);
  const match = (text: string): string | undefined => {
    const r = readNamedTarget(text, isLocalHost);
    return r.ok ? allow.match(r.value.target) : undefined;
  };

  it.each([
    ['+14155550100', '+1*'],
    ['tel:+1 415 555 0100', '+1*'],
    ['sip:+14155550100@baton.example.com', '+1*'],
    ['+4930123456', '+4930123*'],
    ['sip:alice@cc.example.com', 'sip:*@cc.example.com'],
    ['sip:alice@cc.example.com:5080;transport=tcp', 'sip:*@cc.example.com'],
    ['sip:desk-7@eu.cc.example.org:5070', 'sip:desk-*@*.cc.example.org:5070'],
  ])('admits %s (by %s)', (text, pattern) => {
    expect(match(text)).toBe(pattern);
  });

  it.each([
    ['a premium-rate number', '+19005550100x'],
    ['another country', '+4420712345678'],
    ['a national number', '4155550100'],
    ['an emergency number', '911'],
    ['a number at a foreign host', 'sip:+14155550100@carrier.example'],
    ['a look-alike host', 'sip:alice@cc.example.com.evil.example'],
    ['a host suffix trick', 'sip:alice@evilcc.example.com'],
    ['a trailing-dot host', 'sip:alice@cc.example.com.'],
    ['sips for a sip pattern', 'sips:alice@cc.example.com'],
    ['the wrong port', 'sip:desk-7@eu.cc.example.org:5060'],
    ['the user prefix missing', 'sip:agent-7@eu.cc.example.org:5070'],
    ['an escaped @ in the user part', 'sip:x%40evil.example@cc.example.org'],
    ['a configured name (names are not patterns)', 'support'],
  ])('refuses %s', (_title, text) => {
    expect(match(text)).toBeUndefined();
  });
});

describe('TargetResolver', () => {
  it('resolves a configured target named in Refer-To, with its fallback chain', () => {
    const { target, vars, allowedBy } = resolver().resolve({
      target: '<sip:support@baton.example.com>',
      headers: [
        ['X-Intent', 'billing'],
        ['X-Baton-Call-Id', 'c-1'],
        ['Via', 'SIP/2.0/UDP 203.0.113.5'],
      ],
    });
    expect(target).toMatchObject({
      name: 'support',
      source: 'configured',
      kind: 'internal',
      method: 'invite',
      mode: 'invite',
      requestUri: 'sip:queue-support@cc.example.com',
      trunk: undefined,
      onHumanHangup: 'hangup',
    });
    expect(target.headers.map(([name]) => name)).toEqual(['X-Intent', 'X-Caller']);
    expect(target.uui).toMatchObject({
      encoding: 'hex',
      purpose: 'isdn-uui',
      placement: 'header',
      headerName: 'User-to-User',
    });
    expect(vars).toEqual({ intent: 'billing' });
    expect(allowedBy).toBeUndefined();
    // support → billing → overflow, cut at maxAttempts (3): overflow returns the caller to the agent.
    expect(chain(target)).toEqual(['support', 'billing', 'overflow']);
    expect(target.fallback.action === 'target' && target.fallback.prompt).toBe('prompts/transfer-failed.wav');
    const overflow =
      target.fallback.action === 'target' && target.fallback.next.fallback.action === 'target'
        ? target.fallback.next.fallback.next
        : undefined;
    expect(overflow?.fallback).toEqual({ action: 'return-to-agent' });
  });

  it('sends an E.164 destination through its trunk', () => {
    const { target } = resolver().resolve({ target: 'billing' });
    expect(target.requestUri).toBe('sip:+14155550100@gw.carrier-a.example;transport=udp;user=phone');
    expect(target.mode).toBe('refer');
  });

  it('resolves an IVR hand-back with its tags and no request URI', () => {
    const { target } = resolver().resolve({ target: 'ivr-main' });
    expect(target).toMatchObject({ kind: 'ivr', method: 'bye', mode: 'ivr', requestUri: undefined });
    expect(target.tags.map(([name]) => name)).toEqual(['X-Transfer-Tag']);
  });

  it('resolves an allowed number with the adhoc settings', () => {
    const { target, allowedBy } = resolver().resolve({ target: 'sip:+14155550123@baton.example.com' });
    expect(target).toMatchObject({
      name: '+14155550123',
      source: 'allowed',
      kind: 'external',
      method: 'refer',
      requestUri: 'sip:+14155550123@gw.carrier-a.example;transport=udp;user=phone',
      trunk: 'carrier-a',
    });
    expect(allowedBy).toBe('+1*');
  });

  it('resolves an allowed URI as named, its embedded headers becoming vars', () => {
    const { target, vars } = resolver().resolve({
      target: '<sip:agent-7@cc.example.com;transport=tcp?X-Intent=refund>',
    });
    expect(target.requestUri).toBe('sip:agent-7@cc.example.com;transport=tcp');
    expect(vars).toEqual({ intent: 'refund' });
  });

  it.each([
    'sip:billing@cc.example.net',
    'sales',
    'sip:sales@baton.example.com',
    '+4420712345678',
    'sip:+14155550100@carrier.example',
  ])('refuses %s with 403', (target) => {
    const r = resolver();
    expect(() => r.resolve({ target })).toThrow(TargetNotAllowedError);
    try {
      r.resolve({ target });
    } catch (err) {
      expect(err).toMatchObject({
        code: 'target-not-allowed',
        sipStatus: 403,
        httpStatus: 403,
        failureReason: 'bad-target',
      });
    }
  });

  it('keeps control characters of a refused target out of the log line', () => {
    expect(() => resolver().resolve({ target: 'sip:x@evil.example\r\nX-A: b' })).toThrow(
      InvalidTransferRequestError,
    );
    expect(new TargetNotAllowedError('a\r\nb').target).toBe('a??b');
  });

  describe('per-call overrides, validated like the file', () => {
    it('takes them from X-headers', () => {
      const { target } = resolver().resolve({
        target: 'support',
        headers: [
          ['X-Transfer-Uui', 'case-77'],
          ['X-Transfer-Fallback-Node', 'Apology'],
        ],
      });
      expect(target.uui?.data.source).toBe('case-77');
      // The uui override is merged over the configured one.
      expect(target.uui).toMatchObject({ purpose: 'isdn-uui', encoding: 'hex' });
      // The node applies wherever the chain returns the caller (here: cut after overflow).
      expect(chain(target)).toEqual(['support', 'billing', 'overflow']);
      const f = target.fallback.action === 'target' ? target.fallback.next.fallback : undefined;
      const end = f?.action === 'target' ? f.next.fallback : undefined;
      expect(end).toEqual({ action: 'return-to-agent', node: 'Apology' });
    });

    it('takes a method from X-Transfer-Method', () => {
      const { target } = resolver().resolve({
        target: 'billing',
        headers: [['X-Transfer-Method', 'INVITE']],
      });
      expect(target).toMatchObject({ method: 'invite', mode: 'invite' });
    });

    it('takes a fallback node with return-to-agent', () => {
      const { target } = resolver().resolve({
        target: 'last',
        overrides: { fallback: { action: 'return-to-agent', node: 'Apology' } },
      });
      expect(target.fallback).toEqual({ action: 'return-to-agent', node: 'Apology' });
    });

    it('merges API headers over configured ones, any case, and vars over header vars', () => {
      const { target, vars } = resolver().resolve({
        target: 'support',
        headers: [['X-Intent', 'sales']],
        vars: { intent: 'billing', Tier: 'gold' },
        overrides: { headers: { 'x-intent': 'fixed', 'X-Tier': '{{vars.tier}}' } },
      });
      expect(target.headers.map(([n, t]) => [n, t.source])).toEqual([
        ['x-intent', 'fixed'],
        ['X-Caller', '{{call.from.user}}'],
        ['X-Tier', '{{vars.tier}}'],
      ]);
      expect(vars).toEqual({ intent: 'billing', tier: 'gold' });
    });

    it.each<[string, object, string]>([
      [
        'internal by refer',
        { target: 'support', overrides: { method: 'refer' } },
        'overrides.method: kind internal transfers by invite',
      ],
      [
        'a forbidden header',
        { target: 'support', overrides: { headers: { Contact: '<sip:evil@x>' } } },
        'overrides.headers.Contact: Contact is set by Baton itself',
      ],
      [
        'header injection',
        { target: 'support', overrides: { headers: { 'X-A': 'a\r\nVia: x' } } },
        'overrides.headers["X-A"]: contains a line break, NUL or other control character',
      ],
      [
        'an unknown placeholder',
        { target: 'support', overrides: { headers: { 'X-A': '{{secret}}' } } },
        "overrides.headers.X-A: unknown placeholder '{{secret}}'",
      ],
      [
        'UUI in Refer-To for an INVITE',
        { target: 'support', overrides: { uui: { placement: 'refer-to-uri' } } },
        'overrides.uui.placement: refer-to-uri needs method refer',
      ],
      [
        'a fallback to itself',
        { target: 'support', overrides: { fallback: { action: 'target', target: 'support' } } },
        'overrides.fallback.target: a target cannot fall back to itself',
      ],
      [
        'a fallback to nowhere',
        { target: 'support', overrides: { fallback: { action: 'target', target: 'ghost' } } },
        "overrides.fallback.target: 'ghost' is not a configured target",
      ],
      [
        'an unknown override',
        { target: 'support', overrides: { destination: 'sip:evil@x' } },
        'overrides: Unrecognized key',
      ],
      [
        'a bad method header',
        { target: 'support', headers: [['X-Transfer-Method', 'teleport']] },
        'overrides.method:',
      ],
      [
        'a var with a line break',
        { target: 'support', vars: { intent: 'a\nb' } },
        'vars.intent: contains a line break',
      ],
      [
        'a var name that is no name',
        { target: 'support', vars: { 'in tent': 'a' } },
        'vars.in tent: var names are 1–64 letters',
      ],
      ['vars that are no object', { target: 'support', vars: ['a'] }, 'vars: must be an object of strings'],
    ])('refuses %s with 400', (_title, input, problem) => {
      try {
        resolver().resolve(input as { target: string });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidTransferRequestError);
        expect(err).toMatchObject({ sipStatus: 400, httpStatus: 400 });
        expect((err as InvalidTransferRequestError).problems.join('\n')).toContain(problem);
      }
    });
  });

  it('stops at start on a template that does not compile, naming every one', () => {
    const bad: ConfigInput = {
      transfer: {
        targets: {
          a: { kind: 'external', destination: 'sip:a@b', headers: { 'X-A': '{{call.nope}}' } },
          b: { kind: 'external', destination: 'sip:b@c', uui: { data: '{{vars.x}} {{' } },
        },
      },
    };
    expect(() => resolver(bad)).toThrow(TemplateError);
    try {
      resolver(bad);
    } catch (err) {
      expect((err as TemplateError).problems).toEqual([
        "transfer.targets.a.headers.X-A: unknown placeholder '{{call.nope}}' (known: {{call.id}}, {{call.from.user}}, {{call.to.user}}, {{conversationId}}, {{trunk}})",
        "transfer.targets.b.uui.data: has '{{' without a matching '}}'",
      ]);
    }
  });
});

describe('numberUri', () => {
  it.each([
    ['+14155550100', 'sip:gw.example', 'sip:+14155550100@gw.example;user=phone'],
    [
      '+14155550100',
      'sip:trunk@gw.example:5080;transport=tcp',
      'sip:+14155550100@gw.example:5080;transport=tcp;user=phone',
    ],
    ['+14155550100', 'sips:gw.example;user=phone', 'sips:+14155550100@gw.example;user=phone'],
    ['18005550100', 'sip:gw.example', 'sip:18005550100@gw.example'],
  ])('%s via %s → %s', (number, trunk, uri) => {
    expect(numberUri(number, trunk)).toBe(uri);
  });
});
