/**
 * Slow and idle clients against a real `rollcall serve` process (issue 23 item 10): connections that
 * send headers with a Content-Length and then trickle the body a byte at a time, or trickle the
 * headers themselves, are answered 408 and closed once ROLLCALL_REQUEST_TIMEOUT_MS has passed (not
 * held for as long as they keep trickling), while /healthz keeps answering; past
 * ROLLCALL_MAX_CONNECTIONS, new connections are closed on arrival, and once the held ones go the
 * server answers again. Bounds are generous: a slow machine only makes the waits longer.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, describe, test } from 'node:test';

import { killAll, removeTempDirs, serve, stop, tempDir, waitFor } from './support/process.ts';

after(async () => {
  await killAll();
  removeTempDirs();
});

interface SlowClient {
  socket: net.Socket;
  /** Resolves when the server closes the connection: how long it was held and what the server said. */
  closed: Promise<{ heldMs: number; answer: string }>;
}

/** A connection that sends `head` at once, then one byte of `trickle` every `everyMs` until the server closes it. */
function slowClient(port: number, head: string, trickle: string, everyMs: number): SlowClient {
  const started = Date.now();
  const socket = net.connect({ port, host: '127.0.0.1' });
  let answer = '';
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write(head);
    timer = setInterval(() => {
      if (sent < trickle.length && socket.writable) {
        socket.write(trickle[sent++] ?? '');
      }
    }, everyMs);
  });
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<{ heldMs: number; answer: string }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ heldMs: Date.now() - started, answer });
    }),
  );
  return { socket, closed };
}

/** GET /healthz on a connection of its own: the status, or the error's code when the connection was refused or dropped. */
function health(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, headers: { connection: 'close' }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

const BODY_HEAD = 'POST /api/v1/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n';

describe('slow and idle clients against a real server', { timeout: 600_000 }, () => {
  test('slow bodies and slow headers are answered 408 and closed after the request timeout; /healthz answers meanwhile', async () => {
    const server = await serve({ DATA_DIR: tempDir('rollcall-slow-'), ROLLCALL_REQUEST_TIMEOUT_MS: '3000' }, 240_000);
    const bodies = Array.from({ length: 40 }, () => slowClient(server.port, BODY_HEAD, '{'.repeat(4096), 400));
    const heads = Array.from({ length: 10 }, () => slowClient(server.port, 'GET /healthz HTTP/1.1\r\n', 'X-Slow: ' + 'a'.repeat(4000), 400));
    for (let i = 0; i < 5; i++) {
      assert.equal(await health(server.port), 200, 'the server answers others while slow clients trickle');
    }
    const results = await Promise.all([...bodies, ...heads].map((c) => c.closed));
    for (const [i, r] of results.entries()) {
      const what = `${i < bodies.length ? 'slow body' : 'slow headers'} #${i}: held ${r.heldMs} ms, answer ${JSON.stringify(r.answer.slice(0, 60))}`;
      assert.ok(r.heldMs >= 2_000, `not cut before the timeout: ${what}`);
      assert.ok(r.heldMs < 45_000, `cut soon after the 3 s timeout, not held while it trickles: ${what}`);
      assert.ok(r.answer === '' || r.answer.startsWith('HTTP/1.1 408'), what);
    }
    assert.ok(results.filter((r) => r.answer.startsWith('HTTP/1.1 408')).length >= results.length / 2, 'most were told 408 Request Timeout');
    console.log(`# ${results.length} slow clients held ${Math.min(...results.map((r) => r.heldMs))}–${Math.max(...results.map((r) => r.heldMs))} ms (timeout 3000 ms)`);
    assert.equal(await health(server.port), 200);
    assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0);
  });

  test('past ROLLCALL_MAX_CONNECTIONS new connections are closed on arrival; once the held ones go, the server answers again', async () => {
    const server = await serve({ DATA_DIR: tempDir('rollcall-slow-'), ROLLCALL_MAX_CONNECTIONS: '20', ROLLCALL_REQUEST_TIMEOUT_MS: '120000' }, 240_000);
    // Wait until the keep-alive connection of serve()'s health check is gone (the fetch pool closes it after 4 s).
    await new Promise((r) => setTimeout(r, 5_000));
    const held = Array.from({ length: 30 }, () => slowClient(server.port, 'GET /healthz HTTP/1.1\r\n', '', 1_000));
    let dropped = 0;
    for (const c of held) {
      void c.closed.then(() => (dropped += 1));
    }
    await waitFor('the connections past the cap to be closed', async () => dropped >= 10, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.ok(dropped >= 10 && dropped <= 11, `${dropped} of 30 closed on arrival (cap 20)`);
    assert.notEqual(await health(server.port), 200, 'a new connection is refused while the cap is reached');
    for (const c of held) {
      c.socket.destroy();
    }
    await waitFor('/healthz once the held connections are gone', async () => (await health(server.port)) === 200, 30_000);
    assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0);
  });
});
