/**
 * Delivery reports, vendor-side opt-outs and one-click email unsubscribe.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { optOutVendor } from './support/opt-out-vendor.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let statusPath = '';

before(async () => {
  t = await createTestApp({ providers: { 'refuses-opted-out': optOutVendor } });
  await t.createProject('dlv', { defaultCountry: 'KE' });
  const g = (await t.request('POST', '/api/v1/projects/dlv/gateways', { body: { name: 'test', type: 'test' } })).json();
  statusPath = new URL(g.statusUrl).pathname;
  await t.request('POST', '/api/v1/projects/dlv/gateways', { body: { name: 'vendor', type: 'refuses-opted-out' } });
  await t.request('POST', '/api/v1/projects/dlv/gateways', { body: { name: 'mail', type: 'test-email' } });
  await t.request('PUT', '/api/v1/projects/dlv/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }, { prefix: '2547199', gateway: 'VENDOR' }] });
});
after(() => t.close());

async function sendTo(recipient: Json, extra: Json = {}): Promise<Json> {
  const m = (await t.request('POST', '/api/v1/projects/dlv/messages', { body: { recipient, text: 'hello', ...extra } })).json();
  await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });
  return (await t.request('GET', `/api/v1/projects/dlv/messages/${m.id}`)).json();
}

test('delivery reports move a message to delivered or failed, never backwards; unknown statuses change nothing', async () => {
  const a = await sendTo({ phoneNumber: '+254719000001' });
  assert.equal(a.status, 'sent');
  const post = (body: Json) => t.request('POST', statusPath, { token: null, body });
  assert.equal((await post({ providerMessageId: a.providerMessageId, status: 'delivered' })).statusCode, 200);
  assert.equal((await t.request('GET', `/api/v1/projects/dlv/messages/${a.id}`)).json().status, 'delivered');
  await post({ providerMessageId: a.providerMessageId, status: 'failed', reason: 'late' });
  assert.equal((await t.request('GET', `/api/v1/projects/dlv/messages/${a.id}`)).json().status, 'delivered');
  const b = await sendTo({ phoneNumber: '+254719000002' });
  await post({ providerMessageId: b.providerMessageId, status: 'mystery' });
  assert.equal((await t.request('GET', `/api/v1/projects/dlv/messages/${b.id}`)).json().status, 'sent');
  await post({ providerMessageId: b.providerMessageId, status: 'undelivered', reason: '30003 Unreachable handset' });
  const failed = (await t.request('GET', `/api/v1/projects/dlv/messages/${b.id}`)).json();
  assert.deepEqual([failed.status, failed.errorCode, failed.errorDetail], ['failed', 'DELIVERY_FAILED', '30003 Unreachable handset']);
  assert.equal((await post({ status: 'delivered' })).statusCode, 400);
});

test('a vendor opt-out error records an opt-out (method vendor) and fails the message', async () => {
  const m = await sendTo({ phoneNumber: '+254719900003' });
  assert.equal(m.status, 'failed');
  assert.equal(m.errorCode, 'PHONE_NUMBER_OPTED_OUT');
  assert.match(m.errorDetail, /21610/);
  const lookup = (await t.request('GET', '/api/v1/projects/dlv/phone-numbers/%2B254719900003')).json();
  assert.equal(lookup.optedOut, true);
  const history = (await t.request('GET', '/api/v1/projects/dlv/phone-numbers/%2B254719900003/consent')).json();
  assert.deepEqual(history.map((e: Json) => [e.action, e.method, e.gateway]), [['opt-out', 'vendor', 'VENDOR']]);
});

test('email carries a one-click unsubscribe link; POST opts the address out, GET does not', async () => {
  const c = (await t.request('POST', '/api/v1/projects/dlv/cases', { body: { caseType: 'p', name: 'Mail', properties: { commcare_email_address: 'Amina@Example.org' } } })).json();
  const first = await sendTo({ caseId: c.id }, { channel: 'email', subject: 'Hi' });
  assert.equal(first.status, 'sent');
  const { unsubscribeUrl } = await import('../src/services/unsubscribe.service.ts');
  const url = new URL(unsubscribeUrl(t.deps, 'Amina@Example.org', null));
  const page = await t.request('GET', url.pathname, { token: null });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /amina@example\.org/);
  const stillIn = await sendTo({ caseId: c.id }, { channel: 'email', subject: 'Hi' });
  assert.equal(stillIn.status, 'sent', 'a GET never unsubscribes');
  const done = await t.request('POST', url.pathname, { token: null, body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(done.statusCode, 200);
  const blocked = (await t.request('POST', '/api/v1/projects/dlv/messages', { body: { recipient: { caseId: c.id }, channel: 'email', subject: 'Hi', text: 'x' } })).json();
  assert.equal(blocked.errorCode, 'EMAIL_OPTED_OUT');
  const forged = await t.request('POST', url.pathname.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')), { token: null });
  assert.equal(forged.statusCode, 404);
  const events = await t.deps.db.selectFrom('consent_events').selectAll().where('email', '=', 'amina@example.org').execute();
  assert.deepEqual(events.map((e) => [e.action, e.method]), [['opt-out', 'email-unsubscribe']]);
});
