/**
 * The SQLite schema, as numbered migrations. `schema_version` holds the number applied; opening
 * applies the missing ones in one transaction. A migration once released is never edited: a
 * change is a new entry. Column names are the wire fields (record-codec.ts) in snake_case.
 */
import type { CallWire, TransferWire } from './record-codec.js';

/** Column of each call wire field (the compiler checks that every field has one). */
export const CALL_COLUMNS: Readonly<Record<keyof CallWire, string>> = {
  id: 'id',
  conversationId: 'conversation_id',
  trunk: 'trunk',
  callerUri: 'caller_uri',
  callerUser: 'caller_user',
  calleeUri: 'callee_uri',
  calleeUser: 'callee_user',
  source: 'source',
  instanceId: 'instance_id',
  state: 'state',
  result: 'result',
  startedAt: 'started_at',
  answeredAt: 'answered_at',
  endedAt: 'ended_at',
  endReason: 'end_reason',
  sipStatus: 'sip_status',
};

/** Column of each transfer-session wire field; `vars` and `history` hold JSON text. */
export const TRANSFER_COLUMNS: Readonly<Record<keyof TransferWire, string>> = {
  id: 'id',
  callId: 'call_id',
  target: 'target',
  mode: 'mode',
  state: 'state',
  outcome: 'outcome',
  failureReason: 'failure_reason',
  sipStatus: 'sip_status',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  endedAt: 'ended_at',
  vars: 'vars',
  history: 'history',
};

/**
 * Migration N (1-based) brings the schema from version N-1 to N. Listing indexes end in the sort
 * key (time, then id) so a filtered, ordered, limited list is one index walk; the partial
 * `ended` indexes serve purgeEnded. Enumerations are not CHECK-constrained: adding a state
 * would need a table rebuild in SQLite, and the codec validates every row read.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    trunk TEXT,
    caller_uri TEXT NOT NULL,
    caller_user TEXT,
    callee_uri TEXT NOT NULL,
    callee_user TEXT,
    source TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    state TEXT NOT NULL,
    result TEXT,
    started_at INTEGER NOT NULL,
    answered_at INTEGER,
    ended_at INTEGER,
    end_reason TEXT,
    sip_status INTEGER
  ) STRICT;
  CREATE INDEX calls_by_start ON calls (started_at, id);
  CREATE INDEX calls_by_state ON calls (state, started_at, id);
  CREATE INDEX calls_by_instance ON calls (instance_id, started_at, id);
  CREATE INDEX calls_ended ON calls (ended_at) WHERE state = 'ended';

  CREATE TABLE transfer_sessions (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    target TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT,
    failure_reason TEXT,
    sip_status INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ended_at INTEGER,
    vars TEXT NOT NULL,
    history TEXT NOT NULL
  ) STRICT;
  CREATE INDEX transfer_sessions_by_creation ON transfer_sessions (created_at, id);
  CREATE INDEX transfer_sessions_by_state ON transfer_sessions (state, created_at, id);
  CREATE INDEX transfer_sessions_by_call ON transfer_sessions (call_id, created_at, id);
  CREATE INDEX transfer_sessions_ended ON transfer_sessions (ended_at) WHERE state = 'ended';
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** `INSERT … ON CONFLICT DO UPDATE` with one named parameter per wire field. */
export function upsertSql(table: string, columns: Readonly<Record<string, string>>): string {
  const fields = Object.keys(columns);
  const cols = fields.map((f) => columns[f]);
  const updates = cols.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`);
  return (
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${fields.map((f) => `@${f}`).join(', ')}) ` +
    `ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`
  );
}

/** `SELECT` list giving each column back under its wire name. */
export function selectList(columns: Readonly<Record<string, string>>): string {
  return Object.entries(columns)
    .map(([field, column]) => (field === column ? column : `${column} AS ${field}`))
    .join(', ');
}
