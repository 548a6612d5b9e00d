/**
 * Transfer templates: the call templates of `gateway/call/template.ts` (`{{call.id}}`,
 * `{{call.from.user}}`, `{{conversationId}}`, …) plus `{{vars.<name>}}`, the values the AI agent
 * passes with its trigger (X-headers of its REFER or BYE, or the API body). The `vars` part is
 * split out here and every other part compiles and renders through the call templates, so both
 * kinds of template accept and refuse the same things. Pure.
 */
import {
  compileTemplate,
  renderTemplate,
  TemplateError,
  type CompiledTemplate,
  type TemplateResult,
  type TemplateValues,
} from '../call/template.js';

/** `{{vars.intent}}`; names compare lower-case (they come from header names, which ignore case). */
const VAR_PLACEHOLDER = /\{\{\s*vars\.([A-Za-z0-9_-]{1,64})\s*\}\}/g;

/** Characters that end or split a header line on the wire (as the call templates check). */
const FORBIDDEN = /[\r\n\0]/;

type Part = { readonly call: CompiledTemplate } | { readonly variable: string };

export interface TransferTemplate {
  readonly source: string;
  readonly parts: readonly Part[];
}

export interface TransferTemplateValues {
  readonly call: TemplateValues;
  /** Trigger values by lower-case name. */
  readonly vars: Readonly<Record<string, string>>;
}

export function compileTransferTemplate(source: string): TemplateResult<TransferTemplate> {
  const parts: Part[] = [];
  let last = 0;
  const literal = (text: string): TemplateResult<void> => {
    if (text === '') return { ok: true, value: undefined };
    const compiled = compileTemplate(text);
    if (!compiled.ok) return compiled;
    parts.push({ call: compiled.value });
    return { ok: true, value: undefined };
  };
  for (const m of source.matchAll(VAR_PLACEHOLDER)) {
    const before = literal(source.slice(last, m.index));
    if (!before.ok) return before;
    parts.push({ variable: (m[1] ?? '').toLowerCase() });
    last = m.index + m[0].length;
  }
  const rest = literal(source.slice(last));
  if (!rest.ok) return rest;
  return { ok: true, value: { source, parts } };
}

export interface Rendered {
  readonly value: string;
  /** `vars` the template names that the trigger did not pass (rendered empty). */
  readonly missingVars: readonly string[];
}

/**
 * Fill a template. A var the trigger did not pass renders empty and is reported, so one missing
 * value from a chatty model does not cost the transfer; a value with a line break is refused.
 */
export function renderTransferTemplate(
  template: TransferTemplate,
  values: TransferTemplateValues,
): TemplateResult<Rendered> {
  let out = '';
  const missingVars: string[] = [];
  for (const part of template.parts) {
    if ('call' in part) {
      const r = renderTemplate(part.call, values.call);
      if (!r.ok) return r;
      out += r.value;
      continue;
    }
    const value = Object.hasOwn(values.vars, part.variable) ? values.vars[part.variable] : undefined;
    if (value === undefined) {
      missingVars.push(part.variable);
      continue;
    }
    if (FORBIDDEN.test(value)) {
      return { ok: false, reason: `value of {{vars.${part.variable}}} contains a line break or NUL` };
    }
    out += value;
  }
  return { ok: true, value: { value: out, missingVars } };
}

/**
 * Compile name → template maps from the configuration.
 * @param where config path for messages, e.g. `transfer.targets.support.headers`
 * @throws TemplateError listing every template that does not compile
 */
export function compileTransferTemplates(
  templates: Readonly<Record<string, string>>,
  where: string,
): Array<readonly [string, TransferTemplate]> {
  const compiled: Array<readonly [string, TransferTemplate]> = [];
  const problems: string[] = [];
  for (const [name, source] of Object.entries(templates)) {
    const r = compileTransferTemplate(source);
    if (r.ok) compiled.push([name, r.value]);
    else problems.push(`${where}.${name}: ${r.reason}`);
  }
  if (problems.length > 0) throw new TemplateError(problems);
  return compiled;
}
