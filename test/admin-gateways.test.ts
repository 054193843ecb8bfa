/**
 * The gateway forms without a browser: fields generated from the provider's configFields (nested
 * keys for the test type), a refused config shown with what was typed but never the secret, the
 * edit form never holding the secret and keeping it when left blank, errors of the test-message
 * form in words, and members (not admins) refused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';
import { uiSession } from './support/ui-session.ts';

const SECRET = 'form-secret-5b7e2';
let t: TestApp;
before(async () => {
  t = await createTestApp();
  await t.createProject('forms', { defaultCountry: 'KE' });
  await t.createMember('forms', 'member', 'forms-member@example.org');
});
after(() => t.close());

const smtpForm = (over: Record<string, string> = {}) => ({
  type: 'smtp',
  name: 'mail',
  'config.host': 'smtp.example.org',
  'config.tls': 'starttls',
  'config.port': '',
  'config.user': 'noreply@example.org',
  'config.password': SECRET,
  'config.from': 'Clinic <noreply@example.org>',
  'config.rejectUnauthorized': 'true',
  ...over,
});

test('the add form shows the chosen type’s fields with help; a refused config comes back as typed, without the secret', async () => {
  const root = await uiSession(t, 'root@example.org', 'root-password');
  const page = await root.get('/ui/p/forms/gateways?type=smtp');
  assert.match(page.body, /<label for="f-config-host"><span>SMTP server<\/span>/);
  assert.match(page.body, /id="f-config-host-help"[^>]*>The host name of your mail relay/);
  assert.match(page.body, /<input type="hidden" name="type" value="smtp"/);
  assert.ok(!page.body.includes('name="replyToNumber"'), 'email gateways have no reply-to number');

  const refused = await root.post('/ui/p/forms/gateways', smtpForm({ 'config.port': 'abc', 'config.from': 'Clinic <noreply@example.org>' }));
  assert.equal(refused.statusCode, 422);
  assert.match(refused.body, /port must be a whole number from 1 to 65535/);
  assert.match(refused.body, /id="f-config-port"[^>]*value="abc"/);
  assert.match(refused.body, /id="f-config-host"[^>]*value="smtp.example.org"/);
  assert.ok(!refused.body.includes(SECRET), 'the secret is not echoed');

  const created = await root.post('/ui/p/forms/gateways', smtpForm());
  assert.equal(created.statusCode, 302, created.body);
  const gw = (await t.request('GET', '/api/v1/projects/forms/gateways/mail')).json();
  assert.equal(gw.type, 'smtp');
  assert.equal(gw.ratePerSecond, 5, 'the type’s default rate');
});

test('the edit form holds no secret; blank keeps it, a new one replaces it; other fields are replaced', async () => {
  const root = await uiSession(t, 'root@example.org', 'root-password');
  const edit = await root.get('/ui/p/forms/gateways/MAIL/edit');
  assert.equal(edit.statusCode, 200);
  assert.ok(!edit.body.includes(SECRET));
  assert.match(edit.body, /id="f-config-password"[^>]*value=""/);
  assert.match(edit.body, /leave this blank to keep it/);
  assert.match(edit.body, /id="f-config-host"[^>]*value="smtp.example.org"/);

  // Same host: a blank secret keeps the stored one (a new host must be given its secrets again: test/gateway-secrets.test.ts).
  const saved = await root.post('/ui/p/forms/gateways/MAIL', { ...smtpForm({ 'config.password': '', 'config.replyTo': 'desk@example.org', 'config.rejectUnauthorized': '' }), ratePerSecond: '2' });
  assert.equal(saved.statusCode, 302, saved.body);
  const stored = JSON.parse(t.deps.secrets.open((await t.deps.db.selectFrom('gateways').select('config_encrypted').where('name', '=', 'MAIL').executeTakeFirstOrThrow()).config_encrypted));
  assert.deepEqual(stored, { host: 'smtp.example.org', tls: 'starttls', user: 'noreply@example.org', password: SECRET, from: 'Clinic <noreply@example.org>', replyTo: 'desk@example.org', rejectUnauthorized: false });
  assert.equal((await t.request('GET', '/api/v1/projects/forms/gateways/mail')).json().ratePerSecond, 2);

  await root.post('/ui/p/forms/gateways/MAIL', smtpForm({ 'config.password': 'new-password' }));
  const replaced = JSON.parse(t.deps.secrets.open((await t.deps.db.selectFrom('gateways').select('config_encrypted').where('name', '=', 'MAIL').executeTakeFirstOrThrow()).config_encrypted));
  assert.equal(replaced.password, 'new-password');

  const bad = await root.post('/ui/p/forms/gateways/MAIL', { ...smtpForm({ 'config.password': '', 'config.from': 'nobody' }), ratePerSecond: '' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /from is required/);
  assert.match(bad.body, /id="f-config-from"[^>]*value="nobody"/);
});

test('the test type’s nested settings go through the form; test-message errors are shown in words', async () => {
  const root = await uiSession(t, 'root@example.org', 'root-password');
  const created = await root.post('/ui/p/forms/gateways', { type: 'test', name: 'flaky', 'config.failure.mode': 'transient', 'config.failure.times': '2', 'config.failure.reason': '', 'config.delayMs': '' });
  assert.equal(created.statusCode, 302, created.body);
  const edit = await root.get('/ui/p/forms/gateways/FLAKY/edit');
  assert.match(edit.body, /<option value="transient" selected>/);
  assert.match(edit.body, /id="f-config-failure-times"[^>]*value="2"/);
  const half = await root.post('/ui/p/forms/gateways', { type: 'test', name: 'half', 'config.failure.times': '2' });
  assert.equal(half.statusCode, 422);
  assert.match(half.body, /config.failure.mode must be/);

  const subject = await root.post('/ui/p/forms/gateways/FLAKY/test-message', { to: '0712000001', text: 'x', subject: 'nope' });
  assert.equal(subject.statusCode, 422);
  assert.match(subject.body, /subject is for email/);
  const sent = await root.post('/ui/p/forms/gateways/FLAKY/test-message', { to: '0712000001', text: 'Ping' });
  assert.equal(sent.statusCode, 302);
  const location = String(sent.headers.location);
  assert.match(location, /notice=test-sent&message=[0-9a-f-]{36}#test-result$/);
  const result = await root.get(location.replace(/#.*$/, ''));
  assert.match(result.body, /Test message to \+254712000001 through FLAKY: /);

  const member = await uiSession(t, 'forms-member@example.org', 'member-password');
  const refused = await member.post('/ui/p/forms/gateways/FLAKY/test-message', { to: '0712000001', text: 'Ping' });
  assert.equal(refused.statusCode, 403);
  assert.equal((await member.get('/ui/p/forms/gateways/FLAKY/edit')).statusCode, 403);
});
