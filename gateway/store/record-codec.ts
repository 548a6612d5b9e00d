/**
 * Records ⇄ their stored ("wire") form, shared by both adapters: flat objects with timestamps
 * as epoch milliseconds and null for an absent field. SQLite keeps one column per wire field
 * (vars and history as JSON text); Redis keeps the wire object as JSON. Both directions
 * validate: a bad record from a caller is `store-invalid-argument`, a bad one read back is
 * `store-corrupt`. Unknown fields are ignored on read, so an older instance sharing a Redis
 * with a newer one can still read its records.
 */
import { z } from 'zod';
import {
  CALL_RESULTS,
  CALL_STATES,
  StoreError,
  TRANSFER_MODES,
  TRANSFER_OUTCOMES,
  TRANSFER_STATES,
  type CallRecord,
  type CallResult,
  type PartyRecord,
  type StoreErrorCode,
  type TransferHistoryEntry,
  type TransferSessionRecord,
} from './store-port.js';

/** Latest time a JavaScript Date can hold (ECMA-262 §21.4.1.1). */
const MAX_EPOCH_MS = 8.64e15;
const epochMs = z.number().int().min(0).max(MAX_EPOCH_MS);
const sipStatus = z.number().int().min(100).max(699);

const callResult = z.custom<CallResult>(
  (v) => typeof v === 'string' && CALL_RESULTS.includes(v as CallResult),
);

/** `vars`: an object of strings. Checked by hand because zod drops a `__proto__` key, and vars are data. */
const stringRecord = z.custom<Record<string, string>>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string'),
  'must be an object of strings',
);

const callWireSchema = z.object({
  id: z.string().min(1),
  conversationId: z.string(),
  trunk: z.string().nullable(),
  callerUri: z.string(),
  callerUser: z.string().nullable(),
  calleeUri: z.string(),
  calleeUser: z.string().nullable(),
  source: z.string(),
  instanceId: z.string(),
  state: z.enum(CALL_STATES),
  result: callResult.nullable(),
  startedAt: epochMs,
  answeredAt: epochMs.nullable(),
  endedAt: epochMs.nullable(),
  endReason: z.string().nullable(),
  sipStatus: sipStatus.nullable(),
});

export type CallWire = z.infer<typeof callWireSchema>;

const historyEntrySchema = z.object({
  state: z.enum(TRANSFER_STATES),
  at: epochMs,
  detail: z.string().optional(),
});

type HistoryEntryWire = z.infer<typeof historyEntrySchema>;

const transferWireSchema = z.object({
  id: z.string().min(1),
  callId: z.string(),
  target: z.string(),
  mode: z.enum(TRANSFER_MODES),
  state: z.enum(TRANSFER_STATES),
  outcome: z.enum(TRANSFER_OUTCOMES).nullable(),
  failureReason: z.string().nullable(),
  sipStatus: sipStatus.nullable(),
  createdAt: epochMs,
  updatedAt: epochMs,
  endedAt: epochMs.nullable(),
  vars: stringRecord,
  history: z.array(historyEntrySchema),
});

export type TransferWire = z.infer<typeof transferWireSchema>;

export function encodeCall(record: CallRecord): CallWire {
  const wire: CallWire = {
    id: record.id,
    conversationId: record.conversationId,
    trunk: record.trunk,
    callerUri: record.caller.uri,
    callerUser: record.caller.user ?? null,
    calleeUri: record.callee.uri,
    calleeUser: record.callee.user ?? null,
    source: record.source,
    instanceId: record.instanceId,
    state: record.state,
    result: record.result ?? null,
    startedAt: record.startedAt.getTime(),
    answeredAt: record.answeredAt?.getTime() ?? null,
    endedAt: record.endedAt?.getTime() ?? null,
    endReason: record.endReason ?? null,
    sipStatus: record.sipStatus ?? null,
  };
  // The types already promise this; the check catches untyped callers and invalid Dates.
  return validate(callWireSchema, wire, 'store-invalid-argument', `call ${record.id}`, endedRule);
}

export function decodeCall(stored: unknown, what: string): CallRecord {
  const w = validate(callWireSchema, stored, 'store-corrupt', what, endedRule);
  const fields = {
    id: w.id,
    conversationId: w.conversationId,
    trunk: w.trunk,
    caller: party(w.callerUri, w.callerUser),
    callee: party(w.calleeUri, w.calleeUser),
    source: w.source,
    instanceId: w.instanceId,
    startedAt: new Date(w.startedAt),
    ...(w.answeredAt !== null && { answeredAt: new Date(w.answeredAt) }),
    ...(w.endReason !== null && { endReason: w.endReason }),
    ...(w.sipStatus !== null && { sipStatus: w.sipStatus }),
  };
  if (w.state !== 'ended') return { ...fields, state: w.state };
  // endedRule guarantees both for an ended record.
  return { ...fields, state: 'ended', result: w.result!, endedAt: new Date(w.endedAt!) };
}

export function encodeTransferSession(session: TransferSessionRecord): TransferWire {
  const wire: TransferWire = {
    id: session.id,
    callId: session.callId,
    target: session.target,
    mode: session.mode,
    state: session.state,
    outcome: session.outcome ?? null,
    failureReason: session.failureReason ?? null,
    sipStatus: session.sipStatus ?? null,
    createdAt: session.createdAt.getTime(),
    updatedAt: session.updatedAt.getTime(),
    endedAt: session.endedAt?.getTime() ?? null,
    vars: { ...session.vars },
    history: session.history.map(encodeHistoryEntry),
  };
  return validate(
    transferWireSchema,
    wire,
    'store-invalid-argument',
    `transfer session ${session.id}`,
    endedOutcomeRule,
  );
}

export function decodeTransferSession(stored: unknown, what: string): TransferSessionRecord {
  const w = validate(transferWireSchema, stored, 'store-corrupt', what, endedOutcomeRule);
  const fields = {
    id: w.id,
    callId: w.callId,
    target: w.target,
    mode: w.mode,
    createdAt: new Date(w.createdAt),
    updatedAt: new Date(w.updatedAt),
    // fromEntries defines keys as own data properties, so a `__proto__` var stays a var.
    vars: Object.fromEntries(Object.entries(w.vars)),
    history: w.history.map(decodeHistoryEntry),
    ...(w.failureReason !== null && { failureReason: w.failureReason }),
    ...(w.sipStatus !== null && { sipStatus: w.sipStatus }),
  };
  if (w.state !== 'ended') return { ...fields, state: w.state };
  return { ...fields, state: 'ended', outcome: w.outcome!, endedAt: new Date(w.endedAt!) };
}

/** `JSON.parse` of a stored value; unparsable text is `store-corrupt`. */
export function parseStoredJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new StoreError('store-corrupt', `${what} is not valid JSON`, { cause: err });
  }
}

/** Reject a limit that is not a non-negative integer. */
export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new StoreError('store-invalid-argument', `limit must be a non-negative integer, not ${limit}`);
  }
}

function encodeHistoryEntry(entry: TransferHistoryEntry): HistoryEntryWire {
  return {
    state: entry.state,
    at: entry.at.getTime(),
    ...(entry.detail !== undefined && { detail: entry.detail }),
  };
}

function decodeHistoryEntry(entry: HistoryEntryWire): TransferHistoryEntry {
  return {
    state: entry.state,
    at: new Date(entry.at),
    ...(entry.detail !== undefined && { detail: entry.detail }),
  };
}

function party(uri: string, user: string | null): PartyRecord {
  return user === null ? { uri } : { uri, user };
}

/** An ended call has a result and an end time; a call in progress has neither. */
function endedRule(w: CallWire): string | undefined {
  const ended = w.state === 'ended';
  if (ended !== (w.result !== null)) return ended ? 'ended without a result' : 'result set before the end';
  if (ended !== (w.endedAt !== null)) return ended ? 'ended without endedAt' : 'endedAt set before the end';
  return undefined;
}

/** An ended transfer session has an outcome and an end time; an active one has neither. */
function endedOutcomeRule(w: TransferWire): string | undefined {
  const ended = w.state === 'ended';
  if (ended !== (w.outcome !== null))
    return ended ? 'ended without an outcome' : 'outcome set before the end';
  if (ended !== (w.endedAt !== null)) return ended ? 'ended without endedAt' : 'endedAt set before the end';
  return undefined;
}

function validate<T>(
  schema: z.ZodType<T>,
  value: unknown,
  code: StoreErrorCode,
  what: string,
  rule: (parsed: T) => string | undefined,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`);
    throw new StoreError(code, `${what} is invalid: ${issues.join('; ')}`);
  }
  const broken = rule(parsed.data);
  if (broken !== undefined) throw new StoreError(code, `${what} is invalid: ${broken}`);
  return parsed.data;
}
