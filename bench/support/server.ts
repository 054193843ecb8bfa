/**
 * Benchmark fixtures: a real `rollcall serve` child process on the embedded database (a temporary
 * folder) or on a fresh PostgreSQL database (created here, dropped by stop()), and load runs in
 * separate processes with a hard time limit.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import pg from 'pg';

import { api, type Child, freePort, kill, spawnRollcall as spawnChild, tempDir, waitHealthy } from '../../test/support/child-server.ts';

const root = path.resolve(import.meta.dirname, '../..');

/** The bundle the benchmarks run, as `npm start` does; built from the current source once per bench process. */
const BUILT = 'dist';
let built = false;

/** Starts `rollcall <command>` from the build in dist/ (what `npm start` runs), building it first. */
export function spawnRollcall(command: string | string[], env: Record<string, string>): Child {
  if (!built) {
    execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--outdir', path.join(root, BUILT)], { stdio: 'ignore' });
    built = true;
  }
  return spawnChild(command, env, BUILT);
}

export const ADMIN = { email: 'bench@example.org', password: 'bench-password' };

export interface BenchServer {
  base: string;
  token: string;
  child: Child;
  dataDir: string;
  databaseUrl: string | null;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Runs one statement on the server of `url` (create or drop a database). */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh database rollcall_bench_<pid>_<random> on the server of `serverUrl`. */
export async function createBenchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rollcall_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const u = new URL(serverUrl);
  u.pathname = '/' + name;
  return { url: u.toString(), drop: () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`) };
}

/** The environment of a bench server: fixed admin, fixed key, warnings only. */
export function serverEnv(port: number, dataDir: string, databaseUrl: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    DATA_DIR: dataDir,
    ROLLCALL_ADMIN_EMAIL: ADMIN.email,
    ROLLCALL_ADMIN_PASSWORD: ADMIN.password,
    ROLLCALL_SECRET_KEY: 'be'.repeat(32),
    LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...extra,
  };
}

/**
 * Starts `rollcall serve` and logs in. On any failure the child is killed, the database dropped
 * and the temporary folder removed before the error is rethrown.
 */
export async function startBenchServer(opts: { pgUrl: string | null; env?: Record<string, string> }): Promise<BenchServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = tempDir('rollcall-bench-');
  const db = opts.pgUrl ? await createBenchDatabase(opts.pgUrl) : null;
  const env = serverEnv(port, dataDir, db?.url ?? null, opts.env);
  const child = spawnRollcall('serve', env);
  const cleanUp = async () => {
    await kill(child, 'SIGTERM');
    await kill(child, 'SIGKILL');
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(base, child, 120_000);
    const login = await api(base, null, 'POST', '/api/v1/auth/tokens', ADMIN);
    if (login.status !== 201) {
      throw new Error(`login failed: ${login.status} ${JSON.stringify(login.json)}`);
    }
    return { base, token: login.json.token as string, child, dataDir, databaseUrl: db?.url ?? null, env, stop: cleanUp };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

export interface LoadResult {
  requests: number;
  /** 2xx responses. */
  ok: number;
  seconds: number;
  /** 2xx responses per second over the whole run. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Steady-rate runs: requests the load process started over 5 ms after their time (it fell behind). */
  lateStarts?: number;
}

/**
 * Runs bench/support/load.ts in its own process and returns its summary. The process is killed if
 * it outlives its duration by 30 s.
 */
export function runLoad(spec: Record<string, unknown> & { durationS: number }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/support/load.ts'), JSON.stringify(spec)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), (spec.durationS + 30) * 1000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) {
        resolve(JSON.parse(line) as LoadResult);
      } else {
        reject(new Error(`load run failed (${signal ?? code}): ${out.slice(-500)}`));
      }
    });
  });
}

export { api, kill, waitHealthy };
