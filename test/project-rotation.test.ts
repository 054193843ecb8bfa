/**
 * The rotation every queue claims through (services/project-rotation.ts), on made-up queues: a
 * batch is shared among projects, each round starts one project further along, a project with
 * less than asked is left out until the next listing and its room goes to the others, and a
 * listing is reused for its time only.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { claimInTurn, ProjectRotation } from '../src/services/project-rotation.ts';

/** Queues of made-up work per project; the rotation lists those with some left. */
function queues(waiting: Record<string, number>, clock = { t: 0 }, askAgain = true) {
  let listings = 0;
  const rotation = new ProjectRotation<null>({
    list: () => {
      listings++;
      return Promise.resolve(Object.entries(waiting).flatMap(([projectId, n]) => (n > 0 ? [{ projectId }] : [])));
    },
    refreshMs: 250,
    now: () => clock.t,
  });
  const taken: Array<[string, number]> = [];
  const claim = (limit: number, max = 4) =>
    claimInTurn(rotation, null, limit, max, ({ projectId }, room) => {
      const got = Math.min(room, waiting[projectId] ?? 0);
      waiting[projectId] = (waiting[projectId] ?? 0) - got;
      taken.push([projectId, got]);
      return Promise.resolve(got);
    }, { askAgain });
  return { rotation, claim, taken, listings: () => listings, clock };
}

test('a batch is shared equally, and each round starts one project further along', async () => {
  const q = queues({ a: 100, b: 100, c: 100 });
  assert.deepEqual(await q.claim(12), { taken: 12, more: true });
  assert.deepEqual(q.taken.splice(0), [['a', 4], ['b', 4], ['c', 4]]);
  await q.claim(12);
  assert.deepEqual(q.taken.splice(0), [['b', 4], ['c', 4], ['a', 4]]);
  assert.equal(q.listings(), 1, 'the listing is reused within its time');
});

test("a project with less than asked is left out until the next listing, and its room goes to the others", async () => {
  const q = queues({ a: 2, b: 100 });
  assert.deepEqual(await q.claim(10), { taken: 10, more: true });
  assert.deepEqual(q.taken.splice(0), [['a', 2], ['b', 5], ['b', 3]]);
  await q.claim(10);
  assert.deepEqual(q.taken.splice(0), [['b', 10]], 'a is not asked again');
  assert.equal(q.listings(), 1);
});

test('only the first projects of a round share a batch; the others come first in later rounds', async () => {
  const q = queues({ a: 50, b: 50, c: 50, d: 50, e: 50, f: 50 });
  await q.claim(8, 2);
  assert.deepEqual(q.taken.splice(0).map(([p]) => p), ['a', 'b']);
  for (let i = 0; i < 4; i++) {
    await q.claim(8, 2);
  }
  assert.deepEqual(new Set(q.taken.map(([p]) => p)), new Set(['b', 'c', 'd', 'e', 'f']), 'every project had its turn within six claims');
});

test('with everything drained the claim says so, and the next one lists again; an old listing is read again', async () => {
  const q = queues({ a: 3 });
  assert.deepEqual(await q.claim(10), { taken: 3, more: false });
  assert.deepEqual(await q.claim(10), { taken: 0, more: false });
  assert.equal(q.listings(), 2, 'nothing left in the listing: listed again');
  const r = queues({ a: 1000 });
  await r.claim(10);
  await r.claim(10);
  assert.equal(r.listings(), 1);
  r.clock.t = 250;
  await r.claim(10);
  assert.equal(r.listings(), 2, 'a listing 250 ms old is not used');
  r.rotation.invalidate();
  await r.claim(10);
  assert.equal(r.listings(), 3, 'work queued in this process: listed again');
});

test('a round of many nearly empty projects ends after its share of claims, and the next round goes on with the rest', async () => {
  const waiting = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${String(i).padStart(2, '0')}`, 1]));
  const q = queues(waiting);
  const first = await q.claim(100, 4);
  assert.equal(first.taken <= 20, true);
  let total = first.taken;
  for (let i = 0; i < 20 && total < 20; i++) {
    total += (await q.claim(100, 4)).taken;
  }
  assert.equal(total, 20);
  assert.equal(q.taken.filter(([, n]) => n > 0).length, 20, 'each project claimed once');
});

test('asked once each (claims in one transaction), a project with more than its share is not asked again, and the claim says more may wait', async () => {
  const q = queues({ a: 2, b: 100 }, { t: 0 }, false);
  assert.deepEqual(await q.claim(10), { taken: 7, more: true });
  assert.deepEqual(q.taken.splice(0), [['a', 2], ['b', 5]], 'b is not asked again for the room a left');
  assert.deepEqual(await q.claim(10), { taken: 10, more: true });
  assert.deepEqual(q.taken.splice(0), [['b', 10]]);
});
