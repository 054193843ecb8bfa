/**
 * Every queue claim names one project (services/project-rotation.ts, docs/scaling.md): dispatch
 * lists the projects with due messages and claims from them in turn. So one project's big backlog
 * does not hold back another project's message, a crashed worker's message in a quiet project is
 * taken over in the next claim, and a claim for one project never takes another's messages.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import type { Provider } from '../src/providers/provider.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { claimDueMessages, listDispatchProjects } from '../src/store/message.store.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
const sent: string[] = [];
const vendor = (): Provider => ({
  type: 'plain',
  channel: 'sms',
  idempotent: false,
  validateConfig: (c) => c,
  async send(_g, messages) {
    sent.push(...messages.map((m) => m.id));
    return messages.map((m) => ({ ok: true, providerMessageId: `plain-${m.id}` }));
  },
});
const projects: Record<string, { id: string; gateway: string }> = {};

before(async () => {
  t = await createTestApp({ providers: { plain: vendor } });
  for (const name of ['big', 'quiet', 'other']) {
    const p = await t.createProject(name, { defaultCountry: 'KE' });
    const gw = (await t.request('POST', `/api/v1/projects/${name}/gateways`, { body: { name: 'plain', type: 'plain' } })).json();
    await t.request('PUT', `/api/v1/projects/${name}/gateway-routes`, { body: [{ prefix: '*', gateway: 'PLAIN' }] });
    projects[name] = { id: String(p.id), gateway: String(gw.id) };
  }
});
after(() => t.close());

/** `n` queued messages of a project, due `agoS` seconds ago (as a broadcast leaves them). */
async function backlog(name: string, n: number, agoS: number): Promise<void> {
  const p = projects[name] as { id: string; gateway: string };
  await sql`
    insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at)
    select ${p.id}::uuid, 'out', 'sms', 'queued', '+25471' || lpad(g::text, 7, '0'), 'Clinic day is Monday', ${p.gateway}::uuid, 'PLAIN', now() - ${agoS} * interval '1 second'
      from generate_series(1, ${n}) g`.execute(t.deps.db);
}

async function send(name: string, number: string): Promise<string> {
  const res = await t.request('POST', `/api/v1/projects/${name}/messages`, { body: { recipient: { phoneNumber: number }, text: 'x' } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

const status = async (name: string, id: string) => (await t.request('GET', `/api/v1/projects/${name}/messages/${id}`)).json();

test("another project's message goes out in the first batch, though a backlog of 1,000 older messages waits in one project", async () => {
  await backlog('big', 1000, 600);
  const quiet = await send('quiet', '+254722000001');
  sent.length = 0;
  assert.equal(await dispatchOnce(t.deps, { batchSize: 100, leaseMs: 60_000 }), 100);
  assert.ok(sent.includes(quiet), 'the quiet project was not held behind the backlog');
  assert.equal((await status('quiet', quiet)).status, 'sent');
  // The rest of the batch was the backlog's, oldest first.
  assert.equal(sent.length, 100);
});

test("a crashed worker's message in a quiet project is taken over in the next claim, backlog or not", async () => {
  const id = await send('other', '+254722000002');
  await t.deps.db.updateTable('messages').set({ status: 'sending', attempts: 1, lease_until: new Date(Date.now() - 1000) }).where('id', '=', id).execute();
  const listed = await listDispatchProjects(t.deps.db, new Date());
  assert.deepEqual(listed.find((p) => p.projectId === projects.other?.id), { projectId: projects.other?.id, expired: true });
  assert.equal(listed.find((p) => p.projectId === projects.big?.id)?.expired, false);
  await dispatchOnce(t.deps, { batchSize: 100, leaseMs: 60_000 });
  const m = await status('other', id);
  assert.equal(m.status, 'failed');
  assert.match(m.errorDetail, /may have sent it/);
});

test("a claim for one project takes only that project's messages; a listing shows only projects with due work", async () => {
  await backlog('other', 1, -3600);
  const listed = (await listDispatchProjects(t.deps.db, new Date())).map((p) => p.projectId);
  assert.deepEqual(listed, [projects.big?.id], 'other has only a message due in an hour; quiet has none');
  const mine = await send('quiet', '+254722000004');
  const claimed = await claimDueMessages(t.deps.db, { projectId: String(projects.quiet?.id), expired: false }, 50, 60_000, new Date());
  assert.deepEqual(claimed.map((m) => m.id), [mine]);
  // Hand it back, as a lane that could not send it would.
  await t.deps.db.updateTable('messages').set({ status: 'queued', lease_until: null }).where('id', '=', mine).execute();
});

test('the whole backlog drains, every message sent once', async () => {
  while ((await dispatchOnce(t.deps, { batchSize: 250, leaseMs: 60_000 })) > 0) {
    // until nothing is due
  }
  const left = await sql<{ n: string }>`select count(*)::text as n from messages where direction = 'out' and status in ('queued', 'sending') and due_at <= now()`.execute(t.deps.db);
  assert.equal(left.rows[0]?.n, '0');
  assert.equal(new Set(sent).size, sent.length, 'no message sent twice');
  const big = await sql<{ n: string }>`select count(*)::text as n from messages where project_id = ${projects.big?.id}::uuid and status = 'sent'`.execute(t.deps.db);
  assert.equal(big.rows[0]?.n, '1000');
  assert.equal(sent.length, 1000 + 2, 'the backlog, and one message of quiet each time');
});

test('a message of no project (a reply through a global gateway to a number no project holds) is listed, claimed, sent and recorded', async () => {
  const gw = await t.request('POST', '/api/v1/gateways', { body: { name: 'shared', type: 'plain' } });
  assert.equal(gw.statusCode, 201, gw.body);
  const { rows } = await sql<{ id: string }>`
    insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at, in_reply_to)
    values (null, 'out', 'sms', 'queued', '+254722400001', 'You will get no more messages', ${gw.json().id as string}::uuid, 'SHARED', now() - interval '1 second', gen_random_uuid())
    returning id`.execute(t.deps.db);
  const id = rows[0]?.id as string;
  assert.ok((await listDispatchProjects(t.deps.db, new Date())).some((p) => p.projectId === null), 'the listing names "no project"');
  for (let i = 0; i < 5 && !sent.includes(id); i++) {
    await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });
  }
  assert.ok(sent.includes(id), 'the vendor was given it');
  const after = await sql<{ status: string; provider_message_id: string | null }>`select status, provider_message_id from messages where id = ${id}::uuid`.execute(t.deps.db);
  assert.deepEqual(after.rows, [{ status: 'sent', provider_message_id: `plain-${id}` }], 'its result is recorded (the row key has no project)');
});
