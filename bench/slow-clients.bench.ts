/**
 * /healthz latency while 3,000 slow clients are in progress, and how long the server holds them.
 *
 * A real `rollcall serve` (the build in dist/, embedded database, shipped timeouts unless
 * ROLLCALL_BENCH_SLOW_TIMEOUT_MS sets ROLLCALL_REQUEST_TIMEOUT_MS for a quicker look) gets 3,000 raw
 * connections, opened in batches of 200, each sending the headers of a POST with
 * `Content-Length: 65536` and then one byte of body every 5 s (often enough that the idle timeout
 * never cuts them: only the request timeout does). Once all are open, /healthz is asked 400 times,
 * one request every 50 ms on one keep-alive connection, and its p50/p99 are compared with the same
 * run before the slow clients came. Then the slow clients keep trickling until the server closes
 * them (at most the request timeout + 60 s): the table gives how long they were held and how many
 * were told 408.
 *
 * The slow clients themselves are openSlowClients(), also used as a load of
 * bench/upload-pressure.bench.ts (there with `reopen`, so that 3,000 stay in progress).
 *
 * File descriptors: this process holds 3,000 sockets and the server 3,000 more, each under its own
 * open-file limit; ensureOpenFiles() raises this process's soft limit towards the hard one when it
 * is short (Node already does so at startup; the server, spawned afterwards, inherits it) and
 * otherwise stops at once, saying so, when `ulimit -n` is below 3,000 + 256 (docs/operations.md,
 * "Timeouts and connection limits"). Run it with `ulimit -n 8192` or more.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

import { freePort, tempDir } from '../test/support/child-server.ts';
import { openFileLimit, RESERVED_FILES } from '../src/http/server-limits.ts';
import type { BenchResult } from './support/result.ts';
import { kill, serverEnv, spawnRollcall, waitHealthy } from './support/server.ts';
import { percentile } from './support/stats.ts';

const SLOW_CLIENTS = 3_000;
const BATCH = 200;
const TRICKLE_EVERY_MS = 5_000;
const HEALTH_REQUESTS = 400;
const HEALTH_EVERY_MS = 50;
/** The shipped ROLLCALL_REQUEST_TIMEOUT_MS (src/config.ts). */
const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;

/** One slow connection. */
export interface Slow {
  socket: net.Socket;
  /** When this connection was open, and when it closed (ms since the first one opened). */
  openedAt: number;
  closedAt: number | null;
  /** Whether it ever connected. */
  connected: boolean;
  /** Closed by this process (stop()), not by the server. */
  closedByUs: boolean;
  answer: string;
  /** The socket's error code, if it had one (e.g. ECONNRESET). */
  error?: string;
}

/** The hard open-file limit of this process (Linux), or null. */
function hardOpenFileLimit(): number | null {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const hard = line?.slice('Max open files'.length).trim().split(/\s+/)[1];
    return hard && /^\d+$/.test(hard) ? Number(hard) : hard === 'unlimited' ? Infinity : null;
  } catch {
    return null;
  }
}

/**
 * Makes sure this process (and a server spawned after it, which inherits the limit) may hold
 * `sockets` sockets besides RESERVED_FILES: when the soft limit is short, raises it with prlimit(1)
 * (Node has no setrlimit), which an unprivileged process may do up to the hard limit; otherwise
 * throws, saying what to run. Returns the soft limit in force.
 */
export function ensureOpenFiles(sockets: number): number | null {
  const need = sockets + RESERVED_FILES;
  const soft = openFileLimit();
  if (soft === null || soft >= need) {
    return soft;
  }
  try {
    execFileSync('prlimit', [`--pid=${process.pid}`, `--nofile=${need}:`], { stdio: 'ignore' });
  } catch {
    // Reported below.
  }
  const after = openFileLimit();
  if (after === null || after < need) {
    const hard = hardOpenFileLimit();
    throw new Error(
      `ulimit -n is ${soft} (hard limit ${hard ?? '?'}) and could not be raised to ${need}: this bench holds ${sockets} sockets (and the server as many); ` +
        `run it from a shell with \`ulimit -n ${need}\` or more${hard !== null && hard < need ? ' (above the hard limit: as root, or LimitNOFILE= / --ulimit nofile=)' : ''}`,
    );
  }
  process.stderr.write(`open-file limit raised from ${soft} to ${after} for ${sockets} slow clients\n`);
  return after;
}

function openSlow(port: number, startedAt: number, onClose: (slow: Slow) => void): Promise<Slow> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const slow: Slow = { socket, openedAt: Date.now() - startedAt, closedAt: null, connected: false, closedByUs: false, answer: '' };
  socket.on('data', (d: Buffer) => (slow.answer += d.toString('latin1').slice(0, 64)));
  socket.on('error', (err: NodeJS.ErrnoException) => (slow.error ??= err.code ?? err.message));
  socket.on('close', () => {
    slow.closedAt = Date.now() - startedAt;
    onClose(slow);
  });
  return new Promise<Slow>((resolve) => {
    socket.once('connect', () => {
      slow.openedAt = Date.now() - startedAt;
      slow.connected = true;
      socket.write('POST /api/v1/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{');
      resolve(slow);
    });
    socket.once('close', () => resolve(slow));
  });
}

/** What happened to the slow clients so far. Held: from a connection's connect to the server's close. */
export interface SlowOutcome {
  /** Connections attempted, and how many of them connected. */
  opened: number;
  connected: number;
  /** Closed by the server: told 408 Request Timeout first, told something else first, told nothing. */
  told408: number;
  otherAnswer: string[];
  closedSilently: number;
  /** Of those closed without an answer: their socket errors (code ×count) and held times (ms, ascending). */
  silentErrors: string[];
  silentHeld: number[];
  /** Still open (at stop(): closed by this process). */
  stillOpen: number;
  /** Held times (ms) of the connections the server closed, ascending. */
  held: number[];
}

export function slowOutcome(clients: Slow[]): SlowOutcome {
  const byServer = clients.filter((s) => s.connected && s.closedAt !== null && !s.closedByUs);
  const other = byServer.filter((s) => s.answer !== '' && !s.answer.startsWith('HTTP/1.1 408'));
  return {
    opened: clients.length,
    connected: clients.filter((s) => s.connected).length,
    told408: byServer.filter((s) => s.answer.startsWith('HTTP/1.1 408')).length,
    otherAnswer: [...new Set(other.map((s) => s.answer.split('\r\n')[0] ?? ''))],
    closedSilently: byServer.filter((s) => s.answer === '').length,
    silentErrors: [...byServer.filter((s) => s.answer === '').reduce((m, s) => m.set(s.error ?? 'no error', (m.get(s.error ?? 'no error') ?? 0) + 1), new Map<string, number>())].map(([k, v]) => `${k} ×${v}`),
    silentHeld: byServer.filter((s) => s.answer === '').map((s) => (s.closedAt ?? 0) - s.openedAt).sort((a, b) => a - b),
    stillOpen: clients.filter((s) => s.connected && (s.closedAt === null || s.closedByUs)).length,
    held: byServer.map((s) => (s.closedAt ?? 0) - s.openedAt).sort((a, b) => a - b),
  };
}

export interface SlowClients {
  /** Every connection opened so far (reopened ones included). */
  clients: Slow[];
  /** Milliseconds it took to open the first `count`. */
  openedInMs: number;
  /** Connections open now. */
  open(): number;
  /** Stops trickling and reopening, closes what is still open, and says what happened. */
  stop(): SlowOutcome;
}

/**
 * Opens `count` slow-body connections to 127.0.0.1:`port` in batches of `batch` (resolving once
 * all have connected or failed), each sending one byte of body every `trickleEveryMs` from then on.
 * With `reopen`, a connection the server closes is replaced at once (after 1 s if it never
 * connected), so that `count` stay in progress until stop().
 */
export async function openSlowClients(port: number, opts: { count?: number; batch?: number; trickleEveryMs?: number; reopen?: boolean } = {}): Promise<SlowClients> {
  const count = opts.count ?? SLOW_CLIENTS;
  const batch = opts.batch ?? BATCH;
  const clients: Slow[] = [];
  const live = new Set<Slow>();
  let running = true;
  const startedAt = Date.now();
  const add = (s: Slow) => {
    clients.push(s);
    if (s.closedAt === null && !running) {
      // Reopened while stop() ran.
      s.closedByUs = true;
      s.socket.destroy();
    } else if (s.closedAt === null) {
      live.add(s);
    }
  };
  const onClose = (s: Slow) => {
    live.delete(s);
    if (running && opts.reopen && !s.closedByUs) {
      setTimeout(() => running && void openSlow(port, startedAt, onClose).then(add), s.connected ? 0 : 1_000);
    }
  };
  for (let i = 0; i < count; i += batch) {
    for (const s of await Promise.all(Array.from({ length: Math.min(batch, count - i) }, () => openSlow(port, startedAt, onClose)))) {
      add(s);
    }
  }
  const openedInMs = Date.now() - startedAt;
  const trickle = setInterval(() => {
    for (const s of live) {
      if (s.socket.writable) {
        s.socket.write('{');
      }
    }
  }, opts.trickleEveryMs ?? TRICKLE_EVERY_MS);
  return {
    clients,
    openedInMs,
    open: () => live.size,
    stop() {
      running = false;
      clearInterval(trickle);
      for (const s of clients) {
        if (s.closedAt === null) {
          s.closedByUs = true;
          s.socket.destroy();
        }
      }
      return slowOutcome(clients);
    },
  };
}

/** `count` GET /healthz on one keep-alive connection, one every `everyMs`; latencies in ms (failures as Infinity). */
async function healthLatencies(port: number, count: number, everyMs: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => resolve(false));
      });
      out.push(ok ? performance.now() - t0 : Infinity);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    agent.destroy();
  }
  return out;
}

export async function benchSlowClients(): Promise<BenchResult[]> {
  ensureOpenFiles(SLOW_CLIENTS);
  const requestTimeoutMs = Number(process.env.ROLLCALL_BENCH_SLOW_TIMEOUT_MS ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const extra: Record<string, string> = process.env.ROLLCALL_BENCH_SLOW_TIMEOUT_MS ? { ROLLCALL_REQUEST_TIMEOUT_MS: String(requestTimeoutMs) } : {};
  const child = spawnRollcall('serve', serverEnv(port, tempDir('rollcall-bench-slow-'), null, extra));
  let slow: SlowClients | undefined;
  try {
    await waitHealthy(base, child, 120_000);
    const before = (await healthLatencies(port, HEALTH_REQUESTS / 4, HEALTH_EVERY_MS)).sort((a, b) => a - b);

    slow = await openSlowClients(port, { count: SLOW_CLIENTS, batch: BATCH, trickleEveryMs: TRICKLE_EVERY_MS });
    const openedInMs = slow.openedInMs;

    const during = (await healthLatencies(port, HEALTH_REQUESTS, HEALTH_EVERY_MS)).sort((a, b) => a - b);
    const openAfter = slow.open();

    // The slow clients keep trickling until the server closes them.
    const deadline = Date.now() + requestTimeoutMs + 60_000;
    while (slow.open() > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const outcome = slow.stop();
    // Held: from its own connect to the server's close (never: still open at the deadline).
    const held = [...outcome.held, ...Array.from({ length: outcome.stillOpen }, () => Infinity)];
    const stillOpen = outcome.stillOpen;
    const told408 = outcome.told408;

    const p50 = percentile(during, 50, { rank: 'floor' });
    const p99 = percentile(during, 99, { rank: 'floor' });
    const failed = during.filter((d) => d === Infinity).length;
    const heldMedian = percentile(held, 50, { rank: 'floor' });
    const heldMax = held.at(-1) ?? Infinity;
    const s = (ms: number) => (ms === Infinity ? 'never' : `${(ms / 1000).toFixed(1)} s`);
    return [
      {
        figure: `/healthz while ${SLOW_CLIENTS} slow-body clients are in progress`,
        target: 'p99 < 200 ms',
        measured: `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
        pass: p99 < 200 && failed === 0 && openAfter === SLOW_CLIENTS,
        note: `${HEALTH_REQUESTS} requests, ${failed} failed; before the slow clients p50 ${percentile(before, 50, { rank: 'floor' }).toFixed(1)} ms, p99 ${percentile(before, 99, { rank: 'floor' }).toFixed(1)} ms; ${SLOW_CLIENTS} connections opened in ${s(openedInMs)}, ${openAfter} still in progress after the measurement`,
      },
      {
        figure: `How long the server holds ${SLOW_CLIENTS} slow-body clients`,
        target: `closed within ROLLCALL_REQUEST_TIMEOUT_MS (${s(requestTimeoutMs)}) + 10 s`,
        measured: `median ${s(heldMedian)}, max ${s(heldMax)}`,
        pass: stillOpen === 0 && heldMax <= requestTimeoutMs + 10_000,
        note: `shortest ${s(held[0] ?? Infinity)}; ${told408} told 408 Request Timeout; ${stillOpen} still open at the deadline; one byte every ${TRICKLE_EVERY_MS / 1000} s each`,
      },
    ];
  } finally {
    slow?.stop();
    await kill(child, 'SIGTERM');
    await kill(child, 'SIGKILL');
  }
}
