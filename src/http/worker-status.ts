/**
 * @module http/worker-status — the status port of `rollcall worker` (ROLLCALL_WORKER_STATUS_PORT):
 * a minimal HTTP server with exactly `GET /healthz` (as the server's: 200 `{"status":"ok"}` when the
 * database answers, else 503 SERVICE_UNAVAILABLE) and `GET /metrics` (the server's Prometheus text,
 * rendered by the same function, for this process's counters). /metrics takes only
 * ROLLCALL_METRICS_TOKEN as a bearer token: a worker has no sign-in, so users' API tokens are not
 * looked up here. Everything else is 404 NOT_FOUND.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';

import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { ServiceDeps } from '../services/deps.ts';
import type { Db } from '../store/database.ts';
import { bearer, METRICS_CONTENT_TYPE, renderMetrics, sameSecret } from './api/metrics.routes.ts';
import { errorBody, installErrorHandler } from './error-handler.ts';
import { serverTimeouts } from './server-limits.ts';

/** A supervisor and a scraper or two: the status port never needs many connections. */
const STATUS_MAX_CONNECTIONS = 64;

export interface WorkerStatusDeps {
  /** HOST, ROLLCALL_METRICS_TOKEN and the server's timeouts are used. */
  config: Config;
  services: Pick<ServiceDeps, 'db' | 'metrics'>;
  logger: Logger;
  /** Whether the database answers (Default: `select 1` on services.db). */
  isReady?: () => Promise<boolean>;
}

export interface WorkerStatusServer {
  /** Where it listens, e.g. http://127.0.0.1:9464 (the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/** Whether the database answers a trivial query. */
export async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/** The status app, not yet listening (tests inject into it). */
export function buildWorkerStatusApp(deps: WorkerStatusDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...serverTimeouts(deps.config),
  });
  app.server.maxConnections = STATUS_MAX_CONNECTIONS;
  installErrorHandler(app);
  const isReady = deps.isReady ?? (() => databaseAnswers(deps.services.db));
  const metricsToken = deps.config.metricsToken;

  app.get('/healthz', async (_request, reply) => {
    if (await isReady()) {
      return { status: 'ok' };
    }
    return reply.code(503).send(errorBody('SERVICE_UNAVAILABLE'));
  });

  app.get('/metrics', {
    onRequest: async (request) => {
      if (!metricsToken) {
        throw new AppError('UNAUTHORIZED', "This worker's /metrics needs a token and none is set: set ROLLCALL_METRICS_TOKEN for the worker (at least 16 characters) and have the scraper send it as Authorization: Bearer <token>.");
      }
      const token = bearer(request);
      if (!token || !sameSecret(token, metricsToken)) {
        throw new AppError('UNAUTHORIZED', "Send the worker's ROLLCALL_METRICS_TOKEN as Authorization: Bearer <token> (users' API tokens are not accepted on a worker's status port).");
      }
    },
  }, async (_request, reply) => reply.type(METRICS_CONTENT_TYPE).send(await renderMetrics(deps.services)));

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send(errorBody('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}: a worker's status port answers only GET /healthz and GET /metrics.`)),
  );
  return app;
}

/**
 * Starts the status server on HOST and the given port (0: one the system picks). Fails when the port
 * cannot be had, naming the setting: a supervisor checking that port would otherwise reach another
 * process.
 */
export async function startWorkerStatusServer(deps: WorkerStatusDeps, port: number): Promise<WorkerStatusServer> {
  const app = buildWorkerStatusApp(deps);
  let url: string;
  try {
    url = await app.listen({ port, host: deps.config.host });
  } catch (err) {
    await app.close().catch(() => {});
    throw new Error(`ROLLCALL_WORKER_STATUS_PORT: cannot listen on ${deps.config.host}:${port} (${(err as Error).message}); choose a free port, 0 for any, or off.`, { cause: err });
  }
  let closing: Promise<void> | null = null;
  return {
    url,
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}

/** The worker's status server as the settings ask: null when ROLLCALL_WORKER_STATUS_PORT is off. */
export async function startConfiguredWorkerStatus(
  config: Config,
  services: Pick<ServiceDeps, 'db' | 'metrics'>,
  logger: Logger,
): Promise<WorkerStatusServer | null> {
  if (config.workerStatusPort === null) {
    return null;
  }
  return startWorkerStatusServer({ config, services, logger }, config.workerStatusPort);
}
