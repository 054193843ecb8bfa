/**
 * Test databases: one per test file. Embedded (PGlite in memory, loaded from a migrated template
 * when the runner made one) unless ROLLCALL_TEST_DATABASE_URL names a PostgreSQL server, in which
 * case a fresh database is created on it and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';

import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

import { type DatabaseHandle, openDatabase } from '../../src/store/connection.ts';
import { migrateTo, migrateToLatest } from '../../src/store/migrate.ts';

export const serverUrl = process.env.ROLLCALL_TEST_DATABASE_URL;
export const onPostgres = Boolean(serverUrl);
/**
 * A pooler in front of that server (PgBouncer in transaction mode, in .ci/run): databases are still
 * created and dropped directly on the server, but the app's connections, and those of the child
 * processes the tests start, go through the pooler, with ROLLCALL_DB_POOLER=transaction.
 */
const poolerUrl = process.env.ROLLCALL_TEST_POOLER_URL;
export const testPooler = poolerUrl ? ('transaction' as const) : ('none' as const);

/** The URL the app uses for a test database: through the pooler when there is one. */
function appUrl(name: string): string {
  return withDatabase(poolerUrl ?? String(serverUrl), name);
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

async function adminQuery(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sqlText);
  } finally {
    await client.end();
  }
}

async function embeddedPglite(): Promise<PGlite> {
  const template = process.env.ROLLCALL_TEST_PGLITE_TEMPLATE;
  if (template && fs.existsSync(template)) {
    return PGlite.create({ loadDataDir: new Blob([fs.readFileSync(template)]) });
  }
  return PGlite.create();
}

/** A migrated, empty database for one test file. */
export async function createTestDatabase(opts: { upTo?: string } = {}): Promise<DatabaseHandle & { url: string | null }> {
  const migrate = (db: DatabaseHandle['db']) => (opts.upTo ? migrateTo(db, opts.upTo) : migrateToLatest(db));
  if (serverUrl) {
    const name = `rollcall_t_${process.pid}_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    const handle = await openDatabase({ databaseUrl: appUrl(name), poolSize: 12, pooler: testPooler });
    await migrate(handle.db);
    return {
      ...handle,
      url: appUrl(name),
      async close() {
        await handle.close();
        await adminQuery(`drop database if exists ${name} with (force)`);
      },
    };
  }
  // The template (scripts/run-tests.mjs) is migrated to the latest: a database of an earlier version starts empty.
  const handle = await openDatabase({ pglite: opts.upTo ? await PGlite.create() : await embeddedPglite() });
  await migrate(handle.db);
  return { ...handle, url: null };
}

/**
 * For tests that run the server as a child process: a fresh database on the PostgreSQL server
 * (when ROLLCALL_TEST_DATABASE_URL is set), or null for the embedded database.
 */
export async function createServerDatabase(): Promise<{ url: string; drop(): Promise<void> } | null> {
  if (!serverUrl) {
    return null;
  }
  const name = `rollcall_p_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  return { url: appUrl(name), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}
