/**
 * A slow vendor does not stall everyone (issue 23, 11b): each gateway has its own lane in the
 * dispatch worker. Gateway SLOW's vendor holds every call until the test lets it answer (a vendor
 * answering after its timeout, without the wait); its 300 messages are due before FAST's 300.
 * While SLOW's first calls are still out, every FAST message must be sent and recorded, SLOW must
 * have no more calls out than its lane allows, its other messages must stay queued (not leased),
 * and the leases of those out must be renewed. Stopping the worker waits for SLOW's parts.
 * No wall-clock figures: the test asserts what happened while SLOW's calls were out.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import type { Provider } from '../src/providers/provider.ts';
import { type DispatchWorker, startDispatchWorker } from '../src/services/dispatch-worker.ts';
import { waitFor } from './support/child-server.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

const EACH = 300;
const BATCH = 50;
const GROUP = 10;
const LEASE_MS = 3000;
/** SLOW's lane: at most this many of its parts (so calls) out at once. */
const LANE = 3;

let t: TestApp;
let worker: DispatchWorker | null = null;
let answer: () => void = () => {};
const answered = new Promise<void>((resolve) => (answer = resolve));
const slowCalls: string[][] = [];
let slowOut = 0;
let slowOutMost = 0;
const heldVendor = (): Provider => ({
  type: 'held',
  channel: 'sms',
  idempotent: false,
  sendGroupSize: GROUP,
  validateConfig: (c) => c,
  async send(_g, messages) {
    slowCalls.push(messages.map((m) => m.id));
    slowOutMost = Math.max(slowOutMost, ++slowOut);
    await answered;
    slowOut--;
    return messages.map((m) => ({ ok: true, providerMessageId: `held-${m.id}` }));
  },
});

/** `n` queued messages through one gateway, straight into the table (as a broadcast leaves them). */
async function queue(projectId: string, gateway: { id: string; name: string }, n: number, prefix: string, dueAgo: string): Promise<void> {
  await sql`
    insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at)
    select ${projectId}::uuid, 'out', 'sms', 'queued', ${prefix} || lpad(g::text, 6, '0'), 'Clinic day is Monday', ${gateway.id}::uuid, ${gateway.name}, now() - ${dueAgo}::interval
    from generate_series(1, ${n}) g
  `.execute(t.deps.db);
}

async function counts(): Promise<Record<string, number>> {
  const rows = await sql<{ gateway_name: string; status: string; n: string }>`select gateway_name, status, count(*) as n from messages group by 1, 2`.execute(t.deps.db);
  return Object.fromEntries(rows.rows.map((r) => [`${r.gateway_name} ${r.status}`, Number(r.n)]));
}

before(async () => {
  t = await createTestApp({ providers: { held: heldVendor } });
  const project = await t.createProject('lanes', { defaultCountry: 'KE' });
  const slow = (await t.request('POST', '/api/v1/projects/lanes/gateways', { body: { name: 'slow', type: 'held' } })).json();
  const fast = (await t.request('POST', '/api/v1/projects/lanes/gateways', { body: { name: 'fast', type: 'test' } })).json();
  await queue(project.id as string, slow, EACH, '+254711', '1 minute');
  await queue(project.id as string, fast, EACH, '+254712', '0 seconds');
});
after(async () => {
  answer();
  await worker?.stop();
  await t.close();
});

test("a gateway whose vendor does not answer holds up only its own lane; the others' messages are all sent meanwhile", { timeout: 120_000 }, async () => {
  worker = startDispatchWorker(t.deps, { batchSize: BATCH, leaseMs: LEASE_MS, laneSize: LANE, pollMs: 50 });
  const started = Date.now();
  await waitFor(`all ${EACH} FAST messages sent while SLOW's calls are out`, async () => (await counts())['FAST sent'] === EACH, 60_000, 50);

  assert.equal(slowCalls.length, LANE, 'SLOW has one call out per part in its lane, and no more');
  assert.equal(slowOut, LANE, "SLOW's first calls are all still out");
  assert.equal(slowOutMost, LANE);
  const claimed = LANE * BATCH;
  assert.deepEqual(await counts(), { 'FAST sent': EACH, 'SLOW sending': claimed, 'SLOW queued': EACH - claimed });
  const leasedQueued = await sql<{ n: string }>`select count(*) as n from messages where status = 'queued' and lease_until is not null`.execute(t.deps.db);
  assert.equal(Number(leasedQueued.rows[0]?.n), 0, "SLOW's messages beyond its lane are not leased");

  // Past one lease since SLOW's parts went out: their leases were renewed, so no other worker
  // would take them over as abandoned.
  await sleep(Math.max(0, started + LEASE_MS * 1.5 - Date.now()));
  const lapsed = await sql<{ n: string }>`select count(*) as n from messages where status = 'sending' and lease_until < clock_timestamp()`.execute(t.deps.db);
  assert.equal(Number(lapsed.rows[0]?.n), 0, 'leases of the messages out were renewed');
  assert.equal(slowOut, LANE, 'SLOW still has not answered');

  // Stopping waits for every lane: SLOW's parts are sent and recorded before stop() returns.
  const stopping = worker.stop();
  assert.equal(await Promise.race([stopping.then(() => 'stopped'), sleep(300).then(() => 'waiting')]), 'waiting');
  answer();
  await stopping;
  worker = null;
  assert.deepEqual(await counts(), { 'FAST sent': EACH, 'SLOW sent': claimed, 'SLOW queued': EACH - claimed });

  // A new worker sends the rest; the vendor never got a message twice.
  worker = startDispatchWorker(t.deps, { batchSize: BATCH, leaseMs: LEASE_MS, laneSize: LANE, pollMs: 50 });
  await waitFor('the rest of SLOW sent', async () => (await counts())['SLOW sent'] === EACH, 60_000, 50);
  await worker.stop();
  worker = null;
  const ids = slowCalls.flat();
  assert.equal(ids.length, EACH);
  assert.equal(new Set(ids).size, EACH);
});
