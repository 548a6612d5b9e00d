import { describe, expect, it } from 'vitest';
import {
  TemplateError,
  compileHeaderTemplates,
  compileTemplate,
  renderHeaders,
  renderTemplate,
  type TemplateValues,
} from '../../gateway/call/template.js';

const values: TemplateValues = {
  'call.id': '6f1c2b9e-1d4a-4c1e-9a57-1b2c3d4e5f60',
  'call.from.user': '+15550100',
  'call.to.user': '+4930123',
  conversationId: 'conv-42',
  trunk: 'carrier-a',
};

function render(source: string, with_: Partial<TemplateValues> = {}): string {
  const compiled = compileTemplate(source);
  if (!compiled.ok) throw new Error(compiled.reason);
  const r = renderTemplate(compiled.value, { ...values, ...with_ });
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('header templates', () => {
  it.each([
    ['{{call.id}}', values['call.id']],
    ['{{ call.from.user }}', '+15550100'],
    ['{{call.to.user}};encoding=hex', '+4930123;encoding=hex'],
    ['conv={{conversationId}}; trunk={{trunk}}', 'conv=conv-42; trunk=carrier-a'],
    ['no placeholders at all', 'no placeholders at all'],
    ['{{trunk}}{{trunk}}', 'carrier-acarrier-a'],
    ['', ''],
  ])('%j renders as %j', (source, expected) => {
    expect(render(source)).toBe(expected);
  });

  it.each([
    ['{{call.uuid}}', "unknown placeholder '{{call.uuid}}'"],
    ['{{}}', "unknown placeholder '{{}}'"],
    ['{{call.id', "'{{' without a matching '}}'"],
    ['a\r\nInjected: yes', 'line break'],
    ['nul\0', 'line break or NUL'],
  ])('%j does not compile (%s)', (source, reason) => {
    const r = compileTemplate(source);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it.each(['+1555\r\nX-Evil: 1', 'a\nb', 'nul\0byte'])('a value with CR/LF/NUL is refused: %j', (user) => {
    const compiled = compileTemplate('{{call.from.user}}');
    if (!compiled.ok) throw new Error(compiled.reason);
    const r = renderTemplate(compiled.value, { ...values, 'call.from.user': user });
    expect(r).toEqual({ ok: false, reason: 'value of {{call.from.user}} contains a line break or NUL' });
  });

  it('compileHeaderTemplates reports every bad template at once, with its config path', () => {
    const attempt = () =>
      compileHeaderTemplates({ 'X-A': '{{nope}}', 'X-B': 'ok', 'X-C': '{{x' }, 'aiAgent.headers');
    expect(attempt).toThrow(TemplateError);
    try {
      attempt();
    } catch (err) {
      expect((err as TemplateError).problems).toHaveLength(2);
      expect((err as TemplateError).problems[0]).toMatch(/^aiAgent\.headers\.X-A: unknown placeholder/);
    }
  });

  it('renderHeaders leaves out only the header whose value is unsafe', () => {
    const templates = compileHeaderTemplates(
      { 'User-to-User': '{{call.to.user}};encoding=hex', 'X-Caller': '{{call.from.user}}' },
      'aiAgent.headers',
    );
    const r = renderHeaders(templates, { ...values, 'call.from.user': 'bad\r\nvalue' });
    expect(r.headers).toEqual({ 'User-to-User': '+4930123;encoding=hex' });
    expect(r.skipped).toEqual([
      { name: 'X-Caller', reason: 'value of {{call.from.user}} contains a line break or NUL' },
    ]);
  });
});
