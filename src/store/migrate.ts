/**
 * @module store/migrate — runs the numbered migrations (forward only) with Kysely's Migrator.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

import * as m0001 from './migrations/0001-foundation.ts';
import * as m0002 from './migrations/0002-messaging.ts';
import * as m0003 from './migrations/0003-inbound.ts';
import * as m0005 from './migrations/0005-imports.ts';
import * as m0006 from './migrations/0006-surveys.ts';
import * as m0007 from './migrations/0007-import-file-parts.ts';
import * as m0008 from './migrations/0008-import-error-code.ts';
import * as m0009 from './migrations/0009-import-resumes.ts';
import * as m0010 from './migrations/0010-consent.ts';
import * as m0011 from './migrations/0011-contact-reevaluation.ts';
import * as m0012 from './migrations/0012-tester-messages.ts';
import * as m0013 from './migrations/0013-dashboard-counts.ts';
import * as m0014 from './migrations/0014-broadcast-composer.ts';
import * as m0015 from './migrations/0015-contacts-list.ts';
import * as m0016 from './migrations/0016-web-users-and-tokens.ts';
import * as m0017 from './migrations/0017-message-to-index.ts';
import * as m0018 from './migrations/0018-import-drafts.ts';
import * as m0019 from './migrations/0019-contact-problem-indexes.ts';
import * as m0020 from './migrations/0020-reminder-rules.ts';
import * as m0021 from './migrations/0021-reminder-evaluation.ts';
import * as m0022 from './migrations/0022-reminder-occurrence-key.ts';
import * as m0023 from './migrations/0023-message-partitions.ts';
import * as m0024 from './migrations/0024-queues-by-project.ts';
import * as m0025 from './migrations/0025-inbound-arrivals.ts';

const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-messaging': m0002,
  '0003-inbound': m0003,
  '0005-imports': m0005,
  '0006-surveys': m0006,
  '0007-import-file-parts': m0007,
  '0008-import-error-code': m0008,
  '0009-import-resumes': m0009,
  '0010-consent': m0010,
  '0011-contact-reevaluation': m0011,
  '0012-tester-messages': m0012,
  '0013-dashboard-counts': m0013,
  '0014-broadcast-composer': m0014,
  '0015-contacts-list': m0015,
  '0016-web-users-and-tokens': m0016,
  '0017-message-to-index': m0017,
  '0018-import-drafts': m0018,
  '0019-contact-problem-indexes': m0019,
  '0020-reminder-rules': m0020,
  '0021-reminder-evaluation': m0021,
  '0022-reminder-occurrence-key': m0022,
  '0023-message-partitions': m0023,
  '0024-queues-by-project': m0024,
  '0025-inbound-arrivals': m0025,
};

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

export interface MigrationReport {
  applied: string[];
}

/**
 * Names of the applied migrations; null when the table does not exist yet. Asked with to_regclass
 * first, so a fresh database does not log an ERROR in the PostgreSQL server's log, and any other
 * failure (the connection) is thrown, not taken for a fresh database.
 */
async function appliedMigrations(db: Kysely<any>): Promise<Set<string> | null> {
  const exists = await sql<{ t: string | null }>`select to_regclass('rollcall_migrations')::text as t`.execute(db);
  if (!exists.rows[0]?.t) {
    return null;
  }
  const r = await sql<{ name: string }>`select name from rollcall_migrations`.execute(db);
  return new Set(r.rows.map((row) => row.name));
}

/**
 * Applies every pending migration; throws with the failing migration's name. When exactly the
 * known migrations are applied already (every start but the first after an upgrade) one read
 * decides it: the Migrator's table checks and lock cost about 0.4 s of a start on PGlite.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationReport> {
  const applied = await appliedMigrations(db);
  const known = Object.keys(migrations);
  if (applied && applied.size === known.length && known.every((name) => applied.has(name))) {
    return { applied: [] };
  }
  const migrator = new Migrator({ db, provider, migrationTableName: 'rollcall_migrations', migrationLockTableName: 'rollcall_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/**
 * Applies the pending migrations up to and including `name`, no further: a database as a version
 * of that time left it (the upgrade tests start from one, test/message-history-upgrade.test.ts).
 */
export async function migrateTo(db: Kysely<any>, name: string): Promise<void> {
  if (!(name in migrations)) {
    throw new Error(`No migration named ${name}`);
  }
  const migrator = new Migrator({ db, provider, migrationTableName: 'rollcall_migrations', migrationLockTableName: 'rollcall_migrations_lock' });
  const { error, results } = await migrator.migrateTo(name);
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}

/** Migrations not yet applied, for `rollcall doctor`. */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'rollcall_migrations', migrationLockTableName: 'rollcall_migrations_lock' });
  const all = await migrator.getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
