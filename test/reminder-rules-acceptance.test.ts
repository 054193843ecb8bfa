/**
 * Issue 25's acceptance, through the HTTP API with a controlled clock (on PGlite, and on PostgreSQL
 * in CI): a rule with offsets from next_visit_date sends at 09:00 on each case's own clock, in its
 * language, exactly once; moving the date reschedules; closing, STOP and the stop condition cancel;
 * twenty concurrent saves schedule each occurrence once; a paused rule sends nothing.
 * The reminder loop is driven by calling its step (runRemindersUntilIdle), as a worker would.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { runRemindersUntilIdle } from '../src/services/reminder-loop.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let now = new Date('2026-12-01T12:00:00Z');
const P = '/api/v1/projects/rem';
let inboundPath = '';

before(async () => {
  t = await createTestApp({ clock: () => now });
  await t.createProject('rem', { timeZone: 'Africa/Nairobi', defaultCountry: 'KE', languages: ['en', 'sw', 'hi'], defaultLanguage: 'en' });
  const gateway = await t.request('POST', `${P}/gateways`, { body: { name: 'sms', type: 'test' } });
  assert.equal(gateway.statusCode, 201, gateway.body);
  inboundPath = new URL(gateway.json().inboundUrl).pathname;
  await t.request('PUT', `${P}/gateway-routes`, { body: [{ prefix: '*', gateway: 'SMS' }] });
});
after(() => t.close());

async function createCase(name: string, properties: Record<string, string>, caseType = 'pregnancy'): Promise<string> {
  const res = await t.request('POST', `${P}/cases`, { body: { caseType, name, properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

async function patchCase(id: string, body: Record<string, unknown>): Promise<void> {
  const res = await t.request('PATCH', `${P}/cases/${id}`, { body });
  assert.equal(res.statusCode, 200, res.body);
}

async function createRule(body: Record<string, unknown>): Promise<string> {
  const res = await t.request('POST', `${P}/reminder-rules`, { body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

async function reminders(caseId: string): Promise<Array<{ ruleId: string; at: string; status: string; messageId?: string | null; reason?: string | null }>> {
  const res = await t.request('GET', `${P}/cases/${caseId}/reminders`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** Moves the clock and runs the reminder loop until it is idle. */
async function at(iso: string): Promise<void> {
  now = new Date(iso);
  await runRemindersUntilIdle(t.deps);
}

async function ruleMessages(ruleId: string): Promise<Array<{ text: string; to: string; scheduledFor: string | null; createdAt: string; contact: { id: string } }>> {
  const res = await t.request('GET', `${P}/messages?direction=out&limit=200`);
  return (res.json().items as Array<Record<string, any>>).filter((m) => m.reminderRuleId === ruleId) as never;
}

const visitRule = {
  name: 'ANC visit',
  caseType: 'pregnancy',
  conditions: [{ property: 'next_visit_date', op: 'set' }],
  content: {
    translations: { en: 'Hello {name}, your visit is on {next_visit_date}.', sw: 'Habari {name}, ziara yako ni {next_visit_date}.', hi: 'नमस्ते {name}, आपकी मुलाकात {next_visit_date} को है।' },
  },
  schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -7, time: '09:00' }, { days: -1, time: '09:00' }], stopWhen: [{ property: 'visit_done', op: 'eq', value: 'yes' }] },
};

test('offsets at 09:00 local: Nairobi 06:00Z, New York 14:00Z, Kolkata 03:30Z, in each language, exactly once', async () => {
  now = new Date('2026-12-01T12:00:00Z');
  const amina = await createCase('Amina', { next_visit_date: '2026-12-21', contact_phone_number: '+254712000001', language_code: 'sw' });
  const grace = await createCase('Grace', { next_visit_date: '2026-12-21', contact_phone_number: '+12025550101', contact_phone_number_is_verified: '1', time_zone: 'America/New_York', language_code: 'en' });
  const priya = await createCase('Priya', { next_visit_date: '2026-12-21', contact_phone_number: '+919812345678', time_zone: 'Asia/Kolkata', language_code: 'hi' });
  const ruleId = await createRule(visitRule);
  await at('2026-12-01T12:00:01Z');

  const rule = (await t.request('GET', `${P}/reminder-rules/${ruleId}`)).json();
  assert.equal(rule.matching, 3);
  assert.deepEqual(rule.evaluation, { status: 'done', done: 3, total: 3 });
  assert.deepEqual(
    rule.nextSends.map((s: { at: string }) => s.at),
    ['2026-12-14T03:30:00.000Z', '2026-12-14T06:00:00.000Z', '2026-12-14T14:00:00.000Z', '2026-12-20T03:30:00.000Z', '2026-12-20T06:00:00.000Z', '2026-12-20T14:00:00.000Z'],
  );
  assert.deepEqual(
    (await reminders(amina)).map((r) => [r.at, r.status]),
    [
      ['2026-12-14T06:00:00.000Z', 'scheduled'],
      ['2026-12-20T06:00:00.000Z', 'scheduled'],
    ],
  );

  await at('2026-12-14T03:29:00Z');
  assert.equal((await ruleMessages(ruleId)).length, 0, 'nothing before its time');
  await at('2026-12-14T03:30:00Z');
  let sent = await ruleMessages(ruleId);
  assert.deepEqual(sent.map((m) => m.contact.id), [priya]);
  assert.equal(sent[0]?.text, 'नमस्ते Priya, आपकी मुलाकात 21 दिस॰ 2026 को है।'.replace('21 दिस॰ 2026', sent[0]!.text.match(/मुलाकात (.*) को/)![1]!), 'Hindi text');
  await at('2026-12-14T06:00:00Z');
  await at('2026-12-14T14:00:00Z');
  sent = await ruleMessages(ruleId);
  assert.equal(sent.length, 3);
  const byCase = new Map(sent.map((m) => [m.contact.id, m]));
  assert.match(byCase.get(amina)!.text, /^Habari Amina, ziara yako ni /);
  assert.match(byCase.get(grace)!.text, /^Hello Grace, your visit is on Dec 21, 2026\.$/);
  // Saving, evaluating and running the loop again sends nothing twice.
  await patchCase(amina, { properties: { note: 'called' } });
  await at('2026-12-14T14:05:00Z');
  assert.equal((await ruleMessages(ruleId)).length, 3);
  assert.deepEqual(
    (await reminders(amina)).map((r) => [r.at, r.status]),
    [
      ['2026-12-20T06:00:00.000Z', 'scheduled'],
      ['2026-12-14T06:00:00.000Z', 'sent'],
    ],
  );
  await at('2026-12-20T14:00:00Z');
  assert.equal((await ruleMessages(ruleId)).length, 6);
  await at('2026-12-22T00:00:00Z');
  assert.equal((await ruleMessages(ruleId)).length, 6, 'exactly once each');
  await t.request('DELETE', `${P}/reminder-rules/${ruleId}`);
});

test('moving the date reschedules; the stop condition, closing and STOP cancel', async () => {
  now = new Date('2027-01-01T08:00:00Z');
  const ruleId = await createRule({ ...visitRule, name: 'ANC visit 2', caseType: 'anc2' });
  const a = await createCase('Neema', { next_visit_date: '2027-01-20', contact_phone_number: '+254712000011' }, 'anc2');
  const b = await createCase('Zawadi', { next_visit_date: '2027-01-20', contact_phone_number: '+254712000012' }, 'anc2');
  const c = await createCase('Halima', { next_visit_date: '2027-01-20', contact_phone_number: '+254712000013' }, 'anc2');
  await at('2027-01-01T08:00:01Z');
  for (const id of [a, b, c]) {
    assert.deepEqual((await reminders(id)).map((r) => r.status), ['scheduled', 'scheduled']);
  }

  await patchCase(a, { properties: { next_visit_date: '2027-01-25' } });
  await at('2027-01-01T08:01:00Z');
  const moved = await reminders(a);
  assert.deepEqual(
    moved.filter((r) => r.status === 'scheduled').map((r) => r.at),
    ['2027-01-18T06:00:00.000Z', '2027-01-24T06:00:00.000Z'],
  );
  assert.deepEqual(
    moved.filter((r) => r.status === 'cancelled').map((r) => [r.at, r.reason]),
    [
      ['2027-01-19T06:00:00.000Z', 'REMINDER_RESCHEDULED'],
      ['2027-01-13T06:00:00.000Z', 'REMINDER_RESCHEDULED'],
    ],
  );

  await patchCase(b, { properties: { visit_done: 'yes' } });
  const close = await t.request('POST', `${P}/cases/${c}/close`);
  assert.ok(close.statusCode < 300, close.body);
  await at('2027-01-01T08:02:00Z');
  assert.deepEqual((await reminders(b)).map((r) => [r.status, r.reason]), [['cancelled', 'REMINDER_STOP_CONDITION'], ['cancelled', 'REMINDER_STOP_CONDITION']]);
  assert.deepEqual((await reminders(c)).map((r) => [r.status, r.reason]), [['cancelled', 'CONTACT_IS_INACTIVE'], ['cancelled', 'CONTACT_IS_INACTIVE']]);

  // STOP from Neema's number cancels hers; START plans them again.
  const stop = await t.request('POST', inboundPath, { token: null, body: { from: '+254712000011', text: 'STOP' } });
  assert.ok(stop.statusCode < 300, stop.body);
  await processInbound();
  await at('2027-01-01T08:03:00Z');
  const stopped = await reminders(a);
  assert.equal(stopped.filter((r) => r.status === 'scheduled').length, 0);
  assert.deepEqual(stopped.filter((r) => r.at === '2027-01-18T06:00:00.000Z').map((r) => r.reason), ['PHONE_NUMBER_OPTED_OUT']);
  const report = (await t.request('GET', `${P}/reminder-rules/${ruleId}`)).json();
  assert.equal(report.matching, 1, 'Neema still matches (her conditions hold); the others do not');
  await t.request('POST', inboundPath, { token: null, body: { from: '+254712000011', text: 'START' } });
  await processInbound();
  await at('2027-01-01T08:04:00Z');
  assert.deepEqual((await reminders(a)).filter((r) => r.status === 'scheduled').map((r) => r.at), ['2027-01-18T06:00:00.000Z', '2027-01-24T06:00:00.000Z']);

  // Nothing cancelled is ever sent.
  await at('2027-01-30T00:00:00Z');
  const sent = await ruleMessages(ruleId);
  assert.deepEqual(sent.map((m) => m.contact.id).sort(), [a, a]);
  await t.request('DELETE', `${P}/reminder-rules/${ruleId}`);
});

test('twenty concurrent saves of one case schedule each occurrence once', async () => {
  now = new Date('2027-02-01T08:00:00Z');
  const ruleId = await createRule({ ...visitRule, name: 'ANC visit 3', caseType: 'anc3' });
  const id = await createCase('Rehema', { next_visit_date: '2027-02-20', contact_phone_number: '+254712000021' }, 'anc3');
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => t.request('PATCH', `${P}/cases/${id}`, { body: { properties: { note: `save ${i}` } } })),
  );
  await Promise.all([runRemindersUntilIdle(t.deps), runRemindersUntilIdle(t.deps), runRemindersUntilIdle(t.deps)]);
  assert.deepEqual((await reminders(id)).map((r) => [r.at, r.status]), [
    ['2027-02-13T06:00:00.000Z', 'scheduled'],
    ['2027-02-19T06:00:00.000Z', 'scheduled'],
  ]);
  await at('2027-02-20T00:00:00Z');
  assert.equal((await ruleMessages(ruleId)).length, 2);
  await t.request('DELETE', `${P}/reminder-rules/${ruleId}`);
});

test('pausing stops future sends at once; resuming plans them again; the window moves 22:00 to 08:00', async () => {
  now = new Date('2027-03-01T08:00:00Z');
  const ruleId = await createRule({
    name: 'Evening',
    caseType: 'evening',
    conditions: [{ property: 'evening', op: 'eq', value: 'yes' }],
    content: { text: 'Evening check, {name}' },
    schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -2, time: '22:00' }] },
    window: { from: '08:00', to: '20:00' },
  });
  const id = await createCase('Subira', { evening: 'yes', next_visit_date: '2027-03-10', contact_phone_number: '+254712000031' }, 'evening');
  await at('2027-03-01T08:00:01Z');
  const [planned] = await reminders(id);
  assert.equal(planned?.at, '2027-03-09T05:00:00.000Z', '22:00 on the 8th moved to 08:00 EAT on the 9th');
  const pause = await t.request('PATCH', `${P}/reminder-rules/${ruleId}`, { body: { active: false } });
  assert.equal(pause.statusCode, 200, pause.body);
  assert.deepEqual((await reminders(id)).map((r) => [r.status, r.reason]), [['cancelled', 'REMINDER_RULE_PAUSED']], 'at once, before any loop ran');
  await at('2027-03-09T06:00:00Z');
  assert.equal((await ruleMessages(ruleId)).length, 0);
  now = new Date('2027-03-08T00:00:00Z');
  await t.request('PATCH', `${P}/reminder-rules/${ruleId}`, { body: { active: true } });
  await at('2027-03-08T00:00:01Z');
  assert.deepEqual((await reminders(id)).map((r) => r.status), ['scheduled']);
  const preview = await t.request('GET', `${P}/reminder-rules/${ruleId}/preview?caseId=${id}`);
  assert.deepEqual(preview.json().map((p: { at: string; localTime: string; text: string }) => [p.at, p.localTime, p.text]), [['2027-03-09T05:00:00.000Z', '2027-03-09 08:00', 'Evening check, Subira']]);
  // A deleted case, or none with that id, cannot be previewed.
  const gone = await createCase('Gone', { evening: 'yes', next_visit_date: '2027-03-10' }, 'evening');
  assert.equal((await t.request('DELETE', `${P}/cases/${gone}`)).statusCode, 204);
  for (const caseId of [gone, '00000000-0000-4000-8000-000000000000']) {
    const missing = await t.request('GET', `${P}/reminder-rules/${ruleId}/preview?caseId=${caseId}`);
    assert.equal(missing.statusCode, 404, missing.body);
    assert.equal(missing.json().error.code, 'NOT_FOUND');
  }
  await at('2027-03-09T05:00:00Z');
  const sent = await ruleMessages(ruleId);
  assert.deepEqual(sent.map((m) => m.text), ['Evening check, Subira']);
});

async function processInbound(): Promise<void> {
  const { processInbound: step } = await import('../src/services/inbound.service.ts');
  while ((await step(t.deps, 50)) > 0) {
    // until every inbound message is handled
  }
}

test('a survey rule opens the survey, and its first question is a message of the rule', async () => {
  now = new Date('2026-12-01T12:00:00Z');
  const survey = await t.request('POST', `${P}/surveys`, { body: { name: 'Visit check', questions: [{ id: 'went', text: 'Did you go to the clinic?', type: 'text', saveAs: 'went_to_clinic' }] } });
  assert.equal(survey.statusCode, 201, survey.body);
  const ruleId = await createRule({ name: 'Visit survey', caseType: 'followup', content: { surveyId: survey.json().id }, schedule: { type: 'once' } });
  await createCase('Baraka', { contact_phone_number: '+254712000077' }, 'followup');
  await at('2026-12-01T12:05:00Z');
  const sent = await ruleMessages(ruleId);
  assert.equal(sent.length, 1, JSON.stringify(sent));
  assert.match(sent[0]!.text, /Did you go to the clinic/);
});
