/**
 * `trunks:` the carriers and IVRs that may send calls (inbound allowlist, optional digest auth)
 * and how to reach them outbound.
 */
import { z } from 'zod';
import { formatCidr, parseCidr, unmapCidr } from '../cidr.js';
import { secretSchema, sipUriSchema } from './common.js';

/** A trunk name is a metrics label value and a log field, so it stays short and plain. */
const TRUNK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const cidrSchema = z.string().superRefine((text, ctx) => {
  const r = parseCidr(text);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `invalid CIDR: ${r.reason}` });
});

const inboundAuthSchema = z.strictObject({
  username: z.string().min(1).describe('Username the trunk must authenticate with (RFC 3261 §22.4).'),
  password: secretSchema.describe('Password for that username. Secret.'),
  realm: z
    .string()
    .min(1)
    .optional()
    .describe('Realm in the challenge (RFC 3261 §22.1); unset uses the Request-URI host.'),
});

const outboundSchema = z
  .strictObject({
    uri: sipUriSchema.describe("Where calls to this trunk go, e.g. 'sip:gw.carrier.example;transport=udp'."),
    username: z.string().min(1).optional().describe('Username for the trunk’s digest challenges.'),
    password: secretSchema.optional().describe('Password for that username. Secret.'),
  })
  .superRefine((o, ctx) => {
    if ((o.username === undefined) !== (o.password === undefined)) {
      const missing = o.username === undefined ? 'username' : 'password';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'username and password go together' });
    }
  });

const trunkSchema = z.strictObject({
  name: z
    .string()
    .regex(
      TRUNK_NAME,
      'must be 1–63 letters, digits, dot, dash or underscore, starting with a letter or digit',
    )
    .describe('Unique trunk name; used in logs and as the metrics trunk label.'),
  addresses: z
    .array(cidrSchema)
    .default(() => [])
    .describe(
      "Source addresses allowed to send requests, as CIDR blocks or single addresses ('203.0.113.0/24', " +
        "'2001:db8::/32', '198.51.100.7'). The most specific block across all trunks wins.",
    ),
  auth: inboundAuthSchema
    .optional()
    .describe('Require digest authentication from this trunk in addition to the address check.'),
  outbound: outboundSchema.optional().describe('How to send calls to this trunk.'),
});

export const trunksSchema = z.array(trunkSchema).superRefine((trunks, ctx) => {
  const byName = new Map<string, number>();
  const byBlock = new Map<string, number>();
  trunks.forEach((t, i) => {
    const first = byName.get(t.name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `'${t.name}' is already trunks[${first}].name`,
      });
    } else {
      byName.set(t.name, i);
    }
    t.addresses.forEach((a, j) => {
      const c = parseCidr(a);
      if (!c.ok) return;
      // The same block in two trunks leaves no most-specific winner: the source would be ambiguous.
      // The IPv4-mapped spelling (`::ffff:192.0.2.0/120`) is the IPv4 block it names, as the
      // trunk matcher reads it.
      const key = formatCidr(unmapCidr(c.value));
      const owner = byBlock.get(key);
      if (owner !== undefined && owner !== i) {
        const block = key === formatCidr(c.value) ? key : `${a} (the IPv4 block ${key})`;
        ctx.addIssue({
          code: 'custom',
          path: [i, 'addresses', j],
          message: `${block} is also in trunks[${owner}] (${trunks[owner]?.name ?? ''}); a source must map to one trunk`,
        });
      } else {
        byBlock.set(key, i);
      }
    });
  });
});
