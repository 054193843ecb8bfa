/**
 * @module main — the composition root: config → database → services → HTTP server.
 * The only place concrete things are wired together.
 */
import { pino, type Logger } from 'pino';

import type { Config } from './config.ts';
import { buildApp } from './http/app.ts';
import { startControlSocket } from './http/control-socket.ts';
import { databaseAnswers, startConfiguredWorkerStatus, type WorkerStatusServer } from './http/worker-status.ts';
import { type BootstrapResult, bootstrapSuperuser } from './services/auth.service.ts';
import { createLookupCaches, type JobQueue, noQueue, type ServiceDeps } from './services/deps.ts';
import { startQueue } from './jobs/queue.ts';
import { type LoopContext, type RunningLoops, startJobWorkers, startLoops } from './jobs/background-work.ts';
import type { ProviderFactory } from './providers/provider.ts';
import { createProviderRegistry } from './providers/registry.ts';
import { hostPolicy } from './providers/outbound-hosts.ts';
import { outboxPort } from './store/gateway.store.ts';
import { createSecretBox, parseKey } from './lib/secret-box.ts';
import { ProcessMetrics } from './lib/metrics.ts';
import { SignInThrottle } from './lib/sign-in-throttle.ts';
import { resumeStalledImports } from './services/imports.service.ts';
import { resumeStalledReevaluations } from './services/contact-reevaluation.service.ts';
import { loadOrCreateKeyFile } from './store/secret-key-file.ts';
import { type DatabaseHandle, openDatabase } from './store/connection.ts';
import { migrateToLatest } from './store/migrate.ts';

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'] });
}

/** The server's encryption key: ROLLCALL_SECRET_KEY, else DATA_DIR/secret.key (made on first use). */
export function secretKeyOf(config: Config): Buffer {
  return parseKey(config.secretKey ?? loadOrCreateKeyFile(config.dataDir));
}

export interface ServiceDepsOptions {
  notifyDue?: () => void;
  notifyInbound?: () => void;
  queue?: JobQueue;
  /** The current time (Default: the system clock; tests pass a controllable one). */
  clock?: () => Date;
  /** Lifetime of the token, project and routing caches (Default: 5 s). */
  cacheTtlMs?: number;
  /** Vendors beside the registry's own (tests add fakes). */
  providers?: Record<string, ProviderFactory>;
  /** Base of webhook URLs when ROLLCALL_PUBLIC_URL is not set (Default: http://HOST:PORT). */
  publicUrl?: string;
  /** Import rows per transaction (Default: the engine's, EngineProfile). */
  importChunkRows?: number;
}

/** The one builder of what services receive: the server, the CLI, the benches and the tests use it. */
export function serviceDeps(config: Config, handle: DatabaseHandle, options: ServiceDepsOptions = {}): ServiceDeps {
  return {
    db: handle.db,
    clock: options.clock ?? (() => new Date()),
    pendingTtlMs: config.pendingVerificationDays * 86_400_000,
    providers: createProviderRegistry({ outbox: outboxPort(handle.db), hosts: hostPolicy(config.allowPrivateGatewayHosts) }, options.providers),
    secrets: createSecretBox(secretKeyOf(config)),
    messaging: {
      maxAttempts: config.maxAttempts,
      retryBaseMs: config.retryBaseMs,
      staleMs: config.staleMs,
      consentCountries: config.consentCountries,
      publicUrl: config.publicUrl ?? options.publicUrl ?? `http://${config.host}:${config.port}`,
    },
    notifyDue: options.notifyDue ?? (() => {}),
    notifyInbound: options.notifyInbound ?? (() => {}),
    queue: options.queue ?? noQueue,
    caches: createLookupCaches(options.cacheTtlMs),
    signInThrottle: new SignInThrottle(),
    metrics: new ProcessMetrics(),
    imports: { maxBytes: config.importMaxBytes, chunkRows: options.importChunkRows ?? handle.profile.importChunkRows },
  };
}

export async function openConfiguredDatabase(config: Config): Promise<DatabaseHandle> {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, pooler: config.dbPooler, minFreeBytes: config.minFreeBytes });
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
    let workers: RunningLoops | null = null;
    let resuming: Promise<unknown> = Promise.resolve();
    let started: Promise<void> | null = null;
    const queue = await startQueue(handle.db, logger);
    const services = serviceDeps(config, handle, { notifyDue: () => workers?.get('dispatch')?.wake(), notifyInbound: () => workers?.get('inbound')?.wake(), queue });
    const loopContext = (): LoopContext => ({
      config,
      services,
      db: handle.db,
      logger,
      profile: handle.profile,
      // Workers pause while the embedded data folder is nearly full (storage-guard.ts).
      paused: handle.storage ? () => handle.storage?.low() !== null : undefined,
      requestLoad: handle.requestLoad,
    });
    let closing: Promise<void> | null = null;
    let maintenance: RunningLoops | null = null;
    return {
      handle,
      services,
      startBackground() {
        started ??= (async () => {
          if (closing) {
            return;
          }
          // Work every process does, workers or not: PGlite's table maintenance (jobs/background-work.ts).
          maintenance = startLoops(loopContext(), 'every-process');
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
          workers = startLoops(loopContext(), 'workers');
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
          services.metrics.close();
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
      isReady: () => databaseAnswers(handle.db),
    });
    const url = await app.listen({ port: config.port, host: config.host });
    logger.info({ url, database: handle.kind, location: handle.location }, 'rollcall listening');
    try {
      await runtime.startBackground();
    } catch (err) {
      await app.close();
      throw err;
    }
    // `rollcall backup` asks a server on an embedded data folder for a copy (http/control-socket.ts).
    const control = handle.pglite && handle.location !== 'memory' ? await startControlSocket(config.dataDir, handle, logger) : null;
    let closing: Promise<void> | null = null;
    return {
      url,
      firstUser: boot,
      close() {
        closing ??= (async () => {
          await control?.close();
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
  // GET /healthz and /metrics on ROLLCALL_WORKER_STATUS_PORT, unless off (http/worker-status.ts).
  let status: WorkerStatusServer | null;
  try {
    status = await startConfiguredWorkerStatus(config, runtime.services, logger);
  } catch (err) {
    await runtime.close();
    throw err;
  }
  logger.info({ database: runtime.handle.kind, location: runtime.handle.location, statusUrl: status?.url ?? null }, 'rollcall worker running');
  let closing: Promise<void> | null = null;
  return {
    close() {
      closing ??= (async () => {
        await status?.close();
        await runtime.close();
      })();
      return closing;
    },
  };
}
