/**
 * `rollcall worker` answers GET /healthz and GET /metrics on ROLLCALL_WORKER_STATUS_PORT
 * (src/http/worker-status.ts): real worker processes, started as an operator would. On PostgreSQL
 * the worker shares the test database, so a message queued through the test app's API is sent by
 * it and shows in its dispatch counters; on the embedded database the worker holds its own data
 * folder, so only the families are checked there. Its memory gauges are checked against /proc.
 * Also: the setting's parsing, 503 when the database does not answer, the token rules, 404, a port
 * already taken, and `off` (nothing listens).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';

import { pino } from 'pino';

import { loadConfig, makeConfig } from '../src/config.ts';
import { buildWorkerStatusApp } from '../src/http/worker-status.ts';
import { type Child, freePort, kill, spawnRollcall, tempDir, waitFor } from './support/child-server.ts';
import { onPostgres } from './support/test-db.ts';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from './support/test-app.ts';

const METRICS_TOKEN = 'worker-scraper-token-0123456789';
let t: TestApp;
const children: Child[] = [];
const dirs: string[] = [];

before(async () => {
  t = await createTestApp({ config: { metricsToken: METRICS_TOKEN } });
});
after(async () => {
  for (const c of children.filter((c) => c.proc.exitCode === null && c.proc.signalCode === null)) {
    await kill(c, 'SIGTERM');
  }
  await t.close();
  for (const dir of dirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A `rollcall worker` against the test database (PostgreSQL) or a data folder of its own (embedded). */
function startWorker(env: Record<string, string>): Child {
  const dataDir = tempDir('rollcall-worker-status-');
  dirs.push(dataDir);
  const child = spawnRollcall('worker', {
    ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : {}),
    DATA_DIR: dataDir,
    ROLLCALL_SECRET_KEY: TEST_SECRET_KEY,
    ROLLCALL_DISPATCH_POLL_MS: '50',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...env,
  });
  children.push(child);
  return child;
}

/** The worker's "rollcall worker running" log line, once it has started. */
async function running(child: Child): Promise<{ statusUrl: string | null }> {
  const started = waitFor(
    `the worker to start (output: ${child.output().slice(-800)})`,
    async () => {
      for (const line of child.output().split('\n')) {
        try {
          const entry = JSON.parse(line) as { msg?: string; statusUrl?: string | null };
          if (entry.msg === 'rollcall worker running') {
            return { statusUrl: entry.statusUrl ?? null };
          }
        } catch {
          // not a log line
        }
      }
      return null;
    },
    120_000,
    100,
  );
  started.catch(() => {}); // when the worker exits first, the race below reports that instead
  let settled = false;
  const exited = child.exited.then((code) => {
    if (!settled) {
      throw new Error(`the worker exited with ${code} before it started: ${child.output().slice(-800)}`);
    }
    return { statusUrl: null };
  });
  try {
    return await Promise.race([started, exited]);
  } finally {
    settled = true;
  }
}

/** Sockets of a process that listen for TCP connections (Linux /proc), or null where that cannot be read. */
function listeningSockets(pid: number): number | null {
  if (!fs.existsSync(`/proc/${pid}/fd`) || !fs.existsSync('/proc/net/tcp')) {
    return null;
  }
  const listening = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[9]) {
        listening.add(cols[9]);
      }
    }
  }
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let link = '';
    try {
      link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1] && listening.has(m[1])) {
      n += 1;
    }
  }
  return n;
}

async function get(url: string, token?: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url, token === undefined ? {} : { headers: { authorization: token } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The value of one sample line, e.g. value(body, 'rollcall_messages_waiting{status="queued"}'). */
function value(body: string, series: string): number | null {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

/** A process's resident memory from /proc (Linux), or null elsewhere. */
function rssBytes(pid: number): number | null {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : null;
  } catch {
    return null;
  }
}

function families(body: string): string[] {
  return body.split('\n').filter((l) => l.startsWith('# TYPE ')).sort();
}

test('ROLLCALL_WORKER_STATUS_PORT: a port, 0, or off (the default); anything else names the setting', () => {
  assert.equal(loadConfig({}).workerStatusPort, null);
  assert.equal(loadConfig({ ROLLCALL_WORKER_STATUS_PORT: '9464' }).workerStatusPort, 9464);
  assert.equal(loadConfig({ ROLLCALL_WORKER_STATUS_PORT: '0' }).workerStatusPort, 0);
  assert.equal(loadConfig({ ROLLCALL_WORKER_STATUS_PORT: '65535' }).workerStatusPort, 65535);
  assert.equal(loadConfig({ ROLLCALL_WORKER_STATUS_PORT: 'off' }).workerStatusPort, null);
  assert.equal(loadConfig({ ROLLCALL_WORKER_STATUS_PORT: ' OFF ' }).workerStatusPort, null);
  for (const bad of ['', '65536', '-1', '94.64', 'on', 'true', '9464x']) {
    assert.throws(() => loadConfig({ ROLLCALL_WORKER_STATUS_PORT: bad }), /Invalid setting ROLLCALL_WORKER_STATUS_PORT: must be a port number/, bad);
  }
});

test('the status app: /healthz answers like the server\'s (503 when the database does not), /metrics has the server\'s families', async () => {
  let ready = true;
  const app = buildWorkerStatusApp({ config: makeConfig({ metricsToken: METRICS_TOKEN }), services: t.deps, logger: pino({ level: 'silent' }), isReady: async () => ready });
  try {
    const ok = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { status: 'ok' });
    const serverOk = await t.request('GET', '/healthz', { token: null });
    assert.deepEqual(ok.json(), serverOk.json());
    assert.equal(ok.headers['content-type'], serverOk.headers['content-type']);
    ready = false;
    const down = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().error.code, 'SERVICE_UNAVAILABLE');
    assert.equal(typeof down.json().error.message, 'string');

    const mine = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(mine.statusCode, 200);
    const server = await t.request('GET', '/metrics');
    assert.equal(server.statusCode, 200);
    assert.equal(mine.headers['content-type'], server.headers['content-type']);
    assert.deepEqual(families(mine.body), families(server.body));
    // A user's API token (even a superuser's) is not a metrics token on a worker.
    const user = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.equal(user.statusCode, 401);
    assert.equal(user.json().error.code, 'UNAUTHORIZED');
  } finally {
    await app.close();
  }
});

test('a worker on port 0: its URL is logged; /healthz, /metrics with the token (its dispatch counters), 401s and 404s', { timeout: 180_000 }, async () => {
  const worker = startWorker({ ROLLCALL_WORKER_STATUS_PORT: '0', ROLLCALL_METRICS_TOKEN: METRICS_TOKEN });
  const { statusUrl } = await running(worker);
  assert.ok(statusUrl, `the worker logs its status URL (output: ${worker.output().slice(-500)})`);
  const base = new URL(statusUrl);
  assert.equal(base.hostname, '127.0.0.1', 'it binds to HOST');
  assert.notEqual(base.port, '0', 'the port the system picked is logged');
  const url = (p: string) => new URL(p, base).toString();

  const health = await get(url('/healthz'));
  assert.equal(health.status, 200);
  assert.match(health.type, /^application\/json/);
  assert.deepEqual(JSON.parse(health.text), { status: 'ok' });

  for (const auth of [undefined, 'Bearer not-the-metrics-token-at-all', `Basic ${METRICS_TOKEN}`, `Bearer ${METRICS_TOKEN}x`]) {
    const refused = await get(url('/metrics'), auth);
    assert.equal(refused.status, 401, String(auth));
    assert.match(refused.type, /^application\/json/);
    const body = JSON.parse(refused.text) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNAUTHORIZED');
    assert.match(body.error.message, /ROLLCALL_METRICS_TOKEN/);
    assert.doesNotMatch(refused.text, /rollcall_/);
  }

  for (const [method, path] of [['GET', '/'], ['GET', '/nope'], ['GET', '/api/v1/errors'], ['POST', '/healthz'], ['GET', '/healthz/extra']] as const) {
    const res = await fetch(url(path), { method });
    assert.equal(res.status, 404, `${method} ${path}`);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'NOT_FOUND');
    assert.match(body.error.message, /\/healthz and GET \/metrics/);
  }

  let metrics = await get(url('/metrics'), `Bearer ${METRICS_TOKEN}`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
  for (const family of ['rollcall_messages_waiting gauge', 'rollcall_messages_sending gauge', 'rollcall_messages_oldest_due_seconds gauge', 'rollcall_inbound_unhandled gauge', 'rollcall_opted_out_numbers gauge', 'rollcall_reminder_cases_waiting gauge', 'rollcall_dispatch_results_total counter', 'rollcall_webhook_requests_total counter', 'rollcall_webhook_duration_seconds histogram', 'rollcall_process_rss_bytes gauge', 'rollcall_process_heap_total_bytes gauge', 'rollcall_process_heap_used_bytes gauge', 'rollcall_process_heap_used_after_gc_bytes gauge', 'rollcall_process_external_bytes gauge', 'rollcall_process_array_buffers_bytes gauge']) {
    assert.ok(metrics.text.includes(`# TYPE ${family}\n`), `${family} in:\n${metrics.text}`);
  }
  // The memory gauges are the worker's own: its RSS as /proc tells it, its heap within it.
  const rss = value(metrics.text, 'rollcall_process_rss_bytes') as number;
  const heapUsed = value(metrics.text, 'rollcall_process_heap_used_bytes') as number;
  const procRss = rssBytes(worker.proc.pid as number);
  if (procRss !== null) {
    assert.ok(Math.abs(rss - procRss) < 64 * 2 ** 20, `RSS ${rss} on /metrics, ${procRss} in /proc`);
  }
  assert.ok(heapUsed > 0 && heapUsed < rss, `heap used ${heapUsed} within RSS ${rss}`);
  assert.ok((value(metrics.text, 'rollcall_process_heap_used_after_gc_bytes') as number) > 0);
  assert.deepEqual(families(metrics.text), families((await t.request('GET', '/metrics')).body), 'the same families as the server');

  if (onPostgres) {
    // The worker shares the test database: a message queued through the API is sent by it.
    await t.createProject('wstatus', { defaultCountry: 'KE' });
    assert.equal((await t.request('POST', '/api/v1/projects/wstatus/gateways', { body: { name: 'sms', type: 'test' } })).statusCode, 201);
    await t.request('PUT', '/api/v1/projects/wstatus/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
    const queued = await t.request('POST', '/api/v1/projects/wstatus/messages', { body: { recipient: { phoneNumber: '+254712000101' }, text: 'from the worker' } });
    assert.equal(queued.statusCode, 201);
    metrics = await waitFor(
      `the worker's counter of sent messages (output: ${worker.output().slice(-500)})`,
      async () => {
        const m = await get(url('/metrics'), `Bearer ${METRICS_TOKEN}`);
        return value(m.text, 'rollcall_dispatch_results_total{status="sent",code=""}') === 1 ? m : null;
      },
      60_000,
      100,
    );
    assert.equal(value(metrics.text, 'rollcall_messages_waiting{status="queued"}'), 0);
    const row = await t.deps.db.selectFrom('messages').select('status').where('text', '=', 'from the worker').executeTakeFirstOrThrow();
    assert.equal(row.status, 'sent');
    // The test app sent nothing itself: its own counter has no such sample.
    assert.equal(value((await t.request('GET', '/metrics')).body, 'rollcall_dispatch_results_total{status="sent",code=""}'), null);
  }
  for (const line of metrics.text.split('\n').filter((l) => l && !l.startsWith('#'))) {
    assert.match(line, /^[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$/, line);
  }

  const sockets = listeningSockets(worker.proc.pid as number);
  if (sockets !== null) {
    assert.equal(sockets, 1, 'the worker listens on its status port only');
  }
  // SIGTERM closes the status server with the rest.
  worker.proc.kill('SIGTERM');
  assert.equal(await worker.exited, 0, worker.output().slice(-500));
  await assert.rejects(fetch(url('/healthz')));
});

test('a worker without ROLLCALL_METRICS_TOKEN on a set port: /healthz answers, /metrics is 401 saying to set the token', { timeout: 180_000 }, async () => {
  const port = await freePort();
  const worker = startWorker({ ROLLCALL_WORKER_STATUS_PORT: String(port) });
  const { statusUrl } = await running(worker);
  assert.equal(statusUrl, `http://127.0.0.1:${port}`);
  const health = await get(`${statusUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.text), { status: 'ok' });
  for (const auth of [undefined, `Bearer ${METRICS_TOKEN}`]) {
    const refused = await get(`${statusUrl}/metrics`, auth);
    assert.equal(refused.status, 401);
    const body = JSON.parse(refused.text) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNAUTHORIZED');
    assert.match(body.error.message, /none is set: set ROLLCALL_METRICS_TOKEN/);
  }
  worker.proc.kill('SIGTERM');
  assert.equal(await worker.exited, 0, worker.output().slice(-500));
});

test('a status port already taken: the worker refuses to start, naming the setting', { timeout: 180_000 }, async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const worker = startWorker({ ROLLCALL_WORKER_STATUS_PORT: String(port), ROLLCALL_METRICS_TOKEN: METRICS_TOKEN });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([worker.exited, new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), 120_000)))]);
    clearTimeout(timer);
    assert.notEqual(code, 0, worker.output().slice(-800));
    assert.notEqual(code, 'running', 'the worker exits');
    assert.match(worker.output(), /ROLLCALL_WORKER_STATUS_PORT: cannot listen on 127\.0\.0\.1:\d+ .*EADDRINUSE/);
  } finally {
    await new Promise((r) => taken.close(r));
  }
});

test('ROLLCALL_WORKER_STATUS_PORT=off: the worker runs and listens on nothing', { timeout: 180_000 }, async () => {
  const worker = startWorker({ ROLLCALL_WORKER_STATUS_PORT: 'off', ROLLCALL_METRICS_TOKEN: METRICS_TOKEN });
  const { statusUrl } = await running(worker);
  assert.equal(statusUrl, null);
  const sockets = listeningSockets(worker.proc.pid as number);
  if (sockets !== null) {
    assert.equal(sockets, 0, 'no listening socket');
  }
  assert.equal(worker.proc.exitCode, null, 'still running');
  worker.proc.kill('SIGTERM');
  assert.equal(await worker.exited, 0, worker.output().slice(-500));
});
