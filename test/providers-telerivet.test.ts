/**
 * A Telerivet gateway end to end through the HTTP API, against a fake Telerivet REST API on
 * 127.0.0.1: created through the API, a message to a case goes out as the exact send request
 * (status_url = the gateway's status URL, status_secret = its webhook secret), the reply comes back
 * through the inbound webhook with the secret, the send_status notification marks it delivered or
 * failed, and the message log shows it all. The API key and secret never show in logs or answers.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';

import { pino } from 'pino';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { type FakeVendor, startFakeVendor } from './support/fake-vendor.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
const API_KEY = 'TrKey' + 'q8W2'.repeat(8);
const PROJECT = 'PJ' + '5a5a'.repeat(4);
const ROUTE = 'PN' + '77ab'.repeat(4);
const SECRET = 'tr-webhook-' + 'Zq3'.repeat(4);
const NUMBER = '+254712345678';
const logLines: string[] = [];
let t: TestApp;
let vendor: FakeVendor;
let gw: Json;
let ids = 0;

before(async () => {
  vendor = await startFakeVendor((req) => {
    const sent = JSON.parse(req.body || '{}') as Json;
    return { status: 200, body: { id: `SM${(++ids).toString(16).padStart(14, '0')}`, direction: 'outgoing', status: 'queued', message_type: 'sms', source: 'api', to_number: sent.to_number, content: sent.content, route_id: sent.route_id, project_id: PROJECT } };
  });
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await createTestApp({ config: { retryBaseMs: 0 }, logger: pino({ level: 'trace' }, logStream) });
  await t.createProject('tr', { defaultCountry: 'KE' });
});
after(async () => {
  await t.close();
  await vendor.close();
});

const path = (url: string) => new URL(url).pathname;

function postForm(url: string, fields: Record<string, string>) {
  return t.request('POST', path(url), { token: null, body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

async function newCase(name: string, number: string): Promise<string> {
  const res = await t.request('POST', '/api/v1/projects/tr/cases', { body: { caseType: 'patient', name, properties: { contact_phone_number: number, contact_phone_number_is_verified: 'true' } } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

async function sendToCase(caseId: string, text: string): Promise<Json> {
  const res = await t.request('POST', '/api/v1/projects/tr/messages', { body: { recipient: { caseId }, text } });
  assert.equal(res.statusCode, 201, res.body);
  await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });
  return (await t.request('GET', `/api/v1/projects/tr/messages/${res.json().id}`)).json();
}

test('create the gateway through the API: config checked, default rate 0.5/s', async () => {
  const bad = await t.request('POST', '/api/v1/projects/tr/gateways', { body: { name: 'telerivet', type: 'telerivet', config: { apiKey: API_KEY, projectId: PROJECT } } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error.message, /webhookSecret is required/);
  const res = await t.request('POST', '/api/v1/projects/tr/gateways', { body: { name: 'telerivet', type: 'telerivet', config: { apiKey: API_KEY, projectId: PROJECT, routeId: ROUTE, webhookSecret: SECRET, baseUrl: vendor.url } } });
  assert.equal(res.statusCode, 201, res.body);
  gw = res.json();
  assert.equal(gw.ratePerSecond, 0.5);
  assert.equal((await t.request('PATCH', '/api/v1/projects/tr/gateways/TELERIVET', { body: { ratePerSecond: 100 } })).statusCode, 200);
  assert.equal((await t.request('PUT', '/api/v1/projects/tr/gateway-routes', { body: [{ prefix: '*', gateway: 'TELERIVET' }] })).statusCode, 200);
});

test('send to a case, receive the reply, get the delivery notification: the message log shows it all', async () => {
  const caseId = await newCase('Wanjiru', '0712345678');
  const before = vendor.requests.length;
  const sent = await sendToCase(caseId, 'Karibu kliniki kesho saa tatu');
  assert.equal(sent.status, 'sent', JSON.stringify(sent));
  assert.equal(vendor.requests.length - before, 1);
  const req = vendor.requests[before]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, `/v1/projects/${PROJECT}/messages/send`);
  assert.equal(req.headers.authorization, `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`);
  assert.equal(req.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(req.body), { to_number: NUMBER, content: 'Karibu kliniki kesho saa tatu', route_id: ROUTE, status_url: gw.statusUrl, status_secret: SECRET });
  const id = sent.providerMessageId as string;

  const reply = { event: 'incoming_message', id: 'SM' + 'f0'.repeat(7), message_type: 'sms', content: 'Sawa, asante', from_number: NUMBER, from_number_e164: NUMBER, to_number: '+254700000001', time_created: '1764612000', phone_id: ROUTE, project_id: PROJECT, secret: SECRET };
  const ok = await postForm(gw.inboundUrl, reply);
  assert.equal(ok.statusCode, 200, ok.body);
  // Telerivet retries for up to a day until it gets a 200: the same id is stored once.
  assert.equal((await postForm(gw.inboundUrl, reply)).statusCode, 200);
  await processInbound(t.deps, 50);

  const status = { event: 'send_status', id, status: 'delivered', direction: 'outgoing', message_type: 'sms', to_number: NUMBER, project_id: PROJECT, secret: SECRET };
  const dlr = await postForm(gw.statusUrl, status);
  assert.equal(dlr.statusCode, 200, dlr.body);
  assert.equal(dlr.json().updated, 1);

  const log = (await t.request('GET', `/api/v1/projects/tr/messages?caseId=${caseId}`)).json().items as Json[];
  const out = log.find((m) => m.direction === 'out');
  const inbound = log.filter((m) => m.direction === 'in');
  assert.equal(out?.status, 'delivered');
  assert.deepEqual(inbound.map((m) => [m.text, m.from, m.status, m.gateway]), [['Sawa, asante', NUMBER, 'received', 'TELERIVET']]);
  assert.deepEqual(inbound[0]?.contact, { type: 'case', id: caseId });
});

test('a failed notification fails the message with Telerivet’s error_message; failed_queued changes nothing', async () => {
  const caseId = await newCase('Otieno', '0712345679');
  const sent = await sendToCase(caseId, 'Reminder');
  const base = { event: 'send_status', id: sent.providerMessageId, direction: 'outgoing', secret: SECRET };
  await postForm(gw.statusUrl, { ...base, status: 'failed_queued', error_message: 'Phone offline, will retry' });
  assert.equal((await t.request('GET', `/api/v1/projects/tr/messages/${sent.id}`)).json().status, 'sent');
  await postForm(gw.statusUrl, { ...base, status: 'not_delivered', error_message: 'Absent subscriber' });
  const m = (await t.request('GET', `/api/v1/projects/tr/messages/${sent.id}`)).json();
  assert.deepEqual([m.status, m.errorCode, m.errorDetail], ['failed', 'DELIVERY_FAILED', 'Telerivet not_delivered: Absent subscriber']);
});

test('webhooks with a missing or wrong secret are refused with 403 and stored nowhere', async () => {
  const forged = { event: 'incoming_message', id: 'SMforged', message_type: 'sms', content: 'forged STOP', from_number: NUMBER };
  for (const fields of [forged, { ...forged, secret: 'tr-webhook-guess' }]) {
    const res = await postForm(gw.inboundUrl, fields);
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error.code, 'FORBIDDEN');
  }
  assert.equal((await postForm(gw.statusUrl, { event: 'send_status', id: 'SM1', status: 'delivered', secret: 'nope-nope' })).statusCode, 403);
  await processInbound(t.deps, 50);
  const stored = await t.deps.db.selectFrom('messages').select('text').where('text', '=', 'forged STOP').execute();
  assert.deepEqual(stored, []);
  assert.equal(logLines.some((l) => l.includes('forged')), false, 'refused webhooks are logged without their content');
});

test('vendor failures: an invalid number fails at once with Telerivet’s words; a 503 is retried', async () => {
  const caseId = await newCase('Njeri', '0712345680');
  vendor.script({ status: 400, body: { error: { code: 'invalid_param', message: 'Invalid phone number', param: 'to_number' } } });
  const m = await sendToCase(caseId, 'Hello');
  assert.deepEqual([m.status, m.errorCode, m.errorDetail], ['failed', 'GATEWAY_ERROR', 'Telerivet invalid_param: Invalid phone number (to_number) (HTTP 400)']);
  vendor.script({ status: 503, body: 'Service Unavailable' });
  const retried = await sendToCase(caseId, 'Again');
  assert.equal(retried.status, 'queued');
  // retryBaseMs is 0 in this app: the next run sends it.
  await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });
  assert.equal((await t.request('GET', `/api/v1/projects/tr/messages/${retried.id}`)).json().status, 'sent');
});

test('the API key and webhook secret appear in no log line, no gateway answer and no message', async () => {
  const answers = [(await t.request('GET', '/api/v1/projects/tr/gateways/TELERIVET')).body, (await t.request('GET', '/api/v1/projects/tr/gateways')).body, (await t.request('GET', '/api/v1/projects/tr/messages')).body];
  assert.ok(logLines.length > 0);
  for (const text of [...answers, ...logLines]) {
    assert.equal(text.includes(API_KEY) || text.includes(SECRET), false, text.slice(0, 200));
  }
});
