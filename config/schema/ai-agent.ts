/**
 * `aiAgent:` where every inbound call is sent first (one agent, or one per dialed number or trunk
 * with `routes`), and what the caller hears when that fails.
 */
import { z } from 'zod';
import { millisSchema, sipUriSchema } from './common.js';

/** RFC 3261 §25.1 `token`: the characters a header name may use. */
const HEADER_NAME = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/**
 * Headers the B2BUA builds itself on every request (RFC 3261 §8.1.1, §20); a configured value
 * would either be overwritten or break the dialog, so they are refused up front.
 */
const RESERVED_HEADERS = new Set(
  [
    'via',
    'from',
    'to',
    'call-id',
    'cseq',
    'contact',
    'max-forwards',
    'content-length',
    'content-type',
    'route',
    'record-route',
  ].map((h) => h.toLowerCase()),
);

const headersSchema = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `'${name}' is not a valid SIP header name` });
    } else if (RESERVED_HEADERS.has(name.toLowerCase())) {
      ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by the gateway itself` });
    }
  }
});

const onFailureSchema = z.strictObject({
  status: z
    .number()
    .int()
    .min(400)
    .max(699)
    .default(503)
    .describe('Final status sent to the caller when the AI agent cannot be reached or refuses the call.'),
  reason: z
    .string()
    .regex(/^[^\r\n]*$/, 'must be one line')
    .optional()
    .describe('Reason phrase for that status; unset uses the standard phrase (e.g. Service Unavailable).'),
});

/**
 * A dialed-number pattern: the user part as dialed, `*` standing for any run of characters.
 * Whitespace, `@` and `;` cannot be in a user part as Baton compares it (see agent-routes.ts).
 */
const dialedSchema = z
  .string()
  .regex(/^[^\s@;]{1,64}$/, "must be 1–64 characters without spaces, '@' or ';', e.g. '+4930*'");

const routeSchema = z
  .strictObject({
    trunk: z.string().min(1).optional().describe('Only calls that came in on this trunk (a name in trunks).'),
    dialed: dialedSchema
      .optional()
      .describe(
        "Only calls to numbers matching this pattern: the Request-URI user (To's when the Request-URI " +
          "has none), `*` for any run of characters, e.g. '+4930*' or '0800123456'.",
      ),
    uri: sipUriSchema.describe('Request-URI of the AI agent these calls go to.'),
    headers: headersSchema
      .optional()
      .describe(
        'Extra headers for these calls, added to aiAgent.headers (a name given here replaces the ' +
          'same name there); same placeholders.',
      ),
  })
  .superRefine((route, ctx) => {
    if (route.trunk === undefined && route.dialed === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs trunk or dialed (or both); calls that match no route go to aiAgent.uri',
      });
    }
  });

export const aiAgentSchema = z.strictObject({
  uri: sipUriSchema
    .default('sip:agent@127.0.0.1:5070')
    .describe(
      'Request-URI of the AI agent every inbound call is connected to first (unless a route matches).',
    ),
  routes: z
    .array(routeSchema)
    .default(() => [])
    .describe(
      'Agents per dialed number or trunk, tried in order: the first route whose trunk and dialed both ' +
        'match (an absent one matches anything) takes the call; no match uses uri.',
    ),
  headers: headersSchema
    .default(() => ({}))
    .describe(
      "Extra headers on the INVITE to the agent: name → value template ('{{call.id}}' style " +
        'placeholders are filled per call).',
    ),
  answerTimeoutMs: millisSchema(1000, 300_000)
    .default(15_000)
    .describe('How long to wait for the agent to answer before giving up on it (ms).'),
  onFailure: onFailureSchema
    .prefault({})
    .describe('Answer to the caller when the agent leg fails (no answer, error, unreachable).'),
});
