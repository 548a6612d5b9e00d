/**
 * A resolved target rendered for one call: header and tag templates filled, User-to-User encoded
 * (RFC 7433) and placed on the request or inside the Refer-To URI, every header checked by the
 * header rules. A header whose value cannot be rendered safely is left out and reported (one odd
 * caller number should not cost the transfer); headers too many or too large for one request fail
 * the attempt, so the fallback runs. Pure.
 */
import type { TemplateValues } from '../call/template.js';
import { checkHeaders } from './header-rules.js';
import { buildReferTo } from './refer-headers.js';
import { renderTransferTemplate, type TransferTemplate } from './transfer-template.js';
import {
  TransferFailure,
  type Header,
  type ResolvedTarget,
  type TransferRequest,
  type TransferTrigger,
} from './transfer-types.js';
import { encodeUui } from './uui.js';

export interface RequestContext {
  readonly trigger: TransferTrigger;
  /** The call's template values (`{{call.id}}`, `{{conversationId}}`, …). */
  readonly call: TemplateValues;
  /** The trigger's vars, names lower case. */
  readonly vars: Readonly<Record<string, string>>;
}

export type BuildRequestResult =
  | { readonly ok: true; readonly request: TransferRequest; readonly missingVars: readonly string[] }
  | { readonly ok: false; readonly failure: TransferFailure };

type Skipped = Array<{ name: string; reason: string }>;

export function buildTransferRequest(target: ResolvedTarget, ctx: RequestContext): BuildRequestResult {
  const skipped: Skipped = [];
  const missing = new Set<string>();
  const render = (templates: ResolvedTarget['headers']): Header[] =>
    templates.flatMap(([name, template]) => {
      const value = renderOne(template, ctx, missing);
      if (value.ok) return [[name, value.value] as const];
      skipped.push({ name, reason: value.reason });
      return [];
    });
  const headers = render(target.headers);
  const tags = target.kind === 'ivr' ? render(target.tags) : [];

  let uui: TransferRequest['uui'];
  if (target.uui !== undefined) {
    const plan = target.uui;
    const data = renderOne(plan.data, ctx, missing);
    const encoded = data.ok ? encodeUui(data.value, plan) : data;
    if (encoded.ok) uui = { headerName: plan.headerName, value: encoded.value };
    else skipped.push({ name: plan.headerName, reason: encoded.reason });
  }
  const uuiHeader: Header[] = uui === undefined ? [] : [[uui.headerName, uui.value]];
  const uuiInUri = target.uui?.placement === 'refer-to-uri';

  const isRefer = target.method === 'refer';
  const inUri = isRefer ? [...(target.headersInReferTo ? headers : []), ...(uuiInUri ? uuiHeader : [])] : [];
  const onRequest = [
    ...(isRefer && target.headersInReferTo ? [] : headers),
    ...tags,
    ...(uuiInUri ? [] : uuiHeader),
  ];
  const sendable = dropUnsendable([...onRequest, ...inUri], skipped);
  const problems = checkHeaders(sendable);
  if (problems.length > 0) {
    return fail(`headers for ${target.name}: ${problems.map((p) => p.message).join('; ')}`);
  }
  const keep = (h: Header): boolean => sendable.includes(h);

  let referTo: string | undefined;
  if (isRefer) {
    if (target.requestUri === undefined) return fail(`${target.name} has no destination to refer to`);
    const built = buildReferTo(target.requestUri, inUri.filter(keep));
    if (!built.ok) return fail(built.reason);
    referTo = built.value;
  }
  return {
    ok: true,
    request: {
      trigger: ctx.trigger,
      target,
      headers: onRequest.filter(keep),
      referTo,
      uui,
      vars: ctx.vars,
      skipped,
    },
    missingVars: [...missing],
  };
}

function renderOne(
  template: TransferTemplate,
  ctx: RequestContext,
  missing: Set<string>,
): { ok: true; value: string } | { ok: false; reason: string } {
  const r = renderTransferTemplate(template, { call: ctx.call, vars: ctx.vars });
  if (!r.ok) return r;
  r.value.missingVars.forEach((v) => missing.add(v));
  return { ok: true, value: r.value.value };
}

/**
 * Leave out (and report) headers that cannot go on the wire one by one: a value too long or with
 * a control character after rendering, or a second header of the same name (the first, from the
 * target's own settings, wins over a tag).
 */
function dropUnsendable(headers: readonly Header[], skipped: Skipped): Header[] {
  const kept: Header[] = [];
  for (const header of headers) {
    const problem = checkHeaders([...kept, header]).find(
      (p) =>
        p.name === header[0] && (p.kind === 'bad-value' || p.kind === 'bad-name' || p.kind === 'duplicate'),
    );
    if (problem === undefined) kept.push(header);
    else skipped.push({ name: header[0], reason: problem.message });
  }
  return kept;
}

function fail(message: string): BuildRequestResult {
  return { ok: false, failure: new TransferFailure('bad-target', { cause: new Error(message) }) };
}
