import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeSchema } from '../../config/schema/store.js';
import { createStore } from '../../gateway/store/create-store.js';
import { SqliteStore } from '../../gateway/store/sqlite-store.js';
import { storeContract } from './store-contract.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'baton-sqlite-'));
}

storeContract('SQLite', async () => {
  const dir = await tempDir();
  // A folder that does not exist yet: open() creates it.
  const path = join(dir, 'data', 'nested', 'baton.db');
  return {
    store: new SqliteStore({ path }),
    twin: () => new SqliteStore({ path }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('SqliteStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the folder, runs in WAL mode and records schema version 1', async () => {
    const path = join(dir, 'a', 'b', 'baton.db');
    const store = new SqliteStore({ path });
    await store.open();
    try {
      expect(existsSync(path)).toBe(true);
      const peek = new Database(path, { readonly: true });
      try {
        expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(peek.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
        const indexes = peek
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .all()
          .map((row) => (row as { name: string }).name);
        expect(indexes).toEqual(
          expect.arrayContaining([
            'calls_by_state',
            'transfer_sessions_by_call',
            'transfer_sessions_by_state',
          ]),
        );
      } finally {
        peek.close();
      }
    } finally {
      await store.close();
    }
  });

  it('opens an existing database again without migrating it twice', async () => {
    const path = join(dir, 'baton.db');
    for (let round = 0; round < 3; round++) {
      const store = new SqliteStore({ path });
      await store.open();
      await store.close();
    }
    const peek = new Database(path, { readonly: true });
    try {
      expect(peek.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
    } finally {
      peek.close();
    }
  });

  it('fails with store-corrupt on a file that is not a SQLite database', async () => {
    const path = join(dir, 'baton.db');
    await writeFile(path, 'this is a call log, not a database\n'.repeat(200));
    const store = new SqliteStore({ path });
    await expect(store.open()).rejects.toMatchObject({ name: 'StoreError', code: 'store-corrupt' });
    expect(store.isOpen()).toBe(false);
  });

  it('fails with store-schema-unsupported on a database from a newer Baton', async () => {
    const path = join(dir, 'baton.db');
    const newer = new Database(path);
    newer.exec(
      'CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT; INSERT INTO schema_version VALUES (99);',
    );
    newer.close();
    const store = new SqliteStore({ path });
    await expect(store.open()).rejects.toMatchObject({ code: 'store-schema-unsupported', retryable: false });
    expect(store.isOpen()).toBe(false);
  });

  it('fails with store-unavailable when the folder cannot be created', async () => {
    const blocker = join(dir, 'not-a-folder');
    await writeFile(blocker, '');
    const store = new SqliteStore({ path: join(blocker, 'baton.db') });
    await expect(store.open()).rejects.toMatchObject({ code: 'store-unavailable', retryable: true });
  });

  it('reports a row it cannot decode as store-corrupt', async () => {
    const path = join(dir, 'baton.db');
    const store = new SqliteStore({ path });
    await store.open();
    try {
      const writer = new Database(path);
      writer.exec(
        `INSERT INTO transfer_sessions (id, call_id, target, mode, state, created_at, updated_at, vars, history)
         VALUES ('s-1', 'c-1', 'desk', 'teleport', 'pending', 0, 0, '{}', '[]'),
                ('s-2', 'c-1', 'desk', 'invite', 'pending', 0, 0, '{not json', '[]')`,
      );
      writer.close();
      await expect(store.getTransferSession('s-1')).rejects.toMatchObject({ code: 'store-corrupt' });
      await expect(store.getTransferSession('s-2')).rejects.toMatchObject({ code: 'store-corrupt' });
    } finally {
      await store.close();
    }
  });

  it('is built by createStore from the store config section, relative to the working directory', async () => {
    const config = storeSchema.parse({ sqlitePath: 'data/baton.db' });
    const store = createStore(config, { cwd: dir });
    expect(store.kind).toBe('sqlite');
    await store.open();
    try {
      expect(store.isOpen()).toBe(true);
      expect(existsSync(join(dir, 'data', 'baton.db'))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
