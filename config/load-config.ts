/**
 * Loading the configuration once at start: YAML file (optional) → `${VAR}` substitution →
 * `BATON_*` overrides → schema validation → deep freeze.
 *
 * Every problem from every stage is collected into one {@link ConfigError}, so an operator fixes
 * a config in one round, not one error per restart. The caller passes the environment: no other
 * module reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js';
import { applyEnvOverrides } from './env-overrides.js';
import { protectReferences, substituteEnv, type EnvVars, type ProtectedText } from './env-substitution.js';
import { configSchema, type Config } from './schema.js';
import { objectKeys, schemaAt } from './schema-walk.js';

/** YAML syntax errors shown at most; later ones are usually echoes of the first. */
const MAX_SYNTAX_ERRORS = 3;

export interface LoadConfigOptions {
  /** YAML file to read; without one the config is the defaults plus environment overrides. */
  file?: string;
  /** The environment (the entry point passes `process.env`). */
  env: EnvVars;
}

/**
 * @returns the validated, defaulted, deeply frozen configuration
 * @throws ConfigError listing every problem found, each with its key path
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const { file, env } = options;
  const { doc, placeholders } =
    file === undefined ? { doc: {}, placeholders: new Map() } : readYamlFile(file);
  const substituted = substituteEnv(doc, placeholders, env, configSchema);
  const input = substituted.value as Record<string, unknown>;
  const overrides = applyEnvOverrides(input, env, configSchema);
  const issues: ConfigIssue[] = [...substituted.issues, ...overrides.issues];

  const result = configSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      issues.push(...describeIssue(issue, substituted.failedPaths, overrides.origins));
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, file);
  return deepFreeze(result.data);
}

function readYamlFile(file: string): {
  doc: Record<string, unknown>;
  placeholders: ProtectedText['placeholders'];
} {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    throw new ConfigError([{ path: '', message: `cannot read ${file}: ${reason}` }], file);
  }
  const { text: safeText, placeholders } = protectReferences(text);
  // uniqueKeys: a key written twice is an error, not a silent "last one wins".
  const parsed = parseDocument(safeText, { uniqueKeys: true });
  if (parsed.errors.length > 0) {
    // After the first syntax error the parser's view is skewed and later errors mostly echo it.
    const shown = parsed.errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => {
      const at = e.linePos?.[0];
      const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return { path: at === undefined ? '' : `line ${at.line}, column ${at.col}`, message };
    });
    throw new ConfigError(shown, file);
  }
  const value: unknown = parsed.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return { doc: {}, placeholders };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      [{ path: '', message: 'the file must hold a YAML mapping (key: value lines)' }],
      file,
    );
  }
  return { doc: value as Record<string, unknown>, placeholders };
}

/** One zod issue → our issues: unknown keys one by one with a suggestion, origin named. */
function describeIssue(
  issue: z.core.$ZodIssue,
  failedPaths: readonly string[],
  origins: ReadonlyMap<string, string>,
): ConfigIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const formatted = formatPath(path);
  // The substitution already said what went wrong at this key.
  if (
    failedPaths.some((f) => formatted === f || formatted.startsWith(`${f}.`) || formatted.startsWith(`${f}[`))
  ) {
    return [];
  }
  const origin = [...origins].find(
    ([p]) => formatted === p || formatted.startsWith(`${p}.`) || formatted.startsWith(`${p}[`),
  );
  const suffix = origin === undefined ? '' : ` (set by ${origin[1]})`;
  if (issue.code === 'unrecognized_keys') {
    const known = objectKeys(schemaAt(configSchema, path) ?? configSchema);
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      const hint = guess === undefined ? `; known keys: ${known.join(', ')}` : `; did you mean '${guess}'?`;
      return { path: formatPath([...path, key]), message: `unknown key${hint}${suffix}` };
    });
  }
  return [{ path: formatted, message: `${issue.message}${suffix}` }];
}

/** The candidate within edit distance 2 of `word` (case-insensitive), if there is one. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= 2 && (best === undefined || d < best.d)) best = { c, d };
  }
  return best?.c;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
