/**
 * `${VAR}` and `${VAR:-default}` in a config file, filled from the environment the caller passes
 * (the process's own environment is read only by the entry point).
 *
 * Two steps, so that a variable's value can never change the document's structure and a
 * reference may stand anywhere a value may, even unquoted inside a flow map
 * (`auth: { password: ${PW} }`, where the braces would otherwise end the map):
 * 1. {@link protectReferences} swaps every reference in the file text for an opaque word that is a
 *    valid plain YAML scalar, before parsing;
 * 2. {@link substituteEnv} expands those words inside the parsed values.
 *
 * `$${` writes a literal `${`. A value that is exactly one reference (`port: ${SIP_PORT}`) is read
 * as YAML when its key wants a number, boolean or list.
 */
import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { formatPath, type ConfigIssue } from './config-error.js';
import { schemaAt, takesText } from './schema-walk.js';

export type EnvVars = Readonly<Record<string, string | undefined>>;
type Path = Array<string | number>;

/** What a placeholder word stands for: a reference to expand, or text to restore as written. */
type Protected = { kind: 'reference'; body: string } | { kind: 'literal'; text: string };

export interface ProtectedText {
  text: string;
  placeholders: ReadonlyMap<string, Protected>;
}

export interface SubstitutionResult {
  value: unknown;
  issues: ConfigIssue[];
  /** Key paths whose substitution failed; schema complaints about them would only repeat it. */
  failedPaths: string[];
}

/**
 * `$${` (a literal `${`), or `${NAME}` / `${NAME:-default}`. The default may not hold quotes or
 * line breaks, so a stray `${` can never swallow YAML structure up to some later `}`.
 */
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*(?::-[^}\n"']*)?)\}/g;

/**
 * Replace `${…}` and `$${…}` in YAML text with placeholder words. The words carry a random part,
 * so text already in the file cannot be mistaken for one.
 */
export function protectReferences(text: string): ProtectedText {
  const nonce = randomBytes(6).toString('hex');
  const placeholders = new Map<string, Protected>();
  const out = text.replace(REFERENCE, (match, body: string | undefined) => {
    const word = `batonref${nonce}n${placeholders.size}z`;
    placeholders.set(
      word,
      body === undefined ? { kind: 'literal', text: '${' } : { kind: 'reference', body },
    );
    return word;
  });
  return { text: out, placeholders };
}

/** Expand the placeholders in every string value (keys are restored, never expanded). */
export function substituteEnv(
  doc: unknown,
  placeholders: ReadonlyMap<string, Protected>,
  env: EnvVars,
  root: z.ZodType,
): SubstitutionResult {
  const issues: ConfigIssue[] = [];
  const failedPaths: string[] = [];
  const words = placeholders.size === 0 ? undefined : new RegExp([...placeholders.keys()].join('|'), 'g');
  const restore = (s: string): string =>
    words === undefined
      ? s
      : s.replace(words, (w) => {
          const p = placeholders.get(w);
          return p === undefined ? w : p.kind === 'literal' ? p.text : `\${${p.body}}`;
        });
  const walk = (value: unknown, path: Path): unknown => {
    if (typeof value === 'string') {
      const r = expand(value, words, placeholders, env);
      if (!r.ok) {
        issues.push({ path: formatPath(path), message: r.message });
        failedPaths.push(formatPath(path));
        return undefined;
      }
      if (!r.whole) return r.text;
      const target = schemaAt(root, path);
      return target === undefined || takesText(target) ? r.text : readScalar(r.text);
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => {
          const key = restore(k);
          return [key, walk(v, [...path, key])];
        }),
      );
    }
    return value;
  };
  return { value: walk(doc, []), issues, failedPaths };
}

type Expansion = { ok: true; text: string; whole: boolean } | { ok: false; message: string };

function expand(
  text: string,
  words: RegExp | undefined,
  placeholders: ReadonlyMap<string, Protected>,
  env: EnvVars,
): Expansion {
  if (text.includes('${')) {
    return {
      ok: false,
      message:
        "has a '${' that is no reference: write ${NAME} or ${NAME:-default}, or '$${' for a literal '${'",
    };
  }
  if (words === undefined) return { ok: true, text, whole: false };
  let failure: string | undefined;
  let references = 0;
  const out = text.replace(words, (word) => {
    const p = placeholders.get(word);
    if (p === undefined) return word;
    if (p.kind === 'literal') return p.text;
    references++;
    const r = lookUp(p.body, env);
    if (typeof r === 'string') return r;
    failure ??= r.message;
    return '';
  });
  if (failure !== undefined) return { ok: false, message: failure };
  const only = placeholders.get(text);
  return { ok: true, text: out, whole: references === 1 && only?.kind === 'reference' };
}

function lookUp(body: string, env: EnvVars): string | { message: string } {
  const sep = body.indexOf(':-');
  const name = sep < 0 ? body : body.slice(0, sep);
  const value = env[name];
  // As in POSIX sh: `:-` takes the default when the variable is unset or empty.
  if (sep >= 0) return value === undefined || value === '' ? body.slice(sep + 2) : value;
  if (value === undefined) {
    return {
      message: `environment variable ${name} is not set (write \${${name}:-default} to allow a default)`,
    };
  }
  return value;
}

/** Read text as a YAML scalar or flow collection; text that is not YAML stays text. */
export function readScalar(text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch {
    return text;
  }
}
