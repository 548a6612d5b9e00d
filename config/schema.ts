/**
 * The configuration schema: the single source of truth for names, types, defaults, units, docs
 * and cross-field rules of everything Baton reads at start. One file per section under
 * `schema/`; this module composes them and checks the rules that span sections.
 *
 * `{}` is a valid config: every key has a default (embedded engine, SIP on udp+tcp 5060, HTTP on
 * 8080, SQLite under ./data). Imports nothing of Baton's outside `config/`.
 */
import { z } from 'zod';
import { formatPath } from './config-error.js';
import { bindsOverlap, formatHostPort, type HostPort } from './listen-address.js';
import { aiAgentSchema } from './schema/ai-agent.js';
import { engineSchema } from './schema/engine.js';
import { httpSchema } from './schema/http.js';
import { limitsSchema } from './schema/limits.js';
import { loggingSchema } from './schema/logging.js';
import { mediaSchema } from './schema/media.js';
import { securitySchema } from './schema/security.js';
import { shutdownSchema } from './schema/shutdown.js';
import { sipSchema } from './schema/sip.js';
import { storeSchema } from './schema/store.js';
import { transferSchema, transferTrunkIssues } from './schema/transfer.js';
import { trunksSchema } from './schema/trunks.js';

export const configSchema = z
  .strictObject({
    sip: sipSchema
      .prefault({})
      .describe('Where SIP traffic enters: the embedded engine or an external drachtio-server.'),
    engine: engineSchema.prefault({}).describe('The embedded SIP engine (ignored when sip.drachtio is set).'),
    http: httpSchema.prefault({}).describe('Control API, /metrics, /healthz and /readyz.'),
    trunks: trunksSchema
      .default(() => [])
      .describe('Carriers and IVRs allowed to send calls; a source in no trunk is unknown (see security).'),
    aiAgent: aiAgentSchema
      .prefault({})
      .describe('The AI voice agent every inbound call is connected to first.'),
    limits: limitsSchema.prefault({}).describe('Admission control for new calls.'),
    security: securitySchema.prefault({}).describe('Handling of unknown sources, scanners and digest auth.'),
    store: storeSchema
      .prefault({})
      .describe('Store of call records and transfer sessions, and how long ended ones are kept.'),
    logging: loggingSchema.prefault({}).describe('Log output: pino JSON lines on stdout.'),
    shutdown: shutdownSchema.prefault({}).describe('Graceful shutdown on SIGTERM/SIGINT.'),
    transfer: transferSchema
      .prefault({})
      .describe('Transfers from the AI agent to humans, other numbers and back to the IVR.'),
    media: mediaSchema.prefault({}).describe('Media anchoring and prompts (rtpengine), or none.'),
  })
  .superRefine((config, ctx) => {
    // TCP ports the process opens itself; two on the same port would fail at bind time, far from
    // the config line that caused it.
    const binds: Array<{ path: Array<string | number>; at: HostPort }> = [
      { path: ['http', 'listen'], at: config.http.listen },
    ];
    if (config.sip.drachtio === undefined) {
      binds.push({ path: ['engine', 'admin', 'port'], at: config.engine.admin });
      config.sip.listen.forEach((l, i) => {
        if (l.protocol === 'tcp') binds.push({ path: ['sip', 'listen', i], at: l });
      });
    }
    binds.forEach((b, i) => {
      const clash = binds.slice(0, i).find((o) => bindsOverlap(o.at, b.at));
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path: b.path,
          message: `TCP ${formatHostPort(b.at)} is also used by ${formatPath(clash.path)}`,
        });
      }
    });
    for (const issue of transferTrunkIssues(config.transfer, config.trunks)) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
    const trunkNames = new Set(config.trunks.map((t) => t.name));
    config.aiAgent.routes.forEach((route, i) => {
      if (route.trunk !== undefined && !trunkNames.has(route.trunk)) {
        ctx.addIssue({
          code: 'custom',
          path: ['aiAgent', 'routes', i, 'trunk'],
          message: `'${route.trunk}' is not a configured trunk`,
        });
      }
    });
  });

/** The configuration input as written in a file (every key optional). */
export type ConfigInput = z.input<typeof configSchema>;

type DeepReadonly<T> = T extends (infer E)[]
  ? ReadonlyArray<DeepReadonly<E>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The validated, defaulted, frozen configuration every module receives. */
export type Config = DeepReadonly<z.output<typeof configSchema>>;
export type SipConfig = Config['sip'];
export type EngineConfig = Config['engine'];
export type HttpConfig = Config['http'];
export type TrunkConfig = Config['trunks'][number];
export type AiAgentConfig = Config['aiAgent'];
export type LimitsConfig = Config['limits'];
export type SecurityConfig = Config['security'];
export type StoreConfig = Config['store'];
export type LoggingConfig = Config['logging'];
export type ShutdownConfig = Config['shutdown'];
export type TransferConfig = Config['transfer'];
export type TransferTargetConfig = TransferConfig['targets'][string];
export type MediaConfig = Config['media'];
