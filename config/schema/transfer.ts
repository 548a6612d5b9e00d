/**
 * `transfer:` where the AI agent may send a caller (configured targets, plus numbers and URIs that
 * `allow` admits), how (INVITE bridge, REFER, INVITE then BYE, IVR hand-back), with which headers
 * and User-to-User information, and what happens when the far side refuses. The target schemas are
 * in `transfer-target.ts`, the header rules in `transfer-headers.ts`.
 */
import { z } from 'zod';
import { millisSchema } from './common.js';
import { adhocSchema, isE164, TARGET_NAME, TARGET_NAME_RULE, targetSchema } from './transfer-target.js';

/**
 * `allow` patterns: a number with `*` wildcards ('+1*', '+4930*'), or a SIP URI whose user part
 * and host may hold `*` ('sip:*@cc.example.com', 'sip:agent-*@*.cc.example.com').
 */
const NUMBER_PATTERN = /^\+?[0-9*]+$/;
const URI_PATTERN = /^sips?:[A-Za-z0-9*.!~'()&=+$,_%-]+@[A-Za-z0-9*.-]+(?::[0-9]{1,5})?$/i;

export function isNumberPattern(pattern: string): boolean {
  return NUMBER_PATTERN.test(pattern);
}

const allowPatternSchema = z
  .string()
  .refine(
    (p) => isNumberPattern(p) || URI_PATTERN.test(p),
    "must be a number pattern such as '+1*' or a SIP URI pattern such as 'sip:*@cc.example.com'",
  );

export const transferSchema = z
  .strictObject({
    notifyTimeoutMs: millisSchema(1000, 300_000)
      .default(15_000)
      .describe(
        'How long to wait, after the carrier accepts a REFER (202), for the final NOTIFY (RFC 3515 ' +
          '§2.4.4) before treating the transfer as failed (ms).',
      ),
    ringTimeoutMs: millisSchema(1000, 600_000)
      .default(30_000)
      .describe('How long a dialled target may ring before Baton cancels it as no-answer (ms).'),
    referByeGraceMs: millisSchema(0, 30_000)
      .default(2000)
      .describe(
        'After a successful REFER, how long to wait for the carrier’s BYE on the caller’s leg ' +
          'before Baton sends its own (ms).',
      ),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(3)
      .describe('Most targets one transfer tries (count), the first included, following fallback.target.'),
    allow: z
      .array(allowPatternSchema)
      .default(() => [])
      .describe(
        "What the AI agent may name besides configured targets: numbers ('+1*') and SIP URIs " +
          "('sip:*@cc.example.com'), `*` matching any run of characters within a number, user part or " +
          'host. Anything else is refused with 403.',
      ),
    adhoc: adhocSchema
      .prefault({})
      .describe(
        'How a number or URI admitted by allow is transferred (it has no target entry): method, ' +
          'trunk, headers, uui, fallback, onHumanHangup as for targets.',
      ),
    targets: z
      .record(z.string(), targetSchema)
      .default(() => ({}))
      .describe(
        'Named transfer targets; the AI agent names one in Refer-To (sip:<name>@<baton>), ' +
          'X-Transfer-Target or the API. Each: kind, method, destination, trunk, headers, uui, tags, ' +
          'fallback, onHumanHangup.',
      ),
  })
  .superRefine((transfer, ctx) => {
    for (const name of Object.keys(transfer.targets)) {
      if (!TARGET_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: ['targets', name], message: `target name ${TARGET_NAME_RULE}` });
      }
    }
    const next = (name: string): string | undefined => transfer.targets[name]?.fallback.target;
    for (const [name, target] of Object.entries(transfer.targets)) {
      const to = target.fallback.target;
      if (to === undefined) continue;
      const path = ['targets', name, 'fallback', 'target'];
      if (to === name) {
        ctx.addIssue({ code: 'custom', path, message: 'a target cannot fall back to itself' });
      } else if (transfer.targets[to] === undefined) {
        ctx.addIssue({ code: 'custom', path, message: `'${to}' is not a configured target` });
      } else {
        const cycle = fallbackCycle(name, next);
        if (cycle !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `fallback targets form a cycle: ${cycle.join(' → ')}`,
          });
        }
      }
    }
    const adhocTo = transfer.adhoc.fallback.target;
    if (adhocTo !== undefined && transfer.targets[adhocTo] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['adhoc', 'fallback', 'target'],
        message: `'${adhocTo}' is not a configured target`,
      });
    }
    const numberPattern = transfer.allow.findIndex(isNumberPattern);
    if (numberPattern >= 0 && transfer.adhoc.trunk === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['adhoc', 'trunk'],
        message: `required: allow[${numberPattern}] admits numbers, which go out through a trunk`,
      });
    }
  });

/**
 * The fallback chain from `start` when it comes back to `start`, else undefined. Each target has
 * at most one fallback target, so following the chain either ends or loops.
 */
export function fallbackCycle(
  start: string,
  next: (name: string) => string | undefined,
): string[] | undefined {
  const chain = [start];
  for (let at = next(start); at !== undefined; at = next(at)) {
    if (at === start) return [...chain, at];
    // A loop that does not pass through `start` is reported on its own members.
    if (chain.includes(at)) return undefined;
    chain.push(at);
  }
  return undefined;
}

type TransferOutput = z.output<typeof transferSchema>;

/** A trunk as this check needs it (the trunks section's output satisfies it). */
interface TrunkView {
  readonly name: string;
  readonly outbound?: { readonly uri: string } | undefined;
}

/**
 * Rules that span the transfer and trunks sections: every `trunk` names a configured trunk, and a
 * trunk that carries numbers has an outbound URI to send them to.
 */
export function transferTrunkIssues(
  transfer: TransferOutput,
  trunks: readonly TrunkView[],
): Array<{ path: Array<string | number>; message: string }> {
  const byName = new Map(trunks.map((t) => [t.name, t]));
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  const check = (trunk: string | undefined, sendsNumbers: boolean, path: Array<string | number>): void => {
    if (trunk === undefined) return;
    const t = byName.get(trunk);
    if (t === undefined) {
      issues.push({ path, message: `'${trunk}' is not a configured trunk` });
    } else if (sendsNumbers && t.outbound === undefined) {
      issues.push({ path, message: `trunk '${trunk}' has no outbound.uri to send numbers to` });
    }
  };
  for (const [name, target] of Object.entries(transfer.targets)) {
    const sendsNumber = target.destination !== undefined && isE164(target.destination);
    check(target.trunk, sendsNumber, ['transfer', 'targets', name, 'trunk']);
  }
  check(transfer.adhoc.trunk, transfer.allow.some(isNumberPattern), ['transfer', 'adhoc', 'trunk']);
  return issues;
}
