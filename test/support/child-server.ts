/**
 * Runs `rollcall serve` or `rollcall worker` as a real child process, for crash and multi-process
 * tests. Every wait is bounded; stop() kills what is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * A child given a database behind the tests' pooler (ROLLCALL_TEST_POOLER_URL, PgBouncer in
 * transaction mode in .ci/run) is told so, as an operator would tell it.
 */
function poolerSetting(databaseUrl: string | undefined): Record<string, string> {
  const pooler = process.env.ROLLCALL_TEST_POOLER_URL;
  if (!pooler || !databaseUrl) {
    return {};
  }
  try {
    return new URL(pooler).host === new URL(databaseUrl).host ? { ROLLCALL_DB_POOLER: 'transaction' } : {};
  } catch {
    // Several hosts (h1:p1,h2:p2: store/multi-host.ts) are not one URL; the pooler is one host.
    return {};
  }
}

/**
 * Starts the CLI from source through tsx, or, with `built` (a folder written by scripts/build.mjs,
 * relative to the repository), the bundle that `npm start` runs.
 */
export function spawnRollcall(command: string | string[], env: Record<string, string>, built?: string): Child {
  let out = '';
  const entry = built === undefined ? ['--import', 'tsx', 'src/cli/index.ts'] : [path.join(built, 'rollcall.mjs')];
  const proc = spawn(process.execPath, [...entry, ...(Array.isArray(command) ? command : [command])], {
    cwd: root,
    // Fake vendors listen on 127.0.0.1: child servers may reach private hosts unless a test says otherwise.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS: 'true', ...poolerSetting(env.DATABASE_URL), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) {
        return v;
      }
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function waitHealthy(base: string, child: Child, timeoutMs = 120_000): Promise<void> {
  await waitFor(`${base}/healthz (output: ${child.output().slice(-500)})`, async () => (await fetch(`${base}/healthz`)).ok, timeoutMs);
}

export async function kill(child: Child, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill(signal);
  }
  await Promise.race([child.exited, new Promise((r) => setTimeout(r, 10_000))]);
}

export async function api(base: string, token: string | null, method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Runs a CLI command to its end; resolves with its exit code and output. */
export async function runRollcall(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const child = spawnRollcall(args, env);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, output: child.output() };
}
