/**
 * One transfer target (`transfer.targets.<name>`), the settings for numbers and URIs `allow` admits
 * (`transfer.adhoc`), and the per-call overrides a trigger may carry: kind, method, destination,
 * trunk, headers, User-to-User information, IVR tags and the fallback.
 */
import { z } from 'zod';
import { docMeta, sipUriSchema } from './common.js';
import { MAX_HEADER_VALUE_LENGTH, transferHeadersSchema, UUI_HEADER_NAMES } from './transfer-headers.js';

/** An E.164 number (ITU-T E.164: up to 15 digits) with its `+`, e.g. '+14155550100'. */
const E164 = /^\+[1-9][0-9]{1,14}$/;

export function isE164(text: string): boolean {
  return E164.test(text);
}

/** A target name is the user part of a Refer-To URI (`sip:support@baton`) and a log field. */
export const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const TARGET_NAME_RULE =
  'must be 1–63 letters, digits, dot, dash or underscore, starting with a letter or digit';

/** RFC 7433 §4.1: `purpose` and `content` values are tokens. */
const UUI_TOKEN = /^[A-Za-z0-9.!%*_+`'~-]{1,64}$/;

/** Fields of `uui` without defaults, so a per-call override can leave any of them out. */
const uuiFields = {
  data: z
    .string()
    .min(1)
    .max(MAX_HEADER_VALUE_LENGTH)
    .describe(
      "The information to pass, as a template ('{{conversationId}}'); Baton encodes it. " +
        'Text is sent as its UTF-8 bytes.',
    ),
  encoding: z
    .enum(['hex', 'ascii'])
    .describe(
      'hex (RFC 7433 §4.1, the only registered encoding: every byte as two hex digits) or ascii ' +
        '(printable text as is, quoted when it is not a token; a vendor extension Genesys and Avaya read).',
    ),
  purpose: z
    .string()
    .regex(UUI_TOKEN, 'must be a token (RFC 7433 §4.1)')
    .describe("The UUI package, the 'purpose' parameter (RFC 7433 §4.1), e.g. isdn-uui (RFC 7434)."),
  content: z
    .string()
    .regex(UUI_TOKEN, 'must be a token (RFC 7433 §4.1)')
    .describe("What the data is, the 'content' parameter (RFC 7433 §4.1), e.g. isdn-uui."),
  placement: z
    .enum(['header', 'refer-to-uri'])
    .describe(
      'header: a header on the INVITE or REFER; refer-to-uri: embedded in the Refer-To URI ' +
        "('?User-to-User=…%3Bencoding%3Dhex', RFC 3261 §19.1.1), for method refer only.",
    ),
  headerName: z
    .enum(UUI_HEADER_NAMES)
    .describe('Header name, sent with exactly this case (Genesys ignores User-To-User).'),
  protocolDiscriminator: z
    .number()
    .int()
    .min(0)
    .max(255)
    .describe(
      'ISDN protocol discriminator octet put before the data (Q.931 §4.5.30; RFC 7434), e.g. 0 ' +
        '(user-specific) or 4 (IA5 text). Genesys drops the first octet of a plain User-to-User. Hex only.',
    ),
  maxOctets: z
    .number()
    .int()
    .min(1)
    .max(512)
    .describe(
      'Most bytes of data (before encoding, without the discriminator); longer data is left out ' +
        'and logged, the transfer goes on. 128 is the ISDN user-user limit (Q.931 §4.5.30) that ' +
        'RFC 7434 interworks with.',
    ),
};

function uuiRules(uui: { encoding?: string; protocolDiscriminator?: number }, ctx: z.RefinementCtx): void {
  if (uui.protocolDiscriminator !== undefined && uui.encoding === 'ascii') {
    ctx.addIssue({
      code: 'custom',
      path: ['protocolDiscriminator'],
      message: 'a protocol discriminator is a raw octet: it needs encoding hex',
    });
  }
}

export const uuiSchema = z
  .strictObject({
    data: uuiFields.data,
    encoding: uuiFields.encoding.default('hex'),
    purpose: uuiFields.purpose.optional(),
    content: uuiFields.content.optional(),
    placement: uuiFields.placement.default('header'),
    headerName: uuiFields.headerName.default('User-to-User'),
    protocolDiscriminator: uuiFields.protocolDiscriminator.optional(),
    maxOctets: uuiFields.maxOctets.default(128),
  })
  .superRefine(uuiRules);

export type UuiConfig = z.output<typeof uuiSchema>;

/** A per-call UUI override: any field, merged over the target's `uui`. */
export const uuiOverrideSchema = z.strictObject(uuiFields).partial().superRefine(uuiRules);

/** What the AI agent is told to resume at; goes out as a header value, so it stays a short token. */
const FALLBACK_NODE = /^[A-Za-z0-9 ._:/-]{1,128}$/;

const fallbackFields = {
  prompt: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[^\r\n\0]+$/, 'must be one line')
    .describe(
      'Audio the caller hears first (a file or URL the media layer plays); skipped, with a log ' +
        'line, when no media layer is configured.',
    ),
  action: z
    .enum(['return-to-agent', 'target', 'hangup'])
    .describe(
      'return-to-agent: the caller goes back to the AI agent (its leg resumed, or a new INVITE ' +
        'carrying X-Baton-Fallback-Node, X-Baton-Transfer-Status and X-Baton-Transfer-Reason); ' +
        'target: try fallback.target; hangup: end the call politely.',
    ),
  node: z
    .string()
    .regex(FALLBACK_NODE, 'must be 1–128 letters, digits, space or ._:/-')
    .describe('Where the AI agent should resume (action return-to-agent), sent as X-Baton-Fallback-Node.'),
  target: z
    .string()
    .regex(TARGET_NAME, TARGET_NAME_RULE)
    .describe('The configured target tried next (action target); not the target itself, and no cycles.'),
};

function fallbackRules(f: { action?: string; node?: string; target?: string }, ctx: z.RefinementCtx): void {
  if (f.action === 'target' && f.target === undefined) {
    ctx.addIssue({ code: 'custom', path: ['target'], message: 'required when action is target' });
  }
  if (f.target !== undefined && f.action !== 'target') {
    ctx.addIssue({ code: 'custom', path: ['target'], message: 'only used when action is target' });
  }
  if (f.node !== undefined && f.action !== 'return-to-agent') {
    ctx.addIssue({ code: 'custom', path: ['node'], message: 'only used when action is return-to-agent' });
  }
}

export const fallbackSchema = z
  .strictObject({
    prompt: fallbackFields.prompt.optional(),
    action: fallbackFields.action.default('return-to-agent'),
    node: fallbackFields.node.optional(),
    target: fallbackFields.target.optional(),
  })
  .superRefine(fallbackRules);

export type FallbackConfig = z.output<typeof fallbackSchema>;

export const transferMethodSchema = z.enum(['invite', 'refer', 'bye']);
export type TransferMethodConfig = z.output<typeof transferMethodSchema>;

export const TARGET_KINDS = ['internal', 'external', 'ivr'] as const;
export type TargetKindConfig = (typeof TARGET_KINDS)[number];

/** The method a target uses when none is configured. */
export function defaultMethod(kind: TargetKindConfig): TransferMethodConfig {
  return kind === 'ivr' ? 'bye' : 'invite';
}

const onHumanHangupSchema = z
  .enum(['hangup', 'return-to-agent'])
  .describe(
    'After a bridged call (method invite or bye), when the human hangs up: end the call, or return ' +
      'the caller to the AI agent (the session goes to post_agent).',
  );

/** What a target and `adhoc` share. */
const deliveryFields = {
  trunk: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A configured trunk: where an E.164 destination is sent (its outbound.uri host), and the ' +
        'credentials for a REFER or INVITE the carrier challenges (401/407).',
    ),
  headers: transferHeadersSchema
    .default(() => ({}))
    .describe(
      "Extra headers on the INVITE or REFER, name → template ('{{vars.intent}}', '{{call.from.user}}'). " +
        'Names keep their case; Via, From, To, Call-ID, CSeq, Contact, Route, Record-Route, Content-* and ' +
        'the other headers Baton builds are refused; values one line, at most ' +
        `${MAX_HEADER_VALUE_LENGTH} characters.`,
    ),
  headersInReferTo: z
    .boolean()
    .default(false)
    .describe(
      'Method refer: embed headers in the Refer-To URI (?X-Intent=…, RFC 3261 §19.1.5) so the carrier ' +
        'copies them into its INVITE to the target, instead of sending them on the REFER itself.',
    ),
  uui: uuiSchema.optional().describe('User-to-User information (RFC 7433) to pass to the target.'),
  fallback: fallbackSchema
    .prefault({})
    .describe(
      'What happens when the transfer fails (REFER rejected, final status ≥ 300, ring or NOTIFY ' +
        'timeout): the caller stays connected, hears the prompt, then the action runs.',
    ),
  onHumanHangup: onHumanHangupSchema.default('hangup'),
};

type DeliveryInput = {
  headers: Record<string, string>;
  headersInReferTo: boolean;
  uui?: { placement: string; headerName: string };
  onHumanHangup: string;
};

function deliveryRules(t: DeliveryInput, method: TransferMethodConfig, ctx: z.RefinementCtx): void {
  if (t.headersInReferTo && method !== 'refer') {
    ctx.addIssue({ code: 'custom', path: ['headersInReferTo'], message: 'needs method refer' });
  }
  if (t.uui?.placement === 'refer-to-uri' && method !== 'refer') {
    ctx.addIssue({
      code: 'custom',
      path: ['uui', 'placement'],
      message: 'refer-to-uri needs method refer (there is no Refer-To otherwise)',
    });
  }
  if (t.uui !== undefined) {
    for (const name of Object.keys(t.headers)) {
      if ((UUI_HEADER_NAMES as readonly string[]).some((u) => u.toLowerCase() === name.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'set by uui; configure it there' });
      }
    }
  }
  if (t.onHumanHangup === 'return-to-agent' && method === 'refer') {
    ctx.addIssue({
      code: 'custom',
      path: ['onHumanHangup'],
      message: 'after a REFER Baton is no longer in the call, so it cannot return the caller',
    });
  }
}

export const targetSchema = z
  .strictObject({
    kind: z
      .enum(TARGET_KINDS)
      .describe(
        'internal: an agent in the same contact centre or PBX (INVITE); external: a number or SIP ' +
          'endpoint elsewhere (INVITE, REFER or BYE); ivr: hand the caller back to the IVR that sent it.',
      ),
    method: transferMethodSchema
      .optional()
      .describe(
        'invite: dial the target and bridge, Baton stays in the path; refer: REFER the caller’s leg ' +
          '(RFC 3515) and follow its NOTIFYs; bye: dial, bridge and release the AI leg with BYE. ' +
          'For kind ivr: bye (BYE with the tags) or refer. internal allows invite only.',
      )
      .register(docMeta, { default: 'invite (kind ivr: bye)' }),
    destination: z
      .union([
        sipUriSchema,
        z.string().regex(E164, 'must be a SIP URI or an E.164 number such as +14155550100'),
      ])
      .optional()
      .describe(
        "Where the caller goes: a SIP URI ('sip:queue-support@cc.example.com') or an E.164 number " +
          "('+14155550100', sent through trunk). Not used for kind ivr with method bye.",
      ),
    tags: transferHeadersSchema
      .default(() => ({}))
      .describe(
        'Kind ivr: headers on the BYE or REFER to the IVR so it can count containment, ' +
          "e.g. { X-Transfer-Tag: 'billing' }.",
      ),
    ...deliveryFields,
  })
  .superRefine((t, ctx) => {
    const method = t.method ?? defaultMethod(t.kind);
    if (t.kind === 'internal' && method !== 'invite') {
      ctx.addIssue({ code: 'custom', path: ['method'], message: 'kind internal transfers by invite' });
    }
    if (t.kind === 'ivr' && method === 'invite') {
      ctx.addIssue({ code: 'custom', path: ['method'], message: 'kind ivr hands back by bye or refer' });
    }
    const handBackByBye = t.kind === 'ivr' && method === 'bye';
    if (handBackByBye && t.destination !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['destination'],
        message: 'a BYE hand-back goes to the IVR leg itself; remove destination (or use method refer)',
      });
    }
    if (!handBackByBye && t.destination === undefined) {
      ctx.addIssue({ code: 'custom', path: ['destination'], message: 'required' });
    }
    if (t.destination !== undefined && E164.test(t.destination) && t.trunk === undefined) {
      ctx.addIssue({ code: 'custom', path: ['trunk'], message: 'required to send a number' });
    }
    if (t.kind !== 'ivr' && Object.keys(t.tags).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['tags'], message: 'only for kind ivr (use headers)' });
    }
    if (t.kind === 'ivr' && t.onHumanHangup === 'return-to-agent') {
      ctx.addIssue({ code: 'custom', path: ['onHumanHangup'], message: 'a hand-back has no human leg' });
    }
    deliveryRules(t, method, ctx);
  })
  .transform((t) => ({ ...t, method: t.method ?? defaultMethod(t.kind) }));

export const adhocSchema = z
  .strictObject({
    method: transferMethodSchema
      .default('invite')
      .describe('How to transfer to an allowed number or URI: invite, refer or bye (see targets).'),
    ...deliveryFields,
  })
  .superRefine((a, ctx) => deliveryRules(a, a.method, ctx));

/**
 * A per-call override, from the trigger's X-headers or the API body. What the target is and
 * where it goes are not overridable: a different destination is a different target, named
 * through `target` and checked against the configuration and `allow`.
 */
export const targetOverrideSchema = z.strictObject({
  method: transferMethodSchema.optional(),
  headers: transferHeadersSchema.optional(),
  headersInReferTo: z.boolean().optional(),
  uui: uuiOverrideSchema.optional(),
  // Checked against fallbackSchema once merged over the target's fallback (a lone node is fine then).
  fallback: z.strictObject(fallbackFields).partial().optional(),
});

export type TargetOverride = z.output<typeof targetOverrideSchema>;
