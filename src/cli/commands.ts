/**
 * @module cli/commands — what each CLI command does.
 */
import fs from 'node:fs';
import path from 'node:path';

import { sql } from 'kysely';

import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { createLogger, openConfiguredDatabase, type RunningServer, serviceDeps, startServer } from '../main.ts';
import { upsertSuperuser, validateCredentials } from '../services/auth.service.ts';
import { generatePassword } from '../lib/passwords.ts';
import { lockHolder } from '../store/data-dir-lock.ts';
import { migrateToLatest, pendingMigrations } from '../store/migrate.ts';
import { runUntilSignalled } from './stop-on-signals.ts';

function say(line: string): void {
  process.stdout.write(line + '\n');
}

function fail(line: string): number {
  process.stderr.write(line + '\n');
  return 1;
}

/** Whether the embedded data folder already holds a database (else opening it creates one). */
function embeddedDatabaseExists(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'));
}

/** What a person starting the server for the first time needs: where to go and how to sign in. */
export function readyLines(server: RunningServer, config: Config): string[] {
  const open = `${server.url}/ui`;
  const boot = server.firstUser;
  const signIn = boot.created && boot.generatedPassword
    ? `Sign in as ${boot.email} with the password printed above.`
    : boot.created
      ? `Sign in as ${boot.email} with the password in ROLLCALL_ADMIN_PASSWORD.`
      : 'Sign in with your account (`rollcall create-admin --email EMAIL` sets a superuser\'s password if you lost it).';
  const where = config.databaseUrl ? 'on PostgreSQL (DATABASE_URL)' : `on the embedded database in ${path.resolve(config.dataDir)}`;
  return [`Rollcall is ready ${where}.`, `Open ${open} in a browser. ${signIn}`];
}

export async function runServe(config: Config): Promise<void> {
  const logger = createLogger(config);
  if (!config.databaseUrl && !embeddedDatabaseExists(config.dataDir)) {
    say(`Creating the embedded database in ${path.resolve(config.dataDir)} (first start only; this takes about 20 seconds)…`);
  } else {
    say(config.databaseUrl ? 'Starting Rollcall on PostgreSQL…' : `Starting Rollcall on the embedded database in ${path.resolve(config.dataDir)}…`);
  }
  await runUntilSignalled(logger, 'server', async () => {
    const server = await startServer(config, logger);
    for (const line of readyLines(server, config)) {
      say(line);
    }
    return server;
  });
}

export async function runMigrate(config: Config): Promise<number> {
  try {
    const handle = await openConfiguredDatabase(config);
    try {
      const report = await migrateToLatest(handle.db);
      say(report.applied.length ? `Applied: ${report.applied.join(', ')}` : 'The database is up to date.');
      return 0;
    } finally {
      await handle.close();
    }
  } catch (err) {
    return fail(err instanceof AppError ? err.message : `Migration failed: ${String((err as Error).message)}`);
  }
}

export async function runCreateAdmin(config: Config, email: string, password: string | undefined): Promise<number> {
  try {
    const chosen = password ?? config.adminPassword ?? generatePassword();
    validateCredentials(email, chosen); // before opening (and perhaps creating) the database
    const handle = await openConfiguredDatabase(config);
    try {
      await migrateToLatest(handle.db);
      const result = await upsertSuperuser(serviceDeps(config, handle), email, chosen);
      say(`${result === 'created' ? 'Created' : 'Updated'} superuser ${email}.`);
      if (!password && !config.adminPassword) {
        say(`Password: ${chosen}`);
      }
      return 0;
    } finally {
      await handle.close();
    }
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

/** Checks settings and the database; prints one line per check; exit 1 if any failed. */
export async function runDoctor(config: Config): Promise<number> {
  let failures = 0;
  const ok = (line: string) => say(`ok    ${line}`);
  const bad = (line: string) => {
    failures++;
    say(`FAIL  ${line}`);
  };
  ok(`settings parsed (port ${config.port}, host ${config.host})`);
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 20 || (major === 20 && minor >= 19)) {
    ok(`Node ${process.versions.node}`);
  } else {
    bad(`Node ${process.versions.node} is too old: Rollcall needs 20.19 or newer (24 LTS recommended)`);
  }
  if (!config.databaseUrl) {
    const holder = lockHolder(config.dataDir);
    if (holder !== null) {
      ok(`embedded database ${config.dataDir} is in use by a running server (pid ${holder}); not opening it`);
      return failures ? 1 : 0;
    }
    if (!embeddedDatabaseExists(config.dataDir)) {
      // Opening it would create a database (initdb): leave that to serve or migrate.
      say(`note  no embedded database in ${config.dataDir} yet: \`rollcall serve\` or \`rollcall migrate\` creates it`);
      return failures ? 1 : 0;
    }
    say(`note  embedded database in ${config.dataDir}: fine for trials and small programs; use PostgreSQL (DATABASE_URL) for production data`);
  }
  try {
    const handle = await openConfiguredDatabase(config);
    try {
      const row = await sql<{ version: string }>`select version() as version`.execute(handle.db);
      ok(`database reachable (${handle.kind}, ${handle.location}): ${row.rows[0]?.version.split(' on ')[0] ?? ''}`);
      const pending = await pendingMigrations(handle.db);
      if (pending.length) {
        bad(`migrations not applied: ${pending.join(', ')} (run: rollcall migrate)`);
      } else {
        ok('migrations up to date');
      }
    } finally {
      await handle.close();
    }
  } catch (err) {
    bad(`database: ${err instanceof Error ? err.message : String(err)}`);
  }
  return failures ? 1 : 0;
}
