/**
 * The primary dies and its standby takes over, under load. A private primary with a synchronous
 * streaming standby (support/replicated-postgres.ts); one `rollcall serve` (no workers in it) and
 * one `rollcall worker`, both given DATABASE_URL with the two hosts (store/multi-host.ts). Load:
 * inbound webhooks, outbound messages through an `http` gateway to a fake vendor outside the
 * database (it counts what it was given, independently of the database), and case creation. Then
 * the primary's postmaster is SIGKILLed and the standby promoted with `pg_ctl promote`.
 *
 * What must hold: every acknowledged (2xx) webhook and case is in the promoted database; every
 * acknowledged outbound message ends `sent` (and the vendor has it once) or `failed` with a code
 * (none stuck), and the vendor never receives a message twice; requests that could not be served
 * were refused with 503 SERVICE_UNAVAILABLE, never 500; the serve and worker processes recover by
 * themselves (same PIDs, /healthz 200, the worker sends again, and its job queue expands a broadcast
 * created after the failover). The time from the kill to the first
 * acknowledged write sent after it is printed (`# failover: … ms`). The scenario runs three times,
 * each on fresh clusters: the acceptance is three passes in a row.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import pg from 'pg';

import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitFor, waitHealthy } from '../support/child-server.ts';
import { type FaultyVendor, httpGatewayConfig, startFaultyVendor } from '../support/faulty-vendor.ts';
import { type ReplicatedPostgres, startReplicatedPostgres } from '../support/replicated-postgres.ts';

// These clusters are reached directly, never through the tests' pooler (its URL would not match).
delete process.env.ROLLCALL_TEST_POOLER_URL;

const RUNS = 3;
const SENDERS = 4;
/** Acknowledged webhooks wanted before the kill, and again after the failover. */
const BEFORE = 150;
const AFTER = 150;
const REQUEST_TIMEOUT_MS = 15_000;

interface Answer {
  status: number;
  json: any;
  started: number;
  ended: number;
}

async function post(url: string, body: unknown, token: string | null): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, started, ended: performance.now() };
  } catch (err) {
    return { status: 0, json: { error: { code: `no answer: ${(err as Error).message}` } }, started, ended: performance.now() };
  }
}

const alive = (c: Child) => c.proc.exitCode === null && c.proc.signalCode === null;

/** /healthz answers 200; fails at once, with the child's output, if the child exits first. */
async function healthy(url: string, child: Child, what: string): Promise<void> {
  let done = false;
  try {
    await Promise.race([
      waitHealthy(url, child),
      child.exited.then((code) => {
        if (!done) {
          throw new Error(`${what} exited (${String(code)}) before answering ${url}/healthz: ${child.output().slice(-2000)}`);
        }
      }),
    ]);
  } finally {
    done = true;
  }
}

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/**
 * How the processes reach the database. By default both hosts are in DATABASE_URL (multi-host.ts).
 * With ROLLCALL_FAILOVER_VIA=pgbouncer they reach one PgBouncer in transaction mode
 * (scripts/start-pgbouncer.sh) in front of the primary, and the failover re-points it: its
 * pgbouncer.ini is changed to the promoted standby and RELOADed (docs/operations.md, "Failover").
 */
interface Route {
  via: string;
  env: Record<string, string>;
  /** The database Rollcall uses on the servers. */
  database: string;
  /** What the operator does once the standby is promoted. */
  afterPromote(): Promise<void>;
  close(): void;
}

async function routeTo(cluster: ReplicatedPostgres): Promise<Route> {
  if (process.env.ROLLCALL_FAILOVER_VIA !== 'pgbouncer') {
    return { via: 'multi-host DATABASE_URL', env: { DATABASE_URL: cluster.multiHostUrl }, database: 'postgres', afterPromote: async () => {}, close() {} };
  }
  const admin = new pg.Client({ connectionString: cluster.primaryUrl });
  await admin.connect();
  await admin.query('create database test');
  await admin.end();
  const dir = tempDir('rollcall-failover-pgbouncer-');
  const port = await freePort();
  const { stdout } = await execFileAsync('bash', ['scripts/start-pgbouncer.sh', dir, String(port), '127.0.0.1', String(cluster.primaryPort)], { cwd: root, timeout: 30_000 });
  const ini = path.join(dir, 'pgbouncer.ini');
  const reload = () => execFileAsync('psql', [`postgres://postgres@127.0.0.1:${port}/pgbouncer`, '-Atc', 'RELOAD'], { timeout: 30_000 });
  // After a failed connection to a server PgBouncer waits server_login_retry (default 15 s) before
  // the next attempt, even to a new address: that wait would be most of the failover.
  fs.appendFileSync(ini, 'server_login_retry = 1\n');
  await reload();
  return {
    via: 'PgBouncer re-pointed',
    env: { DATABASE_URL: stdout.trim(), ROLLCALL_DB_POOLER: 'transaction' },
    database: 'test',
    async afterPromote() {
      fs.writeFileSync(ini, fs.readFileSync(ini, 'utf8').replace(`port=${cluster.primaryPort}`, `port=${cluster.standbyPort}`));
      await reload();
    },
    close() {
      try {
        process.kill(Number(fs.readFileSync(path.join(dir, 'pgbouncer.pid'), 'utf8').trim()));
      } catch {
        // not running
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function failoverRun(run: number): Promise<{ failoverMs: number; promoteMs: number; refused: number; inDoubt: number }> {
  let cluster: ReplicatedPostgres | null = null;
  let vendor: FaultyVendor | null = null;
  let route: Route | null = null;
  const children: Child[] = [];
  try {
    cluster = await startReplicatedPostgres();
    route = await routeTo(cluster);
    vendor = await startFaultyVendor((call) => ({ status: 200, body: { vendorId: `v-${call.body.id}` }, delayMs: 20 }));
    const port = await freePort();
    const statusPort = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      ...route.env,
      ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
      ROLLCALL_ADMIN_PASSWORD: 'admin-password',
      ROLLCALL_SECRET_KEY: 'e'.repeat(64),
      ROLLCALL_RETRY_BASE_MS: '200',
      ROLLCALL_MAX_ATTEMPTS: '10',
      ROLLCALL_DISPATCH_POLL_MS: '50',
      // A message whose "sent" could not be recorded is settled (in doubt: failed) soon after.
      ROLLCALL_DISPATCH_LEASE_MS: '3000',
    };
    // The server takes requests only; the worker process does every send and inbound step.
    const server = spawnRollcall('serve', { ...env, PORT: String(port), DATA_DIR: tempDir('rollcall-failover-serve-'), ROLLCALL_RUN_WORKER: 'false' });
    children.push(server);
    await healthy(base, server, 'rollcall serve');
    const worker = spawnRollcall('worker', { ...env, DATA_DIR: tempDir('rollcall-failover-worker-'), ROLLCALL_WORKER_STATUS_PORT: String(statusPort) });
    children.push(worker);
    await healthy(`http://127.0.0.1:${statusPort}`, worker, 'rollcall worker');
    const pids = { server: server.proc.pid, worker: worker.proc.pid };

    const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token as string;
    assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'failover', defaultCountry: 'KE' })).status, 201);
    const sms = await api(base, token, 'POST', '/api/v1/projects/failover/gateways', { name: 'sms', type: 'test' });
    assert.equal(sms.status, 201, JSON.stringify(sms.json));
    const hook = new URL(sms.json.inboundUrl as string).pathname;
    const gw = await api(base, token, 'POST', '/api/v1/projects/failover/gateways', { name: 'vendor', type: 'http', config: httpGatewayConfig(vendor.url, 10_000), ratePerSecond: 1000 });
    assert.equal(gw.status, 201, JSON.stringify(gw.json));
    assert.equal((await api(base, token, 'PUT', '/api/v1/projects/failover/gateway-routes', [{ prefix: '*', gateway: 'VENDOR' }])).status, 200);

    // Recipients of a broadcast sent after the failover (its expansion is a pg-boss job in the worker).
    const broadcastCases: string[] = [];
    for (let k = 0; k < 3; k++) {
      const c = await api(base, token, 'POST', '/api/v1/projects/failover/cases', { caseType: 'mother', name: `mother ${k}`, properties: { contact_phone_number: `+25471400000${k}` } });
      assert.equal(c.status, 201, JSON.stringify(c.json));
      broadcastCases.push(c.json.id as string);
    }

    const ackedInbound: string[] = [];
    const ackedOutbound: Array<{ id: string; text: string; at: number }> = [];
    const ackedCases: string[] = [];
    const refused: Array<{ what: string; status: number; code: unknown; at: number }> = [];
    let killAt = Number.POSITIVE_INFINITY;
    let firstAckAfterKill = Number.POSITIVE_INFINITY;
    const acked = (a: Answer) => {
      if (a.started >= killAt && a.ended < firstAckAfterKill) {
        firstAckAfterKill = a.ended;
      }
    };
    const check = (what: string, a: Answer, ok: number, onOk: () => void) => {
      if (a.status === ok) {
        onOk();
        acked(a);
      } else {
        refused.push({ what, status: a.status, code: a.json?.error?.code, at: a.ended });
      }
    };
    let running = true;
    let n = 0;
    const sender = async () => {
      while (running) {
        const i = n++;
        const tag = `${run}-${i}`;
        const inbound = await post(base + hook, { from: `+2547120${String(i).padStart(5, '0')}`, text: `hello ${tag}`, messageId: `m-${tag}` }, null);
        check('inbound', inbound, 200, () => ackedInbound.push(`m-${tag}`));
        const text = `to ${tag}`;
        const out = await post(`${base}/api/v1/projects/failover/messages`, { recipient: { phoneNumber: `+2547130${String(i).padStart(5, '0')}` }, text }, token);
        check('outbound', out, 201, () => ackedOutbound.push({ id: out.json.id as string, text, at: out.ended }));
        const kase = await post(`${base}/api/v1/projects/failover/cases`, { caseType: 'patient', name: `case ${tag}`, properties: { village: `v${i}` } }, token);
        check('case', kase, 201, () => ackedCases.push(kase.json.id as string));
        if (inbound.status !== 200 || out.status !== 201 || kase.status !== 201) {
          // Refused: the database is away; do not spin.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };
    const load = Promise.all(Array.from({ length: SENDERS }, sender));
    try {
      await waitFor('traffic before the kill', async () => ackedInbound.length >= BEFORE && vendor && vendor.calls.length >= 20, 60_000, 20);
      killAt = performance.now();
      cluster.killPrimary();
      await cluster.promoteStandby();
      await route.afterPromote();
      const promoteMs = performance.now() - killAt;
      const atFailover = ackedInbound.length;
      await waitFor('traffic after the failover', async () => ackedInbound.length >= atFailover + AFTER, 60_000, 20);
      running = false;
      await load;

      const failoverMs = firstAckAfterKill - killAt;
      assert.ok(Number.isFinite(failoverMs), 'a write was acknowledged after the kill');

      // The worker's job queue (pg-boss, over the same pool) works again: a broadcast is expanded and sent.
      const broadcastText = `broadcast after failover ${run}`;
      const bc = await api(base, token, 'POST', '/api/v1/projects/failover/broadcasts', { recipients: { caseIds: broadcastCases }, text: broadcastText });
      assert.equal(bc.status, 202, JSON.stringify(bc.json));
      await waitFor(
        `the broadcast expanded and sent by the worker (output: ${worker.output().slice(-1000)})`,
        async () => vendor && vendor.calls.filter((c) => c.body.text === broadcastText && c.outcome === 200).length === broadcastCases.length,
        30_000,
        100,
      );

      // Requests the server could not serve were refused honestly, never answered 500.
      for (const r of refused) {
        assert.equal(r.status, 503, `${r.what} refused with ${r.status} ${String(r.code)}`);
        assert.equal(r.code, 'SERVICE_UNAVAILABLE', `${r.what} refused with ${r.status} ${String(r.code)}`);
      }
      // Both processes recovered by themselves.
      assert.ok(alive(server) && server.proc.pid === pids.server, `the server is the same process (output: ${server.output().slice(-1000)})`);
      assert.ok(alive(worker) && worker.proc.pid === pids.worker, `the worker is the same process (output: ${worker.output().slice(-1000)})`);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${statusPort}/healthz`)).status, 200);

      const db = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${cluster.standbyPort}/${route.database}` });
      await db.connect();
      let inDoubt = 0;
      let inDoubtDelivered = 0;
      try {
        assert.equal((await db.query('select pg_is_in_recovery() as r')).rows[0].r, false, 'the standby was promoted');
        const ids = ackedOutbound.map((o) => o.id);
        await waitFor(
          'every acknowledged outbound message to end',
          async () => Number((await db.query(`select count(*) from messages where id = any($1::uuid[]) and status not in ('sent', 'failed')`, [ids])).rows[0].count) === 0,
          60_000,
          250,
        );

        const stored = await db.query<{ gateway_message_id: string; n: string }>(`select gateway_message_id, count(*) as n from (select gateway_message_id from messages where direction = 'in' union all select gateway_message_id from inbound_arrivals) stored group by 1`);
        const inbound = new Map(stored.rows.map((r) => [r.gateway_message_id, Number(r.n)]));
        for (const id of ackedInbound) {
          assert.equal(inbound.get(id), 1, `acknowledged webhook ${id} is in the promoted database once`);
        }
        const cases = new Set((await db.query<{ id: string }>('select id from cases where id = any($1::uuid[])', [ackedCases])).rows.map((r) => r.id));
        for (const id of ackedCases) {
          assert.ok(cases.has(id), `acknowledged case ${id} is in the promoted database`);
        }

        const out = await db.query<{ id: string; status: string; error_code: string | null; text: string }>('select id, status, error_code, text from messages where id = any($1::uuid[])', [ids]);
        assert.equal(out.rows.length, ackedOutbound.length, 'every acknowledged outbound message is in the promoted database');
        const perId = new Map<string, number>();
        const perText = new Map<string, number>();
        for (const c of vendor.calls) {
          perId.set(c.body.id ?? '', (perId.get(c.body.id ?? '') ?? 0) + 1);
          const key = `${c.body.to} ${c.body.text}`;
          perText.set(key, (perText.get(key) ?? 0) + 1);
        }
        for (const [id, count] of perId) {
          assert.equal(count, 1, `the vendor received message ${id} ${count} times`);
        }
        for (const [toText, count] of perText) {
          assert.equal(count, 1, `the vendor received "${toText}" ${count} times`);
        }
        let sentAfterFailover = 0;
        const failoverDone = killAt + promoteMs;
        const ackedAt = new Map(ackedOutbound.map((o) => [o.id, o.at]));
        for (const r of out.rows) {
          if (r.status === 'sent') {
            assert.equal(perId.get(r.id), 1, `message ${r.id} is sent, so the vendor has it once`);
            if ((ackedAt.get(r.id) ?? 0) > failoverDone) {
              sentAfterFailover++;
            }
          } else {
            assert.equal(r.status, 'failed', `message ${r.id}`);
            assert.ok(r.error_code, `failed message ${r.id} has a code`);
            inDoubt++;
            if (perId.get(r.id)) {
              inDoubtDelivered++;
            }
          }
        }
        assert.ok(sentAfterFailover > 0, 'the worker sent messages accepted after the failover');
      } finally {
        await db.end();
      }
      const outage = refused.filter((r) => r.at >= killAt);
      console.log(
        `# failover run ${run} (${route.via}): ${failoverMs.toFixed(0)} ms from SIGKILL of the primary to the first acknowledged write (pg_ctl promote${route.via.startsWith('PgBouncer') ? ' and the RELOAD' : ''} took ${promoteMs.toFixed(0)} ms); ` +
          `${outage.length} requests refused with 503 meanwhile; acknowledged ${ackedInbound.length} webhooks, ${ackedCases.length} cases, ${ackedOutbound.length} outbound (${inDoubt} failed, ${inDoubtDelivered} of them had reached the vendor; the rest sent once)`,
      );
      await kill(server, 'SIGTERM');
      await kill(worker, 'SIGTERM');
      return { failoverMs, promoteMs, refused: outage.length, inDoubt };
    } finally {
      running = false;
      await load;
    }
  } finally {
    for (const c of children) {
      await kill(c);
    }
    await vendor?.close();
    route?.close();
    cluster?.destroy();
  }
}

const results: number[] = [];
for (let run = 1; run <= RUNS; run++) {
  test(`failover ${run}/${RUNS}: the primary is killed under load, the standby promoted; nothing acknowledged is lost, nothing sent twice, no restart needed`, { timeout: 180_000 }, async (t) => {
    const r = await failoverRun(run);
    results.push(r.failoverMs);
    t.diagnostic(`failover: ${r.failoverMs.toFixed(0)} ms (promote ${r.promoteMs.toFixed(0)} ms, ${r.refused} refused, ${r.inDoubt} in doubt)`);
  });
}
test('failover times', (t) => {
  t.diagnostic(`failover: ${results.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);
});
