/**
 * Rollcall as real child processes for the process and CLI tests: `node --import tsx
 * src/cli/index.ts …` in the project folder, with only the environment given (never the parent's
 * DATABASE_URL or ROLLCALL_TEST_DATABASE_URL, so these tests always use an embedded data folder).
 * stdout and stderr are kept apart. Every wait is bounded; track() + killAll() in after() hooks make
 * sure no child outlives its test file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '../..');

export interface RollcallProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

const running = new Set<RollcallProcess>();

/** A port nobody listens on right now (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const tempDirs: string[] = [];

/** A new empty folder under the OS temp folder, removed by removeTempDirs(). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts `rollcall <args>` with exactly `env` (plus PATH and LOG_LEVEL=warn unless given). */
export function spawnCli(args: string[], env: Record<string, string>): RollcallProcess {
  let out = '';
  let err = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: root,
    // Fake vendors listen on 127.0.0.1: child servers may reach private hosts unless a test says otherwise.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const child: RollcallProcess = { proc, pid: proc.pid ?? -1, stdout: () => out, stderr: () => err, exited };
  running.add(child);
  void exited.then(() => running.delete(child));
  return child;
}

function isRunning(child: RollcallProcess): boolean {
  return child.proc.exitCode === null && child.proc.signalCode === null;
}

/** Waits for the child to exit; 'timeout' if it is still running after timeoutMs. */
export async function waitExit(child: RollcallProcess, timeoutMs: number): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends a signal and waits (bounded) for the exit; escalates to SIGKILL if the child ignores it. */
export async function stop(child: RollcallProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null | 'timeout'> {
  if (!isRunning(child)) {
    return child.proc.exitCode;
  }
  child.proc.kill(signal);
  const code = await waitExit(child, timeoutMs);
  if (code === 'timeout') {
    child.proc.kill('SIGKILL');
    await waitExit(child, 5_000);
  }
  return code;
}

/** Kills every child still running (for after() hooks). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((c) => stop(c, 'SIGKILL', 5_000)));
}

/** Runs a CLI command to its end (killed after timeoutMs). */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<{ code: number | null | 'timeout'; stdout: string; stderr: string; output: string }> {
  const child = spawnCli(args, env);
  const code = await waitExit(child, timeoutMs);
  if (code === 'timeout') {
    await stop(child, 'SIGKILL');
  }
  return { code, stdout: child.stdout(), stderr: child.stderr(), output: child.stdout() + child.stderr() };
}

/** Polls until fn returns a truthy value, or fails after timeoutMs with the last error. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 100): Promise<T> {
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
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A running `rollcall serve`: the process and its base URL. */
export interface Served {
  child: RollcallProcess;
  base: string;
  port: number;
}

/**
 * Starts `rollcall serve` on a free port and waits for /healthz to answer 200. Fails early (with
 * the child's output) if the child exits first.
 */
export async function serve(env: Record<string, string>, timeoutMs = 90_000): Promise<Served> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnCli(['serve'], { ...env, PORT: String(port) });
  await waitFor(
    `${base}/healthz`,
    async () => {
      if (!isRunning(child)) {
        throw new Error(`serve exited with ${child.proc.exitCode ?? child.proc.signalCode}: ${child.stdout()}${child.stderr()}`);
      }
      return (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok;
    },
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- output ---\n${child.stdout()}${child.stderr()}`.slice(0, 4000));
  });
  return { child, base, port };
}

/** A JSON request to a running server. */
export async function api(base: string, token: string | null, method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Logs in and returns a bearer token (asserting 201 through the thrown message). */
export async function tokenFor(base: string, email: string, password: string): Promise<string> {
  const res = await api(base, null, 'POST', '/api/v1/auth/tokens', { email, password });
  if (res.status !== 201 || typeof res.json?.token !== 'string') {
    throw new Error(`login as ${email} failed: ${res.status} ${JSON.stringify(res.json)}`);
  }
  return res.json.token as string;
}
