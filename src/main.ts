/**
 * @module main — the composition root: config → database → services → HTTP server.
 * The only place concrete things are wired together.
 */
import { sql } from 'kysely';
import { pino, type Logger } from 'pino';

import type { Config } from './config.ts';
import { buildApp } from './http/app.ts';
import { type BootstrapResult, bootstrapSuperuser } from './services/auth.service.ts';
import { createLookupCaches, type JobQueue, noQueue, type ServiceDeps } from './services/deps.ts';
import { startQueue } from './jobs/queue.ts';
import { startJobWorkers } from './jobs/task-list.ts';
import { createProviderRegistry } from './providers/registry.ts';
import { hostPolicy } from './providers/outbound-hosts.ts';
import { outboxPort } from './store/gateway.store.ts';
import { createSecretBox, parseKey } from './services/secret-box.ts';
import { ProcessMetrics } from './services/metrics.ts';
import { SignInThrottle } from './services/sign-in-throttle.ts';
import { type DispatchWorker, startDispatchWorker } from './services/dispatch-worker.ts';
import { resumeStalledImports } from './services/imports.service.ts';
import { REEVALUATION_LEASE_MS, resumeStalledReevaluations } from './services/contact-reevaluation.service.ts';
import { processInbound } from './services/inbound.service.ts';
import { DASHBOARD_LOOP_MS, dashboardMaintenanceStep } from './services/dashboard.service.ts';
import { type PollingLoop, startPollingLoop } from './services/polling-loop.ts';
import { EMBEDDED_REMINDER_BATCHES, POSTGRES_REMINDER_BATCHES, startReminderLoop } from './services/reminder-loop.ts';
import { sweepSurveySessions } from './services/survey-sessions.service.ts';
import { maintainTables } from './services/table-maintenance.service.ts';
import { loadOrCreateKeyFile } from './store/secret-key-file.ts';
import { type DatabaseHandle, openDatabase } from './store/connection.ts';
import type { Db } from './store/database.ts';
import { migrateToLatest } from './store/migrate.ts';

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'] });
}

/** The server's encryption key: ROLLCALL_SECRET_KEY, else DATA_DIR/secret.key (made on first use). */
export function secretKeyOf(config: Config): Buffer {
  return parseKey(config.secretKey ?? loadOrCreateKeyFile(config.dataDir));
}

export function serviceDeps(config: Config, handle: DatabaseHandle, options: { notifyDue?: () => void; notifyInbound?: () => void; queue?: JobQueue } = {}): ServiceDeps {
  return {
    db: handle.db,
    clock: () => new Date(),
    pendingTtlMs: config.pendingVerificationDays * 86_400_000,
    providers: createProviderRegistry({ outbox: outboxPort(handle.db), hosts: hostPolicy(config.allowPrivateGatewayHosts) }),
    secrets: createSecretBox(secretKeyOf(config)),
    messaging: {
      maxAttempts: config.maxAttempts,
      retryBaseMs: config.retryBaseMs,
      staleMs: config.staleMs,
      consentCountries: config.consentCountries,
      publicUrl: config.publicUrl ?? `http://${config.host}:${config.port}`,
    },
    notifyDue: options.notifyDue ?? (() => {}),
    notifyInbound: options.notifyInbound ?? (() => {}),
    queue: options.queue ?? noQueue,
    caches: createLookupCaches(),
    signInThrottle: new SignInThrottle(),
    metrics: new ProcessMetrics(),
    imports: { maxBytes: config.importMaxBytes, chunkRows: config.databaseUrl ? 500 : 50 },
  };
}

export async function openConfiguredDatabase(config: Config): Promise<DatabaseHandle> {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, minFreeBytes: config.minFreeBytes });
}

/** A dispatch worker with the configured batch, lease and poll settings; errors are logged. */
export function startWorker(config: Config, services: ServiceDeps, logger: Logger, paused?: () => boolean): DispatchWorker {
  return startDispatchWorker(services, {
    ...(paused ? { paused } : {}),
    batchSize: config.dispatchBatch,
    leaseMs: config.dispatchLeaseMs,
    laneSize: config.dispatchLaneSize,
    pollMs: config.dispatchPollMs,
    onError: (err) => logger.error({ err }, 'dispatch failed; retrying'),
  });
}

/**
 * Inbound messages taken per step: small on PGlite, which shares this thread with HTTP, larger on
 * PostgreSQL where the database works in its own processes.
 */
function inboundBatch(config: Config): number {
  return config.databaseUrl ? 500 : 50;
}

/** How often survey timeouts and reminders are looked for (Default: every 30 s; they are minutes apart). */
const SURVEY_SWEEP_MS = 30_000;
const SURVEY_SWEEP_BATCH = 100;

/** The background workers of one process: dispatch, inbound processing, survey timeouts and stalled imports. */
export function startWorkers(
  config: Config,
  services: ServiceDeps,
  logger: Logger,
  paused?: () => boolean,
  requestLoad?: () => number,
): { dispatch: PollingLoop; inbound: PollingLoop; surveys: PollingLoop; imports: PollingLoop; reevaluations: PollingLoop; dashboard: PollingLoop; reminders: PollingLoop; stop(): Promise<void> } {
  const dispatch = startWorker(config, services, logger, paused);
  const batch = inboundBatch(config);
  const inbound = startPollingLoop(() => processInbound(services, batch), {
    ...(paused ? { paused } : {}),
    fullBatch: batch,
    pollMs: config.dispatchPollMs,
    onError: (err) => logger.error({ err }, 'inbound processing failed; retrying'),
  });
  const surveys = startPollingLoop(() => sweepSurveySessions(services, SURVEY_SWEEP_BATCH), {
    ...(paused ? { paused } : {}),
    fullBatch: SURVEY_SWEEP_BATCH,
    pollMs: SURVEY_SWEEP_MS,
    onError: (err) => logger.error({ err }, 'survey timeouts failed; retrying'),
  });
  // An import whose runner died (kill -9) is taken over once its lease has passed (imports.service.ts).
  const imports = startPollingLoop(() => resumeStalledImports(services, config.importLeaseMs), {
    ...(paused ? { paused } : {}),
    fullBatch: Number.POSITIVE_INFINITY,
    pollMs: Math.min(Math.ceil(config.importLeaseMs / 2), 30_000),
    onError: (err) => logger.error({ err }, 'looking for stalled imports failed; retrying'),
  });
  // The same for a re-check of case numbers after a settings change (contact-reevaluation.service.ts).
  const reevaluations = startPollingLoop(() => resumeStalledReevaluations(services, REEVALUATION_LEASE_MS), {
    ...(paused ? { paused } : {}),
    fullBatch: Number.POSITIVE_INFINITY,
    pollMs: REEVALUATION_LEASE_MS / 2,
    onError: (err) => logger.error({ err }, 'looking for stalled contact re-evaluations failed; retrying'),
  });
  // The dashboard's figures: message count deltas folded, large projects' contacts recounted (dashboard.service.ts).
  const dashboard = startPollingLoop(() => dashboardMaintenanceStep(services), {
    ...(paused ? { paused } : {}),
    fullBatch: 1,
    pollMs: DASHBOARD_LOOP_MS,
    onError: (err) => logger.error({ err }, 'dashboard figures failed; retrying'),
  });
  // Reminder rules: cases evaluated after a change, rules' own evaluations, due reminders sent (reminder-loop.ts).
  // A split batch holds one connection for its cursor and one per part: never more than the pool has.
  const reminderBatches = config.databaseUrl
    ? { ...POSTGRES_REMINDER_BATCHES, parallel: Math.max(1, Math.min(POSTGRES_REMINDER_BATCHES.parallel, config.dbPoolSize - 1)) }
    : EMBEDDED_REMINDER_BATCHES;
  const reminders = startReminderLoop(services, reminderBatches, {
    ...(paused ? { paused } : {}),
    ...(requestLoad ? { requestLoad } : {}),
    onError: (err) => logger.error({ err }, 'reminder rules failed; retrying'),
  });
  return {
    dispatch,
    inbound,
    surveys,
    imports,
    reevaluations,
    dashboard,
    reminders,
    async stop() {
      await Promise.all([dispatch.stop(), inbound.stop(), surveys.stop(), imports.stop(), reevaluations.stop(), dashboard.stop(), reminders.stop()]);
    },
  };
}

/** The embedded database's VACUUM and ANALYZE, every `tableMaintenanceMs`. */
function startTableMaintenance(config: Config, db: Db, logger: Logger): PollingLoop {
  return startPollingLoop(
    async () => {
      const step = await maintainTables(db);
      if (step.vacuumed.length || step.analyzed.length) {
        logger.debug(step, 'table maintenance');
      }
      return 0;
    },
    { fullBatch: Number.POSITIVE_INFINITY, pollMs: config.tableMaintenanceMs, onError: (err) => logger.warn({ err }, 'table maintenance failed; retrying') },
  );
}

export interface RunningServer {
  url: string;
  /** Whether this start created the first user (and how: a generated password was printed). */
  firstUser: BootstrapResult;
  close(): Promise<void>;
}

/** The database with everything that runs beside HTTP: the job queue and, if asked, the workers. */
interface Runtime {
  handle: DatabaseHandle;
  services: ServiceDeps;
  /**
   * Starts the job workers and the polling loops (if the runtime runs workers). The server calls
   * it once it listens: their first statements on a cold embedded database took about 0.4 s and
   * delayed the first answer by as much.
   */
  startBackground(): Promise<void>;
  close(): Promise<void>;
}

async function startRuntime(config: Config, logger: Logger, runWorkers: boolean): Promise<Runtime> {
  const handle = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(handle.db);
    let workers: ReturnType<typeof startWorkers> | null = null;
    let resuming: Promise<unknown> = Promise.resolve();
    let started: Promise<void> | null = null;
    const queue = await startQueue(handle.db, logger);
    const services = serviceDeps(config, handle, { notifyDue: () => workers?.dispatch.wake(), notifyInbound: () => workers?.inbound.wake(), queue });
    let closing: Promise<void> | null = null;
    let maintenance: PollingLoop | null = null;
    return {
      handle,
      services,
      startBackground() {
        started ??= (async () => {
          if (closing) {
            return;
          }
          if (handle.kind === 'embedded') {
            // PGlite has no autovacuum; this loop does its work, workers or not (table-maintenance.service.ts).
            maintenance = startTableMaintenance(config, handle.db, logger);
          }
          if (!runWorkers) {
            return;
          }
          await startJobWorkers(services, queue);
          if (handle.kind === 'embedded') {
            // The data-folder lock means no other process can be running an import: every `running`
            // import was left by a process that died, and is resumed now rather than after its lease.
            // Not awaited here (it took 0.4 s of a start on PGlite), but before closing.
            resuming = Promise.all([
              resumeStalledImports(services, 0).catch((err: unknown) => logger.error({ err }, 'could not resume the imports left running')),
              resumeStalledReevaluations(services, 0).catch((err: unknown) => logger.error({ err }, 'could not resume the contact re-evaluations left running')),
            ]);
          }
          // Workers pause while the embedded data folder is nearly full (storage-guard.ts).
          workers = startWorkers(config, services, logger, handle.storage ? () => handle.storage?.low() !== null : undefined, handle.requestLoad);
        })();
        return started;
      },
      close() {
        closing ??= (async () => {
          await started?.catch(() => {});
          await resuming;
          await workers?.stop();
          await maintenance?.stop();
          await queue.stop();
          await services.providers.close();
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

/** Opens the database, migrates, creates the first superuser if needed, and listens. */
export async function startServer(config: Config, logger: Logger = createLogger(config)): Promise<RunningServer> {
  const runtime = await startRuntime(config, logger, config.runWorker);
  const { handle, services } = runtime;
  try {
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
      storage: handle.storage,
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
    try {
      await runtime.startBackground();
    } catch (err) {
      await app.close();
      throw err;
    }
    let closing: Promise<void> | null = null;
    return {
      url,
      firstUser: boot,
      close() {
        closing ??= (async () => {
          await app.close();
          await runtime.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}

/**
 * A worker without HTTP (`rollcall worker`): dispatch, inbound handling and background jobs against
 * the configured database. Several may run on several machines against one PostgreSQL.
 */
export async function startWorkerProcess(config: Config, logger: Logger = createLogger(config)): Promise<{ close(): Promise<void> }> {
  const runtime = await startRuntime(config, logger, true);
  await runtime.startBackground();
  logger.info({ database: runtime.handle.kind, location: runtime.handle.location }, 'rollcall worker running');
  return runtime;
}
