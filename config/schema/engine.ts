/**
 * `engine:` the embedded SIP engine (used when `sip.drachtio` is not set): its control port, which
 * the gateway's drachtio-srf connects to as it would to drachtio-server, its RFC 3261 timers and
 * its message limits.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { isLoopbackHost } from '../listen-address.js';
import { docMeta, ipHostSchema, millisSchema, portSchema, secretSchema } from './common.js';

const adminSchema = z
  .strictObject({
    host: ipHostSchema
      .default('127.0.0.1')
      .describe(
        'Bind address of the control port (drachtio wire protocol). Keep it on loopback unless ' +
          'drachtio-srf apps on other hosts must reach it.',
      ),
    port: portSchema
      .default(9022)
      .describe("Control port (TCP); 9022 is drachtio-server's default admin port, 0 picks a free one."),
    secret: secretSchema
      .optional()
      .describe(
        'Shared secret apps authenticate with. Unset: a random one is generated at each start ' +
          '(fine on loopback, where only this process connects). Required when host is not loopback. Secret.',
      )
      .register(docMeta, { default: 'random, generated at load (32 hex characters)' }),
  })
  .superRefine((admin, ctx) => {
    if (admin.secret === undefined && !isLoopbackHost(admin.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: `required when engine.admin.host (${admin.host}) is not a loopback address`,
      });
    }
  })
  .transform((admin) => ({ ...admin, secret: admin.secret ?? randomBytes(16).toString('hex') }));

/** RFC 3261 §17.1.1.1 base values; every transaction timer (A–K) derives from these three. */
const sipTimersSchema = z
  .strictObject({
    t1Ms: millisSchema(10, 60_000)
      .default(500)
      .describe('T1, the round-trip estimate (ms); RFC 3261 §17.1.1.1 recommends 500.'),
    t2Ms: millisSchema(10, 600_000)
      .default(4000)
      .describe('T2, the longest retransmit interval for non-INVITE requests and INVITE responses (ms).'),
    t4Ms: millisSchema(10, 600_000)
      .default(5000)
      .describe('T4, the longest time a message stays in the network (ms); Timers I and K wait this long.'),
  })
  .superRefine((t, ctx) => {
    if (t.t2Ms < t.t1Ms) {
      ctx.addIssue({ code: 'custom', path: ['t2Ms'], message: `must not be below t1Ms (${t.t1Ms})` });
    }
  });

/** Limits a message must fit, checked by the parser before anything else reads it. */
const sipLimitsSchema = z.strictObject({
  maxMessageBytes: z
    .number()
    .int()
    .min(1500)
    .max(1_048_576)
    .default(65_535)
    .describe('Largest SIP message accepted, in bytes; larger → 513 Message Too Large (RFC 3261 §21.5.14).'),
  maxHeaders: z
    .number()
    .int()
    .min(16)
    .max(4096)
    .default(256)
    .describe('Most header lines in one message (count); more → 400.'),
  maxUriLength: z
    .number()
    .int()
    .min(64)
    .max(65_535)
    .default(4096)
    .describe('Longest Request-URI, in characters; longer → 414 (RFC 3261 §21.4.12).'),
  maxHeaderLineBytes: z
    .number()
    .int()
    .min(256)
    .max(1_048_576)
    .default(16_384)
    .describe('Longest single header line after unfolding, in bytes; longer → 400.'),
});

export const engineSchema = z.strictObject({
  admin: adminSchema.prefault({}).describe('The control port drachtio-srf connects to.'),
  sipTimers: sipTimersSchema.prefault({}).describe('RFC 3261 base timers.'),
  sipLimits: sipLimitsSchema.prefault({}).describe('Message size limits.'),
});
