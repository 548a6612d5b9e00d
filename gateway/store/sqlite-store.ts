/**
 * The store on one machine: a SQLite file through better-sqlite3. The driver is synchronous, so
 * every method runs one short prepared statement (or one small transaction) and returns a
 * settled promise; nothing here scans without an index. WAL mode lets readers (an operator's
 * `sqlite3` shell, a backup) work beside the writer.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  checkLimit,
  decodeCall,
  decodeTransferSession,
  encodeCall,
  encodeTransferSession,
  parseStoredJson,
} from './record-codec.js';
import {
  CALL_COLUMNS,
  MIGRATIONS,
  SCHEMA_VERSION,
  TRANSFER_COLUMNS,
  selectList,
  upsertSql,
} from './sqlite-schema.js';
import {
  StoreError,
  type CallListFilter,
  type CallRecord,
  type PurgeResult,
  type Store,
  type TransferSessionListFilter,
  type TransferSessionRecord,
} from './store-port.js';

export interface SqliteStoreOptions {
  /** Database file (its folder is created when missing), or `:memory:` for a private in-memory database. */
  readonly path: string;
  /** How long a write waits for another connection's lock before failing (SQLite busy timeout). */
  readonly busyTimeoutMs?: number;
}

export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 2000;

/** SQLite result codes (extended codes start with these) that mean "cannot do I/O now". */
const UNAVAILABLE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_PERM',
  'SQLITE_NOMEM',
];

/** An open database with its prepared statements. */
interface OpenDatabase {
  db: Database.Database;
  putCall: Database.Statement<[Record<string, unknown>]>;
  getCall: Database.Statement<[string]>;
  putTransfer: Database.Statement<[Record<string, unknown>]>;
  getTransfer: Database.Statement<[string]>;
  purgeCalls: Database.Statement<[number]>;
  purgeTransfers: Database.Statement<[number]>;
  /** List statements by the set of filters they apply (prepared on first use). */
  lists: Map<string, Database.Statement<[Record<string, unknown>]>>;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  #open: OpenDatabase | undefined;

  constructor(options: SqliteStoreOptions) {
    this.#path = options.path;
    this.#busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
  }

  open(): Promise<void> {
    return settle(`open ${this.#path}`, () => {
      if (this.#open !== undefined) return;
      if (this.#path !== ':memory:') mkdirSync(dirname(this.#path), { recursive: true });
      const db = new Database(this.#path, { timeout: this.#busyTimeoutMs });
      try {
        db.pragma('journal_mode = WAL');
        // In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits,
        // an acceptable price for call records against an fsync per call event.
        db.pragma('synchronous = NORMAL');
        migrate(db);
        this.#open = prepare(db);
      } catch (err) {
        db.close();
        throw err;
      }
    });
  }

  close(): Promise<void> {
    return settle(`close ${this.#path}`, () => {
      const open = this.#open;
      this.#open = undefined;
      open?.db.close();
    });
  }

  isOpen(): boolean {
    return this.#open?.db.open === true;
  }

  putCall(record: CallRecord): Promise<void> {
    return settle(`put call ${record.id}`, () => {
      this.#database().putCall.run(encodeCall(record));
    });
  }

  getCall(id: string): Promise<CallRecord | undefined> {
    return settle(`get call ${id}`, () => {
      const row = this.#database().getCall.get(id);
      return row === undefined ? undefined : decodeCall(row, `call ${id}`);
    });
  }

  listCalls(filter: CallListFilter = {}): Promise<CallRecord[]> {
    return settle('list calls', () => {
      checkLimit(filter.limit);
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: filter.limit ?? -1 };
      if (filter.state !== undefined) {
        where.push('state = @state');
        params.state = filter.state;
      }
      if (filter.instanceId !== undefined) {
        where.push('instance_id = @instanceId');
        params.instanceId = filter.instanceId;
      }
      const statement = this.#list('calls', CALL_COLUMNS, where, 'started_at');
      return statement.all(params).map((row) => decodeCall(row, `call ${rowId(row)}`));
    });
  }

  putTransferSession(session: TransferSessionRecord): Promise<void> {
    return settle(`put transfer session ${session.id}`, () => {
      const open = this.#database();
      const wire = encodeTransferSession(session);
      open.putTransfer.run({
        ...wire,
        vars: JSON.stringify(wire.vars),
        history: JSON.stringify(wire.history),
      });
    });
  }

  getTransferSession(id: string): Promise<TransferSessionRecord | undefined> {
    return settle(`get transfer session ${id}`, () => {
      const row = this.#database().getTransfer.get(id);
      return row === undefined ? undefined : transferFromRow(row);
    });
  }

  listTransferSessions(filter: TransferSessionListFilter = {}): Promise<TransferSessionRecord[]> {
    return settle('list transfer sessions', () => {
      checkLimit(filter.limit);
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: filter.limit ?? -1 };
      if (filter.callId !== undefined) {
        where.push('call_id = @callId');
        params.callId = filter.callId;
      }
      if (filter.state !== undefined) {
        where.push('state = @state');
        params.state = filter.state;
      }
      const statement = this.#list('transfer_sessions', TRANSFER_COLUMNS, where, 'created_at');
      return statement.all(params).map(transferFromRow);
    });
  }

  purgeEnded(olderThan: Date): Promise<PurgeResult> {
    return settle('purge ended records', () => {
      const cutoff = olderThan.getTime();
      if (Number.isNaN(cutoff))
        throw new StoreError('store-invalid-argument', 'purgeEnded needs a valid Date');
      const open = this.#database();
      const purge = open.db.transaction(() => ({
        calls: open.purgeCalls.run(cutoff).changes,
        transferSessions: open.purgeTransfers.run(cutoff).changes,
      }));
      return purge();
    });
  }

  #database(): OpenDatabase {
    if (this.#open === undefined) throw new StoreError('store-closed', 'the SQLite store is not open');
    return this.#open;
  }

  /** The list statement for this table and filter set, newest first; `@limit` -1 means all. */
  #list(
    table: string,
    columns: Readonly<Record<string, string>>,
    where: readonly string[],
    timeColumn: string,
  ): Database.Statement<[Record<string, unknown>]> {
    const open = this.#database();
    const key = `${table}:${where.join(' AND ')}`;
    let statement = open.lists.get(key);
    if (statement === undefined) {
      const condition = where.length === 0 ? '' : `WHERE ${where.join(' AND ')} `;
      statement = open.db.prepare<[Record<string, unknown>]>(
        `SELECT ${selectList(columns)} FROM ${table} ${condition}` +
          `ORDER BY ${timeColumn} DESC, id DESC LIMIT @limit`,
      );
      open.lists.set(key, statement);
    }
    return statement;
  }
}

/** Apply the migrations this database lacks, in one write transaction (two processes opening at once serialise here). */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT');
    const row = db
      .prepare<[], { version: number | null }>('SELECT max(version) AS version FROM schema_version')
      .get();
    const current = row?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new StoreError(
        'store-schema-unsupported',
        `the database has schema version ${current}; this Baton knows up to ${SCHEMA_VERSION}`,
      );
    }
    if (current === SCHEMA_VERSION) return;
    for (const sql of MIGRATIONS.slice(current)) db.exec(sql);
    db.exec('DELETE FROM schema_version');
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
  }).immediate();
}

function prepare(db: Database.Database): OpenDatabase {
  const callSelect = `SELECT ${selectList(CALL_COLUMNS)} FROM calls WHERE id = ?`;
  const transferSelect = `SELECT ${selectList(TRANSFER_COLUMNS)} FROM transfer_sessions WHERE id = ?`;
  return {
    db,
    putCall: db.prepare<[Record<string, unknown>]>(upsertSql('calls', CALL_COLUMNS)),
    getCall: db.prepare<[string]>(callSelect),
    putTransfer: db.prepare<[Record<string, unknown>]>(upsertSql('transfer_sessions', TRANSFER_COLUMNS)),
    getTransfer: db.prepare<[string]>(transferSelect),
    purgeCalls: db.prepare<[number]>("DELETE FROM calls WHERE state = 'ended' AND ended_at < ?"),
    purgeTransfers: db.prepare<[number]>(
      "DELETE FROM transfer_sessions WHERE state = 'ended' AND ended_at < ?",
    ),
    lists: new Map(),
  };
}

/** A transfer_sessions row (wire fields, `vars` and `history` as JSON text) → record. */
function transferFromRow(row: unknown): TransferSessionRecord {
  const what = `transfer session ${rowId(row)}`;
  const fields = row as Record<string, unknown>;
  return decodeTransferSession(
    { ...fields, vars: jsonColumn(fields.vars, what), history: jsonColumn(fields.history, what) },
    what,
  );
}

/** Parse a JSON text column; anything else is passed on for the codec to reject. */
function jsonColumn(value: unknown, what: string): unknown {
  return typeof value === 'string' ? parseStoredJson(value, what) : value;
}

function rowId(row: unknown): string {
  const id = (row as { id?: unknown }).id;
  return typeof id === 'string' ? id : '(no id)';
}

/** Run a synchronous step, turning its result or error into a settled promise with a StoreError. */
function settle<T>(what: string, step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (err) {
    return Promise.reject(toStoreError(err, what));
  }
}

function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  if (err instanceof Database.SqliteError) {
    const { code } = err;
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      return new StoreError('store-corrupt', `${what}: ${err.message}`, { cause: err });
    }
    if (UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix))) {
      return new StoreError('store-unavailable', `${what}: ${err.message}`, { cause: err });
    }
    return new StoreError('store-failed', `${what}: ${err.message}`, { cause: err });
  }
  // A system error from the file system (creating the folder, opening the file).
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string') {
    return new StoreError('store-unavailable', `${what}: ${err.message}`, { cause: err });
  }
  return new StoreError('store-failed', `${what}: ${String(err)}`, { cause: err });
}
