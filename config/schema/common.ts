/**
 * Field types shared by the config sections, and the documentation registry the reference
 * generator (`config/config-docs.ts`) and the environment overrides read.
 */
import { z } from 'zod';
import { parseIpAddress } from '../cidr.js';
import { parseHostPort, parseSipListen } from '../listen-address.js';

export interface DocMeta {
  /** The type as the docs show it, where the zod type does not say it well (text shorthands). */
  type?: string;
  /** The default as the docs show it, where it is computed (generated secrets, defaults that depend on other keys). */
  default?: string;
  /**
   * The field takes text (a shorthand) as well as structured values, so an environment override or
   * a `${VAR}` substitution passes the variable's text through instead of parsing it as YAML.
   */
  acceptsText?: boolean;
}

/** Documentation metadata beyond `.describe()`; looked up by schema instance. */
export const docMeta = z.registry<DocMeta>();

export const portSchema = z.number().int().min(0).max(65535);

/** An IP literal to bind a socket to (v4 dotted quad or v6 without brackets). */
export const ipHostSchema = z.string().superRefine((host, ctx) => {
  const r = parseIpAddress(host);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `${r.reason} (a bind address must be an IP literal)` });
});

/** A host to connect to: an IP literal or a DNS name (RFC 1123 §2.1 labels). */
export const remoteHostSchema = z
  .string()
  .regex(
    /^(?:[0-9a-fA-F:.]+|(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$/,
    'must be an IP address or a DNS name',
  );

const hostPortObject = z.strictObject({
  host: ipHostSchema.describe('Bind address (IP literal; 0.0.0.0 or :: for every interface).'),
  port: portSchema.describe('TCP port; 0 picks a free port.'),
});

/** `host:port` text or `{ host, port }`; always `{ host, port }` after parsing. */
export const hostPortSchema = z
  .preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    const r = parseHostPort(value);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.reason });
    return z.NEVER;
  }, hostPortObject)
  .register(docMeta, { type: "'host:port' or { host, port }", acceptsText: true });

const sipListenObject = z.strictObject({
  protocol: z.enum(['udp', 'tcp']).describe('SIP transport.'),
  host: ipHostSchema.describe('Bind address (IP literal; 0.0.0.0 or :: for every interface).'),
  port: portSchema.describe('Port; 0 picks a free port.'),
});

/** `udp:host:port` text or `{ protocol, host, port }`; always the object after parsing. */
export const sipListenSchema = z
  .preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    const r = parseSipListen(value);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.reason });
    return z.NEVER;
  }, sipListenObject)
  .register(docMeta, { type: "'udp|tcp:host:port' or { protocol, host, port }", acceptsText: true });

/**
 * A SIP or SIPS URI (RFC 3261 §19.1.1). Checked for shape only (scheme, optional user part, a host,
 * optional port, params and headers); the SIP layer parses it for real when it sends.
 */
export const sipUriSchema = z
  .string()
  .regex(
    /^sips?:(?:[^@\s;?]+@)?(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?(?:;[^\s?]*)?(?:\?\S*)?$/i,
    "must be a SIP URI such as 'sip:agent@192.0.2.10:5060' or 'sip:gw.example.com;transport=tcp'",
  );

/** A secret: never logged, printed as `***` by `config check`. */
export const secretSchema = z.string().min(1, 'must not be empty');

/** A time span in milliseconds (integer, at least `min`). */
export function millisSchema(min: number, max: number): z.ZodNumber {
  return z.number().int().min(min).max(max);
}
