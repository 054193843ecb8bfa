/**
 * Survey definitions through the HTTP API: create with defaults and the SMS preview, read, list,
 * replace, patch, delete; validation with every problem in details; roles.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;

const base = {
  name: 'Intake',
  questions: [
    { id: 'age', text: 'How old are you?', translations: { fr: 'Quel âge avez-vous ?' }, type: 'number', min: 0, max: 120, saveAs: 'age' },
    { id: 'sex', text: 'Sex?', type: 'choice', choices: [{ value: 'm', label: 'Male', translations: { fr: 'Homme' } }, { value: 'f', label: 'Female' }], saveAs: 'sex', required: false },
  ],
  closingMessage: 'Thanks!',
};

before(async () => {
  t = await createTestApp();
  await t.createProject('defs', { languages: ['en', 'fr'], defaultLanguage: 'en' });
});
after(() => t.close());

async function issuesOf(body: Json): Promise<Array<{ field: string; message: string }>> {
  const res = await t.request('POST', '/api/v1/projects/defs/surveys', { body });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error.code, 'VALIDATION_ERROR');
  return res.json().error.details.issues ?? [];
}

describe('survey definitions', () => {
  test('create → 201 with defaults (required, asksConsent false, 24 h timeout) and the exact SMS texts per language', async () => {
    const res = await t.request('POST', '/api/v1/projects/defs/surveys', { body: base });
    assert.equal(res.statusCode, 201, res.body);
    const s = res.json();
    assert.equal(s.asksConsent, false);
    assert.equal(s.timeoutMinutes, 1440);
    assert.equal(s.reminderMinutes, null);
    assert.equal(s.questions[0].required, true);
    assert.equal(s.questions[1].required, false);
    assert.deepEqual(s.preview.en.questions.map((q: Json) => q.text), ['How old are you?', 'Sex?\n1. Male\n2. Female\nReply SKIP to skip this question.']);
    assert.deepEqual(s.preview.fr.questions.map((q: Json) => q.text), ['Quel âge avez-vous ?', 'Sex?\n1. Homme\n2. Female\nReply SKIP to skip this question.']);
    assert.equal(s.preview.fr.closingMessage, 'Thanks!');
    assert.deepEqual((await t.request('GET', `/api/v1/projects/defs/surveys/${s.id}`)).json(), s);
    const list = (await t.request('GET', '/api/v1/projects/defs/surveys')).json();
    assert.ok(list.items.some((x: Json) => x.id === s.id));
    assert.equal(list.nextCursor, null);
  });

  test('PUT replaces, PATCH merges top-level fields, DELETE removes', async () => {
    const s = (await t.request('POST', '/api/v1/projects/defs/surveys', { body: base })).json();
    const put = await t.request('PUT', `/api/v1/projects/defs/surveys/${s.id}`, { body: { name: 'Only age', questions: [base.questions[0]] } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().questions.length, 1);
    assert.equal(put.json().closingMessage, null);
    const patch = await t.request('PATCH', `/api/v1/projects/defs/surveys/${s.id}`, { body: { asksConsent: true, reminderMinutes: 60 } });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(patch.json().name, 'Only age');
    assert.equal(patch.json().asksConsent, true);
    assert.equal(patch.json().reminderMinutes, 60);
    const badPatch = await t.request('PATCH', `/api/v1/projects/defs/surveys/${s.id}`, { body: { questions: [] } });
    assert.equal(badPatch.statusCode, 400);
    assert.equal((await t.request('DELETE', `/api/v1/projects/defs/surveys/${s.id}`)).statusCode, 204);
    assert.equal((await t.request('GET', `/api/v1/projects/defs/surveys/${s.id}`)).statusCode, 404);
    assert.equal((await t.request('GET', '/api/v1/projects/defs/surveys/not-a-uuid')).statusCode, 404);
  });

  test('validation: at least one question, unique ids, property names, choices, min/max, languages, default text, timeouts', async () => {
    assert.equal((await issuesOf({ ...base, questions: [] }))[0]?.field, 'questions');
    const dup = await issuesOf({ ...base, questions: [base.questions[0], base.questions[0]] });
    assert.deepEqual(dup.map((i) => i.field), ['questions.1.id']);
    assert.deepEqual((await issuesOf({ ...base, questions: [{ ...base.questions[0], saveAs: '1bad name' }] })).map((i) => i.field), ['questions.0.saveAs']);
    assert.deepEqual((await issuesOf({ ...base, questions: [{ id: 'c', text: 'Pick', type: 'choice', saveAs: 'c' }] })).map((i) => i.field), ['questions.0.choices']);
    const dupValues = await issuesOf({ ...base, questions: [{ id: 'c', text: 'Pick', type: 'choice', saveAs: 'c', choices: [{ value: 'a', label: 'A' }, { value: 'A', label: 'B' }] }] });
    assert.deepEqual(dupValues.map((i) => i.field), ['questions.0.choices.1.value']);
    assert.deepEqual((await issuesOf({ ...base, questions: [{ ...base.questions[0], min: 10, max: 1 }] })).map((i) => i.field), ['questions.0.max']);
    assert.deepEqual((await issuesOf({ ...base, questions: [{ id: 't', text: 'x', type: 'text', saveAs: 't', min: 1 }] })).map((i) => i.field), ['questions.0.min']);
    assert.deepEqual((await issuesOf({ ...base, questions: [{ ...base.questions[0], translations: { sw: 'Una miaka mingapi?' } }] })).map((i) => i.field), ['questions.0.translations.sw']);
    assert.deepEqual((await issuesOf({ ...base, questions: [{ id: 'q', translations: { fr: 'Seulement en français' }, type: 'text', saveAs: 'q' }] })).map((i) => i.field), ['questions.0.text']);
    assert.deepEqual((await issuesOf({ ...base, closingTranslations: { de: 'Danke' } })).map((i) => i.field), ['closingTranslations.de']);
    assert.deepEqual((await issuesOf({ ...base, timeoutMinutes: 0 })).map((i) => i.field), ['timeoutMinutes']);
    assert.deepEqual((await issuesOf({ ...base, timeoutMinutes: 60, reminderMinutes: 60 })).map((i) => i.field), ['reminderMinutes']);
    const several = await issuesOf({ name: ' ', questions: [{ id: 'a', type: 'text', saveAs: 'bad name' }] });
    assert.deepEqual(several.map((i) => i.field), ['name', 'questions.0.saveAs', 'questions.0.text']);
    // Shape errors come from the schema, also as VALIDATION_ERROR.
    const shape = await t.request('POST', '/api/v1/projects/defs/surveys', { body: { ...base, questions: [{ ...base.questions[0], type: 'date' }] } });
    assert.equal(shape.statusCode, 400);
    assert.equal(shape.json().error.code, 'VALIDATION_ERROR');
  });

  test('project admins write surveys; members read them and start sessions', async () => {
    const member = await t.createMember('defs', 'member');
    assert.equal((await t.request('POST', '/api/v1/projects/defs/surveys', { body: base, token: member })).statusCode, 403);
    const s = (await t.request('POST', '/api/v1/projects/defs/surveys', { body: base })).json();
    assert.equal((await t.request('GET', `/api/v1/projects/defs/surveys/${s.id}`, { token: member })).statusCode, 200);
    assert.equal((await t.request('DELETE', `/api/v1/projects/defs/surveys/${s.id}`, { token: member })).statusCode, 403);
    const c = (await t.request('POST', '/api/v1/projects/defs/cases', { body: { caseType: 'p', name: 'No phone' }, token: member })).json();
    const start = await t.request('POST', `/api/v1/projects/defs/surveys/${s.id}/sessions`, { body: { caseId: c.id }, token: member });
    assert.equal(start.statusCode, 422);
    assert.equal(start.json().error.code, 'NO_PHONE_NUMBER');
  });

  test('the catalogue describes the survey end codes', async () => {
    const codes = new Set((await t.request('GET', '/api/v1/errors')).json().map((e: Json) => e.code));
    for (const code of ['SURVEY_REPLACED', 'SURVEY_TIMED_OUT', 'SURVEY_TOO_MANY_INVALID_ANSWERS', 'SURVEY_CANCELLED']) {
      assert.ok(codes.has(code), code);
    }
  });
});
