/**
 * Moving reminder rules between projects through the HTTP API (issue 25, point 6): export from one
 * project, import into another with surveys matched by name; an import is all or nothing (one bad
 * rule creates none, and the error names `rules[i]…`); a name the project already has is a CONFLICT
 * unless skipExisting; members export but may not import (403 before anything is read); another
 * project's admin gets 404; the document is in /openapi.json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let memberOfSource: string;
let memberOfTarget: string;
let strangerAdmin: string;
const surveyIds: Record<string, string> = {};

const SOURCE = '/api/v1/projects/source/reminder-rules';
const TARGET = '/api/v1/projects/target/reminder-rules';

const visit = {
  name: 'Visit reminder',
  caseType: 'pregnancy',
  conditions: [{ property: 'next_visit_date', op: 'set' }],
  recipients: 'both',
  content: { text: 'Your visit is on {next_visit_date}', translations: { sw: 'Ziara yako ni {next_visit_date}' } },
  schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -7, time: '09:00' }, { days: -1, time: '09:00' }], stopWhen: [{ property: 'visit_done', op: 'eq', value: 'yes' }], spreadMinutes: 10 },
  window: { from: '08:00', to: '20:00' },
  active: true,
};
const followUp = { name: 'Follow-up survey', caseType: 'pregnancy', content: { surveyId: 'SET-IN-BEFORE' }, schedule: { type: 'once' } };
const weekly = { name: 'Weekly check', caseType: 'patient', content: { channel: 'email', text: 'How are you?', subject: 'Check-in' }, schedule: { type: 'weekly', times: ['08:00'], weekdays: ['mon', 'thu'], repeat: 4 }, active: false };

before(async () => {
  t = await createTestApp();
  await t.createProject('source', { languages: ['en', 'sw'], defaultLanguage: 'en' });
  await t.createProject('target', { languages: ['en', 'sw'], defaultLanguage: 'en' });
  await t.createProject('stranger');
  memberOfSource = await t.createMember('source', 'member');
  memberOfTarget = await t.createMember('target', 'member');
  strangerAdmin = await t.createMember('stranger', 'admin');
  const survey = (name: string) => ({ name, questions: [{ id: 'q', text: 'Q?', type: 'text', saveAs: 'q' }] });
  for (const [project, name] of [['source', 'Follow-up'], ['source', 'Exit interview'], ['target', 'Intake'], ['target', 'Follow-up']] as const) {
    const res = await t.request('POST', `/api/v1/projects/${project}/surveys`, { body: survey(name) });
    assert.equal(res.statusCode, 201, res.body);
    surveyIds[`${project}:${name}`] = res.json().id;
  }
  followUp.content.surveyId = surveyIds['source:Follow-up'] as string;
  for (const body of [visit, followUp, weekly]) {
    const res = await t.request('POST', SOURCE, { body });
    assert.equal(res.statusCode, 201, res.body);
  }
});
after(() => t.close());

async function exported(url = `${SOURCE}/export`, token?: string): Promise<Json> {
  const res = await t.request('GET', url, token === undefined ? {} : { token });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

async function rulesOf(projectName: string): Promise<Json[]> {
  return (await t.request('GET', `/api/v1/projects/${projectName}/reminder-rules?limit=500`)).json().items;
}

async function ruleCount(): Promise<number> {
  return (await t.deps.db.selectFrom('reminder_rules').select('id').execute()).length;
}

async function refused(url: string, body: unknown, status: number, code: string, token?: string): Promise<Json> {
  const before = await ruleCount();
  const res = await t.request('POST', url, { body, ...(token === undefined ? {} : { token }) });
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.json().error.code, code, res.body);
  assert.equal(await ruleCount(), before, 'no rule was created');
  return res.json().error;
}

describe('export', () => {
  test('the document: format, version, every rule as POST takes it (defaults spelled out), the surveys by name', async () => {
    const doc = await exported();
    assert.deepEqual(Object.keys(doc).sort(), ['format', 'rules', 'surveys', 'version']);
    assert.equal(doc.format, 'rollcall-reminder-rules');
    assert.equal(doc.version, 1);
    assert.deepEqual(doc.rules, [
      visit,
      { ...followUp, conditions: [], recipients: 'case', active: true },
      { ...weekly, conditions: [], recipients: 'case' },
    ]);
    assert.deepEqual(doc.surveys, { [surveyIds['source:Follow-up'] as string]: 'Follow-up' }, 'only the surveys the rules send');
  });

  test('a member may export; an empty project exports an empty document', async () => {
    assert.deepEqual(await exported(`${SOURCE}/export`, memberOfSource), await exported());
    assert.deepEqual(await exported(`${TARGET}/export`, memberOfTarget), { format: 'rollcall-reminder-rules', version: 1, rules: [], surveys: {} });
  });
});

describe('import', () => {
  test('into another project: 201 {created, skipped}; the survey is the target’s of the same name; each rule’s evaluation is started', async () => {
    const doc = await exported();
    const res = await t.request('POST', `${TARGET}/import`, { body: doc });
    assert.equal(res.statusCode, 201, res.body);
    const result = res.json();
    assert.deepEqual(result.created.map((c: Json) => c.name), ['Visit reminder', 'Follow-up survey', 'Weekly check']);
    assert.deepEqual(result.skipped, []);
    const rules = await rulesOf('target');
    assert.deepEqual(rules.map((r) => r.id), result.created.map((c: Json) => c.id));
    assert.equal(rules[1]?.content.surveyId, surveyIds['target:Follow-up']);
    // Exported again from the target, it is the same document but for the survey's id.
    const again = await exported(`${TARGET}/export`);
    assert.deepEqual(again.rules, doc.rules.map((r: Json) => (r.content.surveyId ? { ...r, content: { surveyId: surveyIds['target:Follow-up'] } } : r)));
    assert.deepEqual(again.surveys, { [surveyIds['target:Follow-up'] as string]: 'Follow-up' });
    const stored = await t.deps.db.selectFrom('reminder_rules').select(['id', 'evaluation', 'created_by']).where('id', 'in', rules.map((r) => r.id)).execute();
    assert.equal(stored.length, 3);
    for (const row of stored) {
      assert.ok(row.evaluation !== null, `rule ${row.id}: its evaluation was started in the import's transaction`);
      assert.notEqual(row.created_by, null, 'recorded as created by the importing user');
    }
    const paused = stored.find((r) => r.id === result.created[2].id);
    assert.equal(paused?.evaluation?.status, 'paused', 'a paused rule stays paused');
  });

  test('a name the project already has: 409 CONFLICT naming it, nothing created; with skipExisting=true it is left out and reported', async () => {
    const doc = await exported();
    const error = await refused(`${TARGET}/import`, doc, 409, 'CONFLICT');
    assert.match(error.message, /rules\[0\]\.name: project target already has a rule named "Visit reminder", "Follow-up survey", "Weekly check"/);
    assert.deepEqual(error.details, { field: 'rules[0].name', names: ['Visit reminder', 'Follow-up survey', 'Weekly check'] });
    // Also refused when only one of them is there already.
    await refused(`${TARGET}/import`, { ...doc, rules: [{ ...visit, name: 'Brand new' }, doc.rules[2]] }, 409, 'CONFLICT');
    assert.equal((await rulesOf('target')).filter((r) => r.name === 'Brand new').length, 0);

    const res = await t.request('POST', `${TARGET}/import?skipExisting=true`, { body: { ...doc, rules: [...doc.rules, { ...visit, name: 'Brand new' }] } });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().created.map((c: Json) => c.name), ['Brand new']);
    assert.deepEqual(res.json().skipped, ['Visit reminder', 'Follow-up survey', 'Weekly check']);
    assert.deepEqual((await rulesOf('target')).map((r) => r.name), ['Visit reminder', 'Follow-up survey', 'Weekly check', 'Brand new']);
    const none = await t.request('POST', `${TARGET}/import?skipExisting=true`, { body: doc });
    assert.equal(none.statusCode, 201, none.body);
    assert.deepEqual(none.json(), { created: [], skipped: ['Visit reminder', 'Follow-up survey', 'Weekly check'] });
  });

  test('all or nothing: one bad rule creates none, and the error names rules[i] and the field', async () => {
    const good = (name: string) => ({ ...visit, name });
    const bad = { ...good('Bad'), schedule: { ...visit.schedule, offsets: [{ days: -1, time: '25:00' }] } };
    const doc = { format: 'rollcall-reminder-rules', version: 1, rules: [good('One'), good('Two'), bad], surveys: {} };
    const error = await refused(`${TARGET}/import`, doc, 400, 'VALIDATION_ERROR');
    assert.equal(error.details.field, 'rules[2].schedule.offsets[0].time');
    assert.match(error.message, /^rules\[2\]\.schedule\.offsets\[0\]\.time: use HH:MM/);
    // Every problem of every rule is listed.
    const two = await refused(`${TARGET}/import`, { ...doc, rules: [{ ...good('A'), conditions: [{ property: 'x', op: 'between', value: 1 }] }, good('B'), bad] }, 400, 'VALIDATION_ERROR');
    assert.deepEqual(two.details.issues.map((i: Json) => i.field), ['rules[0].conditions[0].op', 'rules[2].schedule.offsets[0].time']);
    assert.match(two.message, /\(and 1 more problem\)/);
    // Two rules of one name in the document.
    const twice = await refused(`${TARGET}/import`, { ...doc, rules: [good('Same'), good('Same')] }, 400, 'VALIDATION_ERROR');
    assert.equal(twice.details.field, 'rules[1].name');
    // The envelope.
    assert.equal((await refused(`${TARGET}/import`, { ...doc, format: 'something-else' }, 400, 'VALIDATION_ERROR')).code, 'VALIDATION_ERROR');
    assert.equal((await refused(`${TARGET}/import`, { ...doc, version: 2 }, 400, 'VALIDATION_ERROR')).code, 'VALIDATION_ERROR');
    assert.equal((await refused(`${TARGET}/import`, { ...doc, rules: Array.from({ length: 501 }, (_, i) => ({ name: `r${i}`, caseType: 'x', content: { text: 'x' }, schedule: { type: 'once' } })) }, 400, 'VALIDATION_ERROR')).code, 'VALIDATION_ERROR');
    assert.equal((await refused(`${TARGET}/import`, { ...doc, rules: [good('C'), { ...good('D'), content: 'text' }] }, 400, 'VALIDATION_ERROR')).code, 'VALIDATION_ERROR');
    assert.equal((await rulesOf('target')).some((r) => ['One', 'Two', 'A', 'B', 'Same', 'C'].includes(r.name)), false);
  });

  test('a survey the target project lacks, or one the document does not name: 400 naming the rule and the survey', async () => {
    const exit = { name: 'Exit', caseType: 'pregnancy', content: { surveyId: surveyIds['source:Exit interview'] }, schedule: { type: 'once' } };
    const doc = { format: 'rollcall-reminder-rules', version: 1, rules: [{ ...visit, name: 'Fine' }, exit], surveys: { [surveyIds['source:Exit interview'] as string]: 'Exit interview' } };
    const missing = await refused(`${TARGET}/import`, doc, 400, 'VALIDATION_ERROR');
    assert.equal(missing.details.field, 'rules[1].content.surveyId');
    assert.match(missing.message, /rule "Exit" sends the survey "Exit interview", and project target has no survey of that name/);
    const unnamed = await refused(`${TARGET}/import`, { ...doc, surveys: {} }, 400, 'VALIDATION_ERROR');
    assert.equal(unnamed.details.field, 'rules[1].content.surveyId');
    assert.match(unnamed.message, /rule "Exit" sends survey .* which the document's "surveys" does not name/);
    // Once the target has a survey of that name, the same document imports.
    const created = await t.request('POST', '/api/v1/projects/target/surveys', { body: { name: 'Exit interview', questions: [{ id: 'q', text: 'Q?', type: 'text', saveAs: 'q' }] } });
    assert.equal(created.statusCode, 201, created.body);
    const res = await t.request('POST', `${TARGET}/import`, { body: doc });
    assert.equal(res.statusCode, 201, res.body);
    const rule = (await rulesOf('target')).find((r) => r.name === 'Exit');
    assert.equal(rule?.content.surveyId, created.json().id);
  });
});

describe('roles and isolation', () => {
  test('a member of the project gets 403 FORBIDDEN on import, whatever the body, and nothing is created', async () => {
    const doc = await exported();
    for (const body of [{ ...doc, rules: [{ ...visit, name: 'By a member' }] }, { not: 'a document' }, 'not json at all']) {
      const error = await refused(`${TARGET}/import`, body, 403, 'FORBIDDEN', memberOfTarget);
      assert.match(error.message, /admin/);
    }
  });

  test("another project's admin gets 404 NOT_FOUND on export and import, and nothing is created", async () => {
    const doc = await exported();
    for (const project of ['source', 'target']) {
      const res = await t.request('GET', `/api/v1/projects/${project}/reminder-rules/export`, { token: strangerAdmin });
      assert.equal(res.statusCode, 404, res.body);
      assert.equal(res.json().error.code, 'NOT_FOUND');
      assert.doesNotMatch(res.body, /Visit reminder/);
      await refused(`/api/v1/projects/${project}/reminder-rules/import`, { ...doc, rules: [{ ...visit, name: 'By a stranger' }] }, 404, 'NOT_FOUND', strangerAdmin);
    }
    // Its own project's export shows none of them.
    assert.deepEqual((await exported('/api/v1/projects/stranger/reminder-rules/export', strangerAdmin)).rules, []);
  });

  test('without a token: 401 on both', async () => {
    assert.equal((await t.request('GET', `${SOURCE}/export`, { token: null })).statusCode, 401);
    assert.equal((await t.request('POST', `${TARGET}/import`, { token: null, body: {} })).statusCode, 401);
  });
});

describe('OpenAPI', () => {
  test('both routes are documented under "reminder rules", with the document and the rule shape', async () => {
    const doc = (await t.request('GET', '/openapi.json', { token: null })).json();
    const exportOp = doc.paths['/api/v1/projects/{project}/reminder-rules/export']?.get;
    const importOp = doc.paths['/api/v1/projects/{project}/reminder-rules/import']?.post;
    assert.deepEqual(exportOp?.tags, ['reminder rules']);
    assert.deepEqual(importOp?.tags, ['reminder rules']);
    const exportSchema = exportOp.responses['200'].content['application/json'].schema;
    assert.deepEqual(exportSchema.properties.format.enum, ['rollcall-reminder-rules']);
    const rule = exportSchema.properties.rules.items;
    assert.deepEqual(Object.keys(rule.properties.schedule.properties).sort(), ['offsets', 'repeat', 'spreadMinutes', 'startProperty', 'stopWhen', 'times', 'type', 'weekdays']);
    assert.deepEqual(Object.keys(rule.properties.schedule.properties.offsets.items.properties).sort(), ['days', 'time']);
    const importSchema = importOp.requestBody.content['application/json'].schema;
    assert.deepEqual(importSchema.required.sort(), ['format', 'rules', 'version']);
    assert.equal(importSchema.properties.rules.maxItems, 500);
    assert.ok(importOp.parameters.some((p: Json) => p.in === 'query' && p.name === 'skipExisting'));
    // The rule's shape on POST …/reminder-rules itself.
    const post = doc.paths['/api/v1/projects/{project}/reminder-rules'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(post.properties.conditions.items.properties.op.enum, ['eq', 'ne', 'set', 'empty', 'lt', 'gt', 'withinDays']);
    assert.deepEqual(Object.keys(post.properties.content.properties).sort(), ['channel', 'subject', 'surveyId', 'text', 'translations']);
    assert.deepEqual(Object.keys(post.properties.window.anyOf?.[0]?.properties ?? post.properties.window.properties).sort(), ['from', 'to']);
    assert.equal(post.properties.schedule.properties.times.items.pattern, '^([01]\\d|2[0-3]):[0-5]\\d$');
  });
});
