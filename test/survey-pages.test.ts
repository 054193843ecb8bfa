/**
 * The survey pages without a browser (the Chromium test in test/browser/surveys.test.ts covers the
 * same flow by clicking): the editor's add / reorder / remove buttons return the draft, save
 * creates the survey with its preview, the case page starts it, the SMS tester answers it and shows
 * the survey, the sessions page lists the answers; CSRF, roles and escaping.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

let t: TestApp;
let root: UiSession;

async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if ((await processInbound(t.deps, 50)) + (await dispatchOnce(t.deps, { batchSize: 100, leaseMs: 60_000 })) === 0) {
      return;
    }
  }
}

/** The text of the page without tags, for matching what a person reads. */
const words = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;|&#34;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

const twoQuestions = {
  name: 'Household',
  count: '2',
  'q.0.id': 'village',
  'q.0.type': 'text',
  'q.0.text': 'Which village do you live in?',
  'q.0.tr.sw': 'Unaishi kijiji gani?',
  'q.0.saveAs': 'village',
  'q.0.required': '1',
  'q.1.id': 'children',
  'q.1.type': 'number',
  'q.1.text': 'How many children under five?',
  'q.1.saveAs': 'children_under_five',
  'q.1.required': '1',
  'q.1.min': '0',
  'q.1.max': '20',
  closingMessage: 'Thank you, asante!',
  timeoutMinutes: '1440',
};

before(async () => {
  t = await createTestApp();
  await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
  await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test' } });
  await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
  root = await uiSession(t, 'root@example.org', 'root-password');
});
after(() => t.close());

describe('survey pages', () => {
  test('the editor: add, move and remove return the draft unsaved; save creates the survey; the preview shows the exact SMS', async () => {
    const nav = await root.get('/ui/p/clinic/surveys');
    assert.equal(nav.statusCode, 200);
    assert.match(nav.body, /No survey yet/);
    assert.match(nav.body, /href="\/ui\/p\/clinic\/surveys" aria-current="page"/);
    const added = await root.post('/ui/p/clinic/surveys', { name: 'Draft', count: '1', 'q.0.id': 'a', 'q.0.text': 'First?', 'q.0.type': 'text', 'q.0.saveAs': 'a', op: 'add' });
    assert.equal(added.statusCode, 200);
    assert.match(added.body, /id="f-q-1-id"/);
    assert.match(added.body, />First\?<\/textarea>/, 'what was typed is kept');
    const moved = await root.post('/ui/p/clinic/surveys', { name: 'Draft', count: '2', 'q.0.id': 'a', 'q.0.text': 'First?', 'q.1.id': 'b', 'q.1.text': 'Second?', op: 'up-1' });
    assert.ok(moved.body.indexOf('value="b"') < moved.body.indexOf('value="a"'), 'b moved above a');
    const removed = await root.post('/ui/p/clinic/surveys', { name: 'Draft', count: '2', 'q.0.id': 'a', 'q.1.id': 'b', op: 'remove-0' });
    assert.doesNotMatch(removed.body, /id="f-q-1-id"/);
    assert.equal((await t.request('GET', '/api/v1/projects/clinic/surveys')).json().items.length, 0, 'nothing saved yet');

    const bad = await root.post('/ui/p/clinic/surveys', { ...twoQuestions, 'q.1.saveAs': 'not valid', op: 'save' });
    assert.equal(bad.statusCode, 422);
    assert.match(words(bad.body), /The survey was not saved: questions.1.saveAs: "not valid" is not a case property name/);

    const saved = await root.post('/ui/p/clinic/surveys', { ...twoQuestions, op: 'save' });
    assert.equal(saved.statusCode, 302, saved.body);
    const editor = await root.get(String(saved.headers.location));
    const text = words(editor.body);
    assert.match(text, /Survey saved/);
    assert.match(text, /Which village do you live in\?/);
    assert.match(text, /Unaishi kijiji gani\?/);
    assert.match(text, /Thank you, asante!/);
    const [s] = (await t.request('GET', '/api/v1/projects/clinic/surveys')).json().items;
    assert.equal(s.questions[1].max, 20);
  });

  test('start from the case page, answer in the SMS tester, see the answers on the tester, the case and the sessions page', async () => {
    const [survey] = (await t.request('GET', '/api/v1/projects/clinic/surveys')).json().items;
    // Consent makes the case the number's two-way owner: a survey needs replies to reach it.
    const c = (await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: '+254712000777', contact_phone_number_is_verified: '1' } } })).json();
    const casePage = await root.get(`/ui/p/clinic/cases/${c.id}`);
    assert.match(casePage.body, /Start survey/);
    const started = await root.post(`/ui/p/clinic/cases/${c.id}/surveys`, { surveyId: survey.id });
    assert.equal(started.statusCode, 302);
    assert.match(String(started.headers.location), /notice=survey-started/);
    await settle();
    for (const reply of ['Kibera', 'many', '3']) {
      const res = await root.post('/ui/p/clinic/tester', { gateway: 'TEST', from: '+254712000777', text: reply });
      assert.equal(res.statusCode, 302, res.body);
      await settle();
    }
    const tester = words((await root.get('/ui/p/clinic/tester?gateway=TEST&number=%2B254712000777')).body);
    for (const line of ['Which village do you live in?', 'How many children under five?', 'Please reply with a number from 0 to 20.', 'Thank you, asante!']) {
      assert.ok(tester.includes(line), line);
    }
    assert.match(tester, /Survey Household completed/);
    assert.match(tester, /village Kibera children 3/);
    const after = words((await root.get(`/ui/p/clinic/cases/${c.id}`)).body);
    assert.match(after, /village Kibera/);
    assert.match(after, /children_under_five 3/);
    assert.match(after, /Household .* completed/);
    const sessions = words((await root.get(`/ui/p/clinic/surveys/${survey.id}/sessions`)).body);
    assert.match(sessions, /completed village Kibera children 3/);
  });

  test('a survey that cannot start shows the reason in words on the case page', async () => {
    const [survey] = (await t.request('GET', '/api/v1/projects/clinic/surveys')).json().items;
    const c = (await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'No phone' } })).json();
    const res = await root.post(`/ui/p/clinic/cases/${c.id}/surveys`, { surveyId: survey.id });
    const page = words((await root.get(String(res.headers.location))).body);
    assert.match(page, /The survey was not started: The contact has no phone number/);
  });

  test('the self-registration settings choose the welcome survey', async () => {
    const [survey] = (await t.request('GET', '/api/v1/projects/clinic/surveys')).json().items;
    const settings = await root.get('/ui/p/clinic/settings');
    assert.match(settings.body, /<label for="f-welcomeSurveyId">/);
    assert.match(settings.body, new RegExp(`<option value="${survey.id}">Household</option>`));
    const saved = await root.post('/ui/p/clinic/settings/messaging', { caseEnabled: '1', caseType: 'contact', welcomeMessageTo: 'none', welcomeSurveyId: survey.id });
    assert.equal(saved.statusCode, 302, saved.body);
    assert.equal((await t.request('GET', '/api/v1/projects/clinic')).json().selfRegistration.welcomeSurveyId, survey.id);
    assert.match((await root.get('/ui/p/clinic/settings')).body, new RegExp(`<option value="${survey.id}" selected>`));
  });

  test('CSRF, roles and escaping', async () => {
    const noToken = await t.app.inject({ method: 'POST', url: '/ui/p/clinic/surveys', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: root.cookie }, payload: 'name=x&count=0&op=save' });
    assert.equal(noToken.statusCode, 403);
    await t.createMember('clinic', 'member', 'member@example.org');
    const member = await uiSession(t, 'member@example.org', 'member-password');
    assert.equal((await member.get('/ui/p/clinic/surveys')).statusCode, 200);
    assert.equal((await member.post('/ui/p/clinic/surveys', { ...twoQuestions, op: 'save' })).statusCode, 403);
    const evil = await t.request('POST', '/api/v1/projects/clinic/surveys', { body: { name: '<script>alert(1)</script>', questions: [{ id: 'q', text: '<img src=x onerror=alert(1)>', type: 'text', saveAs: 'q' }] } });
    const page = await root.get(`/ui/p/clinic/surveys/${evil.json().id}`);
    // Children are escaped; inside a quoted attribute only the quote matters.
    assert.doesNotMatch(page.body, /<h1><script>/);
    assert.doesNotMatch(page.body, /<pre class="sms"><img/);
    assert.match(page.body, /<h1>&lt;script>alert\(1\)&lt;\/script><\/h1>/);
  });
});
