/**
 * @module main — the composition root: config → database → services → HTTP server.
 * The only place concrete things are wired together.
 */
import { sql } from 'kysely';
import { pino, type Logger } from 'pino';

import type { Config } from './config.ts';
import { buildApp } from './http/app.ts';
import { bootstrapSuperuser } from './services/auth.service.ts';
import type { ServiceDeps } from './services/deps.ts';
import { type DatabaseHandle, openDatabase } from './store/connection.ts';
import { migrateToLatest } from './store/migrate.ts';

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'] });
}

export function serviceDeps(config: Config, handle: DatabaseHandle): ServiceDeps {
  return { db: handle.db, clock: () => new Date(), pendingTtlMs: config.pendingVerificationDays * 86_400_000 };
}

export async function openConfiguredDatabase(config: Config): Promise<DatabaseHandle> {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize });
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Opens the database, migrates, creates the first superuser if needed, and listens. */
export async function startServer(config: Config, logger: Logger = createLogger(config)): Promise<RunningServer> {
  const handle = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(handle.db);
    const services = serviceDeps(config, handle);
    const boot = await bootstrapSuperuser(services, config.adminEmail, config.adminPassword);
    if (boot.created && boot.generatedPassword) {
      // Printed once, to the console only: it is not stored anywhere in clear.
      process.stdout.write(`\nCreated superuser ${boot.email} with password: ${boot.generatedPassword}\nKeep it now; it will not be shown again.\n\n`);
    } else if (boot.created) {
      logger.info({ email: boot.email }, 'created superuser from ROLLCALL_ADMIN_EMAIL');
    }
    const app = await buildApp({
      config,
      services,
      logger,
      isReady: async () => {
        try {
          await sql`select 1`.execute(handle.db);
          return true;
        } catch {
          return false;
        }
      },
    });
    const url = await app.listen({ port: config.port, host: config.host });
    logger.info({ url, database: handle.kind, location: handle.location }, 'rollcall listening');
    let closing: Promise<void> | null = null;
    return {
      url,
      close() {
        closing ??= (async () => {
          await app.close();
          await handle.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
