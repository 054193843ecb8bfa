/**
 * Africa's Talking end to end through the HTTP API: the gateway is created pointing at a fake
 * Africa's Talking, a case gets a message (the fake receives the exact form), a reply comes in
 * through the inbound callback, delivery reports arrive, and the message log shows it all; the API
 * key appears in no log, no message and no gateway output.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertNoSecrets, callWebhook, captureLogger, createCase, createGateway, getMessage, sendToCase, settleInbound } from './support/provider-flow.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { startVendorFake, type VendorFake } from './support/vendor-fake.ts';

type Json = Record<string, any>;
const API_KEY = 'atsk_e2e_9f8e7d6c5b4a3210SECRET';
const PHONE = '+254711082306';
const logs = captureLogger();
let t: TestApp;
let fake: VendorFake;
let gw: Json;
let kase: Json;
let seq = 0;

before(async () => {
  fake = await startVendorFake(() => ({
    status: 201,
    body: { SMSMessageData: { Message: 'Sent to 1/1 Total Cost: KES 0.8000', Recipients: [{ statusCode: 101, number: PHONE, status: 'Success', cost: 'KES 0.8000', messageId: `ATXid_e2e_${++seq}` }] } },
  }));
  t = await createTestApp({ logger: logs.logger });
  await t.createProject('atp', { defaultCountry: 'KE' });
  gw = await createGateway(t, 'atp', { name: 'at', type: 'africastalking', config: { username: 'myapp', apiKey: API_KEY, from: 'MYORG', baseUrl: fake.baseUrl } });
  kase = await createCase(t, 'atp', PHONE);
});
after(async () => {
  await t.close();
  await fake.close();
});

test('the gateway is created with its webhook URLs and no credentials in the answer', () => {
  assert.equal(gw.type, 'africastalking');
  assert.match(gw.inboundUrl, /^http:\/\/rollcall\.test\/webhooks\/.+\/inbound$/);
  assert.match(gw.statusUrl, /\/status$/);
  assert.equal(gw.config, undefined);
});

test('send, reply, delivery report: the message log shows it all', async () => {
  const out = await sendToCase(t, 'atp', kase.id, 'Clinic day is Monday');
  assert.equal(out.status, 'sent', JSON.stringify(out));
  assert.equal(out.providerMessageId, 'ATXid_e2e_1');
  const req = fake.requests.at(-1);
  assert.ok(req);
  assert.equal(req.url, '/version1/messaging');
  assert.equal(req.headers.apikey, API_KEY);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), { username: 'myapp', to: PHONE, message: 'Clinic day is Monday', from: 'MYORG' });

  const reply = await callWebhook(t, gw.inboundUrl, 'form', { date: '2026-12-01 18:02:11', from: PHONE, id: 'at-in-0001', linkId: 'link-1', text: 'Asante, nitakuja', to: 'MYORG', networkCode: '63902' });
  assert.equal(reply.statusCode, 200, reply.body);
  // Africa's Talking retries a callback it thinks failed: the repeat is stored once.
  assert.equal((await callWebhook(t, gw.inboundUrl, 'form', { from: PHONE, id: 'at-in-0001', text: 'Asante, nitakuja', to: 'MYORG' })).statusCode, 200);
  await settleInbound(t);

  const dlr = await callWebhook(t, gw.statusUrl, 'form', { id: 'ATXid_e2e_1', status: 'Success', phoneNumber: PHONE, networkCode: '63902', retryCount: '0' });
  assert.equal(dlr.statusCode, 200, dlr.body);
  assert.equal((await getMessage(t, 'atp', out.id)).status, 'delivered');

  const second = await sendToCase(t, 'atp', kase.id, 'Bring your card');
  assert.equal((await callWebhook(t, gw.statusUrl, 'form', { id: second.providerMessageId, status: 'Buffered', phoneNumber: PHONE })).statusCode, 200);
  assert.equal((await getMessage(t, 'atp', second.id)).status, 'sent', 'Buffered is intermediate');
  await callWebhook(t, gw.statusUrl, 'form', { id: second.providerMessageId, status: 'Failed', phoneNumber: PHONE, failureReason: 'DeliveryFailure' });
  const failed = await getMessage(t, 'atp', second.id);
  assert.deepEqual([failed.status, failed.errorCode, failed.errorDetail], ['failed', 'DELIVERY_FAILED', 'Failed: DeliveryFailure']);

  const log = (await t.request('GET', `/api/v1/projects/atp/messages?caseId=${kase.id}`)).json();
  const rows = log.items.map((m: Json) => [m.direction, m.status, m.text]);
  assert.deepEqual(rows.sort(), [
    ['in', 'received', 'Asante, nitakuja'],
    ['out', 'delivered', 'Clinic day is Monday'],
    ['out', 'failed', 'Bring your card'],
  ]);
  assert.equal(log.items.find((m: Json) => m.direction === 'in').from, PHONE);
});

test('a malformed callback is refused with 400 and logged without its content', async () => {
  const res = await callWebhook(t, gw.inboundUrl, 'form', { to: 'MYORG', note: 'private words here' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'VALIDATION_ERROR');
  assert.match(logs.text(), /inbound webhook refused/);
  assert.ok(!logs.text().includes('private words here'));
});

test('bad credentials fail the message permanently; the key shows nowhere', async () => {
  fake.answers.push({ status: 401, body: `The supplied authentication is invalid (apiKey ${API_KEY})` });
  const m = await sendToCase(t, 'atp', kase.id, 'Will fail');
  assert.deepEqual([m.status, m.errorCode], ['failed', 'GATEWAY_ERROR']);
  // Africa's Talking answers this in plain text: only the status is kept, never the body.
  assert.equal(m.errorDetail, "Africa's Talking HTTP 401: Unauthorized");
  await assertNoSecrets(t, 'atp', 'AT', kase.id, logs.text(), [API_KEY]);
});

test('a blacklisted recipient (406) records an opt-out with method vendor', async () => {
  const other = await createCase(t, 'atp', '+254722000111');
  fake.answers.push({ status: 201, body: { SMSMessageData: { Message: 'Sent to 0/1', Recipients: [{ statusCode: 406, number: '+254722000111', status: 'UserInBlacklist', cost: '0', messageId: 'None' }] } } });
  const m = await sendToCase(t, 'atp', other.id, 'hello');
  assert.deepEqual([m.status, m.errorCode], ['failed', 'PHONE_NUMBER_OPTED_OUT']);
  const history = (await t.request('GET', '/api/v1/projects/atp/phone-numbers/%2B254722000111/consent')).json();
  assert.deepEqual(history.filter((e: Json) => e.action === 'opt-out').map((e: Json) => [e.method, e.gateway]), [['vendor', 'AT']]);
});

test('config mistakes are 400 VALIDATION_ERROR with a clear message', async () => {
  const res = await t.request('POST', '/api/v1/projects/atp/gateways', { body: { name: 'bad', type: 'africastalking', config: { username: 'x' } } });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'VALIDATION_ERROR');
  assert.match(res.json().error.message, /apiKey is required/);
});
