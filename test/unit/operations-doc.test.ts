/**
 * docs/operations.md lists every metric `/metrics` exports, with its type, and Baton's own with
 * their labels; it names no `baton_` metric that does not exist. The metrics come from the code
 * itself: the names and types from a rendered registry, the label names from the declarations in
 * `gateway/observability/metrics.ts` (a new metric without a labelled sample renders no labels).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../gateway/observability/metrics.js';

const DOC_PATH = 'docs/operations.md';
const doc = readFileSync(new URL(`../../${DOC_PATH}`, import.meta.url), 'utf8');
const source = readFileSync(new URL('../../gateway/observability/metrics.ts', import.meta.url), 'utf8');

type MetricType = 'counter' | 'gauge' | 'histogram';

interface Declared {
  readonly name: string;
  readonly type: MetricType;
  readonly labels: readonly string[];
}

/** `new Counter({ name: 'baton_…', …, labelNames: ['a', 'b'] as const, … });` in metrics.ts. */
function declaredMetrics(text: string): Declared[] {
  return [...text.matchAll(/new (Counter|Gauge|Histogram)\(\{([\s\S]*?)\}\);/g)].map((m) => {
    const body = m[2] ?? '';
    const labels = /labelNames:\s*\[([^\]]*)\]/.exec(body)?.[1] ?? '';
    return {
      name: /name:\s*'([^']+)'/.exec(body)?.[1] ?? '(no name)',
      type: (m[1] ?? '').toLowerCase() as MetricType,
      labels: [...labels.matchAll(/'([^']+)'/g)].map((l) => l[1] ?? ''),
    };
  });
}

/** Name → type of every metric a registry renders (`# TYPE baton_calls_total counter`). */
async function exportedMetrics(defaultMetrics: boolean): Promise<Map<string, string>> {
  const text = await createMetrics({ defaultMetrics }).render();
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** The doc's metric table rows: `` | `baton_x` | counter | `a`, `b` | meaning | ``. */
const rows = new Map(
  [...doc.matchAll(/^\|\s*`(baton_[a-z0-9_]+)`\s*\|\s*([a-z]+)\s*\|([^|]*)\|/gm)].map((m) => [
    m[1] ?? '',
    { type: m[2] ?? '', labels: [...(m[3] ?? '').matchAll(/`([^`]+)`/g)].map((l) => l[1] ?? '') },
  ]),
);

describe(DOC_PATH, () => {
  it("reads metrics.ts's declarations completely (the same metrics a registry exports)", async () => {
    const exported = await exportedMetrics(false);
    const declared = declaredMetrics(source);
    expect(new Map(declared.map((d) => [d.name, d.type]))).toEqual(exported);
  });

  it.each(declaredMetrics(source))('lists $name with its type and labels', (metric) => {
    const row = rows.get(metric.name);
    expect(row, `no table row for ${metric.name}`).toBeDefined();
    expect(row?.type).toBe(metric.type);
    expect([...(row?.labels ?? [])].sort()).toEqual([...metric.labels].sort());
  });

  it('lists every metric /metrics exports, the Node process metrics included, with its type', async () => {
    const exported = await exportedMetrics(true);
    const missing = [...exported].filter(([name, type]) => rows.get(name)?.type !== type);
    expect(missing.map(([name, type]) => `${name} (${type})`)).toEqual([]);
  });

  it('names no baton_ metric that does not exist', async () => {
    const exported = await exportedMetrics(true);
    const histograms = [...exported].filter(([, type]) => type === 'histogram').map(([name]) => name);
    const series = new Set([
      ...exported.keys(),
      ...histograms.flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
    ]);
    // prom-client exports some process metrics on Linux only; elsewhere the doc's are taken on trust.
    const platformSpecific = (name: string): boolean =>
      process.platform !== 'linux' && name.startsWith('baton_process_');
    const named = new Set([...doc.matchAll(/\bbaton_[a-z0-9_]+/g)].map((m) => m[0]));
    expect([...named].filter((n) => !series.has(n) && !platformSpecific(n))).toEqual([]);
  });
});
