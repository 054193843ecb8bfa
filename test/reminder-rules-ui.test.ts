/**
 * The reminder rule pages without a browser (issue 25; the Chromium test is
 * test/browser/reminder-rules.test.ts): the form creates the API's rule from rows, a refused form
 * answers 422 with every problem at once on its field and what was typed kept, the rule page shows
 * what matches, the next sends and a preview, the case page lists its reminders; members read but
 * cannot write; user text is escaped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { runRemindersUntilIdle } from '../src/services/reminder-loop.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

type Json = Record<string, any>;
let t: TestApp;
let root: UiSession;
let member: UiSession;
const UI = '/ui/p/clinic/reminder-rules';

/** The text of the page without tags, for matching what a person reads. */
const words = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

function inDays(n: number): string {
  return new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
}

const validForm: Record<string, string | string[]> = {
  name: 'ANC visit reminder',
  caseType: 'pregnancy',
  recipients: 'case',
  active: '1',
  'cond-0-property': 'next_visit_date',
  'cond-0-op': 'set',
  'cond-0-value': '',
  'cond-1-property': '',
  'cond-1-op': 'eq',
  'cond-1-value': '',
  contentKind: 'text',
  channel: 'sms',
  'text-en': 'Hello {name}, your visit is on {next_visit_date}.',
  'text-sw': 'Habari {name}, ziara yako ni {next_visit_date}.',
  subject: '',
  scheduleType: 'offsets',
  startProperty: 'next_visit_date',
  'off-0-days': '-7',
  'off-0-time': '09:00',
  'off-1-days': '−1',
  'off-1-time': '09:00',
  'off-2-days': '',
  'off-2-time': '',
  times: '',
  repeat: '',
  'stop-0-property': 'visit_done',
  'stop-0-op': 'eq',
  'stop-0-value': 'yes',
  spreadMinutes: '',
  windowFrom: '08:00',
  windowTo: '20:00',
};

before(async () => {
  t = await createTestApp();
  await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
  await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test' } });
  await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
  await t.createMember('clinic', 'member', 'member@example.org');
  root = await uiSession(t);
  member = await uiSession(t, 'member@example.org', 'member-password');
});
after(() => t.close());

async function createCase(name: string, properties: Record<string, string>): Promise<string> {
  const res = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'pregnancy', name, properties: { contact_phone_number_is_verified: '1', ...properties } } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

describe('reminder rule pages', () => {
  let ruleId = '';
  let aminaId = '';

  test('the list is in the Messaging navigation and says what to do when empty', async () => {
    const res = await root.get(UI);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<a href="\/ui\/p\/clinic\/reminder-rules" aria-current="page">Reminder rules<\/a>/);
    assert.match(words(res.body), /No reminder rule yet — create one/);
    assert.match(res.body, /href="\/ui\/p\/clinic\/reminder-rules\/new"/);
    const form = await root.get(`${UI}/new`);
    assert.equal(form.statusCode, 200);
    for (const id of ['f-name', 'f-caseType', 'f-cond-4-property', 'f-cond-4-op', 'f-off-4-days', 'f-text-en', 'f-text-sw', 'f-surveyId', 'f-scheduleType', 'f-times', 'f-weekdays', 'f-windowFrom', 'f-stop-2-value']) {
      assert.ok(form.body.includes(`for="${id}"`) || (id === 'f-surveyId' && form.body.includes('No survey in this project yet')), `a label for ${id}`);
    }
  });

  test('the form makes the rule: conditions, offsets (a typed − too), stop condition, window and a text per language', async () => {
    aminaId = await createCase('Amina', { contact_phone_number: '0712000001', next_visit_date: inDays(20) });
    await createCase('Baraka', { contact_phone_number: '0712000002', next_visit_date: inDays(30), language_code: 'sw' });
    await createCase('No number', { next_visit_date: inDays(25) });
    const res = await root.post(UI, validForm);
    assert.equal(res.statusCode, 303, res.body.slice(0, 500));
    const m = /\/reminder-rules\/([0-9a-f-]{36})\?notice=saved$/.exec(String(res.headers.location));
    assert.ok(m?.[1], String(res.headers.location));
    ruleId = m[1];
    const rule: Json = (await t.request('GET', `/api/v1/projects/clinic/reminder-rules/${ruleId}`)).json();
    assert.equal(rule.name, 'ANC visit reminder');
    assert.deepEqual(rule.conditions, [{ property: 'next_visit_date', op: 'set' }]);
    assert.deepEqual(rule.schedule.offsets, [
      { days: -7, time: '09:00' },
      { days: -1, time: '09:00' },
    ]);
    assert.equal(rule.schedule.startProperty, 'next_visit_date');
    assert.deepEqual(rule.schedule.stopWhen, [{ property: 'visit_done', op: 'eq', value: 'yes' }]);
    assert.deepEqual(rule.window, { from: '08:00', to: '20:00' });
    assert.deepEqual(rule.content.translations, { en: validForm['text-en'], sw: validForm['text-sw'] });
    assert.equal(rule.active, true);

    const edit = await root.get(`${UI}/${ruleId}/edit`);
    assert.equal(edit.statusCode, 200);
    assert.match(edit.body, /id="f-off-1-days" name="off-1-days" type="text" value="-1"/);
    assert.match(edit.body, /<option value="set" selected>has a value<\/option>/);
  });

  test('a refused form answers 422 with every problem at once, each field marked, and what was typed kept', async () => {
    const res = await root.post(UI, {
      ...validForm,
      name: '',
      'text-en': '',
      'text-sw': 'Habari <b>{name}</b>',
      'off-0-time': '25:00',
      'off-1-days': 'next week',
      windowTo: '',
      'cond-1-property': '',
      'cond-1-value': 'orphan value',
      times: '08:00, 7pm',
    });
    assert.equal(res.statusCode, 422);
    const text = words(res.body);
    assert.match(text, /There are \d+ problems with this form/);
    for (const [field, message] of [
      ['name', /Rule name: must not be empty/],
      ['text-en', /Message in English \(en\) — default: write the message in the default language/],
      ['off-0-time', /Send 1: time: use HH:MM/],
      ['off-1-days', /Send 2: days from the date: use a whole number of days/],
      ['windowTo', /Not after: give both times of the send window, or neither/],
      ['cond-1-property', /Condition 2: property: name a case property/],
      ['times', /Times of day: “7pm”: use HH:MM/],
    ] as const) {
      assert.match(text, message, field);
      assert.match(res.body, new RegExp(`<a href="#f-${field}">`), `the summary links to ${field}`);
      assert.match(res.body, new RegExp(`id="f-${field}"[^>]*aria-invalid="true"`), `${field} is marked`);
    }
    assert.match(res.body, /id="f-off-1-days" name="off-1-days" type="text" value="next week"/);
    assert.match(res.body, /Habari &lt;b>{name}&lt;\/b><\/textarea>/);
    assert.match(res.body, /value="orphan value"/);
    // The rows stay as many: blank rows are not added on each refusal.
    assert.match(res.body, /id="f-cond-4-property"/);
    assert.doesNotMatch(res.body, /id="f-cond-5-property"|id="f-off-5-days"|id="f-stop-3-property"/);
    // The rule's own check (service) on a form without the form's problems: offsets need a date property.
    const service = await root.post(UI, { ...validForm, startProperty: '' });
    assert.equal(service.statusCode, 422);
    assert.match(words(service.body), /Date property: required when type is "offsets"/);
    assert.match(service.body, /id="f-startProperty"[^>]*aria-invalid="true"/);
  });

  test('a weekly rule with times and weekdays, and a survey rule; the schedule’s own problems in the form’s words', async () => {
    const survey = await t.request('POST', '/api/v1/projects/clinic/surveys', { body: { name: 'Check-in', questions: [{ id: 'q', text: 'How are you?', type: 'text', saveAs: 'feeling' }] } });
    assert.equal(survey.statusCode, 201, survey.body);
    const weekly = { ...validForm, name: 'Weekly check-in', scheduleType: 'weekly', startProperty: '', 'off-0-days': '', 'off-0-time': '', 'off-1-days': '', 'off-1-time': '', times: '08:00, 18:00', weekdays: ['mon', 'thu'], repeat: '4', spreadMinutes: '30', contentKind: 'survey', surveyId: survey.json().id };
    const res = await root.post(UI, weekly);
    assert.equal(res.statusCode, 303, words(res.body).slice(0, 600));
    const id = /reminder-rules\/([0-9a-f-]{36})/.exec(String(res.headers.location))?.[1] ?? '';
    const rule: Json = (await t.request('GET', `/api/v1/projects/clinic/reminder-rules/${id}`)).json();
    assert.deepEqual(rule.schedule, { type: 'weekly', times: ['08:00', '18:00'], weekdays: ['mon', 'thu'], repeat: 4, stopWhen: [{ property: 'visit_done', op: 'eq', value: 'yes' }], spreadMinutes: 30 });
    assert.deepEqual(rule.content, { surveyId: survey.json().id });
    const page = words((await root.get(`${UI}/${id}`)).body);
    assert.match(page, /weekly on Mon, Thu at 08:00, 18:00; at most 4 times; until visit_done = yes; spread over 30 min/);
    assert.match(page, /Survey: Check-in/);
    const edit = await root.get(`${UI}/${id}/edit`);
    assert.match(edit.body, /id="f-contentKind-survey" name="contentKind" value="survey" checked/);
    assert.match(edit.body, /id="f-weekdays-thu" name="weekdays" value="thu" checked/);
    assert.equal((await root.post(`${UI}/${id}/delete`, {})).statusCode, 303);

    const refused = await root.post(UI, { ...weekly, times: '', weekdays: [], surveyId: '' });
    assert.equal(refused.statusCode, 422);
    const text = words(refused.body);
    assert.match(text, /Times of day: write at least one time of day, such as 08:00/);
    assert.match(text, /Weekdays: tick at least one day/);
    assert.match(text, /Survey: choose the survey to send/);
    const noRows = await root.post(UI, { ...validForm, 'off-0-days': '', 'off-0-time': '', 'off-1-days': '', 'off-1-time': '' });
    assert.equal(noRows.statusCode, 422);
    assert.match(words(noRows.body), /Days before or after the date: add at least one row of days and time, such as -7 and 09:00/);
    assert.match(noRows.body, /<a href="#f-offsets">/);
    assert.match(noRows.body, /id="f-offsets"/);
  });

  test('the rule page: matching cases, who cannot be reached, the next sends in their time, a preview by id and by name', async () => {
    await runRemindersUntilIdle(t.deps);
    const res = await root.get(`${UI}/${ruleId}`);
    assert.equal(res.statusCode, 200);
    const text = words(res.body);
    assert.match(res.body, /id="stat-matching">3</);
    assert.match(text, /The contact has no phone number/);
    assert.match(text, /−7 d, −1 d at 09:00 from next_visit_date/);
    assert.match(text, /until visit_done = yes/);
    const next = /<table id="next-sends">[\s\S]*?<\/table>/.exec(res.body)?.[0] ?? '';
    assert.match(next, new RegExp(`href="/ui/p/clinic/cases/${aminaId}">Amina</a>`));
    assert.match(words(next), /\d{4}-\d{2}-\d{2} 09:00 EAT/);
    assert.match(words(next), /Hello Amina, your visit is on/);
    assert.match(words(next), /Habari Baraka/);
    assert.match(res.body, /id="rule-chart"/);

    const byId = await root.get(`${UI}/${ruleId}?caseId=${aminaId}`);
    assert.match(words(byId.body), /Amina would get: \d{4}-\d{2}-\d{2} 09:00 EAT SMS Hello Amina/);
    const byName = await root.get(`${UI}/${ruleId}?caseId=Bara`);
    assert.match(words(byName.body), /Baraka would get:/);
    const nobody = await root.get(`${UI}/${ruleId}?caseId=Zebedee`);
    assert.match(words(nobody.body), /No case is named like “Zebedee”/);

    const list = words((await root.get(UI)).body);
    assert.match(list, /ANC visit reminder pregnancy −7 d, −1 d at 09:00 from next_visit_date.* active 3/);
  });

  test("the case page lists the case's reminders with their rule", async () => {
    const res = await root.get(`/ui/p/clinic/cases/${aminaId}`);
    assert.equal(res.statusCode, 200);
    const section = /<section class="card" id="reminders"[\s\S]*?<\/section>/.exec(res.body)?.[0] ?? '';
    assert.match(section, new RegExp(`href="/ui/p/clinic/reminder-rules/${ruleId}">ANC visit reminder</a>`));
    assert.match(words(section), /\d{4}-\d{2}-\d{2} 09:00 EAT the case scheduled/);
  });

  test('pause and resume from the rule page', async () => {
    const paused = await root.post(`${UI}/${ruleId}/pause`, {});
    assert.equal(paused.statusCode, 303);
    const page = await root.get(String(paused.headers.location));
    assert.match(words(page.body), /Rule paused/);
    assert.match(page.body, /<span class="badge none">paused<\/span>/);
    const resumed = await root.post(`${UI}/${ruleId}/resume`, {});
    assert.equal(resumed.statusCode, 303);
    assert.equal((await t.request('GET', `/api/v1/projects/clinic/reminder-rules/${ruleId}`)).json().active, true);
  });

  test('a member reads the pages but cannot open the form or write: 403', async () => {
    const list = await member.get(UI);
    assert.equal(list.statusCode, 200);
    assert.doesNotMatch(list.body, /New rule/);
    const page = await member.get(`${UI}/${ruleId}`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Delete rule|>Pause<|\/edit"/);
    for (const url of [`${UI}/new`, `${UI}/${ruleId}/edit`]) {
      assert.equal((await member.get(url)).statusCode, 403, url);
    }
    for (const url of [UI, `${UI}/${ruleId}`, `${UI}/${ruleId}/pause`, `${UI}/${ruleId}/resume`, `${UI}/${ruleId}/delete`]) {
      const res = await member.post(url, validForm);
      assert.equal(res.statusCode, 403, url);
      assert.match(res.body, /FORBIDDEN/);
    }
    const rules = (await t.request('GET', '/api/v1/projects/clinic/reminder-rules')).json();
    assert.equal(rules.items.length, 1);
    assert.equal(rules.items[0].active, true);
  });

  test('user text is escaped: a rule and a case named <script>', async () => {
    const evil = '<script>alert(1)</script>';
    await createCase(`${evil} case`, { contact_phone_number: '0712000009', next_visit_date: inDays(15) });
    const res = await root.post(UI, { ...validForm, name: evil, 'text-en': `Hi {name} ${evil}` });
    assert.equal(res.statusCode, 303, res.body.slice(0, 300));
    await runRemindersUntilIdle(t.deps);
    const id = /reminder-rules\/([0-9a-f-]{36})/.exec(String(res.headers.location))?.[1] ?? '';
    for (const url of [UI, `${UI}/${id}`, `${UI}/${id}/edit`, `${UI}/${id}?caseId=script`, `${UI}/${id}/progress`]) {
      const page = await root.get(url);
      assert.equal(page.statusCode, 200, url);
      // Inside a quoted attribute value (an input's value) a < is text; everywhere else it is escaped.
      assert.doesNotMatch(page.body.replace(/"[^"]*"/g, '""'), /<script>alert/, url);
      assert.match(page.body, /&lt;script(&gt;|>)alert\(1\)&lt;\/script/, url);
    }
  });

  test('delete asks for confirmation and removes the rule', async () => {
    const page = await root.get(`${UI}/${ruleId}`);
    assert.match(page.body, /action="\/ui\/p\/clinic\/reminder-rules\/[0-9a-f-]{36}\/delete" data-confirm="Delete this rule\?/);
    const res = await root.post(`${UI}/${ruleId}/delete`, {});
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `${UI}?notice=deleted`);
    assert.equal((await root.get(`${UI}/${ruleId}`)).statusCode, 404);
  });
});
