import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderConfigReference } from '../../config/config-docs.js';
import { configSchema } from '../../config/schema.js';
import { inspectSchema } from '../../config/schema-walk.js';

const REGENERATE = 'node --import tsx config/config-docs.ts > docs/configuration.md';

/** Every key path of the schema, list items as `[]`, with its schema. */
function keys(schema: z.ZodType, prefix: string): Array<[string, z.ZodType]> {
  const { core, meta } = inspectSchema(schema);
  if (meta.type !== undefined) return [];
  if (core instanceof z.ZodObject) {
    return Object.entries(core.shape as Record<string, z.ZodType>).flatMap(([k, s]) => {
      const path = prefix === '' ? k : `${prefix}.${k}`;
      return [[path, s] as [string, z.ZodType], ...keys(s, path)];
    });
  }
  if (core instanceof z.ZodArray) return keys(core.element as z.ZodType, `${prefix}[]`);
  return [];
}

describe('docs/configuration.md', () => {
  it(`is the generator's output (regenerate: ${REGENERATE})`, () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigReference());
  });

  it('lists every key of the schema', () => {
    const page = renderConfigReference();
    for (const [path, schema] of keys(configSchema, '')) {
      // Object sections are headings; every other key is a table row.
      const isSection = !path.includes('.') && inspectSchema(schema).core instanceof z.ZodObject;
      expect(page).toContain(isSection ? `\n## ${path}\n` : `| \`${path}\`<br>`);
    }
  });

  it('every key has a description', () => {
    const undocumented = keys(configSchema, '')
      .filter(([, s]) => (inspectSchema(s).description ?? '').length < 10)
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });
});
