/**
 * Reminder rules through the HTTP API (issue 25; API.md "Reminder rules"): create with defaults,
 * list, read, patch (version goes up, pausing is stored), delete; validation errors name the field;
 * admins write and members read; another project sees none of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let member: string;
let otherAdmin: string;
let surveyId: string;
let otherSurveyId: string;

const URL = '/api/v1/projects/rules/reminder-rules';
const rule = {
  name: 'Visit reminder',
  caseType: 'patient',
  conditions: [{ property: 'status', op: 'eq', value: 'active' }],
  content: { text: 'Your visit is on {visit_date}', translations: { fr: 'Votre visite est le {visit_date}' } },
  schedule: { type: 'offsets', startProperty: 'visit_date', offsets: [{ days: -1, time: '09:00' }] },
  window: { from: '08:00', to: '20:00' },
};

before(async () => {
  t = await createTestApp();
  await t.createProject('rules', { languages: ['en', 'fr'], defaultLanguage: 'en' });
  await t.createProject('other-rules');
  member = await t.createMember('rules', 'member');
  otherAdmin = await t.createMember('other-rules', 'admin');
  const survey = { name: 'S', questions: [{ id: 'q', text: 'Q?', type: 'text', saveAs: 'q' }] };
  surveyId = (await t.request('POST', '/api/v1/projects/rules/surveys', { body: survey })).json().id;
  otherSurveyId = (await t.request('POST', '/api/v1/projects/other-rules/surveys', { body: survey })).json().id;
});
after(() => t.close());

async function create(body: Json = rule, token?: string): Promise<Json> {
  const res = await t.request('POST', URL, { body, ...(token === undefined ? {} : { token }) });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function problemOf(method: 'POST' | 'PATCH', url: string, body: unknown): Promise<{ field: string; message: string }> {
  const res = await t.request(method, url, { body });
  assert.equal(res.statusCode, 400, res.body);
  const error = res.json().error;
  assert.equal(error.code, 'VALIDATION_ERROR');
  return { field: error.details?.field, message: error.message };
}

/** GET one adds what the rule does now (matching, nextSends) to the rule as POST and PATCH return it. */
function ruleOf(detail: Json): Json {
  const { matching, nextSends, ...rest } = detail;
  assert.equal(typeof matching, 'number');
  assert.ok(Array.isArray(nextSends));
  return rest;
}

describe('reminder rules: round trip', () => {
  test('POST → 201 with defaults; GET one and the list return it', async () => {
    const r = await create();
    assert.deepEqual(Object.keys(r).sort(), ['active', 'caseType', 'conditions', 'content', 'createdAt', 'evaluation', 'id', 'name', 'recipients', 'schedule', 'updatedAt', 'version', 'window'].sort());
    assert.equal(r.recipients, 'case');
    assert.equal(r.active, true);
    assert.equal(r.version, 1);
    assert.deepEqual(r.window, { from: '08:00', to: '20:00' });
    assert.deepEqual(r.schedule, rule.schedule);
    assert.deepEqual(r.conditions, rule.conditions);
    const one = await t.request('GET', `${URL}/${r.id}`);
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual(ruleOf(one.json()), r);
    const list = (await t.request('GET', URL)).json();
    assert.ok(list.items.some((x: Json) => x.id === r.id));
    assert.equal(list.nextCursor, null);
    const minimal = await create({ name: 'Once', caseType: 'patient', content: { surveyId }, schedule: { type: 'once' } });
    assert.deepEqual([minimal.conditions, minimal.window, minimal.content], [[], null, { surveyId }]);
  });

  test('the list pages with limit and cursor, in creation order, each rule once', async () => {
    for (let i = 0; i < 3; i++) {
      await create({ ...rule, name: `Paged ${i}` });
    }
    const all = (await t.request('GET', `${URL}?limit=500`)).json().items.map((x: Json) => x.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = (await t.request('GET', `${URL}?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((x: Json) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, all);
    assert.equal((await t.request('GET', `${URL}?cursor=garbage`)).json().error.code, 'VALIDATION_ERROR');
  });

  test('PATCH changes the given fields, bumps the version; {active:false} pauses; window:null removes the window', async () => {
    const r = await create();
    const renamed = await t.request('PATCH', `${URL}/${r.id}`, { body: { name: 'Renamed', recipients: 'both' } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.deepEqual([renamed.json().name, renamed.json().recipients, renamed.json().version, renamed.json().caseType], ['Renamed', 'both', 2, 'patient']);
    const paused = await t.request('PATCH', `${URL}/${r.id}`, { body: { active: false } });
    assert.equal(paused.statusCode, 200, paused.body);
    assert.equal(paused.json().active, false);
    assert.equal(paused.json().version, 3);
    const stored = await t.deps.db.selectFrom('reminder_rules').select(['active', 'version', 'name']).where('id', '=', r.id).executeTakeFirstOrThrow();
    assert.deepEqual(stored, { active: false, version: 3, name: 'Renamed' });
    assert.equal((await t.request('GET', `${URL}/${r.id}`)).json().active, false);
    const noWindow = await t.request('PATCH', `${URL}/${r.id}`, { body: { window: null } });
    assert.equal(noWindow.statusCode, 200, noWindow.body);
    assert.equal(noWindow.json().window, null);
    assert.equal(noWindow.json().active, false, 'other fields are kept');
  });

  test('DELETE → 204, then 404 on every route', async () => {
    const r = await create();
    assert.equal((await t.request('DELETE', `${URL}/${r.id}`)).statusCode, 204);
    for (const [method, body] of [['GET', undefined], ['PATCH', { name: 'x' }], ['DELETE', undefined]] as const) {
      const res = await t.request(method, `${URL}/${r.id}`, body === undefined ? {} : { body });
      assert.equal(res.statusCode, 404, `${method}: ${res.body}`);
      assert.equal(res.json().error.code, 'NOT_FOUND');
    }
    assert.equal((await t.request('GET', `${URL}/not-a-uuid`)).statusCode, 404);
  });
});

describe('reminder rules: validation', () => {
  test('a bad value is 400 VALIDATION_ERROR naming its field, and nothing is stored', async () => {
    const before = await t.deps.db.selectFrom('reminder_rules').select('id').execute();
    const cases: Array<[Json, string]> = [
      [{ ...rule, schedule: { ...rule.schedule, offsets: [{ days: -1, time: '25:00' }] } }, 'schedule.offsets[0].time'],
      [{ ...rule, schedule: { type: 'offsets', offsets: [{ days: 1, time: '09:00' }] } }, 'schedule.startProperty'],
      [{ ...rule, schedule: { type: 'daily' } }, 'schedule.times'],
      [{ ...rule, conditions: [{ property: 'age', op: 'gt' }] }, 'conditions[0].value'],
      [{ ...rule, conditions: [{ property: 'age', op: 'between', value: 1 }] }, 'conditions[0].op'],
      [{ ...rule, window: { from: '20:00', to: '08:00' } }, 'window.to'],
      [{ ...rule, content: {} }, 'content.text'],
      [{ ...rule, content: { surveyId, text: 'x' } }, 'content.surveyId'],
      [{ ...rule, content: { text: 'x', translations: { 'not a code': 'x' } } }, 'content.translations.not a code'],
      [{ ...rule, name: '   ' }, 'name'],
      [{ ...rule, caseType: '  ' }, 'caseType'],
      [{ ...rule, content: { surveyId: otherSurveyId } }, 'content.surveyId'],
      [{ ...rule, content: { surveyId: 'not-a-survey' } }, 'content.surveyId'],
    ];
    for (const [body, field] of cases) {
      const p = await problemOf('POST', URL, body);
      assert.equal(p.field, field, `${JSON.stringify(body).slice(0, 120)}: ${p.message}`);
      assert.ok(p.message.startsWith(field), p.message);
    }
    // The top level is checked by the route: unknown fields, wrong types and unknown recipients.
    for (const body of [{ ...rule, surprise: 1 }, { ...rule, content: 'text' }, { ...rule, recipients: 'everyone' }, { name: 'x' }]) {
      const res = await t.request('POST', URL, { body });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'VALIDATION_ERROR');
    }
    assert.deepEqual(await t.deps.db.selectFrom('reminder_rules').select('id').execute(), before);
  });

  test('PATCH checks the merged rule: a field that no longer fits the rest is refused, and nothing changes', async () => {
    const r = await create();
    // Daily needs times: switching only the type leaves the rule incomplete.
    assert.equal((await problemOf('PATCH', `${URL}/${r.id}`, { schedule: { type: 'daily' } })).field, 'schedule.times');
    assert.equal((await problemOf('PATCH', `${URL}/${r.id}`, { window: { from: '09:00', to: '9' } })).field, 'window.to');
    assert.equal((await problemOf('PATCH', `${URL}/${r.id}`, { content: { surveyId: otherSurveyId } })).field, 'content.surveyId');
    const now = (await t.request('GET', `${URL}/${r.id}`)).json();
    assert.deepEqual(ruleOf(now), r);
  });
});

describe('reminder rules: roles and isolation', () => {
  test('a member reads (200) but cannot create, change or delete (403 FORBIDDEN)', async () => {
    const r = await create();
    assert.equal((await t.request('GET', URL, { token: member })).statusCode, 200);
    assert.equal((await t.request('GET', `${URL}/${r.id}`, { token: member })).statusCode, 200);
    for (const [method, url, body] of [['POST', URL, rule], ['PATCH', `${URL}/${r.id}`, { active: false }], ['DELETE', `${URL}/${r.id}`, undefined]] as const) {
      const res = await t.request(method, url, { token: member, ...(body === undefined ? {} : { body }) });
      assert.equal(res.statusCode, 403, `${method}: ${res.body}`);
      assert.equal(res.json().error.code, 'FORBIDDEN');
    }
    assert.deepEqual(ruleOf((await t.request('GET', `${URL}/${r.id}`)).json()), r);
  });

  test("another project's admin gets 404 NOT_FOUND on every route, with this project's name or its own", async () => {
    const r = await create();
    const own = '/api/v1/projects/other-rules/reminder-rules';
    const attempts: Array<['GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown]> = [
      ['GET', URL, undefined],
      ['POST', URL, rule],
      ['GET', `${URL}/${r.id}`, undefined],
      ['PATCH', `${URL}/${r.id}`, { active: false }],
      ['DELETE', `${URL}/${r.id}`, undefined],
      ['GET', `${own}/${r.id}`, undefined],
      ['PATCH', `${own}/${r.id}`, { active: false }],
      ['DELETE', `${own}/${r.id}`, undefined],
    ];
    for (const [method, url, body] of attempts) {
      const res = await t.request(method, url, { token: otherAdmin, ...(body === undefined ? {} : { body }) });
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error.code, 'NOT_FOUND');
    }
    const list = (await t.request('GET', own, { token: otherAdmin })).json();
    assert.deepEqual(list, { items: [], nextCursor: null });
    assert.deepEqual(ruleOf((await t.request('GET', `${URL}/${r.id}`)).json()), r, 'unchanged');
  });

  test('the routes are in /openapi.json under the tag "reminder rules"', async () => {
    const doc = (await t.request('GET', '/openapi.json', { token: null })).json();
    const paths: Record<string, string[]> = {
      '/api/v1/projects/{project}/reminder-rules': ['post', 'get'],
      '/api/v1/projects/{project}/reminder-rules/{id}': ['get', 'patch', 'delete'],
    };
    for (const [path, methods] of Object.entries(paths)) {
      for (const m of methods) {
        assert.deepEqual(doc.paths[path]?.[m]?.tags, ['reminder rules'], `${m} ${path}`);
      }
    }
    assert.deepEqual(doc.paths['/api/v1/projects/{project}/reminder-rules'].post.requestBody.content['application/json'].schema.required.sort(), ['caseType', 'content', 'name', 'schedule']);
  });
});
