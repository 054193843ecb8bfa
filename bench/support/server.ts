/**
 * Benchmark fixtures: a real `rollcall serve` child process on the embedded database (a temporary
 * folder) or on a fresh PostgreSQL database, and load runs in separate processes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import pg from 'pg';

import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitHealthy } from '../../test/support/child-server.ts';

const root = path.resolve(import.meta.dirname, '../..');

export interface BenchServer {
  base: string;
  token: string;
  child: Child;
  dataDir: string;
  databaseUrl: string | null;
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rollcall_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const u = new URL(serverUrl);
  u.pathname = '/' + name;
  return { url: u.toString(), drop: () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`) };
}

export async function startBenchServer(opts: { pgUrl: string | null; env?: Record<string, string>; dataDir?: string }): Promise<BenchServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const db = opts.pgUrl ? await createBenchDatabase(opts.pgUrl) : null;
  const dataDir = opts.dataDir ?? tempDir('rollcall-bench-');
  const env: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: dataDir,
    ROLLCALL_ADMIN_EMAIL: 'bench@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'bench-password',
    ROLLCALL_SECRET_KEY: 'be'.repeat(32),
    LOG_LEVEL: 'warn',
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...opts.env,
  };
  const child = spawnRollcall('serve', env);
  await waitHealthy(base, child, 120_000);
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'bench@example.org', password: 'bench-password' })).json.token as string;
  return {
    base,
    token,
    child,
    dataDir,
    databaseUrl: db?.url ?? null,
    env,
    async stop() {
      await kill(child, 'SIGTERM');
      await db?.drop();
    },
  };
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Runs bench/support/load.ts in its own process and returns its summary. */
export function runLoad(spec: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/support/load.ts'), JSON.stringify(spec)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) {
        resolve(JSON.parse(line) as LoadResult);
      } else {
        reject(new Error(`load run failed (${code}): ${out}`));
      }
    });
  });
}

export { api, kill, spawnRollcall, waitHealthy };
