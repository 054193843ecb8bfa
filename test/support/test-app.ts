/**
 * A real app on a real test database, driven in-process with inject(). Helpers create a superuser,
 * projects and members, and send authenticated requests.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Logger, pino } from 'pino';

import { makeConfig, type Config } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { startJobWorkers } from '../../src/jobs/background-work.ts';
import { startQueue } from '../../src/jobs/queue.ts';
import { serviceDeps } from '../../src/main.ts';
import type { ProviderFactory } from '../../src/providers/provider.ts';
import { createWebUser, issueApiToken } from '../../src/services/auth.service.ts';
import { noQueue, type ServiceDeps } from '../../src/services/deps.ts';
import type { DatabaseHandle } from '../../src/store/connection.ts';
import { findProjectByName } from '../../src/store/project.store.ts';
import { upsertMembership } from '../../src/store/user.store.ts';

/** The server key of test apps; child processes that share a test database use it too. */
export const TEST_SECRET_KEY = '5e'.repeat(32);
import { createTestDatabase } from './test-db.ts';

export interface TestApp {
  app: FastifyInstance;
  deps: ServiceDeps;
  handle: DatabaseHandle;
  /** The PostgreSQL URL of this test's database (null on the embedded database). */
  databaseUrl: string | null;
  config: Config;
  /** Token of the superuser created at start. */
  adminToken: string;
  request(method: InjectOptions['method'], url: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  createProject(name: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Creates a user with a membership in `project`, returns its API token. */
  createMember(project: string, role: 'admin' | 'member', email?: string): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;

export interface TestAppOptions {
  config?: Partial<Config>;
  clock?: () => Date;
  /** Start the real pg-boss queue with the job workers (broadcasts); off by default for speed. */
  jobs?: boolean;
  /** Lifetime of the token and project caches (Default: 0, no caching). */
  cacheTtlMs?: number;
  /** Extra providers (test-only vendors) added to the registry. */
  providers?: Record<string, ProviderFactory>;
  /** The app's logger (Default: silent), e.g. one writing to a stream a test reads. */
  logger?: Logger;
  /** Rows per import chunk (Default: 100, as on the embedded database). */
  importChunkRows?: number;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const handle = await createTestDatabase();
  // Fake vendors listen on 127.0.0.1, so test apps may reach private hosts unless a test says otherwise.
  const config = makeConfig({ logLevel: 'silent', allowPrivateGatewayHosts: true, secretKey: TEST_SECRET_KEY, ...options.config });
  const queue = options.jobs ? await startQueue(handle.db, pino({ level: 'silent' }), { supervise: false }) : null;
  const deps: ServiceDeps = serviceDeps(config, handle, {
    queue: queue ?? noQueue,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.providers ? { providers: options.providers } : {}),
    // No caching unless a test asks: every request sees the database as it is.
    cacheTtlMs: options.cacheTtlMs ?? 0,
    publicUrl: 'http://rollcall.test',
    importChunkRows: options.importChunkRows ?? 100,
  });
  if (queue) {
    await startJobWorkers(deps, queue);
  }
  const app = await buildApp({ config, services: deps, logger: options.logger ?? pino({ level: 'silent' }), isReady: async () => true });
  await createWebUser(deps, { email: 'root@example.org', password: 'root-password', isSuperuser: true });
  const adminToken = await issueApiToken(deps, 'root@example.org', 'root-password');

  const request: TestApp['request'] = (method, url, opts = {}) => {
    const token = opts.token === undefined ? adminToken : opts.token;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (token) {
      headers.authorization = `Bearer ${token}`;
    }
    const inject: InjectOptions = { method, url, headers };
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) {
        inject.payload = opts.body;
        headers['content-type'] ??= 'application/json';
      } else {
        inject.payload = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
    }
    return app.inject(inject);
  };

  return {
    app,
    deps,
    handle,
    databaseUrl: handle.url,
    config,
    adminToken,
    request,
    async createProject(name, body = {}) {
      const res = await request('POST', '/api/v1/projects', { body: { name, ...body } });
      if (res.statusCode !== 201) {
        throw new Error(`createProject ${name}: ${res.statusCode} ${res.body}`);
      }
      return res.json();
    },
    async createMember(projectName, role, email) {
      const project = await findProjectByName(deps.db, projectName);
      if (!project) {
        throw new Error(`no project ${projectName}`);
      }
      const address = email ?? `user${++counter}-${process.pid}@example.org`;
      const user = await createWebUser(deps, { email: address, password: 'member-password', isSuperuser: false });
      await upsertMembership(deps.db, project.id, user.id, role);
      return issueApiToken(deps, address, 'member-password');
    },
    async close() {
      await app.close();
      await queue?.stop();
      await deps.providers.close();
      deps.metrics.close();
      await handle.close();
    },
  };
}

/** A test app with the project "kenya" (KE, Africa/Nairobi) and member@example.org, password "member-password", a member of it. */
export async function createKenyaApp(): Promise<TestApp> {
  const t = await createTestApp();
  await t.createProject('kenya', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.createMember('kenya', 'member', 'member@example.org');
  return t;
}

/** GETs `url` (an import or a broadcast) until its status is done or failed, or `timeoutMs` has passed; the last body read. */
export async function waitFinished(t: TestApp, url: string, timeoutMs = 60_000, pollMs = 100): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await t.request('GET', url)).json();
    if (body.status === 'done' || body.status === 'failed' || Date.now() > deadline) {
      return body;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
