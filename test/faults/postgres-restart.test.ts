/**
 * PostgreSQL restarted under load: a real `rollcall serve` on a private PostgreSQL cluster takes
 * webhooks and sends while the database restarts. Requests during the outage are refused with 503
 * SERVICE_UNAVAILABLE (never acknowledged and then lost); afterwards the server reconnects by itself,
 * every acknowledged inbound message is stored once, and every accepted outbound message is sent once.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import pg from 'pg';

import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitFor, waitHealthy } from '../support/child-server.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.ts';

let cluster: PrivatePostgres | null = null;
const children: Child[] = [];
after(async () => {
  for (const c of children) {
    await kill(c);
  }
  cluster?.destroy();
});

async function post(url: string, body: unknown, token: string | null): Promise<{ status: number; json: any }> {
  try {
    return await api('', token, 'POST', url, body);
  } catch {
    return { status: 0, json: null };
  }
}

test('the database restarts under load: refused requests are 503, acknowledged ones are kept once, the server reconnects', async () => {
  cluster = await startPrivatePostgres();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawnRollcall('serve', {
    PORT: String(port),
    DATA_DIR: tempDir('rollcall-pgrestart-'),
    DATABASE_URL: cluster.url,
    ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'admin-password',
    ROLLCALL_SECRET_KEY: 'd'.repeat(64),
    ROLLCALL_RETRY_BASE_MS: '200',
    ROLLCALL_MAX_ATTEMPTS: '10',
  });
  children.push(server);
  await waitHealthy(base, server);
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token as string;
  assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'restart', defaultCountry: 'KE' })).status, 201);
  const gw = await api(base, token, 'POST', '/api/v1/projects/restart/gateways', { name: 'sms', type: 'test' });
  const hook = new URL(gw.json.inboundUrl as string).pathname;
  assert.equal((await api(base, token, 'PUT', '/api/v1/projects/restart/gateway-routes', [{ prefix: '*', gateway: 'SMS' }])).status, 200);

  const ackedInbound: string[] = [];
  const ackedOutbound: string[] = [];
  const refused: Array<{ status: number; code: unknown }> = [];
  let running = true;
  let n = 0;
  const sender = async (worker: number) => {
    while (running) {
      const i = n++;
      const inbound = await post(base + hook, { from: `+2547120${String(i % 50000).padStart(5, '0')}`, text: `hello ${i}`, messageId: `m-${i}` }, null);
      if (inbound.status === 200) {
        ackedInbound.push(`m-${i}`);
      } else {
        refused.push({ status: inbound.status, code: inbound.json?.error?.code });
      }
      const out = await post(`${base}/api/v1/projects/restart/messages`, { recipient: { phoneNumber: `+2547130${String(i % 50000).padStart(5, '0')}` }, text: `to ${worker}/${i}` }, token);
      if (out.status === 201) {
        ackedOutbound.push(out.json.id as string);
      } else {
        refused.push({ status: out.status, code: out.json?.error?.code });
      }
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(sender));
  await waitFor('traffic before the restart', async () => ackedInbound.length >= 100, 60_000);
  cluster.restart();
  const afterRestart = ackedInbound.length;
  await waitFor('traffic after the restart', async () => ackedInbound.length >= afterRestart + 100, 120_000);
  running = false;
  await load;

  // Requests the server could not serve were refused honestly, never answered 500.
  for (const r of refused) {
    assert.equal(r.status, 503, `refused with ${r.status} ${String(r.code)}`);
    assert.equal(r.code, 'SERVICE_UNAVAILABLE');
  }
  assert.equal((await fetch(`${base}/healthz`)).status, 200);

  const db = new pg.Client({ connectionString: cluster.url });
  await db.connect();
  try {
    await waitFor(
      'every accepted message sent',
      async () => Number((await db.query(`select count(*) from messages where direction = 'out' and status in ('queued', 'scheduled', 'sending')`)).rows[0].count) === 0,
      120_000,
      250,
    );
    const stored = await db.query<{ gateway_message_id: string; n: string }>(`select gateway_message_id, count(*) as n from (select gateway_message_id from messages where direction = 'in' union all select gateway_message_id from inbound_arrivals) stored group by 1`);
    const counts = new Map(stored.rows.map((r) => [r.gateway_message_id, Number(r.n)]));
    for (const id of ackedInbound) {
      assert.equal(counts.get(id), 1, `acknowledged inbound ${id} stored once`);
    }
    const out = await db.query<{ id: string; status: string; sends: string }>(
      `select m.id, m.status, (select count(*) from test_outbox o where o.message_id = m.id) as sends from messages m where m.id = any($1::uuid[])`,
      [ackedOutbound],
    );
    assert.equal(out.rows.length, ackedOutbound.length, 'every accepted outbound message exists');
    for (const r of out.rows) {
      assert.equal(r.status, 'sent', `message ${r.id}`);
      assert.equal(Number(r.sends), 1, `message ${r.id} went to the gateway once`);
    }
  } finally {
    await db.end();
  }
  await kill(server, 'SIGTERM');
});
