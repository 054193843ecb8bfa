/**
 * Issue 25's acceptance, continued (HTTP API, controlled clock, both databases): a daily 08:00 rule
 * across the US spring-forward and fall-back weekends sends once a day at 08:00 local, a daily 02:30
 * goes at 03:00 on the spring-forward day, and editing a rule over 10,000 cases reports its progress
 * and ends with the right schedule for each case.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import { runReminderStep, runRemindersUntilIdle } from '../src/services/reminder-loop.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let now = new Date('2027-03-12T12:00:00Z');
const P = '/api/v1/projects/us';

before(async () => {
  t = await createTestApp({ clock: () => now });
  await t.createProject('us', { timeZone: 'America/New_York', defaultCountry: 'US' });
  assert.equal((await t.request('POST', `${P}/gateways`, { body: { name: 'sms', type: 'test' } })).statusCode, 201);
  await t.request('PUT', `${P}/gateway-routes`, { body: [{ prefix: '*', gateway: 'SMS' }] });
});
after(() => t.close());

async function at(iso: string): Promise<void> {
  now = new Date(iso);
  await runRemindersUntilIdle(t.deps);
}

async function sentTimes(caseId: string): Promise<string[]> {
  const res = await t.request('GET', `${P}/cases/${caseId}/reminders`);
  return (res.json() as Array<{ at: string; status: string }>)
    .filter((r) => r.status === 'sent')
    .map((r) => r.at)
    .sort();
}

async function dailyCase(name: string, caseType: string, time: string): Promise<string> {
  const rule = await t.request('POST', `${P}/reminder-rules`, {
    body: { name: `Daily ${time}`, caseType, content: { text: `Good morning {name}` }, schedule: { type: 'daily', times: [time] } },
  });
  assert.equal(rule.statusCode, 201, rule.body);
  const c = await t.request('POST', `${P}/cases`, {
    body: { caseType, name, properties: { contact_phone_number: '+12025550199', contact_phone_number_is_verified: '1' } },
  });
  assert.equal(c.statusCode, 201, c.body);
  return c.json().id;
}

/** Runs the loop every hour from `from` to `to` (ISO), as a worker would over those days. */
async function hourly(from: string, to: string): Promise<void> {
  for (let ms = Date.parse(from); ms <= Date.parse(to); ms += 3_600_000) {
    await at(new Date(ms).toISOString());
  }
}

test('daily 08:00 across the spring-forward weekend: once a day at 08:00 New York time', async () => {
  now = new Date('2027-03-12T14:00:00Z');
  const id = await dailyCase('Grace', 'daily-spring', '08:00');
  await hourly('2027-03-12T14:00:00Z', '2027-03-16T14:00:00Z');
  // 08:00 EST is 13:00Z; from Sunday 14 March (EDT) it is 12:00Z.
  assert.deepEqual(await sentTimes(id), ['2027-03-13T13:00:00.000Z', '2027-03-14T12:00:00.000Z', '2027-03-15T12:00:00.000Z', '2027-03-16T12:00:00.000Z']);
});

test('daily 08:00 across the fall-back weekend: once a day at 08:00, never twice in the repeated hour', async () => {
  now = new Date('2027-11-05T14:00:00Z');
  const id = await dailyCase('Rosa', 'daily-fall', '08:00');
  await hourly('2027-11-05T14:00:00Z', '2027-11-09T14:00:00Z');
  assert.deepEqual(await sentTimes(id), ['2027-11-06T12:00:00.000Z', '2027-11-07T13:00:00.000Z', '2027-11-08T13:00:00.000Z', '2027-11-09T13:00:00.000Z']);
});

test('a daily 02:30 goes at 03:00 on the spring-forward day (02:30 does not exist)', async () => {
  now = new Date('2027-03-12T14:00:00Z');
  const id = await dailyCase('Ana', 'daily-gap', '02:30');
  await hourly('2027-03-12T14:00:00Z', '2027-03-15T14:00:00Z');
  // 02:30 EST = 07:30Z; on 14 March 02:00 jumps to 03:00 EDT = 07:00Z; then 02:30 EDT = 06:30Z.
  assert.deepEqual(await sentTimes(id), ['2027-03-13T07:30:00.000Z', '2027-03-14T07:00:00.000Z', '2027-03-15T06:30:00.000Z']);
});

test('editing a rule on 10,000 cases reports progress and ends with the right schedule for each', async () => {
  now = new Date('2027-04-01T12:00:00Z');
  const project = (await t.request('GET', P)).json();
  // 10,000 cases written in one statement (the cases table's trigger marks each for evaluation, as any write does).
  await sql`
    insert into cases (project_id, case_type, name, properties)
    select ${project.id}::uuid, 'bulk', 'Case ' || i, jsonb_build_object('next_visit_date', to_char(date '2027-05-01' + (i % 30), 'YYYY-MM-DD'))
      from generate_series(1, 10000) as i`.execute(t.deps.db);
  await runRemindersUntilIdle(t.deps); // nothing matches yet: the marks are cleared
  const created = await t.request('POST', `${P}/reminder-rules`, {
    body: { name: 'Bulk', caseType: 'bulk', content: { text: 'Visit on {next_visit_date}' }, schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -7, time: '09:00' }, { days: -1, time: '09:00' }] } },
  });
  assert.equal(created.statusCode, 201, created.body);
  const ruleId: string = created.json().id;
  assert.deepEqual(created.json().evaluation, { status: 'running', done: 0, total: 10000 });
  await runReminderStep(t.deps);
  const partway = (await t.request('GET', `${P}/reminder-rules/${ruleId}`)).json().evaluation;
  assert.equal(partway.status, 'running');
  assert.ok(partway.done > 0 && partway.done < 10000, `progress after one step: ${JSON.stringify(partway)}`);
  await runRemindersUntilIdle(t.deps);
  assert.deepEqual((await t.request('GET', `${P}/reminder-rules/${ruleId}`)).json().evaluation, { status: 'done', done: 10000, total: 10000 });

  const edit = await t.request('PATCH', `${P}/reminder-rules/${ruleId}`, { body: { schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -3, time: '10:30' }] } } });
  assert.equal(edit.statusCode, 200, edit.body);
  assert.deepEqual(edit.json().evaluation, { status: 'running', done: 0, total: 10000 });
  const seen: number[] = [];
  for (;;) {
    await runReminderStep(t.deps);
    const e = (await t.request('GET', `${P}/reminder-rules/${ruleId}`)).json().evaluation;
    seen.push(e.done);
    if (e.status === 'done') {
      break;
    }
  }
  assert.ok(seen.length > 2 && seen.every((d, i) => i === 0 || d >= seen[i - 1]!), `progress rises: ${seen.join(', ')}`);
  assert.equal(seen.at(-1), 10000);

  const { rows } = await sql<{ next_visit_date: string; due_at: Date; n: string }>`
    select c.properties->>'next_visit_date' as next_visit_date, o.due_at, count(*) over (partition by c.id) as n
      from cases c join reminder_occurrences o on o.case_id = c.id and o.status = 'scheduled'
     where c.project_id = ${project.id} and c.case_type = 'bulk'`.execute(t.deps.db);
  assert.equal(rows.length, 10000, 'one scheduled send per case');
  for (const r of rows) {
    assert.equal(Number(r.n), 1);
    // 10:30 New York time (EDT, UTC−4) three days before the visit.
    const day = new Date(Date.parse(`${r.next_visit_date}T14:30:00Z`) - 3 * 86_400_000);
    assert.equal(new Date(r.due_at).toISOString(), day.toISOString());
  }
  const cancelled = await sql<{ reason: string; n: string }>`
    select reason, count(*) as n from reminder_occurrences where rule_id = ${ruleId} and status = 'cancelled' group by reason`.execute(t.deps.db);
  assert.deepEqual(cancelled.rows.map((r) => [r.reason, Number(r.n)]), [['REMINDER_RESCHEDULED', 20000]]);
  assert.equal((await t.request('GET', `${P}/reminder-rules/${ruleId}`)).json().matching, 10000);
});
