/**
 * `sip:` where SIP traffic enters: the embedded engine's listeners, or an external
 * drachtio-server the gateway connects to instead. Exactly one of the two is in effect.
 */
import { z } from 'zod';
import { bindsOverlap, type SipListen } from '../listen-address.js';
import { docMeta, portSchema, remoteHostSchema, secretSchema, sipListenSchema } from './common.js';

/** udp and tcp on every IPv4 interface, port 5060 (RFC 3261 §19.1.2 default port). */
const DEFAULT_SIP_LISTEN: readonly SipListen[] = [
  { protocol: 'udp', host: '0.0.0.0', port: 5060 },
  { protocol: 'tcp', host: '0.0.0.0', port: 5060 },
];

const drachtioSchema = z.strictObject({
  host: remoteHostSchema.default('127.0.0.1').describe('Host of the drachtio-server admin (control) port.'),
  port: portSchema.min(1).default(9022).describe('drachtio-server admin port (TCP).'),
  secret: secretSchema.describe(
    "Shared secret of the drachtio-server admin port (its `<admin secret='…'>`). Required. Secret.",
  ),
});

export type DrachtioTarget = z.output<typeof drachtioSchema>;

export const sipSchema = z
  .strictObject({
    listen: z
      .array(sipListenSchema)
      .optional()
      .describe(
        "SIP listeners of the embedded engine, as 'udp|tcp:host:port' (IPv6 host in brackets). " +
          'Leave unset when sip.drachtio is set.',
      )
      .register(docMeta, {
        default: "['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060'] (none when sip.drachtio is set)",
      }),
    drachtio: drachtioSchema
      .optional()
      .describe(
        'Connect to an external drachtio-server instead of running the embedded engine ' +
          '(its SIP listeners are then configured in drachtio-server itself).',
      ),
  })
  .superRefine((sip, ctx) => {
    if (sip.drachtio !== undefined && sip.listen !== undefined && sip.listen.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['drachtio'],
        message:
          'set either sip.listen (embedded engine) or sip.drachtio (external drachtio-server), not both',
      });
    }
    if (sip.drachtio === undefined && sip.listen?.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen'],
        message: 'the embedded engine needs at least one listener (or set sip.drachtio)',
      });
    }
    const listen = sip.listen ?? [];
    listen.forEach((a, i) => {
      const j = listen.findIndex((b, k) => k < i && b.protocol === a.protocol && bindsOverlap(a, b));
      if (j >= 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['listen', i],
          message: `${a.protocol} port ${a.port} is already bound by sip.listen[${j}]`,
        });
      }
    });
  })
  .transform((sip): { listen: SipListen[]; drachtio?: DrachtioTarget } => {
    if (sip.drachtio !== undefined) return { listen: [], drachtio: sip.drachtio };
    return { listen: sip.listen ?? DEFAULT_SIP_LISTEN.map((l) => ({ ...l })) };
  });
