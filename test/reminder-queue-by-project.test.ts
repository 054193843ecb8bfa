/**
 * The reminder loop claims project by project (services/project-rotation.ts, migration 0024): one
 * project's many due reminders do not hold back another project's reminder that falls due a little
 * later, and a step over cases marked in two projects evaluates both.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { runRemindersUntilIdle } from '../src/services/reminder-loop.ts';
import { sendDueReminders } from '../src/services/reminder-sending.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let now = new Date('2026-12-01T12:00:00Z');

const rule = (time: string) => ({
  name: 'Visit',
  caseType: 'pregnancy',
  conditions: [{ property: 'next_visit_date', op: 'set' }],
  content: { translations: { en: 'Hello {name}, your visit is on {next_visit_date}.' } },
  schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -1, time }] },
});

async function project(name: string, time: string, cases: number): Promise<void> {
  await t.createProject(name, { timeZone: 'Africa/Nairobi', defaultCountry: 'KE' });
  await t.request('POST', `/api/v1/projects/${name}/gateways`, { body: { name: 'sms', type: 'test' } });
  await t.request('PUT', `/api/v1/projects/${name}/gateway-routes`, { body: [{ prefix: '*', gateway: 'SMS' }] });
  const created = await t.request('POST', `/api/v1/projects/${name}/reminder-rules`, { body: rule(time) });
  assert.equal(created.statusCode, 201, created.body);
  for (let i = 0; i < cases; i++) {
    const number = `+2547${name === 'big' ? '12' : '22'}${String(i).padStart(6, '0')}`;
    const res = await t.request('POST', `/api/v1/projects/${name}/cases`, { body: { caseType: 'pregnancy', name: `${name} ${i}`, properties: { next_visit_date: '2026-12-10', contact_phone_number: number } } });
    assert.equal(res.statusCode, 201, res.body);
  }
}

async function reminderMessages(name: string): Promise<number> {
  const res = await t.request('GET', `/api/v1/projects/${name}/messages?direction=out&limit=200`);
  return (res.json().items as Array<{ reminderRuleId?: string | null }>).filter((m) => m.reminderRuleId).length;
}

before(async () => {
  t = await createTestApp({ clock: () => now });
  await project('big', '09:00', 40);
  await project('small', '09:05', 1);
  await runRemindersUntilIdle(t.deps);
});
after(() => t.close());

test("a step over due reminders takes another project's reminder though 40 earlier ones of one project are due", async () => {
  now = new Date('2026-12-09T06:10:00Z');
  // The step's 10 are shared: 5 for each project; small has 1. Each project is asked once a step
  // (its claimed occurrences stay locked by the step's transaction until it ends).
  assert.equal(await sendDueReminders(t.deps, 10), 6);
  assert.equal(await reminderMessages('small'), 1, "small's 09:05 reminder went in the first step");
  assert.equal(await reminderMessages('big'), 5);
  await runRemindersUntilIdle(t.deps);
  assert.equal(await reminderMessages('big'), 40, 'every reminder sent once');
  assert.equal(await reminderMessages('small'), 1);
});

test('cases marked in two projects are evaluated in one step, each under its own rule', async () => {
  const a = await t.request('POST', '/api/v1/projects/big/cases', { body: { caseType: 'pregnancy', name: 'late big', properties: { next_visit_date: '2026-12-20', contact_phone_number: '+254733000001' } } });
  const b = await t.request('POST', '/api/v1/projects/small/cases', { body: { caseType: 'pregnancy', name: 'late small', properties: { next_visit_date: '2026-12-20', contact_phone_number: '+254733000002' } } });
  await runRemindersUntilIdle(t.deps);
  const ra = (await t.request('GET', `/api/v1/projects/big/cases/${a.json().id}/reminders`)).json();
  const rb = (await t.request('GET', `/api/v1/projects/small/cases/${b.json().id}/reminders`)).json();
  assert.deepEqual(ra.map((r: { at: string }) => r.at), ['2026-12-19T06:00:00.000Z']);
  assert.deepEqual(rb.map((r: { at: string }) => r.at), ['2026-12-19T06:05:00.000Z']);
});
