/**
 * What a trigger brings besides the target: `vars` for the templates and per-call overrides of
 * the target's settings. From a REFER or BYE they come as X-headers (and headers embedded in the
 * Refer-To URI); from the API as the `vars` and `overrides` of the body. Either way the overrides
 * are validated by the same zod schema as the configuration file, so a per-call header or UUI
 * setting is refused exactly where a configured one would be. Pure.
 *
 * X-headers:
 * - `X-Transfer-Target`: the target (BYE trigger), read by the resolver;
 * - `X-Transfer-Method`, `X-Transfer-Uui`, `X-Transfer-Fallback-Node`: overrides of `method`,
 *   `uui.data` and `fallback.node`;
 * - `X-Baton-*`: Baton's own context headers, echoed back by agents; ignored;
 * - any other `X-Name`: the var `name` (lower case), `X-Intent: billing` → `{{vars.intent}}`.
 */
import { targetOverrideSchema, type TargetOverride } from '../../config/schema/transfer-target.js';
import { hasControlCharacter } from '../../config/schema/transfer-headers.js';
import { formatPath } from '../../config/config-error.js';

export const TARGET_HEADER = 'X-Transfer-Target';
const METHOD_HEADER = 'x-transfer-method';
const UUI_HEADER = 'x-transfer-uui';
const FALLBACK_NODE_HEADER = 'x-transfer-fallback-node';
const BATON_PREFIX = 'x-baton-';

/** Most vars one trigger may pass, and the longest value: they end up in headers. */
export const MAX_VARS = 32;
export const MAX_VAR_LENGTH = 256;

const VAR_NAME = /^[a-z0-9_-]{1,64}$/;

export interface TriggerInput {
  readonly vars: Readonly<Record<string, string>>;
  readonly overrides: TargetOverride;
}

export type InputResult = { ok: true; value: TriggerInput } | { ok: false; problems: string[] };

/**
 * Vars and overrides from a trigger: headers first (REFER/BYE headers and those embedded in the
 * Refer-To URI), then the API body's `vars` and `overrides`, which win on conflict.
 */
export function readTriggerInput(
  headers: ReadonlyArray<readonly [string, string]>,
  api: { readonly vars?: unknown; readonly overrides?: unknown } = {},
): InputResult {
  const problems: string[] = [];
  const vars: Record<string, string> = {};
  const fromHeaders: { method?: string; uui?: { data: string }; fallback?: { node: string } } = {};
  for (const [rawName, value] of headers) {
    const name = rawName.toLowerCase();
    if (!name.startsWith('x-') || name.startsWith(BATON_PREFIX) || name === TARGET_HEADER.toLowerCase())
      continue;
    if (name === METHOD_HEADER) fromHeaders.method = value.trim().toLowerCase();
    else if (name === UUI_HEADER) fromHeaders.uui = { data: value };
    else if (name === FALLBACK_NODE_HEADER) fromHeaders.fallback = { node: value.trim() };
    else addVar(vars, name.slice(2), value, rawName, problems);
  }
  if (api.vars !== undefined) {
    if (!isPlainObject(api.vars)) {
      problems.push('vars: must be an object of strings');
    } else {
      for (const [name, value] of Object.entries(api.vars)) {
        if (typeof value !== 'string') problems.push(`vars.${name}: must be a string`);
        else addVar(vars, name.toLowerCase(), value, `vars.${name}`, problems);
      }
    }
  }
  if (Object.keys(vars).length > MAX_VARS) problems.push(`more than ${MAX_VARS} vars`);
  if (api.overrides !== undefined && !isPlainObject(api.overrides)) {
    problems.push('overrides: must be an object');
  }
  const merged = mergeOverrides(fromHeaders, isPlainObject(api.overrides) ? api.overrides : {});
  const parsed = targetOverrideSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(
        `overrides${issue.path.length > 0 ? `.${formatPath(issue.path)}` : ''}: ${issue.message}`,
      );
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, value: { vars, overrides: parsed.data } };
}

function addVar(
  vars: Record<string, string>,
  name: string,
  value: string,
  where: string,
  problems: string[],
): void {
  if (!VAR_NAME.test(name)) {
    problems.push(`${where}: var names are 1–64 letters, digits, '_' or '-'`);
  } else if (hasControlCharacter(value)) {
    problems.push(`${where}: contains a line break, NUL or other control character`);
  } else if (value.length > MAX_VAR_LENGTH) {
    problems.push(`${where}: longer than ${MAX_VAR_LENGTH} characters`);
  } else {
    vars[name] = value;
  }
}

/**
 * Header overrides under the API's, one level deep (so `uui.data` from a header survives
 * `uui.encoding` from the body).
 */
function mergeOverrides(
  fromHeaders: Record<string, unknown>,
  fromApi: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fromHeaders };
  for (const [key, value] of Object.entries(fromApi)) {
    const base = out[key];
    out[key] = isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
