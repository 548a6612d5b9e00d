/**
 * Reading the config schema as data: what a node is once its wrappers (optional, default,
 * preprocess, refinements) are peeled, where a key path leads, and what the docs say about it.
 * The reference generator, the environment overrides and the error messages use this, so all
 * three follow the schema without a second list of keys.
 */
import { z } from 'zod';
import { docMeta, type DocMeta } from './schema/common.js';

/** A schema node with its wrappers peeled and what they said collected. */
export interface SchemaNode {
  /** The innermost schema: object, array, record, string, number, boolean, enum, union… */
  readonly core: z.ZodType;
  readonly description: string | undefined;
  readonly meta: DocMeta;
  /** Whether the key may be absent with no default (`.optional()`). */
  readonly optional: boolean;
  /** The default when the key is absent: output of `.default()` or input of `.prefault()`. */
  readonly defaultValue: { value: unknown } | undefined;
}

/** Peel optional / default / prefault / nullable / readonly / pipes down to the core type. */
export function inspectSchema(schema: z.ZodType): SchemaNode {
  let node: z.ZodType = schema;
  let description: string | undefined;
  let meta: DocMeta = {};
  let optional = false;
  let defaultValue: { value: unknown } | undefined;
  for (;;) {
    description ??= node.description;
    meta = { ...docMeta.get(node), ...meta };
    if (node instanceof z.ZodOptional) {
      optional = true;
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodDefault || node instanceof z.ZodPrefault) {
      defaultValue ??= { value: (node.def as { defaultValue: unknown }).defaultValue };
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodNullable || node instanceof z.ZodReadonly) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      // A preprocess is pipe(transform, target): the target is the type. A `.transform()` after
      // an object is pipe(object, transform): the object is the type.
      node = (node.in instanceof z.ZodTransform ? node.out : node.in) as z.ZodType;
    } else {
      return { core: node, description, meta, optional, defaultValue };
    }
  }
}

/** The schema one step down from `schema` along `segment` (object key, array index, record key). */
export function childSchema(schema: z.ZodType, segment: string | number): z.ZodType | undefined {
  const { core } = inspectSchema(schema);
  if (core instanceof z.ZodObject && typeof segment === 'string') {
    const shape = core.shape as Record<string, z.ZodType>;
    return Object.hasOwn(shape, segment) ? shape[segment] : undefined;
  }
  if (core instanceof z.ZodArray && typeof segment === 'number') return core.element as z.ZodType;
  if (core instanceof z.ZodRecord && typeof segment === 'string') return core.valueType as z.ZodType;
  return undefined;
}

/** The keys an object node accepts (empty for anything else). */
export function objectKeys(schema: z.ZodType): string[] {
  const { core } = inspectSchema(schema);
  return core instanceof z.ZodObject ? Object.keys(core.shape) : [];
}

/** Follow a key path from the root; undefined when it leaves the schema. */
export function schemaAt(root: z.ZodType, path: ReadonlyArray<string | number>): z.ZodType | undefined {
  let node: z.ZodType | undefined = root;
  for (const seg of path) {
    if (node === undefined) return undefined;
    node = childSchema(node, seg);
  }
  return node;
}

/**
 * Whether text from the environment should reach this field as text rather than be read as YAML:
 * strings and enums, and fields with a text shorthand. Numbers, booleans, lists and maps are read
 * as YAML (which includes JSON), so `BATON_LIMITS__MAX_CALLS=500` is the number 500.
 */
export function takesText(schema: z.ZodType): boolean {
  const { core, meta } = inspectSchema(schema);
  if (meta.acceptsText === true) return true;
  return core instanceof z.ZodString || core instanceof z.ZodEnum;
}
