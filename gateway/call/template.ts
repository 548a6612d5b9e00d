/**
 * Header value templates (`aiAgent.headers`): literal text with `{{name}}` placeholders filled
 * per call. Compiled once at start, so an unknown placeholder stops the gateway with a clear
 * message instead of sending a broken header on every call; rendered per call with values that
 * are checked, because a CR, LF or NUL in a header value would split or truncate the message
 * (RFC 3261 §7.3.1: a header value is one line after unfolding). Pure.
 */

/** The placeholders a template may use. */
export const TEMPLATE_VARIABLES = [
  'call.id',
  'call.from.user',
  'call.to.user',
  'conversationId',
  'trunk',
] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export type TemplateValues = Readonly<Record<TemplateVariable, string>>;

type Part = { readonly text: string } | { readonly variable: TemplateVariable };

export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly Part[];
}

export type TemplateResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Characters that end or split a header line on the wire. */
const FORBIDDEN = /[\r\n\0]/;
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

function isVariable(name: string): name is TemplateVariable {
  return (TEMPLATE_VARIABLES as readonly string[]).includes(name);
}

export function compileTemplate(source: string): TemplateResult<CompiledTemplate> {
  if (FORBIDDEN.test(source)) return { ok: false, reason: 'contains a line break or NUL' };
  const parts: Part[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? '';
    if (!isVariable(name)) {
      return {
        ok: false,
        reason: `unknown placeholder '{{${name}}}' (known: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')})`,
      };
    }
    if (m.index > last) parts.push({ text: source.slice(last, m.index) });
    parts.push({ variable: name });
    last = m.index + m[0].length;
  }
  const rest = source.slice(last);
  // A '{{' left over is a placeholder that never closes: a typo, not literal text.
  if (rest.includes('{{')) return { ok: false, reason: "has '{{' without a matching '}}'" };
  if (rest !== '') parts.push({ text: rest });
  return { ok: true, value: { source, parts } };
}

export function renderTemplate(template: CompiledTemplate, values: TemplateValues): TemplateResult<string> {
  let out = '';
  for (const part of template.parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const value = values[part.variable];
    if (FORBIDDEN.test(value))
      return { ok: false, reason: `value of {{${part.variable}}} contains a line break or NUL` };
    out += value;
  }
  return { ok: true, value: out };
}

/** Configured headers, each compiled. */
export type HeaderTemplates = ReadonlyArray<readonly [name: string, template: CompiledTemplate]>;

/** Thrown at start when a configured header template does not compile. */
export class TemplateError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid header template${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`);
    this.name = 'TemplateError';
    this.problems = problems;
  }
}

/**
 * @param headers name → template, as configured (`aiAgent.headers`)
 * @param where config path for messages, e.g. `aiAgent.headers`
 * @throws TemplateError listing every template that does not compile
 */
export function compileHeaderTemplates(
  headers: Readonly<Record<string, string>>,
  where: string,
): HeaderTemplates {
  const compiled: Array<readonly [string, CompiledTemplate]> = [];
  const problems: string[] = [];
  for (const [name, source] of Object.entries(headers)) {
    const r = compileTemplate(source);
    if (r.ok) compiled.push([name, r.value]);
    else problems.push(`${where}.${name}: ${r.reason}`);
  }
  if (problems.length > 0) throw new TemplateError(problems);
  return compiled;
}

/**
 * Render every header for one call. A header whose value cannot be rendered safely is left out
 * and reported, so one odd caller number does not cost the call.
 */
export function renderHeaders(
  templates: HeaderTemplates,
  values: TemplateValues,
): { headers: Record<string, string>; skipped: Array<{ name: string; reason: string }> } {
  const headers: Record<string, string> = {};
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const [name, template] of templates) {
    const r = renderTemplate(template, values);
    if (r.ok) headers[name] = r.value;
    else skipped.push({ name, reason: r.reason });
  }
  return { headers, skipped };
}
