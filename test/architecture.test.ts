/**
 * The dependency rules of docs/architecture.md, checked on the TypeScript sources: which of our
 * folders may import which, the one place each third-party library enters, and what the call and
 * transfer logic may not touch. The rules are data ({@link RULES}); the doc's rules table mirrors
 * it, and the last group of tests fails when the two drift apart.
 *
 * Imports are read with regular expressions over the source text, no parser: `import … from`,
 * `import type … from`, `export … from` and side-effect `import '…'` statements at the start of a
 * line (their name list may span lines), and `import('…')` / `require('…')` calls outside comment
 * lines. Type-only imports count: a type from a library ties the file to that library as surely
 * as a value does.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DOC = 'docs/architecture.md';

/** The folders scanned, each a top-level folder of the repository (`media/` once it exists). */
const SOURCE_FOLDERS = ['config/', 'engine/', 'gateway/', 'media/', 'bench/', 'test/'] as const;

/**
 * One boundary. A file in `files` (a folder ending in `/`, or one file) and not in `except` may
 * not import anything in `forbids` unless the target is in `allowedTargets`; an import listed in
 * `exceptions` is a deliberate violation, with its reason.
 */
interface BoundaryRule {
  readonly id: string;
  /** The rule in words, as the doc states it. */
  readonly text: string;
  readonly files: readonly string[];
  /** Files or folders inside `files` where the forbidden import is the point (the one entry point). */
  readonly except?: readonly string[];
  /** Our folders or files by repository path, packages and Node builtins by name (`node:net`). */
  readonly forbids: { readonly paths?: readonly string[]; readonly modules?: readonly string[] };
  /** Files inside a forbidden folder that may still be imported (ports and types). */
  readonly allowedTargets?: readonly string[];
  readonly exceptions?: readonly RuleException[];
}

/** A violation kept on purpose: this file may import this specifier, because … */
interface RuleException {
  readonly file: string;
  readonly specifier: string;
  readonly reason: string;
}

const EVERYWHERE = SOURCE_FOLDERS;
const COMPOSITION_ROOT = [
  'gateway/create-gateway.ts',
  'gateway/main.ts',
  'gateway/embedded-engine.ts',
  'gateway/embedded-engine-worker.ts',
];

/** The rules; docs/architecture.md has one row per rule, under the same id. */
const RULES: readonly BoundaryRule[] = [
  {
    id: 'B1',
    text: 'config/ imports nothing of ours',
    files: ['config/'],
    forbids: { paths: ['engine/', 'gateway/', 'media/', 'bench/', 'test/'] },
  },
  {
    id: 'B2',
    text: 'engine/ is independent of config/, gateway/ and media/',
    files: ['engine/'],
    forbids: { paths: ['config/', 'gateway/', 'media/', 'bench/', 'test/'] },
  },
  {
    id: 'B3',
    text: 'media/ may import config/, nothing else of ours',
    files: ['media/'],
    forbids: { paths: ['engine/', 'gateway/', 'bench/', 'test/'] },
  },
  {
    id: 'B4',
    text: 'gateway/ reaches engine/ only from the files that start the embedded engine',
    files: ['gateway/'],
    except: ['gateway/main.ts', 'gateway/embedded-engine.ts', 'gateway/embedded-engine-worker.ts'],
    forbids: { paths: ['engine/'] },
  },
  {
    id: 'B5',
    text: 'gateway/ imports nothing from bench/ or test/',
    files: ['gateway/'],
    forbids: { paths: ['bench/', 'test/'] },
  },
  {
    id: 'B6',
    text: 'drachtio-srf only under gateway/sip/',
    files: EVERYWHERE,
    except: ['gateway/sip/', 'bench/apps/', 'test/'],
    forbids: { modules: ['drachtio-srf'] },
  },
  {
    id: 'B7',
    text: 'prom-client only in gateway/observability/metrics.ts',
    files: EVERYWHERE,
    except: ['gateway/observability/metrics.ts', 'test/'],
    forbids: { modules: ['prom-client'] },
  },
  {
    id: 'B8',
    text: 'pino only in gateway/observability/logger.ts and engine/main.ts',
    files: EVERYWHERE,
    except: ['gateway/observability/logger.ts', 'engine/main.ts', 'test/'],
    forbids: { modules: ['pino'] },
  },
  {
    id: 'B9',
    text: 'better-sqlite3 only in gateway/store/sqlite-store.ts',
    files: EVERYWHERE,
    except: ['gateway/store/sqlite-store.ts', 'test/'],
    forbids: { modules: ['better-sqlite3'] },
  },
  {
    id: 'B10',
    text: 'ioredis only in gateway/store/redis-store.ts',
    files: EVERYWHERE,
    except: ['gateway/store/redis-store.ts', 'test/'],
    forbids: { modules: ['ioredis'] },
  },
  {
    id: 'B11',
    text: 'sdp-transform: reserved for one SDP helper, which does not exist yet',
    files: EVERYWHERE,
    except: ['test/'],
    forbids: { modules: ['sdp-transform'] },
  },
  {
    id: 'B12',
    text: 'gateway/call/ and gateway/transfer/ touch no SIP library and no socket',
    files: ['gateway/call/', 'gateway/transfer/'],
    forbids: { modules: ['drachtio-srf', 'node:net', 'node:dgram'] },
  },
  {
    id: 'B14',
    text: 'rtpengine-client only in media/rtpengine/ng-client.ts',
    files: EVERYWHERE,
    except: ['media/rtpengine/ng-client.ts', 'test/'],
    forbids: { modules: ['rtpengine-client'] },
  },
  {
    id: 'B13',
    text: 'gateway/call/ and gateway/transfer/ import ports and types, never adapters',
    files: ['gateway/call/', 'gateway/transfer/'],
    forbids: { paths: ['gateway/sip/', 'gateway/store/', 'gateway/http/', ...COMPOSITION_ROOT] },
    allowedTargets: ['gateway/store/store-port.ts', 'gateway/http/calls-api.ts'],
  },
];

// ---------------------------------------------------------------------------------------------
// Reading imports

/** One import as written in a source file. */
interface ImportRef {
  /** As written: `../config/schema.js`, `drachtio-srf`, `node:net`. */
  readonly specifier: string;
  /** 1-based line where the statement starts. */
  readonly line: number;
  /** Erased at compile time: `import type`, `export type`, or named imports that are all `type`. */
  readonly typeOnly: boolean;
}

/**
 * `import|export [type] <names> from '<specifier>'` at the start of a line. The names may span
 * lines but hold only identifiers, braces, commas and `*` (with `as` and `type` as words), so a
 * match cannot run through code.
 */
const FROM_STATEMENT = /^[ \t]*(?:import|export)\s+(type\s+)?([\w$\s{},*]*?)\s*from\s*(['"])([^'"\n]+)\3/gm;
/** `import '<specifier>'`: loaded for its side effects. */
const SIDE_EFFECT_IMPORT = /^[ \t]*import\s*(['"])([^'"\n]+)\1/gm;
/** `import('<specifier>')`, `require('<specifier>')` with a literal specifier. */
const CALL_IMPORT = /\b(?:import|require)\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;
/** A line that is (part of) a comment: `//`, `/*`, or a `*` continuation of a block comment. */
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*)/;

function readImports(source: string): ImportRef[] {
  const lineAt = (index: number): number => source.slice(0, index).split('\n').length;
  const found: Array<ImportRef & { index: number }> = [];
  for (const m of source.matchAll(FROM_STATEMENT)) {
    const start = m.index + (m[0].length - m[0].trimStart().length);
    found.push({
      specifier: m[4] ?? '',
      line: lineAt(start),
      typeOnly: m[1] !== undefined || namesAreAllTypes(m[2] ?? ''),
      index: start,
    });
  }
  for (const m of source.matchAll(SIDE_EFFECT_IMPORT)) {
    const start = m.index + (m[0].length - m[0].trimStart().length);
    found.push({ specifier: m[2] ?? '', line: lineAt(start), typeOnly: false, index: start });
  }
  source.split('\n').forEach((text, i) => {
    if (COMMENT_LINE.test(text)) return;
    for (const m of text.matchAll(CALL_IMPORT)) {
      found.push({ specifier: m[2] ?? '', line: i + 1, typeOnly: false, index: Number.MAX_SAFE_INTEGER });
    }
  });
  return found
    .sort((a, b) => a.line - b.line || a.index - b.index)
    .map(({ specifier, line, typeOnly }) => ({ specifier, line, typeOnly }));
}

/** `{ type A, type B as C }` with nothing else: TypeScript erases the whole statement. */
function namesAreAllTypes(names: string): boolean {
  const braces = /^\{([\s\S]*)\}$/.exec(names.trim());
  if (braces === null) return false;
  const entries = (braces[1] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  return entries.length > 0 && entries.every((e) => /^type\s/.test(e));
}

/** Where an import leads: a file or folder of this repository, or a package or builtin by name. */
type ImportTarget =
  { readonly kind: 'path'; readonly path: string } | { readonly kind: 'module'; readonly name: string };

const BUILTINS = new Set(builtinModules);

/**
 * @param file the importing file, relative to the repository root (`gateway/main.ts`)
 * @returns repository paths with `.js` read as the `.ts` it is compiled from (NodeNext imports
 *   name the output file); packages by name without subpath (`drachtio-srf/lib/x` → `drachtio-srf`);
 *   builtins with the `node:` prefix
 */
function importTarget(file: string, specifier: string): ImportTarget {
  if (specifier.startsWith('.')) {
    const path = posix.normalize(posix.join(posix.dirname(file), specifier));
    return { kind: 'path', path: path.replace(/\.js$/, '.ts') };
  }
  if (specifier.startsWith('node:')) return { kind: 'module', name: specifier };
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
  return { kind: 'module', name: BUILTINS.has(name) ? `node:${name}` : name };
}

/** A folder pattern (`gateway/sip/`) holds what is under it; a file pattern only that file. */
function within(path: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));
}

// ---------------------------------------------------------------------------------------------
// Checking

interface Violation {
  readonly file: string;
  readonly ref: ImportRef;
}

function violationsOf(rule: BoundaryRule, file: string, refs: readonly ImportRef[]): Violation[] {
  if (!within(file, rule.files) || within(file, rule.except ?? [])) return [];
  return refs
    .filter((ref) => {
      const target = importTarget(file, ref.specifier);
      if (target.kind === 'module') return (rule.forbids.modules ?? []).includes(target.name);
      return within(target.path, rule.forbids.paths ?? []) && !within(target.path, rule.allowedTargets ?? []);
    })
    .map((ref) => ({ file, ref }));
}

function isExcepted(rule: BoundaryRule, v: Violation): boolean {
  return (rule.exceptions ?? []).some((e) => e.file === v.file && e.specifier === v.ref.specifier);
}

function describeViolation(v: Violation): string {
  return `${v.file}:${v.ref.line} imports '${v.ref.specifier}'${v.ref.typeOnly ? ' (type-only)' : ''}`;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(posix.join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(`${path}/`);
      } else if (entry.name.endsWith('.ts')) {
        files.push(path);
      }
    }
  };
  for (const folder of SOURCE_FOLDERS) if (existsSync(posix.join(ROOT, folder))) walk(folder);
  return files.sort();
}

const SOURCES: ReadonlyMap<string, readonly ImportRef[]> = new Map(
  sourceFiles().map((file) => [file, readImports(readFileSync(posix.join(ROOT, file), 'utf8'))]),
);

// ---------------------------------------------------------------------------------------------

describe('reading imports', () => {
  it('reads every statement form, with its line and whether it is type-only', () => {
    const source = [
      "import Srf from 'drachtio-srf';",
      'import {',
      '  a,',
      '  type B,',
      "} from '../config/schema.js';",
      "import type { Logger } from 'pino';",
      "import { type C, type D } from './d.js';",
      "import * as path from 'node:path';",
      "import Database, { type Statement } from 'better-sqlite3';",
      "import 'side-effect';",
      "export { x } from './x.js';",
      "export type { Y } from './y.js';",
      "export * from './z.js';",
      "const lazy = await import('ioredis');",
      "const old = require('net');",
    ].join('\n');
    expect(readImports(source)).toEqual([
      { specifier: 'drachtio-srf', line: 1, typeOnly: false },
      { specifier: '../config/schema.js', line: 2, typeOnly: false },
      { specifier: 'pino', line: 6, typeOnly: true },
      { specifier: './d.js', line: 7, typeOnly: true },
      { specifier: 'node:path', line: 8, typeOnly: false },
      { specifier: 'better-sqlite3', line: 9, typeOnly: false },
      { specifier: 'side-effect', line: 10, typeOnly: false },
      { specifier: './x.js', line: 11, typeOnly: false },
      { specifier: './y.js', line: 12, typeOnly: true },
      { specifier: './z.js', line: 13, typeOnly: false },
      { specifier: 'ioredis', line: 14, typeOnly: false },
      { specifier: 'net', line: 15, typeOnly: false },
    ]);
  });

  it('ignores imports in comments and text that only mentions one', () => {
    const source = [
      '/**',
      " * import Srf from 'drachtio-srf';",
      " * const x = await import('ioredis');",
      ' */',
      "// import { pino } from 'pino';",
      'const text = "import x from \'prom-client\'";',
      "log.info({ from: 'x' }, 'export done');",
    ].join('\n');
    expect(readImports(source)).toEqual([]);
  });

  it('resolves repository paths, package names and builtins', () => {
    expect(importTarget('gateway/call/call-session.ts', '../transfer/transfer-service.js')).toEqual({
      kind: 'path',
      path: 'gateway/transfer/transfer-service.ts',
    });
    expect(importTarget('gateway/embedded-engine-worker.ts', '../engine/create-engine.js')).toEqual({
      kind: 'path',
      path: 'engine/create-engine.ts',
    });
    expect(importTarget('test/x.ts', 'drachtio-srf/lib/sip-parser/parser.js')).toEqual({
      kind: 'module',
      name: 'drachtio-srf',
    });
    expect(importTarget('test/x.ts', '@types/node')).toEqual({ kind: 'module', name: '@types/node' });
    expect(importTarget('engine/x.ts', 'dgram')).toEqual({ kind: 'module', name: 'node:dgram' });
    expect(importTarget('engine/x.ts', 'node:net')).toEqual({ kind: 'module', name: 'node:net' });
  });

  it('applies a rule to the files it names, minus its exceptions and allowed targets', () => {
    const rule = RULES.find((r) => r.id === 'B13');
    if (rule === undefined) throw new Error('B13 missing');
    const refs = (specifiers: string[]): ImportRef[] =>
      specifiers.map((specifier, i) => ({ specifier, line: i + 1, typeOnly: false }));
    const from = 'gateway/call/x.ts';
    const found = violationsOf(
      rule,
      from,
      refs(['../sip/srf-dialer.js', '../store/store-port.js', './ports.js']),
    );
    expect(found.map((v) => v.ref.specifier)).toEqual(['../sip/srf-dialer.js']);
    expect(violationsOf(rule, 'gateway/create-gateway.ts', refs(['./sip/srf-dialer.js']))).toEqual([]);
  });
});

describe('the source tree the rules are checked on', () => {
  it('is read in full: the imports the rules are about are seen where they are', () => {
    expect(SOURCES.size).toBeGreaterThan(100);
    const imports = (file: string): string[] => (SOURCES.get(file) ?? []).map((r) => r.specifier);
    expect(imports('gateway/sip/srf-connection.ts')).toContain('drachtio-srf');
    expect(imports('gateway/observability/metrics.ts')).toContain('prom-client');
    expect(imports('gateway/embedded-engine-worker.ts')).toContain('../engine/create-engine.js');
  });

  it.each(RULES)('$id names only files and folders that exist', (rule) => {
    const named = [
      ...(rule.except ?? []),
      ...(rule.allowedTargets ?? []),
      ...(rule.exceptions ?? []).map((e) => e.file),
    ];
    expect(named.filter((p) => !existsSync(posix.join(ROOT, p)))).toEqual([]);
  });
});

describe('dependency rules (docs/architecture.md)', () => {
  it.each(RULES)('$id: $text', (rule) => {
    const found: Violation[] = [];
    for (const [file, refs] of SOURCES) found.push(...violationsOf(rule, file, refs));
    const unexcused = found.filter((v) => !isExcepted(rule, v)).map(describeViolation);
    expect(unexcused, `${rule.id} (${rule.text}) is broken by`).toEqual([]);
    // An exception nobody needs any more is a hole in the rule: remove it.
    const stale = (rule.exceptions ?? []).filter(
      (e) => !found.some((v) => v.file === e.file && v.ref.specifier === e.specifier),
    );
    expect(stale, `${rule.id} exceptions no longer needed`).toEqual([]);
  });
});

describe('docs/architecture.md mirrors the rules table', () => {
  /** The rows of the doc's rules table, `| B1 | … |`, by id. */
  const docRows = (): Map<string, string> => {
    const doc = readFileSync(posix.join(ROOT, DOC), 'utf8');
    return new Map(
      [...doc.matchAll(/^\|\s*(B\d+)\s*\|(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? ''] as const),
    );
  };

  it.each(RULES)('$id has a row naming what the rule names', (rule) => {
    const row = docRows().get(rule.id);
    expect(row, `no row "| ${rule.id} |" in ${DOC}`).toBeDefined();
    const names = [
      ...(rule.files === EVERYWHERE ? [] : rule.files),
      ...(rule.except ?? []),
      ...(rule.forbids.paths ?? []),
      ...(rule.forbids.modules ?? []),
      ...(rule.allowedTargets ?? []),
      ...(rule.exceptions ?? []).map((e) => e.file),
    ];
    expect(
      names.filter((n) => !(row ?? '').includes(`\`${n}\``)),
      `${rule.id}'s row in ${DOC} does not name`,
    ).toEqual([]);
  });

  it('has no row for a rule the table does not have', () => {
    const ids = new Set(RULES.map((r) => r.id));
    expect([...docRows().keys()].filter((id) => !ids.has(id))).toEqual([]);
  });
});
