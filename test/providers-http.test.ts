/**
 * The generic HTTP gateway end to end, set up for Kannel: a GET to a fake /cgi-bin/sendsms that
 * answers "0: Accepted for delivery", the dlr-url Kannel would call back (GET with %d filled in),
 * an incoming message as Kannel's sms-service get-url delivers it (query string, shared secret),
 * and the message log showing it all; the Kannel password and secret appear nowhere.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertNoSecrets, callWebhook, captureLogger, createCase, createGateway, getMessage, sendToCase, settleInbound } from './support/provider-flow.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { startVendorFake, type VendorFake } from './support/vendor-fake.ts';

type Json = Record<string, any>;
const PASSWORD = 'kannel-e2e-Pa55';
const HOOK_SECRET = 'kannel-hook-7c6b5a49';
const PHONE = '+256772123456';
const logs = captureLogger();
let t: TestApp;
let fake: VendorFake;
let gw: Json;
let kase: Json;

before(async () => {
  fake = await startVendorFake((req) => {
    const q = new URL(req.url, 'http://x').searchParams;
    if (!req.url.startsWith('/cgi-bin/sendsms')) {
      return { status: 404, body: 'Unknown service' };
    }
    if (q.get('username') !== 'rollcall' || q.get('password') !== PASSWORD) {
      return { status: 403, body: 'Authorization failed for sendsms' };
    }
    return q.get('to') && q.get('text') ? { status: 202, body: '0: Accepted for delivery' } : { status: 400, body: 'Missing receiver number' };
  });
  t = await createTestApp({ logger: logs.logger });
  await t.createProject('kan', { defaultCountry: 'UG' });
  gw = await createGateway(t, 'kan', {
    name: 'kannel',
    type: 'http',
    config: {
      url: `${fake.baseUrl}/cgi-bin/sendsms?username=rollcall&password=${PASSWORD}&to={to}&text={text}&from={from}&dlr-mask=3&dlr-url={status_url}%3Fid%3D{message_id}%26status%3D%25d%26secret%3D${HOOK_SECRET}`,
      from: '8080',
      successPattern: '^0: Accepted',
      statusMap: '{"1":"delivered","2":"failed","4":"ignored","8":"sent","16":"failed"}',
      inboundFromField: 'sender',
      inboundTextField: 'msg',
      inboundIdField: 'smsid',
      webhookSecret: HOOK_SECRET,
    },
  });
  kase = await createCase(t, 'kan', PHONE);
});
after(async () => {
  await t.close();
  await fake.close();
});

/** What Kannel does with dlr-url: fill in %d and GET it. */
function dlrUrlOf(requestUrl: string, status: number): string {
  const dlr = new URL(requestUrl, 'http://x').searchParams.get('dlr-url') ?? '';
  return dlr.replace('%d', String(status));
}

test('send, reply, delivery report through Kannel: the message log shows it all', async () => {
  const out = await sendToCase(t, 'kan', kase.id, 'Clinic day is Monday & Tuesday');
  assert.equal(out.status, 'sent', JSON.stringify(out));
  assert.equal(out.providerMessageId, out.id, 'Kannel gives no id: ours stands in, and the dlr-url carries it');
  const req = fake.requests.at(-1);
  assert.ok(req);
  assert.equal(req.method, 'GET');
  const q = Object.fromEntries(new URL(req.url, 'http://x').searchParams);
  assert.deepEqual(q, { username: 'rollcall', password: PASSWORD, to: PHONE, text: 'Clinic day is Monday & Tuesday', from: '8080', 'dlr-mask': '3', 'dlr-url': `${gw.statusUrl}?id=${out.id}&status=%d&secret=${HOOK_SECRET}` });

  // Kannel's sms-service: get-url = "…/inbound?sender=%p&msg=%a&smsid=%I&secret=…"
  const forged = await callWebhook(t, gw.inboundUrl, 'query', { sender: PHONE, msg: 'Forged', smsid: 'k-0' });
  assert.equal(forged.statusCode, 403);
  const reply = await callWebhook(t, gw.inboundUrl, 'query', { sender: PHONE, msg: 'Webale', smsid: 'k-in-1', secret: HOOK_SECRET });
  assert.equal(reply.statusCode, 200, reply.body);
  await settleInbound(t);

  const buffered = new URL(dlrUrlOf(req.url, 4));
  assert.equal((await t.request('GET', buffered.pathname + buffered.search, { token: null })).statusCode, 200);
  assert.equal((await getMessage(t, 'kan', out.id)).status, 'sent', '4 (buffered) is intermediate');
  const delivered = new URL(dlrUrlOf(req.url, 1));
  assert.equal((await t.request('GET', delivered.pathname + delivered.search, { token: null })).statusCode, 200);
  assert.equal((await getMessage(t, 'kan', out.id)).status, 'delivered');

  const second = await sendToCase(t, 'kan', kase.id, 'Bring your card');
  const rejected = new URL(dlrUrlOf(fake.requests.at(-1)?.url ?? '', 16));
  await t.request('GET', rejected.pathname + rejected.search, { token: null });
  const failed = await getMessage(t, 'kan', second.id);
  assert.deepEqual([failed.status, failed.errorCode, failed.errorDetail], ['failed', 'DELIVERY_FAILED', '16']);

  const log = (await t.request('GET', `/api/v1/projects/kan/messages?caseId=${kase.id}`)).json();
  assert.deepEqual(log.items.map((m: Json) => [m.direction, m.status, m.text]).sort(), [
    ['in', 'received', 'Webale'],
    ['out', 'delivered', 'Clinic day is Monday & Tuesday'],
    ['out', 'failed', 'Bring your card'],
  ]);
  assert.ok(!logs.text().includes('Forged'), 'a refused webhook is logged without its content');
});

test('a wrong Kannel password fails permanently; Kannel down is retried; no secret shows', async () => {
  const patched = await t.request('PATCH', '/api/v1/projects/kan/gateways/KANNEL', { body: { ratePerSecond: 50 } });
  assert.equal(patched.statusCode, 200, patched.body);
  fake.answers.push({ status: 403, body: `Authorization failed for sendsms (password=${PASSWORD})` });
  const m = await sendToCase(t, 'kan', kase.id, 'Will fail');
  assert.deepEqual([m.status, m.errorCode], ['failed', 'GATEWAY_ERROR']);
  // A plain-text answer is never kept (it could be any internal page): the status only.
  assert.equal(m.errorDetail, 'HTTP 403: Forbidden');
  fake.answers.push({ status: 503, body: 'Sending failed.' });
  assert.equal((await sendToCase(t, 'kan', kase.id, 'Later')).status, 'queued');
  await assertNoSecrets(t, 'kan', 'KANNEL', kase.id, logs.text(), [PASSWORD, HOOK_SECRET]);
});

test('config mistakes are 400 VALIDATION_ERROR with a clear message', async () => {
  const res = await t.request('POST', '/api/v1/projects/kan/gateways', { body: { name: 'bad', type: 'http', config: { url: 'http://h/send?to={number}' } } });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().error.message, /\{number\} is not a placeholder/);
});
