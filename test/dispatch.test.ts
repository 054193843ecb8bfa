/**
 * The dispatcher's last checks and crash handling, in-process.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Provider } from '../src/providers/provider.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
const calls: string[] = [];
const plainVendor = (): Provider => ({
  type: 'plain',
  channel: 'sms',
  idempotent: false,
  validateConfig: (c) => c,
  async send(_g, messages) {
    calls.push(...messages.map((m) => m.id));
    return messages.map((m) => ({ ok: true, providerMessageId: `plain-${m.id}` }));
  },
});
const throwingVendor = (): Provider => ({
  type: 'throws',
  channel: 'sms',
  idempotent: false,
  validateConfig: (c) => c,
  send() {
    return Promise.reject(new Error('socket hang up'));
  },
});

before(async () => {
  t = await createTestApp({ providers: { plain: plainVendor, throws: throwingVendor }, config: { retryBaseMs: 0 } });
  await t.createProject('disp', { defaultCountry: 'KE' });
  await t.request('POST', '/api/v1/projects/disp/gateways', { body: { name: 'plain', type: 'plain' } });
  await t.request('POST', '/api/v1/projects/disp/gateways', { body: { name: 'throws', type: 'throws' } });
  await t.request('PUT', '/api/v1/projects/disp/gateway-routes', { body: [{ prefix: '*', gateway: 'PLAIN' }, { prefix: '2547169', gateway: 'THROWS' }] });
});
after(() => t.close());

async function send(number: string): Promise<string> {
  const res = await t.request('POST', '/api/v1/projects/disp/messages', { body: { recipient: { phoneNumber: number }, text: 'x' } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

test('a message caught mid-send by a crash is not resent through a non-idempotent gateway', async () => {
  const id = await send('+254716000001');
  // As a crashed worker leaves it: claimed, lease expired.
  await t.deps.db.updateTable('messages').set({ status: 'sending', attempts: 1, lease_until: new Date(Date.now() - 1000) }).where('id', '=', id).execute();
  await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
  const m = (await t.request('GET', `/api/v1/projects/disp/messages/${id}`)).json();
  assert.equal(m.status, 'failed');
  assert.equal(m.errorCode, 'GATEWAY_ERROR');
  assert.match(m.errorDetail, /may have sent it/);
  assert.equal(calls.includes(id), false);
});

test('a live lease is left alone; an ordinary message is sent once', async () => {
  const leased = await send('+254716000002');
  await t.deps.db.updateTable('messages').set({ status: 'sending', lease_until: new Date(Date.now() + 60_000) }).where('id', '=', leased).execute();
  const fresh = await send('+254716000003');
  await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
  assert.equal(calls.filter((c) => c === fresh).length, 1);
  assert.equal(calls.includes(leased), false);
  assert.equal((await t.request('GET', `/api/v1/projects/disp/messages/${leased}`)).json().status, 'queued');
});

test('a provider that throws counts as a transient failure, then GATEWAY_ERROR', async () => {
  const id = await send('+254716900004');
  for (let i = 0; i < 5; i++) {
    await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
  }
  const m = (await t.request('GET', `/api/v1/projects/disp/messages/${id}`)).json();
  assert.equal(m.status, 'failed');
  assert.equal(m.attempts, 3);
  assert.match(m.errorDetail, /socket hang up/);
});

test('closing the case after queueing fails the message CONTACT_IS_INACTIVE before the provider is called', async () => {
  const c = (await t.request('POST', '/api/v1/projects/disp/cases', { body: { caseType: 'p', name: 'x', properties: { contact_phone_number: '+254716000005' } } })).json();
  const m = (await t.request('POST', '/api/v1/projects/disp/messages', { body: { recipient: { caseId: c.id }, text: 'x' } })).json();
  await t.request('POST', `/api/v1/projects/disp/cases/${c.id}/close`);
  await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
  const after = (await t.request('GET', `/api/v1/projects/disp/messages/${m.id}`)).json();
  assert.equal(after.errorCode, 'CONTACT_IS_INACTIVE');
  assert.equal(calls.includes(m.id), false);
});
