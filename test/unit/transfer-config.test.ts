import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../config/schema.js';
import { checkHeaderName, checkHeaderValue } from '../../config/schema/transfer-headers.js';
import { fallbackCycle } from '../../config/schema/transfer.js';

/** The `transfer:` block of issue 4, verbatim, with the trunk it names. */
const ISSUE_EXAMPLE = `
trunks:
  - name: carrier-a
    addresses: ["203.0.113.0/24"]
    outbound: { uri: "sip:gw.carrier-a.example;transport=udp" }
transfer:
  notifyTimeoutMs: 15000
  ringTimeoutMs: 30000
  allow: ["+1*", "sip:*@cc.example.com"]   # what the AI agent may name besides configured targets
  adhoc: { trunk: carrier-a }
  targets:
    support:                                # the AI agent names it: Refer-To sip:support@<baton>
      kind: internal                        # internal | external | ivr
      method: invite                        # invite | refer | bye
      destination: "sip:queue-support@cc.example.com"   # SIP URI, or "+14155550100" via \`trunk\`
      trunk: carrier-a
      headers: { X-Intent: "{{vars.intent}}", X-Caller: "{{call.from.user}}" }
      uui: { data: "{{conversationId}}", encoding: hex, purpose: isdn-uui, content: isdn-uui, placement: header }  # or refer-to-uri
      fallback: { prompt: "prompts/transfer-failed.wav", action: return-to-agent, node: "Apology" }  # | target: other | hangup
    ivr-billing:
      kind: ivr
      tags: { X-Transfer-Tag: "billing", X-Containment: "transferred" }   # ivr kind
`;

const TRUNKS = [{ name: 'carrier-a', outbound: { uri: 'sip:gw.carrier-a.example' } }, { name: 'ivr-in' }];

/** The issues of parsing `transfer` (with TRUNKS), as `path: message` lines. */
function issues(transfer: object, trunks: object[] = TRUNKS): string[] {
  const r = configSchema.safeParse({ trunks, transfer });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const target = (t: object): object => ({ targets: { t } });

describe('transfer configuration', () => {
  it("loads issue 4's example with every default filled in", () => {
    const config = configSchema.parse(parseYaml(ISSUE_EXAMPLE));
    expect(config.transfer).toMatchObject({
      notifyTimeoutMs: 15000,
      ringTimeoutMs: 30000,
      referByeGraceMs: 2000,
      maxAttempts: 3,
      allow: ['+1*', 'sip:*@cc.example.com'],
    });
    expect(config.transfer.targets.support).toEqual({
      kind: 'internal',
      method: 'invite',
      destination: 'sip:queue-support@cc.example.com',
      trunk: 'carrier-a',
      headers: { 'X-Intent': '{{vars.intent}}', 'X-Caller': '{{call.from.user}}' },
      headersInReferTo: false,
      tags: {},
      uui: {
        data: '{{conversationId}}',
        encoding: 'hex',
        purpose: 'isdn-uui',
        content: 'isdn-uui',
        placement: 'header',
        headerName: 'User-to-User',
        maxOctets: 128,
      },
      fallback: { prompt: 'prompts/transfer-failed.wav', action: 'return-to-agent', node: 'Apology' },
      onHumanHangup: 'hangup',
    });
    // An IVR hand-back goes by BYE unless told otherwise, and needs no destination.
    expect(config.transfer.targets['ivr-billing']).toMatchObject({ kind: 'ivr', method: 'bye' });
  });

  it('defaults to no targets and nothing allowed', () => {
    expect(configSchema.parse({}).transfer).toMatchObject({
      allow: [],
      targets: {},
      adhoc: { method: 'invite' },
    });
  });

  it.each<[string, object, string]>([
    [
      'internal by refer',
      target({ kind: 'internal', method: 'refer', destination: 'sip:a@b' }),
      'targets.t.method: kind internal transfers by invite',
    ],
    [
      'ivr by invite',
      target({ kind: 'ivr', method: 'invite', destination: 'sip:a@b' }),
      'targets.t.method: kind ivr hands back by bye or refer',
    ],
    ['no destination', target({ kind: 'external' }), 'targets.t.destination: required'],
    [
      'destination on a BYE hand-back',
      target({ kind: 'ivr', destination: 'sip:a@b' }),
      'targets.t.destination: a BYE hand-back goes to the IVR leg itself; remove destination (or use method refer)',
    ],
    [
      'a number without trunk',
      target({ kind: 'external', destination: '+14155550100' }),
      'targets.t.trunk: required to send a number',
    ],
    [
      'a destination that is neither',
      target({ kind: 'external', destination: '4155550100' }),
      'targets.t.destination:',
    ],
    [
      'tags outside ivr',
      target({ kind: 'external', destination: 'sip:a@b', tags: { 'X-A': 'b' } }),
      'targets.t.tags: only for kind ivr (use headers)',
    ],
    [
      'UUI in Refer-To without REFER',
      target({ kind: 'external', destination: 'sip:a@b', uui: { data: 'x', placement: 'refer-to-uri' } }),
      'targets.t.uui.placement: refer-to-uri needs method refer',
    ],
    [
      'headers in Refer-To without REFER',
      target({ kind: 'external', destination: 'sip:a@b', headersInReferTo: true }),
      'targets.t.headersInReferTo: needs method refer',
    ],
    [
      'a discriminator with ascii',
      target({
        kind: 'external',
        destination: 'sip:a@b',
        uui: { data: 'x', encoding: 'ascii', protocolDiscriminator: 4 },
      }),
      'targets.t.uui.protocolDiscriminator: a protocol discriminator is a raw octet: it needs encoding hex',
    ],
    [
      'User-to-User beside uui',
      target({
        kind: 'external',
        destination: 'sip:a@b',
        headers: { 'user-to-user': 'x' },
        uui: { data: 'x' },
      }),
      'targets.t.headers.user-to-user: set by uui; configure it there',
    ],
    [
      'return to agent after a REFER',
      target({ kind: 'external', method: 'refer', destination: 'sip:a@b', onHumanHangup: 'return-to-agent' }),
      'targets.t.onHumanHangup: after a REFER Baton is no longer in the call, so it cannot return the caller',
    ],
    [
      'fallback target without a name',
      target({ kind: 'external', destination: 'sip:a@b', fallback: { action: 'target' } }),
      'targets.t.fallback.target: required when action is target',
    ],
    [
      'a node for hangup',
      target({ kind: 'external', destination: 'sip:a@b', fallback: { action: 'hangup', node: 'x' } }),
      'targets.t.fallback.node: only used when action is return-to-agent',
    ],
    [
      'a bad target name',
      { targets: { 'bad name': { kind: 'external', destination: 'sip:a@b' } } },
      'targets.bad name: target name must be',
    ],
    [
      'an unknown trunk',
      target({ kind: 'external', destination: 'sip:a@b', trunk: 'nope' }),
      "targets.t.trunk: 'nope' is not a configured trunk",
    ],
    [
      'numbers through a trunk with no outbound',
      target({ kind: 'external', destination: '+14155550100', trunk: 'ivr-in' }),
      "targets.t.trunk: trunk 'ivr-in' has no outbound.uri to send numbers to",
    ],
    [
      'allowed numbers with no adhoc trunk',
      { allow: ['+1*'] },
      'transfer.adhoc.trunk: required: allow[0] admits numbers, which go out through a trunk',
    ],
    ['a pattern that is neither', { allow: ['*@evil'] }, 'transfer.allow.0: must be a number pattern'],
  ])('refuses %s', (_title, transfer, expected) => {
    expect(
      issues(transfer).some((i) =>
        i.replace(/^transfer\./, '').startsWith(expected.replace(/^transfer\./, '')),
      ),
    ).toBe(true);
  });

  it('refuses a fallback to itself, to an unknown target and in a cycle', () => {
    const t = (fallbackTo: string): object => ({
      kind: 'external',
      destination: 'sip:a@b',
      fallback: { action: 'target', target: fallbackTo },
    });
    expect(issues({ targets: { a: t('a') } })).toEqual([
      'transfer.targets.a.fallback.target: a target cannot fall back to itself',
    ]);
    expect(issues({ targets: { a: t('ghost') } })).toEqual([
      "transfer.targets.a.fallback.target: 'ghost' is not a configured target",
    ]);
    expect(issues({ targets: { a: t('b'), b: t('c'), c: t('a') } })).toEqual([
      'transfer.targets.a.fallback.target: fallback targets form a cycle: a → b → c → a',
      'transfer.targets.b.fallback.target: fallback targets form a cycle: b → c → a → b',
      'transfer.targets.c.fallback.target: fallback targets form a cycle: c → a → b → c',
    ]);
    // A chain that ends is fine.
    expect(issues({ targets: { a: t('b'), b: { kind: 'external', destination: 'sip:b@c' } } })).toEqual([]);
  });

  it('finds a cycle only through its start', () => {
    const next = (n: string): string | undefined => ({ a: 'b', b: 'c', c: 'b' })[n];
    expect(fallbackCycle('a', next)).toBeUndefined();
    expect(fallbackCycle('b', next)).toEqual(['b', 'c', 'b']);
  });

  it.each([
    ['X-Intent', undefined],
    ['User-to-User', undefined],
    ['P-Asserted-Identity', undefined],
    ['Via', 'Via is set by Baton itself'],
    ['call-id', 'call-id is set by Baton itself'],
    ['CSeq', 'CSeq is set by Baton itself'],
    ['Contact', 'Contact is set by Baton itself'],
    ['Route', 'Route is set by Baton itself'],
    ['Record-Route', 'Record-Route is set by Baton itself'],
    ['Refer-To', 'Refer-To is set by Baton itself'],
    ['Replaces', 'Replaces is set by Baton itself'],
    ['Content-Type', 'Content-Type describes the body, which Baton builds itself'],
    ['Content-Disposition', 'Content-Disposition describes the body, which Baton builds itself'],
    ['f', "'f' is a compact header form; Baton sets that header itself"],
    ['X Intent', "'X Intent' is not a valid SIP header name (1–64 token characters, RFC 3261 §25.1)"],
    ['X-Intent:', "'X-Intent:' is not a valid SIP header name (1–64 token characters, RFC 3261 §25.1)"],
    ['', "'' is not a valid SIP header name (1–64 token characters, RFC 3261 §25.1)"],
  ])('header name %j → %s', (name, problem) => {
    expect(checkHeaderName(name)).toBe(problem);
  });

  it.each([
    ['billing', undefined],
    ['tab\tinside', undefined],
    ['café ☕', undefined],
    ['a\r\nVia: SIP/2.0/UDP evil', 'contains a line break, NUL or other control character'],
    ['a\nb', 'contains a line break, NUL or other control character'],
    ['nul\0', 'contains a line break, NUL or other control character'],
    ['x'.repeat(1024), undefined],
    ['x'.repeat(1025), 'longer than 1024 characters'],
  ])('header value %j → %s', (value, problem) => {
    expect(checkHeaderValue(value)).toBe(problem);
  });
});
