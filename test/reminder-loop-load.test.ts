/**
 * The reminder loop holds back while requests keep the embedded database busy (issue 25: case
 * writes with 5 rules within 20 % of the figure without): the database handle measures how much of
 * the time requests held its connection, and the loop then evaluates marked cases at most a tenth
 * of the time, in small batches, and at full speed once the load drops. Nothing is lost meanwhile: the marks wait.
 * Assertions are bounds that a slow machine meets too (it evaluates fewer batches, not more).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import { EMBEDDED_REMINDER_BATCHES, startReminderLoop } from '../src/services/reminder-loop.ts';
import { runInBackground } from '../src/store/priority-dialect.ts';
import { countDirtyCases } from '../src/store/reminder-occurrence.store.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
const P = '/api/v1/projects/load';
before(async () => {
  t = await createTestApp();
  await t.createProject('load', { timeZone: 'Africa/Nairobi', defaultCountry: 'KE' });
});
after(() => t.close());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a statement again and again for `ms`. */
async function keepBusy(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    await sql`select count(*) from generate_series(1, 20000)`.execute(t.handle.db);
  }
}

test('request load: the share of time requests held the embedded connection; background work does not count; 0 on PostgreSQL', async () => {
  t.handle.requestLoad();
  await keepBusy(400);
  const busy = t.handle.requestLoad();
  await runInBackground(() => keepBusy(400));
  const background = t.handle.requestLoad();
  // Background work that takes much of the time does not make requests look rare beside it.
  await Promise.all([keepBusy(400), runInBackground(() => keepBusy(400))]);
  const shared = t.handle.requestLoad();
  await pause(300);
  const idle = t.handle.requestLoad();
  if (t.handle.kind === 'embedded') {
    assert.ok(busy >= 0.3, `busy: ${busy}`);
    assert.ok(shared >= 0.3, `beside background work: ${shared}`);
  } else {
    assert.equal(busy, 0);
    assert.equal(shared, 0);
  }
  assert.equal(background, 0);
  assert.equal(idle, 0);
});

test('under load, marked cases are evaluated in small batches with rests between; when the load drops, all of them at once', async () => {
  const rule = await t.request('POST', `${P}/reminder-rules`, {
    body: { name: 'Visit', caseType: 'visit', conditions: [{ property: 'visit_date', op: 'set' }], content: { translations: { en: 'Visit on {visit_date}' } }, schedule: { type: 'offsets', startProperty: 'visit_date', offsets: [{ days: -1, time: '09:00' }] } },
  });
  assert.equal(rule.statusCode, 201, rule.body);
  const total = 60;
  for (let i = 0; i < total; i++) {
    const made = await t.request('POST', `${P}/cases`, { body: { caseType: 'visit', name: `Visitor ${i}`, properties: { visit_date: '2099-03-01' } } });
    assert.equal(made.statusCode, 201);
  }
  assert.equal(await countDirtyCases(t.handle.db), total);

  let load = 1;
  // Batches of 5 when free (all 60 in a few hundred ms), of 1 under load, each followed by a rest
  // nine times its length: after 1.5 s some are evaluated (progress), not all.
  const loop = startReminderLoop(t.deps, { ...EMBEDDED_REMINDER_BATCHES, marked: 5 }, { requestLoad: () => load, onError: (err) => assert.fail(String(err)) });
  try {
    await pause(1500);
    const evaluated = total - (await countDirtyCases(t.handle.db));
    assert.ok(evaluated >= 1 && evaluated < total, `evaluated under load: ${evaluated} of ${total}`);

    load = 0;
    for (let waited = 0; (await countDirtyCases(t.handle.db)) > 0; waited += 100) {
      assert.ok(waited < 30_000, 'the backlog was not evaluated after the load dropped');
      await pause(100);
    }
  } finally {
    await loop.stop();
  }
  const planned = await t.handle.db.selectFrom('reminder_occurrences').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  assert.equal(Number(planned.n), total);
});
