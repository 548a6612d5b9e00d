/**
 * `BATON_*` environment variables that override config keys.
 *
 * - Any key: `BATON_<SECTION>__<KEY>[__<KEY>…]`, each camelCase key written UPPER_SNAKE and `__`
 *   between levels: `BATON_HTTP__LISTEN=127.0.0.1:8080`, `BATON_LIMITS__MAX_CALLS=500`,
 *   `BATON_ENGINE__SIP_TIMERS__T1_MS=250`, `BATON_TRUNKS__0__AUTH__PASSWORD=…` (list items by
 *   index). Values for numbers, booleans, lists and maps are read as YAML (JSON included):
 *   `BATON_SIP__LISTEN='["udp:0.0.0.0:5070"]'`. Strings are taken as written.
 * - A few short names for what is usually set per deployment: {@link CONVENIENCE_ENV}.
 *
 * Other `BATON_*` names without `__` are left alone (they may feed `${VAR}` references in the
 * file); a `__` name that matches no key is an error, so a typo does not pass silently.
 * Precedence: file < short names < `__` names (fewer levels first).
 */
import type { z } from 'zod';
import { formatPath, type ConfigIssue } from './config-error.js';
import type { EnvVars } from './env-substitution.js';
import { readScalar } from './env-substitution.js';
import { childSchema, inspectSchema, objectKeys, schemaAt, takesText } from './schema-walk.js';

type Path = Array<string | number>;

const PREFIX = 'BATON_';
const SEPARATOR = '__';

/** Short names → key paths. */
export const CONVENIENCE_ENV: Readonly<Record<string, readonly string[]>> = Object.freeze({
  BATON_API_TOKEN: ['http', 'apiToken'],
  BATON_LOG_LEVEL: ['logging', 'level'],
  BATON_ENGINE_SECRET: ['engine', 'admin', 'secret'],
  BATON_REDIS_URL: ['store', 'redisUrl'],
  BATON_DIGEST_NONCE_SECRET: ['security', 'digestNonceSecret'],
});

export interface OverrideResult {
  issues: ConfigIssue[];
  /** Key path (formatted) → the variable that set it, to name it in later schema errors. */
  origins: Map<string, string>;
}

/** `maxCallsPerSecond` → `MAX_CALLS_PER_SECOND`, `t1Ms` → `T1_MS`, `aiAgent` → `AI_AGENT`. */
export function envSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The `BATON_…` name that overrides a key path (list indexes as given). */
export function envNameFor(path: ReadonlyArray<string | number>): string {
  return (
    PREFIX + path.map((seg) => (typeof seg === 'number' ? String(seg) : envSegment(seg))).join(SEPARATOR)
  );
}

/**
 * Apply the overrides found in `env` to `doc` (a plain object, mutated) and report the variables
 * that name no key or carry values of the wrong shape.
 */
export function applyEnvOverrides(
  doc: Record<string, unknown>,
  env: EnvVars,
  root: z.ZodType,
): OverrideResult {
  const issues: ConfigIssue[] = [];
  const origins = new Map<string, string>();
  const planned: Array<{ name: string; path: Path; raw: string }> = [];
  for (const [name, path] of Object.entries(CONVENIENCE_ENV)) {
    const raw = env[name];
    if (raw !== undefined) planned.push({ name, path: [...path], raw });
  }
  const pathVars = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && name.includes(SEPARATOR))
    .sort((a, b) => a.split(SEPARATOR).length - b.split(SEPARATOR).length || a.localeCompare(b));
  for (const name of pathVars) {
    const raw = env[name];
    if (raw === undefined) continue;
    const resolved = resolvePath(name, root);
    if (!resolved.ok) issues.push({ path: name, message: resolved.message });
    else planned.push({ name, path: resolved.path, raw });
  }
  for (const { name, path, raw } of planned) {
    const target = schemaAt(root, path);
    setAt(doc, path, target !== undefined && takesTextValue(target, raw) ? raw : readScalar(raw));
    origins.set(formatPath(path), name);
  }
  return { issues, origins };
}

type Resolved = { ok: true; path: Path } | { ok: false; message: string };

function resolvePath(name: string, root: z.ZodType): Resolved {
  const segments = name.slice(PREFIX.length).split(SEPARATOR);
  const path: Path = [];
  let node: z.ZodType = root;
  for (const seg of segments) {
    const { core } = inspectSchema(node);
    const here = path.length === 0 ? 'the top level' : formatPath(path);
    const element = /^[0-9]+$/.test(seg) ? childSchema(core, 0) : undefined;
    if (element !== undefined) {
      path.push(Number(seg));
      node = element;
      continue;
    }
    const keys = objectKeys(core);
    const key = keys.find((k) => envSegment(k) === seg.toUpperCase());
    if (key === undefined) {
      const expected = keys.length > 0 ? `; expected one of ${keys.map(envSegment).join(', ')}` : '';
      const kind =
        keys.length > 0
          ? `no key '${seg}' under ${here}`
          : `${here} is set as a whole (${envNameFor(path)}='<YAML or JSON value>'), not key by key`;
      return { ok: false, message: `${kind}${expected}` };
    }
    path.push(key);
    node = childSchema(core, key) ?? core;
  }
  return { ok: true, path };
}

/** Text fields get the raw text; a shorthand field still takes a JSON/YAML map when given one. */
function takesTextValue(target: z.ZodType, raw: string): boolean {
  return (
    takesText(target) && !(inspectSchema(target).meta.acceptsText === true && raw.trimStart().startsWith('{'))
  );
}

function setAt(doc: Record<string, unknown>, path: Path, value: unknown): void {
  let node: Record<string | number, unknown> = doc;
  path.forEach((seg, i) => {
    if (i === path.length - 1) {
      node[seg] = value;
      return;
    }
    const next = node[seg];
    if (next === null || typeof next !== 'object') {
      node[seg] = typeof path[i + 1] === 'number' ? [] : {};
    }
    node = node[seg] as Record<string | number, unknown>;
  });
}
