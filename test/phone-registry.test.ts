import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { findProjectByName } from '../src/store/project.store.ts';
import { startNumberVerification } from '../src/services/mobile-workers.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { onPostgres } from './support/test-db.ts';

let t: TestApp;
let now = new Date('2030-01-01T00:00:00Z');
let seq = 0;
/** A fresh valid Kenyan number per call. */
function freshNumber(): string {
  seq += 1;
  return `+2547${String(10_000_000 + seq).slice(-8)}`;
}

before(async () => {
  t = await createTestApp({ clock: () => now });
  await t.createProject('alpha', { defaultCountry: 'KE' });
  await t.createProject('beta', { defaultCountry: 'KE' });
});
after(() => t.close());

type Json = Record<string, any>;

async function newCase(project: string, phone: string, consent: boolean, name = 'C'): Promise<Json> {
  now = new Date(now.getTime() + 1000);
  const res = await t.request('POST', `/api/v1/projects/${project}/cases`, {
    body: { caseType: 'patient', name, properties: { contact_phone_number: phone, contact_phone_number_is_verified: consent ? '1' : '0' } },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function getCase(project: string, id: string): Promise<Json> {
  const res = await t.request('GET', `/api/v1/projects/${project}/cases/${id}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

function problemCodes(c: Json): string[] {
  return c.contact.problems.map((p: Json) => p.code);
}

async function holders(number: string): Promise<number> {
  const rows = await t.deps.db.selectFrom('phone_entries').select('id').where('number', '=', number).where('state', 'in', ['two-way', 'pending']).execute();
  return rows.length;
}

describe('two-way ownership', () => {
  test('first come first served; the loser is one-way with PHONE_NUMBER_IN_USE', async () => {
    const n = freshNumber();
    const a = await newCase('alpha', n, true);
    const b = await newCase('alpha', n, true);
    assert.equal(a.contact.phoneStatus, 'two-way');
    assert.equal(b.contact.phoneStatus, 'one-way');
    assert.deepEqual(problemCodes(b), ['PHONE_NUMBER_IN_USE']);
    assert.deepEqual(problemCodes(await getCase('alpha', a.id)), []);
  });

  test('any number of contacts share a number one-way without problems', async () => {
    const n = freshNumber();
    for (let i = 0; i < 3; i++) {
      const c = await newCase('alpha', n, false);
      assert.equal(c.contact.phoneStatus, 'one-way');
      assert.deepEqual(problemCodes(c), []);
    }
    assert.equal(await holders(n), 0);
  });

  test('ownership is global: a case in another project cannot take a two-way number', async () => {
    const n = freshNumber();
    await newCase('alpha', n, true);
    const b = await newCase('beta', n, true);
    assert.equal(b.contact.phoneStatus, 'one-way');
    assert.deepEqual(problemCodes(b), ['PHONE_NUMBER_IN_USE']);
    const lookup = (await t.request('GET', `/api/v1/projects/beta/phone-numbers/${encodeURIComponent(n)}`)).json();
    assert.equal(lookup.twoWayElsewhere, true);
    assert.deepEqual(lookup.entries.map((e: Json) => [e.ownerId, e.state]), [[b.id, 'one-way']]);
  });

  test('closing the owner promotes the earliest remaining consented holder', async () => {
    const n = freshNumber();
    const owner = await newCase('alpha', n, true);
    const oneWayOnly = await newCase('alpha', n, false);
    const first = await newCase('beta', n, true);
    const second = await newCase('alpha', n, true);
    assert.equal((await t.request('POST', `/api/v1/projects/alpha/cases/${owner.id}/close`)).statusCode, 200);
    assert.equal((await getCase('beta', first.id)).contact.phoneStatus, 'two-way');
    assert.deepEqual(problemCodes(await getCase('beta', first.id)), []);
    assert.equal((await getCase('alpha', second.id)).contact.phoneStatus, 'one-way');
    assert.equal((await getCase('alpha', oneWayOnly.id)).contact.phoneStatus, 'one-way');
    const closed = await getCase('alpha', owner.id);
    assert.equal(closed.closed, true);
    assert.equal(closed.contact.phoneStatus, 'none');
    assert.equal(await holders(n), 1);
  });

  test('deleting the owner promotes the next holder', async () => {
    const n = freshNumber();
    const owner = await newCase('alpha', n, true);
    const next = await newCase('alpha', n, true);
    assert.equal((await t.request('DELETE', `/api/v1/projects/alpha/cases/${owner.id}`)).statusCode, 204);
    assert.equal((await t.request('GET', `/api/v1/projects/alpha/cases/${owner.id}`)).statusCode, 404);
    assert.equal((await getCase('alpha', next.id)).contact.phoneStatus, 'two-way');
  });

  test('re-numbering the owner promotes the next holder and claims the new number', async () => {
    const n = freshNumber();
    const other = freshNumber();
    const owner = await newCase('alpha', n, true);
    const next = await newCase('alpha', n, true);
    const res = await t.request('PATCH', `/api/v1/projects/alpha/cases/${owner.id}`, { body: { properties: { contact_phone_number: other } } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().contact.phoneNumber, other);
    assert.equal(res.json().contact.phoneStatus, 'two-way');
    assert.equal((await getCase('alpha', next.id)).contact.phoneStatus, 'two-way');
  });

  test('withdrawing consent releases two-way to the next holder', async () => {
    const n = freshNumber();
    const owner = await newCase('alpha', n, true);
    const next = await newCase('alpha', n, true);
    const res = await t.request('PATCH', `/api/v1/projects/alpha/cases/${owner.id}`, { body: { properties: { contact_phone_number_is_verified: '0' } } });
    assert.equal(res.json().contact.phoneStatus, 'one-way');
    assert.deepEqual(problemCodes(res.json()), []);
    assert.equal((await getCase('alpha', next.id)).contact.phoneStatus, 'two-way');
  });

  test('an invalid number or "0" releases the number', async () => {
    const n = freshNumber();
    const owner = await newCase('alpha', n, true);
    const next = await newCase('alpha', n, true);
    const res = await t.request('PATCH', `/api/v1/projects/alpha/cases/${owner.id}`, { body: { properties: { contact_phone_number: '0' } } });
    assert.equal(res.json().contact.phoneStatus, 'none');
    assert.equal((await getCase('alpha', next.id)).contact.phoneStatus, 'two-way');
  });

  test('re-saving a case re-evaluates its entry', async () => {
    const n = freshNumber();
    const c = await newCase('alpha', n, true);
    const res = await t.request('PATCH', `/api/v1/projects/alpha/cases/${c.id}`, { body: {} });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().contact.phoneStatus, 'two-way');
    assert.equal(await holders(n), 1);
  });

  test('the database itself refuses a second two-way holder', async () => {
    const n = freshNumber();
    const a = await newCase('alpha', n, true);
    const b = await newCase('alpha', n, false);
    const project = await findProjectByName(t.deps.db, 'alpha');
    assert.ok(project && a && b);
    await assert.rejects(
      t.deps.db.updateTable('phone_entries').set({ state: 'two-way' }).where('owner_id', '=', b.id).execute(),
      (err: Json) => err.code === '23505',
    );
  });

  test('eight concurrent requests claiming one number leave exactly one owner', async () => {
    for (let round = 0; round < 3; round++) {
      const n = freshNumber();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.request('POST', '/api/v1/projects/alpha/cases', {
            body: { caseType: 'patient', name: `Race ${i}`, properties: { contact_phone_number: n, contact_phone_number_is_verified: '1' } },
          }),
        ),
      );
      for (const r of results) {
        assert.equal(r.statusCode, 201, r.body);
      }
      const statuses = results.map((r) => r.json().contact.phoneStatus);
      assert.equal(statuses.filter((s) => s === 'two-way').length, 1, `round ${round} (${onPostgres ? 'postgres' : 'embedded'}): ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 'one-way').length, 7);
      assert.equal(await holders(n), 1);
    }
  });

  test('concurrent hand-overs keep one owner: closing the owner while others claim', async () => {
    const n = freshNumber();
    const owner = await newCase('alpha', n, true);
    const claims = Array.from({ length: 6 }, (_, i) =>
      t.request('POST', '/api/v1/projects/alpha/cases', {
        body: { caseType: 'patient', name: `Late ${i}`, properties: { contact_phone_number: n, contact_phone_number_is_verified: '1' } },
      }),
    );
    const close = t.request('POST', `/api/v1/projects/alpha/cases/${owner.id}/close`);
    const done = await Promise.all([...claims, close]);
    for (const r of done) {
      assert.equal(r.statusCode, r === done.at(-1) ? 200 : 201, r.body);
    }
    assert.equal(await holders(n), 1);
  });
});

describe('mobile worker numbers', () => {
  async function newWorker(project: string, username: string): Promise<Json> {
    const res = await t.request('POST', `/api/v1/projects/${project}/mobile-workers`, { body: { username } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }

  async function addNumber(project: string, workerId: string, number: string): Promise<Json> {
    const res = await t.request('POST', `/api/v1/projects/${project}/mobile-workers/${workerId}/phone-numbers`, { body: { number } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }

  test('a number held two-way by a case shows already-in-use; a free one unverified', async () => {
    const held = freshNumber();
    await newCase('beta', held, true);
    const w = await newWorker('alpha', 'achieng');
    assert.equal((await addNumber('alpha', w.id, held.slice(1))).status, 'already-in-use');
    const free = freshNumber();
    assert.deepEqual(await addNumber('alpha', w.id, free), { number: free, status: 'unverified', pendingSince: null, pendingExpiresAt: null });
    const again = await t.request('POST', `/api/v1/projects/alpha/mobile-workers/${w.id}/phone-numbers`, { body: { number: free } });
    assert.equal(again.statusCode, 409);
  });

  test('pending verification reserves the number until it expires', async () => {
    const project = await findProjectByName(t.deps.db, 'alpha');
    assert.ok(project);
    const n = freshNumber();
    const w = await newWorker('alpha', 'otieno');
    await addNumber('alpha', w.id, n);
    assert.equal(await startNumberVerification(t.deps, project, w.id, n), 'started');
    assert.equal(await startNumberVerification(t.deps, project, w.id, n), 'resent');
    const worker = (await t.request('GET', `/api/v1/projects/alpha/mobile-workers/${w.id}`)).json();
    assert.equal(worker.phoneNumbers[0].status, 'pending');
    const blocked = await newCase('alpha', n, true);
    assert.equal(blocked.contact.phoneStatus, 'one-way');
    assert.deepEqual(problemCodes(blocked), ['PHONE_NUMBER_IN_USE']);
    // Eight days later the reservation has lapsed: re-saving the case claims the number.
    now = new Date(now.getTime() + 8 * 86_400_000);
    const resaved = await t.request('PATCH', `/api/v1/projects/alpha/cases/${blocked.id}`, { body: {} });
    assert.equal(resaved.json().contact.phoneStatus, 'two-way');
    const after = (await t.request('GET', `/api/v1/projects/alpha/mobile-workers/${w.id}`)).json();
    assert.equal(after.phoneNumbers[0].status, 'already-in-use');
    assert.equal(await startNumberVerification(t.deps, project, w.id, n), 'already_in_use');
  });

  test('a case created after a pending reservation lapsed takes the number two-way at once', async () => {
    const project = await findProjectByName(t.deps.db, 'alpha');
    assert.ok(project);
    const n = freshNumber();
    const w = await newWorker('alpha', 'nyokabi');
    await addNumber('alpha', w.id, n);
    assert.equal(await startNumberVerification(t.deps, project, w.id, n), 'started');
    now = new Date(now.getTime() + 8 * 86_400_000);
    const created = await newCase('alpha', n, true);
    assert.equal(created.contact.phoneStatus, 'two-way');
    assert.deepEqual(problemCodes(created), []);
    const read = (await t.request('GET', `/api/v1/projects/alpha/cases/${created.id}`)).json();
    assert.equal(read.contact.phoneStatus, 'two-way');
    const after = (await t.request('GET', `/api/v1/projects/alpha/mobile-workers/${w.id}`)).json();
    assert.equal(after.phoneNumbers[0].status, 'already-in-use');
  });

  test('a worker that asked for verification is promoted to pending when the holder lets go', async () => {
    const project = await findProjectByName(t.deps.db, 'alpha');
    assert.ok(project);
    const n = freshNumber();
    const holder = await newCase('alpha', n, true);
    const w = await newWorker('alpha', 'kamau');
    await addNumber('alpha', w.id, n);
    assert.equal(await startNumberVerification(t.deps, project, w.id, n), 'already_in_use');
    await t.request('POST', `/api/v1/projects/alpha/cases/${holder.id}/close`);
    const worker = (await t.request('GET', `/api/v1/projects/alpha/mobile-workers/${w.id}`)).json();
    assert.equal(worker.phoneNumbers[0].status, 'pending');
  });

  test('removing or deleting the worker releases its numbers', async () => {
    const project = await findProjectByName(t.deps.db, 'alpha');
    assert.ok(project);
    const n = freshNumber();
    const w = await newWorker('alpha', 'akinyi');
    await addNumber('alpha', w.id, n);
    await startNumberVerification(t.deps, project, w.id, n);
    const waiting = await newCase('alpha', n, true);
    assert.equal(waiting.contact.phoneStatus, 'one-way');
    const del = await t.request('DELETE', `/api/v1/projects/alpha/mobile-workers/${w.id}/phone-numbers/${n.slice(1)}`);
    assert.equal(del.statusCode, 204);
    assert.equal((await getCase('alpha', waiting.id)).contact.phoneStatus, 'two-way');
    const w2 = await newWorker('alpha', 'njeri');
    const m = freshNumber();
    await addNumber('alpha', w2.id, m);
    await startNumberVerification(t.deps, project, w2.id, m);
    const waiting2 = await newCase('alpha', m, true);
    assert.equal((await t.request('DELETE', `/api/v1/projects/alpha/mobile-workers/${w2.id}`)).statusCode, 204);
    assert.equal((await getCase('alpha', waiting2.id)).contact.phoneStatus, 'two-way');
    assert.equal((await t.request('GET', `/api/v1/projects/alpha/mobile-workers/${w2.id}`)).statusCode, 404);
  });
});
