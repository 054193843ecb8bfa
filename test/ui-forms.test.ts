/**
 * Issue 24, items 12–13 on the pages that are not a helper's area: forms report every error at once
 * with the field's label (not `timeZone`), mark aria-invalid and keep what was typed; time zone,
 * country and language are pickers of valid values; unknown /ui paths get the HTML 404 page; every
 * page has a favicon and a skip link; a member is not offered the admin-only SMS tester.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createKenyaApp, type TestApp } from './support/test-app.ts';
import { uiSession } from './support/ui-session.ts';

let t: TestApp;
before(async () => {
  t = await createKenyaApp();
});
after(() => t.close());

describe('forms report every problem at once, by label', () => {
  test('project settings: five wrong fields → five problems named by their labels, each field marked, the typed text kept', async () => {
    const root = await uiSession(t);
    const res = await root.post('/ui/p/kenya/settings', { timeZone: 'Mars/Olympus', defaultCountry: 'XX', languages: 'en, English', defaultLanguage: 'fr', phoneValidation: 'lenient' });
    assert.equal(res.statusCode, 422);
    const summary = /<div class="error" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(res.body)?.[1] ?? '';
    assert.match(summary, /There are 5 problems with this form/);
    for (const label of ['Time zone', 'Default country', 'SMS languages', 'Default language', 'Phone validation']) {
      assert.match(summary, new RegExp(`${label}: `), `${label} named in the summary`);
    }
    assert.doesNotMatch(summary.replace(/<[^>]*>/g, ''), /timeZone|defaultCountry|defaultLanguage|phoneValidation/, 'never the field names of the code');
    assert.match(summary, /“English” is not a language code/);
    for (const id of ['f-timeZone', 'f-defaultCountry', 'f-languages', 'f-defaultLanguage', 'f-phoneValidation']) {
      assert.match(res.body, new RegExp(`id="${id}"[^>]*aria-invalid="true"`), `${id} is marked invalid`);
    }
    assert.match(res.body, /<option value="Mars\/Olympus" selected>/, 'the typed zone is kept');
    assert.match(res.body, /name="languages"[^>]*value="en, English"/);
    const project = (await t.request('GET', '/api/v1/projects/kenya')).json();
    assert.equal(project.timeZone, 'Africa/Nairobi', 'nothing saved');
  });

  test('project settings: the time zone, country and default language are pickers of valid values', async () => {
    const root = await uiSession(t);
    const page = (await root.get('/ui/p/kenya/settings')).body;
    assert.match(page, /<select id="f-timeZone"[\s\S]*?<option value="Africa\/Nairobi" selected>Africa\/Nairobi<\/option>/);
    assert.match(page, /<select id="f-defaultCountry"[\s\S]*?<option value="KE" selected>Kenya \(KE\)<\/option>/);
    assert.match(page, /<select id="f-defaultLanguage"[\s\S]*?<option value="en" selected>en — English<\/option>/);
    const saved = await root.post('/ui/p/kenya/settings', { timeZone: 'Africa/Kampala', defaultCountry: 'UG', languages: 'en, sw', defaultLanguage: 'sw', phoneValidation: 'strict' });
    assert.equal(saved.statusCode, 302, saved.body);
    const project = (await t.request('GET', '/api/v1/projects/kenya')).json();
    assert.deepEqual([project.timeZone, project.defaultCountry, project.defaultLanguage], ['Africa/Kampala', 'UG', 'sw']);
    await root.post('/ui/p/kenya/settings', { timeZone: 'Africa/Nairobi', defaultCountry: 'KE', languages: 'en', defaultLanguage: 'en', phoneValidation: 'strict' });
  });

  test('case form: time zone, language and gateway are pickers; a stored value that is not valid is kept and says so', async () => {
    const root = await uiSession(t);
    assert.equal((await t.request('PATCH', '/api/v1/projects/kenya', { body: { languages: ['en', 'sw'], defaultLanguage: 'sw' } })).statusCode, 200);
    assert.equal((await t.request('POST', '/api/v1/projects/kenya/gateways', { body: { name: 'safaricom', type: 'test' } })).statusCode, 201);
    const list = await root.get('/ui/p/kenya/cases');
    assert.match(list.body, /<select id="f-time_zone" name="time_zone"[^>]*><option value="">— the project’s \(Africa\/Nairobi\) —<\/option>[\s\S]*<option value="Africa\/Nairobi">Africa\/Nairobi<\/option>/);
    assert.match(list.body, /<select id="f-language_code" name="language_code"[^>]*><option value="">— the project’s default \(sw\) —<\/option><option value="en">en — English<\/option><option value="sw">sw — Swahili<\/option><\/select>/);
    assert.match(list.body, /<select id="f-contact_backend_id" name="contact_backend_id"[^>]*><option value="">— let the routes choose —<\/option><option value="SAFARICOM">SAFARICOM<\/option>/);
    const made = await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: 'patient', name: 'Odd values', properties: { language_code: 'fr', contact_backend_id: 'GONE' } } });
    assert.equal(made.statusCode, 201, made.body);
    const page = await root.get(`/ui/p/kenya/cases/${made.json().id as string}`);
    assert.match(page.body, /<option value="fr" selected>fr \(not one of the project’s languages\)<\/option>/);
    assert.match(page.body, /<option value="GONE" selected>GONE \(no such gateway\)<\/option>/);
  });

  test('new project: a bad name and zone are both reported, with labels', async () => {
    const root = await uiSession(t);
    const res = await root.post('/ui/projects', { name: 'Bad Name!', timeZone: 'Nowhere/City', defaultCountry: '' });
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /There are 2 problems with this form/);
    assert.match(res.body, /Name: 2–63 characters/);
    assert.match(res.body, /Time zone: Choose a time zone from the list/);
    assert.match(res.body, /id="f-name"[^>]*value="Bad Name!"|value="Bad Name!"[^>]*id="f-name"|name="name" type="text" value="Bad Name!"/);
  });
});

describe('pages a person can find their way around', () => {
  test('an unknown /ui path is the HTML "Not found" page, not JSON', async () => {
    const root = await uiSession(t);
    for (const url of ['/ui/p/kenya/no-such-page', '/ui/nothing-here', '/ui/p/kenya/cases/x/y/z']) {
      const res = await root.get(url);
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-type']), /text\/html/, url);
      assert.match(res.body, /<h1>Not found<\/h1>/);
      assert.match(res.body, /Back to projects/);
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/, 'the UI security headers');
    }
    const api = await t.request('GET', '/api/v1/no-such-thing');
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().error.code, 'NOT_FOUND', 'the API keeps answering JSON');
  });

  test('a favicon, a skip link to the content, and /ui/p/:project opens the dashboard', async () => {
    const root = await uiSession(t);
    const page = (await root.get('/ui/p/kenya/settings')).body;
    assert.match(page, /<link rel="icon" type="image\/svg\+xml" href="\/ui\/assets\/favicon.svg"/);
    assert.match(page, /<a class="skip-link" href="#main">Skip to content<\/a>/);
    assert.match(page, /<main id="main"/);
    const icon = await t.app.inject({ method: 'GET', url: '/ui/assets/favicon.svg' });
    assert.equal(icon.statusCode, 200);
    assert.match(String(icon.headers['content-type']), /image\/svg\+xml/);
    const root404 = await root.get('/ui/p/kenya');
    assert.equal(root404.headers.location, '/ui/p/kenya/dashboard');
  });

  test('the navigation offers every UI.md section; the admin-only SMS tester only to admins', async () => {
    const admin = (await (await uiSession(t)).get('/ui/p/kenya/settings')).body;
    for (const label of ['Dashboard', 'Cases', 'Mobile workers', 'Send / broadcast', 'Message log', 'Surveys', 'Import', 'Export contacts', 'Project', 'Gateways and routes', 'SMS tester', 'Web users and roles', 'API tokens']) {
      assert.ok(admin.includes(`>${label}</a>`), `${label} in the navigation`);
    }
    const member = (await (await uiSession(t, 'member@example.org', 'member-password')).get('/ui/p/kenya/settings')).body;
    assert.ok(!member.includes('>SMS tester</a>'), 'a member is not offered a page that refuses them');
    assert.ok(member.includes('>Message log</a>'));
  });
});
