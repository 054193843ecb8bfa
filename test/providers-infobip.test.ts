/**
 * Infobip end to end through the HTTP API: the gateway points at a fake Infobip, a case gets a
 * message (the fake receives the exact JSON, with our status URL as notifyUrl), a reply comes in
 * through the forwarding webhook (Basic auth with the webhook secret; without it 403), delivery
 * reports arrive at the per-message notifyUrl (a wrong secret header is 403), and the message log shows it all; no credential appears in logs or API output.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertNoSecrets, callWebhook, captureLogger, createCase, createGateway, getMessage, sendToCase, settleInbound } from './support/provider-flow.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { startVendorFake, type VendorFake } from './support/vendor-fake.ts';

type Json = Record<string, any>;
const API_KEY = 'ib-e2e-003026bbc133714df1834b8638bb496e-SECRET';
const HOOK_SECRET = 'ib-hook-secret-5f4e3d2c1b';
const PHONE = '+254711082306';
const basic = `Basic ${Buffer.from(`infobip:${HOOK_SECRET}`).toString('base64')}`;
const logs = captureLogger();
let t: TestApp;
let fake: VendorFake;
let gw: Json;
let kase: Json;
let seq = 0;

before(async () => {
  fake = await startVendorFake(() => ({
    status: 200,
    body: { bulkId: 'bulk-1', messages: [{ messageId: `ib-msg-${++seq}`, status: { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' }, to: '254711082306' }] },
  }));
  t = await createTestApp({ logger: logs.logger });
  await t.createProject('ibp', { defaultCountry: 'KE' });
  gw = await createGateway(t, 'ibp', { name: 'infobip', type: 'infobip', config: { baseUrl: fake.baseUrl, apiKey: API_KEY, from: 'InfoSMS', webhookSecret: HOOK_SECRET } });
  kase = await createCase(t, 'ibp', PHONE);
});
after(async () => {
  await t.close();
  await fake.close();
});

const report = (messageId: string, groupName: string, name: string, description: string, error = { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false }) => ({
  results: [{ bulkId: 'bulk-1', messageId, to: '254711082306', sentAt: '2026-12-01T18:00:00.000+0000', doneAt: '2026-12-01T18:00:05.000+0000', smsCount: 1, price: { pricePerMessage: 0.01, currency: 'EUR' }, status: { groupId: 3, groupName, id: 5, name, description }, error }],
});

test('send, reply, delivery report: the message log shows it all', async () => {
  const out = await sendToCase(t, 'ibp', kase.id, 'Clinic day is Monday');
  assert.equal(out.status, 'sent', JSON.stringify(out));
  assert.equal(out.providerMessageId, 'ib-msg-1');
  const req = fake.requests.at(-1);
  assert.ok(req);
  assert.equal(req.url, '/sms/2/text/advanced');
  assert.equal(req.headers.authorization, `App ${API_KEY}`);
  assert.deepEqual(JSON.parse(req.body), { messages: [{ from: 'InfoSMS', destinations: [{ to: '254711082306' }], text: 'Clinic day is Monday', notifyUrl: gw.statusUrl, notifyContentType: 'application/json', callbackData: out.id }] });

  const inbound = { results: [{ messageId: 'ib-in-0001', from: '254711082306', to: '447491163443', text: 'Asante', cleanText: 'Asante', keyword: '', receivedAt: '2026-12-01T18:01:00.000+0000', smsCount: 1, price: { pricePerMessage: 0, currency: 'EUR' }, callbackData: null }], messageCount: 1, pendingMessageCount: 0 };
  const forged = await callWebhook(t, gw.inboundUrl, 'json', inbound);
  assert.equal(forged.statusCode, 403);
  assert.equal(forged.json().error.code, 'FORBIDDEN');
  const wrong = await callWebhook(t, gw.inboundUrl, 'json', inbound, { authorization: `Basic ${Buffer.from('infobip:guess').toString('base64')}` });
  assert.equal(wrong.statusCode, 403);
  const reply = await callWebhook(t, gw.inboundUrl, 'json', inbound, { authorization: basic });
  assert.equal(reply.statusCode, 200, reply.body);
  await settleInbound(t);

  const wrongReport = await callWebhook(t, gw.statusUrl, 'json', report('ib-msg-1', 'DELIVERED', 'DELIVERED_TO_HANDSET', 'Message delivered to handset'), { authorization: 'Basic d3Jvbmc6d3Jvbmc=' });
  assert.equal(wrongReport.statusCode, 403, 'a report with a wrong secret is refused');
  // Reports to the per-message notifyUrl come without a header: the URL key authenticates them.
  const dlr = await callWebhook(t, gw.statusUrl, 'json', report('ib-msg-1', 'DELIVERED', 'DELIVERED_TO_HANDSET', 'Message delivered to handset'));
  assert.equal(dlr.statusCode, 200, dlr.body);
  assert.equal((await getMessage(t, 'ibp', out.id)).status, 'delivered');

  const second = await sendToCase(t, 'ibp', kase.id, 'Bring your card');
  await callWebhook(t, gw.statusUrl, 'json', report(second.providerMessageId, 'UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'Message sent not delivered', { groupId: 1, groupName: 'HANDSET_ERRORS', id: 27, name: 'EC_ABSENT_SUBSCRIBER', description: 'Absent Subscriber', permanent: false }), { authorization: basic });
  const failed = await getMessage(t, 'ibp', second.id);
  assert.deepEqual([failed.status, failed.errorCode], ['failed', 'DELIVERY_FAILED']);
  assert.equal(failed.errorDetail, 'UNDELIVERABLE UNDELIVERABLE_NOT_DELIVERED: Message sent not delivered; EC_ABSENT_SUBSCRIBER: Absent Subscriber');

  const log = (await t.request('GET', `/api/v1/projects/ibp/messages?caseId=${kase.id}`)).json();
  assert.deepEqual(log.items.map((m: Json) => [m.direction, m.status, m.text]).sort(), [
    ['in', 'received', 'Asante'],
    ['out', 'delivered', 'Clinic day is Monday'],
    ['out', 'failed', 'Bring your card'],
  ]);
  assert.equal(log.items.find((m: Json) => m.direction === 'in').from, PHONE);
  assert.match(logs.text(), /inbound webhook refused/);
  assert.ok(!logs.text().includes('Asante'), 'a refused webhook is logged without its content');
});

test('bad credentials and rejections fail the message permanently; a 500 is retried; no secret shows', async () => {
  fake.answers.push({ status: 401, body: { requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } } });
  const m = await sendToCase(t, 'ibp', kase.id, 'Will fail');
  assert.deepEqual([m.status, m.errorCode, m.errorDetail], ['failed', 'GATEWAY_ERROR', 'Infobip HTTP 401: UNAUTHORIZED: Invalid login details']);
  fake.answers.push({ status: 500, body: { requestError: { serviceException: { messageId: 'GENERAL_ERROR', text: 'Something went wrong' } } } });
  const later = await sendToCase(t, 'ibp', kase.id, 'Try again');
  assert.equal(later.status, 'queued', 'a 5xx is retried later');
  await assertNoSecrets(t, 'ibp', 'INFOBIP', kase.id, logs.text(), [API_KEY, HOOK_SECRET]);
});

test('the base URL is required (it is account specific)', async () => {
  const res = await t.request('POST', '/api/v1/projects/ibp/gateways', { body: { name: 'ib2', type: 'infobip', config: { apiKey: 'k', from: 'X' } } });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().error.message, /baseUrl is required/);
});
