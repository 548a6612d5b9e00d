import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import type { TemplateValues } from '../../gateway/call/template.js';
import { TargetResolver, type ResolveInput } from '../../gateway/transfer/target-resolver.js';
import { buildTransferRequest } from '../../gateway/transfer/transfer-request.js';
import {
  compileTransferTemplate,
  renderTransferTemplate,
  type TransferTemplate,
} from '../../gateway/transfer/transfer-template.js';
import type { TransferRequest, TransferTrigger } from '../../gateway/transfer/transfer-types.js';

const CALL: TemplateValues = {
  'call.id': '7f0c2f7e-6d5b-4c1e-9b8a-1d2e3f405162',
  'call.from.user': '+15551230000',
  'call.to.user': '+18005550199',
  conversationId: 'conv-42',
  trunk: 'carrier-a',
};

const CONFIG: ConfigInput = {
  trunks: [{ name: 'carrier-a', outbound: { uri: 'sip:gw.carrier-a.example' } }],
  transfer: {
    targets: {
      support: {
        kind: 'internal',
        destination: 'sip:queue-support@cc.example.com',
        headers: { 'X-Intent': '{{vars.intent}}', 'X-Caller': '{{call.from.user}}' },
        uui: { data: '{{conversationId}}', purpose: 'isdn-uui', content: 'isdn-uui' },
      },
      genesys: {
        kind: 'external',
        method: 'refer',
        destination: 'sip:+18005550100@genesys.example',
        headers: { 'X-Intent': '{{vars.intent}}' },
        headersInReferTo: true,
        uui: { data: '{{conversationId}}', protocolDiscriminator: 0, placement: 'refer-to-uri' },
      },
      carrier: {
        kind: 'external',
        method: 'refer',
        destination: '+14155550100',
        trunk: 'carrier-a',
        headers: { 'X-Call': '{{call.id}}' },
        uui: { data: '{{vars.case}}', encoding: 'ascii', headerName: 'X-User-to-User' },
      },
      'ivr-main': {
        kind: 'ivr',
        headers: { 'X-Conversation': '{{conversationId}}' },
        tags: { 'X-Transfer-Tag': 'billing', 'X-Containment': 'transferred' },
      },
    },
  },
};

const config = configSchema.parse(CONFIG);
const resolver = new TargetResolver(config.transfer, config.trunks, { isLocalHost: () => false });

function request(input: ResolveInput, trigger: TransferTrigger = 'refer'): TransferRequest {
  const { target, vars } = resolver.resolve(input);
  const r = buildTransferRequest(target, { trigger, call: CALL, vars });
  if (!r.ok) throw r.failure;
  return r.request;
}

describe('transfer templates', () => {
  const compile = (source: string): TransferTemplate => {
    const r = compileTransferTemplate(source);
    if (!r.ok) throw new Error(r.reason);
    return r.value;
  };

  it.each([
    ['{{vars.intent}}', 'billing'],
    ['{{ vars.Intent }}/{{call.id}}', `billing/${CALL['call.id']}`],
    [
      'caller {{call.from.user}} wants {{vars.intent}} ({{vars.tier}})',
      'caller +15551230000 wants billing ()',
    ],
    ['no placeholder', 'no placeholder'],
  ])('%s → %s', (source, value) => {
    const r = renderTransferTemplate(compile(source), { call: CALL, vars: { intent: 'billing' } });
    expect(r).toMatchObject({ ok: true, value: { value } });
  });

  it('reports vars the trigger did not pass', () => {
    expect(renderTransferTemplate(compile('{{vars.a}}{{vars.b}}'), { call: CALL, vars: { a: 'x' } })).toEqual(
      {
        ok: true,
        value: { value: 'x', missingVars: ['b'] },
      },
    );
  });

  it.each([
    ['{{vars.}}', "unknown placeholder '{{vars.}}'"],
    ['{{var.intent}}', "unknown placeholder '{{var.intent}}'"],
    ['{{vars.intent', "has '{{' without a matching '}}'"],
    ['a\r\nb', 'contains a line break or NUL'],
  ])('refuses %j', (source, reason) => {
    const r = compileTransferTemplate(source);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('refuses a var value that would split the header', () => {
    expect(
      renderTransferTemplate(compile('{{vars.x}}'), { call: CALL, vars: { x: 'a\r\nVia: evil' } }),
    ).toEqual({
      ok: false,
      reason: 'value of {{vars.x}} contains a line break or NUL',
    });
  });
});

describe('buildTransferRequest', () => {
  it('INVITE to an internal agent: rendered headers, then UUI, names as configured', () => {
    const r = request({ target: 'support', headers: [['X-Intent', 'billing']] });
    expect(r.headers).toEqual([
      ['X-Intent', 'billing'],
      ['X-Caller', '+15551230000'],
      ['User-to-User', '636F6E762D3432;encoding=hex;purpose=isdn-uui;content=isdn-uui'],
    ]);
    expect(r.referTo).toBeUndefined();
    expect(r.uui).toEqual({
      headerName: 'User-to-User',
      value: '636F6E762D3432;encoding=hex;purpose=isdn-uui;content=isdn-uui',
    });
    expect(r.vars).toEqual({ intent: 'billing' });
    expect(r.skipped).toEqual([]);
  });

  it('REFER with headers and UUI inside Refer-To (the Genesys way round the header-case problem)', () => {
    const r = request({ target: 'genesys', vars: { intent: 'refund' } });
    expect(r.headers).toEqual([]);
    expect(r.referTo).toBe(
      '<sip:+18005550100@genesys.example?X-Intent=refund&User-to-User=00636F6E762D3432%3Bencoding%3Dhex>',
    );
  });

  it('REFER to a number through the trunk, ascii UUI in X-User-to-User on the REFER itself', () => {
    const r = request({ target: 'carrier', vars: { case: 'case 77; vip' } });
    expect(r.referTo).toBe('<sip:+14155550100@gw.carrier-a.example;user=phone>');
    expect(r.headers).toEqual([
      ['X-Call', CALL['call.id']],
      ['X-User-to-User', '"case 77; vip";encoding=ascii'],
    ]);
  });

  it('IVR hand-back: headers and the transfer tags on the BYE', () => {
    const r = request({ target: 'ivr-main' }, 'bye');
    expect(r.headers).toEqual([
      ['X-Conversation', 'conv-42'],
      ['X-Transfer-Tag', 'billing'],
      ['X-Containment', 'transferred'],
    ]);
    expect(r.referTo).toBeUndefined();
  });

  it('leaves out, and reports, what cannot be sent safely; the transfer goes on', () => {
    const r = request({ target: 'carrier', vars: { case: 'café' } }, 'api');
    expect(r.headers).toEqual([['X-Call', CALL['call.id']]]);
    expect(r.uui).toBeUndefined();
    expect(r.skipped).toEqual([
      { name: 'X-User-to-User', reason: 'UUI data for encoding ascii is not printable ASCII' },
    ]);
  });

  it('a header too long once rendered is left out', () => {
    const r = request({
      target: 'support',
      vars: { intent: 'x'.repeat(200) },
      overrides: {
        headers: {
          'X-Long':
            '{{vars.intent}}{{vars.intent}}{{vars.intent}}{{vars.intent}}{{vars.intent}}{{vars.intent}}',
        },
      },
    });
    expect(r.headers.map(([n]) => n)).toEqual(['X-Intent', 'X-Caller', 'User-to-User']);
    expect(r.skipped).toEqual([{ name: 'X-Long', reason: 'X-Long: longer than 1024 characters' }]);
  });

  it('headers too large together fail the attempt (bad-target), so the fallback runs', () => {
    const { target, vars } = resolver.resolve({
      target: 'support',
      vars: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`v${i}`, 'x'.repeat(250)])),
      overrides: {
        headers: Object.fromEntries(
          Array.from({ length: 6 }, (_, i) => [`X-Big${i}`, `{{vars.v${i}}}{{vars.v${i}}}{{vars.v${i}}}`]),
        ),
      },
    });
    const r = buildTransferRequest(target, { trigger: 'api', call: CALL, vars });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure).toMatchObject({ code: 'bad-target', runsFallback: true });
  });
});
