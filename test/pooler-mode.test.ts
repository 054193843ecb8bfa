/**
 * ROLLCALL_DB_POOLER=transaction: behind PgBouncer in transaction mode (1.18: no prepared
 * statements), the statements Rollcall normally prepares by name (store/prepared-statements.ts) go
 * unnamed, so no server connection is ever asked for a statement another one prepared. On PostgreSQL
 * the server's own catalogue of the connection's prepared statements shows the difference; the
 * whole suite runs through a real PgBouncer in .ci/run. The setting is refused without a server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import { loadConfig } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/store/connection.ts';
import { runPrepared } from '../src/store/prepared-statements.ts';
import { createTestDatabase, onPostgres, serverUrl } from './support/test-db.ts';

describe('the pooler setting', () => {
  test('is refused for the embedded database, naming the variable', () => {
    assert.throws(() => loadConfig({ ROLLCALL_DB_POOLER: 'transaction' }), /Invalid setting ROLLCALL_DB_POOLER: .*DATABASE_URL/);
    assert.throws(() => loadConfig({ ROLLCALL_DB_POOLER: 'session', DATABASE_URL: 'postgres://x@127.0.0.1/db' }), /Invalid setting ROLLCALL_DB_POOLER/);
    assert.equal(loadConfig({ ROLLCALL_DB_POOLER: 'transaction', DATABASE_URL: 'postgres://x@127.0.0.1/db' }).dbPooler, 'transaction');
    assert.equal(loadConfig({}).dbPooler, 'none');
  });

  test('the embedded engine profile: one thread, its own maintenance, small batches, no pooler', async () => {
    if (onPostgres) {
      return;
    }
    const t = await createTestDatabase();
    try {
      assert.deepEqual({ ...t.profile }, { sharesThread: true, ownMaintenance: true, pooler: 'none', inboundBatch: 50, importChunkRows: 50 });
      assert.ok(t.pglite, 'the embedded handle exposes its engine (for backups)');
    } finally {
      await t.close();
    }
  });
});

describe('named prepared statements on PostgreSQL', { skip: onPostgres ? false : 'needs PostgreSQL (ROLLCALL_TEST_DATABASE_URL)' }, () => {
  let base: Awaited<ReturnType<typeof createTestDatabase>>;
  let direct: string;
  const opened: DatabaseHandle[] = [];
  before(async () => {
    base = await createTestDatabase();
    // Straight to the server, even when this run's test databases are reached through PgBouncer:
    // the catalogue below is per server connection, and one connection must serve both statements.
    const u = new URL(String(serverUrl));
    u.pathname = new URL(String(base.url)).pathname;
    direct = u.toString();
  });
  after(async () => {
    for (const h of opened) {
      await h.close();
    }
    await base?.close();
  });

  async function preparedAfterOneRun(pooler: 'none' | 'transaction'): Promise<string[]> {
    const handle = await openDatabase({ databaseUrl: direct, poolSize: 1, pooler });
    opened.push(handle);
    assert.equal(handle.profile.pooler, pooler);
    assert.equal(handle.profile.sharesThread, false);
    const rows = await runPrepared(handle.db, sql<{ n: number }>`select count(*)::int as n from projects where name = ${'none-such'}`.compile(handle.db));
    assert.deepEqual(rows, [{ n: 0 }]);
    // Pool size 1: this runs on the connection that ran the statement above.
    const { rows: prepared } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(handle.db);
    return prepared.map((p) => p.name);
  }

  test('without a pooler the hot statements are prepared by name on the connection', async () => {
    const names = await preparedAfterOneRun('none');
    assert.equal(names.filter((n) => n.startsWith('rc_')).length, 1, `prepared: ${names.join(', ')}`);
  });

  test('with ROLLCALL_DB_POOLER=transaction nothing is prepared by name, and the results are the same', async () => {
    const names = await preparedAfterOneRun('transaction');
    assert.deepEqual(names, []);
  });
});
