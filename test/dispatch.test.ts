/**
 * The dispatcher's last checks and crash handling, in-process.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Provider } from '../src/providers/provider.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { setOptOut } from '../src/store/opt-out.store.ts';
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

// Slow, two calls at a time; its first answer records a STOP for the number it sent to (through
// our store, as the inbound webhook would), while the rest of the batch is still to be sent.
const slowSent: string[] = [];
let stopOnFirstSend: string | null = null;
const slowVendor = (): Provider => ({
  type: 'slow',
  channel: 'sms',
  idempotent: false,
  sendGroupSize: 2,
  validateConfig: (c) => c,
  async send(_g, messages) {
    await new Promise((r) => setTimeout(r, 20));
    slowSent.push(...messages.map((m) => m.id));
    const number = stopOnFirstSend;
    if (number) {
      stopOnFirstSend = null;
      await t.deps.db.transaction().execute((trx) => setOptOut(trx, number, true, new Date()));
    }
    return messages.map((m) => ({ ok: true, providerMessageId: `slow-${m.id}` }));
  },
});

before(async () => {
  t = await createTestApp({ providers: { plain: plainVendor, throws: throwingVendor, slow: slowVendor }, config: { retryBaseMs: 0 } });
  await t.createProject('disp', { defaultCountry: 'KE' });
  await t.request('POST', '/api/v1/projects/disp/gateways', { body: { name: 'plain', type: 'plain' } });
  await t.request('POST', '/api/v1/projects/disp/gateways', { body: { name: 'throws', type: 'throws' } });
  await t.request('POST', '/api/v1/projects/disp/gateways', { body: { name: 'slow', type: 'slow' } });
  await t.request('PUT', '/api/v1/projects/disp/gateway-routes', {
    body: [{ prefix: '*', gateway: 'PLAIN' }, { prefix: '2547169', gateway: 'THROWS' }, { prefix: '2547168', gateway: 'SLOW' }],
  });
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

test('a STOP recorded while a batch is being sent stops the rest of the batch', async () => {
  const number = '+254716800006';
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    ids.push(await send(number));
  }
  stopOnFirstSend = number;
  assert.equal(await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 }), 10);
  // The first group (2 messages) was already with the vendor; nothing after the STOP was sent.
  assert.equal(slowSent.length, 2);
  const statuses = await Promise.all(ids.map(async (id) => (await t.request('GET', `/api/v1/projects/disp/messages/${id}`)).json()));
  assert.deepEqual(
    statuses.map((m) => (slowSent.includes(m.id) ? 'sent' : m.errorCode)),
    [...Array<string>(2).fill('sent'), ...Array<string>(8).fill('PHONE_NUMBER_OPTED_OUT')],
  );
  for (const m of statuses.filter((m) => !slowSent.includes(m.id))) {
    assert.equal(m.status, 'failed');
  }
});
