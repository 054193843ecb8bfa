/**
 * The system under soak: a fresh database rollcall_soak_<pid> on the given PostgreSQL server, two
 * `rollcall serve` processes with their in-process workers off (ROLLCALL_RUN_WORKER=false) and two
 * `rollcall worker` processes, all on that database. The first server starts alone (it migrates
 * and creates the admin); the other three then start together. stop() ends every child (SIGTERM,
 * then SIGKILL after 15 s) and drops the database, unless `keepDb` (soak --keep-db).
 */
import fs from 'node:fs';

import { type Child, freePort, kill, tempDir, waitHealthy } from '../../test/support/child-server.ts';
import { spawnRollcall } from '../support/server.ts';
import { adminQuery } from '../support/server.ts';

export const ADMIN = { email: 'soak@example.org', password: 'soak-password' };
const KEY = '5a'.repeat(32);

export interface SoakProcess {
  name: string;
  child: Child;
  base: string | null;
  /** Its Prometheus text (a server's /metrics, a worker's status port), read with METRICS_TOKEN. */
  metricsUrl: string;
}

/** The processes' ROLLCALL_METRICS_TOKEN: the memory sampler reads their heap gauges with it. */
export const METRICS_TOKEN = 'soak-metrics-token-0123456789';

export interface Cluster {
  dbUrl: string;
  dbName: string;
  servers: SoakProcess[];
  workers: SoakProcess[];
  all(): SoakProcess[];
  /** Ends every process and drops the database, unless `keepDb` (or `keep`: a failed run keeps its evidence). */
  stop(keep?: boolean): Promise<void>;
}

export { adminQuery };

/** Fails with a clear message when the server cannot be reached. */
export async function checkReachable(url: string): Promise<void> {
  try {
    await adminQuery(url, 'select 1');
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${url.replace(/\/\/[^@/]*@/, '//…@')}: ${(err as Error).message}. The soak test needs a PostgreSQL server (--pg URL or ROLLCALL_BENCH_DATABASE_URL).`);
  }
}

function commonEnv(dbUrl: string, dataDir: string, pooled: boolean): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    ...(pooled ? { ROLLCALL_DB_POOLER: 'transaction' } : {}),
    DATA_DIR: dataDir,
    ROLLCALL_SECRET_KEY: KEY,
    ROLLCALL_ADMIN_EMAIL: ADMIN.email,
    ROLLCALL_ADMIN_PASSWORD: ADMIN.password,
    ROLLCALL_METRICS_TOKEN: METRICS_TOKEN,
    ROLLCALL_DB_POOL_SIZE: '8',
    // Retries within the run: 1 s, 2 s (Default 30 s would outlast a short soak).
    ROLLCALL_RETRY_BASE_MS: '1000',
    LOG_LEVEL: 'warn',
  };
}

/**
 * SOAK_WORKER_NODE_OPTIONS: NODE_OPTIONS for the two workers only, to look into their memory, e.g.
 * `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp/snaps` (then `kill -USR2 <pid>` writes a
 * heap snapshot, after a full GC) or `--trace-gc`.
 */
function workerNodeOptions(): Record<string, string> {
  const options = process.env.SOAK_WORKER_NODE_OPTIONS?.trim();
  return options ? { NODE_OPTIONS: options } : {};
}

/**
 * With `poolerUrl` (soak --pooler URL: PgBouncer in transaction mode in front of the same server),
 * the four processes connect through it with ROLLCALL_DB_POOLER=transaction; the database is still
 * made, checked and dropped directly on the server.
 */
export async function startCluster(serverUrl: string, keepDb = false, poolerUrl: string | null = null): Promise<Cluster> {
  const dbName = `rollcall_soak_${process.pid}`;
  await adminQuery(serverUrl, `drop database if exists ${dbName} with (force)`);
  await adminQuery(serverUrl, `create database ${dbName}`);
  const onDb = (url: string) => {
    const u = new URL(url);
    u.pathname = '/' + dbName;
    return u.toString();
  };
  const dbUrl = onDb(serverUrl);
  const env = (dataDir: string) => commonEnv(poolerUrl ? onDb(poolerUrl) : dbUrl, dataDir, poolerUrl !== null);
  const dataDir = tempDir('rollcall-soak-');
  const servers: SoakProcess[] = [];
  const workers: SoakProcess[] = [];
  const stop = async (keep = false) => {
    const all = [...servers, ...workers];
    await Promise.all(all.map((p) => kill(p.child, 'SIGTERM')));
    await Promise.all(all.map((p) => kill(p.child, 'SIGKILL')));
    if (!keepDb && !keep) {
      await adminQuery(serverUrl, `drop database if exists ${dbName} with (force)`).catch(() => undefined);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const startServer = async (name: string) => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawnRollcall('serve', { ...env(dataDir), PORT: String(port), ROLLCALL_PUBLIC_URL: base, ROLLCALL_RUN_WORKER: 'false' });
    const p = { name, child, base, metricsUrl: `${base}/metrics` };
    servers.push(p);
    await waitHealthy(base, child, 120_000);
    return p;
  };
  const startWorker = async (name: string) => {
    // The status port serves the worker's /metrics (its heap gauges for the memory sampler).
    const port = await freePort();
    const child = spawnRollcall('worker', { ...env(dataDir), ROLLCALL_PUBLIC_URL: 'http://127.0.0.1:9', HOST: '127.0.0.1', ROLLCALL_WORKER_STATUS_PORT: String(port), ...workerNodeOptions() });
    workers.push({ name, child, base: null, metricsUrl: `http://127.0.0.1:${port}/metrics` });
  };
  try {
    await startServer('serve-1');
    await startWorker('worker-1');
    await startWorker('worker-2');
    await startServer('serve-2');
    // A worker that died at start-up (e.g. a migration race) fails the soak now, not at the end.
    await new Promise((r) => setTimeout(r, 3_000));
    for (const w of workers) {
      if (w.child.proc.exitCode !== null || w.child.proc.signalCode !== null) {
        throw new Error(`${w.name} exited at start-up: ${w.child.output().slice(-1500)}`);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { dbUrl, dbName, servers, workers, all: () => [...servers, ...workers], stop };
}

export interface LogCounts {
  warn: number;
  error: number;
  /** Distinct messages at error level or above, with counts. */
  errors: Map<string, number>;
  warnings: Map<string, number>;
  /** Lines that are not JSON (stack traces, printed text). */
  other: number;
}

/** Counts pino lines by level in every child's output (levels: 40 warn, 50 error, 60 fatal). */
export function countLogLines(procs: SoakProcess[]): LogCounts {
  const counts: LogCounts = { warn: 0, error: 0, errors: new Map(), warnings: new Map(), other: 0 };
  for (const p of procs) {
    for (const line of p.child.output().split('\n')) {
      if (!line.trim()) {
        continue;
      }
      type Entry = { level?: number; msg?: string; err?: { message?: string } } | null;
      let entry: Entry;
      try {
        entry = JSON.parse(line) as Entry;
      } catch {
        counts.other++;
        continue;
      }
      const level = entry?.level ?? 0;
      const key = `${p.name}: ${entry?.msg ?? ''}${entry?.err?.message ? ` (${entry.err.message.slice(0, 160)})` : ''}`;
      if (level >= 50) {
        counts.error++;
        counts.errors.set(key, (counts.errors.get(key) ?? 0) + 1);
      } else if (level >= 40) {
        counts.warn++;
        counts.warnings.set(key, (counts.warnings.get(key) ?? 0) + 1);
      }
    }
  }
  return counts;
}
