/**
 * With the per-request look-ups cached (as in production), changes made through the API still take
 * effect at once in the same process: a revoked token stops working, project settings apply.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp({ cacheTtlMs: 60_000 });
  await t.createProject('cached', { defaultCountry: 'KE' });
});
after(() => t.close());

test('revocation and settings changes are seen at once despite the caches', async () => {
  const token = await t.createMember('cached', 'admin');
  assert.equal((await t.request('GET', '/api/v1/projects/cached', { token })).statusCode, 200);
  await t.request('PATCH', '/api/v1/projects/cached', { token, body: { defaultCountry: 'US' } });
  const c = (await t.request('POST', '/api/v1/projects/cached/cases', { token, body: { caseType: 'p', name: 'x', properties: { contact_phone_number: '(206) 813-0912' } } })).json();
  assert.equal(c.contact.phoneNumber, '+12068130912', 'the new default country applies to the next request');
  assert.equal((await t.request('DELETE', '/api/v1/auth/tokens/current', { token })).statusCode, 204);
  assert.equal((await t.request('GET', '/api/v1/projects/cached', { token })).statusCode, 401);
});

test('a new gateway route applies to the next message despite the routing cache', async () => {
  const c = (await t.request('POST', '/api/v1/projects/cached/cases', { body: { caseType: 'p', name: 'y', properties: { contact_phone_number: '+254712000777' } } })).json();
  assert.equal((await t.request('POST', '/api/v1/projects/cached/messages', { body: { recipient: { caseId: c.id }, text: 'x' } })).json().errorCode, 'NO_SUITABLE_GATEWAY');
  await t.request('POST', '/api/v1/projects/cached/gateways', { body: { name: 'one', type: 'test' } });
  await t.request('PUT', '/api/v1/projects/cached/gateway-routes', { body: [{ prefix: '*', gateway: 'ONE' }] });
  assert.equal((await t.request('POST', '/api/v1/projects/cached/messages', { body: { recipient: { caseId: c.id }, text: 'x' } })).json().gateway, 'ONE');
});
