/**
 * Issue 23 item 5: a stored secret goes only where it went. An edit that changes where a gateway
 * sends (a vendor's baseUrl, the http gateway's URL, the SMTP host or port) must enter the secrets
 * again, through the API (400 VALIDATION_ERROR naming them) and the admin form (422 with the
 * secret inputs marked); an edit that keeps the destination still keeps blank secrets.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';
import { uiSession } from './support/ui-session.ts';

const ACCOUNT = `AC${'1'.repeat(32)}`;
const TOKEN = 'tokenStoredA1b2c3d4e5f6';
const OLD_HOST = 'https://api.twilio.example';
const NEW_HOST = 'https://collector.example.net';
let t: TestApp;

before(async () => {
  t = await createTestApp();
  await t.createProject('sec', { defaultCountry: 'US' });
  const res = await t.request('POST', '/api/v1/projects/sec/gateways', { body: { name: 'tw', type: 'twilio', config: { accountSid: ACCOUNT, authToken: TOKEN, from: '+12065550100', baseUrl: OLD_HOST } } });
  assert.equal(res.statusCode, 201, res.body);
  const smtp = await t.request('POST', '/api/v1/projects/sec/gateways', { body: { name: 'mail', type: 'smtp', config: { host: 'smtp.example.org', user: 'u@example.org', password: 'smtp-pass-77', from: 'u@example.org' } } });
  assert.equal(smtp.statusCode, 201, smtp.body);
});
after(() => t.close());

async function storedConfig(name: string): Promise<Record<string, unknown>> {
  const row = await t.deps.db.selectFrom('gateways').select('config_encrypted').where('name', '=', name).executeTakeFirstOrThrow();
  return JSON.parse(t.deps.secrets.open(row.config_encrypted));
}

const patch = (name: string, config: Record<string, unknown>) => t.request('PATCH', `/api/v1/projects/sec/gateways/${name}`, { body: { config } });

test('API: a new baseUrl without the token is refused, naming the secret; nothing is stored', async () => {
  const res = await patch('tw', { accountSid: ACCOUNT, from: '+12065550100', baseUrl: NEW_HOST });
  assert.equal(res.statusCode, 400, res.body);
  const body = res.json();
  assert.equal(body.error.code, 'VALIDATION_ERROR');
  assert.match(body.error.message, /sends the gateway's requests to another host, so its secrets must be entered again: authToken\./);
  assert.deepEqual((await storedConfig('TW')).baseUrl, OLD_HOST);
  // An SMTP port (or host) change likewise needs the password again.
  const smtp = await patch('mail', { host: 'smtp.example.org', port: 2525, user: 'u@example.org', from: 'u@example.org' });
  assert.equal(smtp.statusCode, 400, smtp.body);
  assert.match(smtp.json().error.message, /entered again: password\./);
});

test('API: the same change with the token entered again is saved; a change that keeps the host keeps a blank token', async () => {
  const moved = await patch('tw', { accountSid: ACCOUNT, authToken: 'tokenNewB9c8d7e6f5a4', from: '+12065550100', baseUrl: NEW_HOST });
  assert.equal(moved.statusCode, 200, moved.body);
  assert.deepEqual(await storedConfig('TW'), { accountSid: ACCOUNT, authToken: 'tokenNewB9c8d7e6f5a4', from: '+12065550100', baseUrl: NEW_HOST });
  const kept = await patch('tw', { accountSid: ACCOUNT, from: '+12065550111', baseUrl: `${NEW_HOST}/`, timeoutMs: 5000 });
  assert.equal(kept.statusCode, 200, kept.body);
  assert.deepEqual(await storedConfig('TW'), { accountSid: ACCOUNT, authToken: 'tokenNewB9c8d7e6f5a4', from: '+12065550111', baseUrl: NEW_HOST, timeoutMs: 5000 });
});

test('admin form: a new base URL with the token left blank comes back 422 with the token input marked', async () => {
  const s = await uiSession(t);
  const post = (fields: Record<string, string>) => s.post('/ui/p/sec/gateways/TW', fields);
  const form = { 'config.accountSid': ACCOUNT, 'config.authToken': '', 'config.from': '+12065550111', 'config.baseUrl': 'https://elsewhere.example.com', ratePerSecond: '1', replyToNumber: '' };
  const refused = await post(form);
  assert.equal(refused.statusCode, 422, refused.body);
  assert.match(refused.body, /role="alert">This change sends the gateway&#39;s requests to another host, so its secrets must be entered again: authToken\.</);
  assert.match(refused.body, /id="f-config-authToken"[^>]*required[^>]*aria-invalid="true"/);
  assert.match(refused.body, /id="f-config-baseUrl"[^>]*value="https:\/\/elsewhere.example.com"/, 'what was typed is kept');
  assert.equal((await storedConfig('TW')).baseUrl, NEW_HOST);
  // Leaving the host as it is: a blank token keeps the stored one.
  const saved = await post({ ...form, 'config.baseUrl': NEW_HOST, 'config.from': '+12065550122' });
  assert.equal(saved.statusCode, 302, saved.body);
  assert.deepEqual([(await storedConfig('TW')).from, (await storedConfig('TW')).authToken], ['+12065550122', 'tokenNewB9c8d7e6f5a4']);
});
