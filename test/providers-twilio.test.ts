/**
 * A Twilio gateway end to end through the HTTP API, against a fake Twilio on 127.0.0.1: created
 * through the API, a message to a case goes out as the exact Messages API request, the reply comes
 * back through the signed inbound webhook (behind a proxy: the public URL has a path prefix), the
 * status callback marks it delivered or failed, and the message log shows it all. Vendor failures
 * are classified (21610 records an opt-out), and the Auth Token never shows in logs or answers.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';

import { pino } from 'pino';

import { EMPTY_TWIML } from '../src/providers/twilio/twilio.provider.ts';
import { twilioSignature } from '../src/providers/twilio/twilio.signature.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { type FakeVendor, startFakeVendor } from './support/fake-vendor.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
const PUBLIC = 'https://sms.example.org/rollcall';
const ACCOUNT = 'AC' + '4d'.repeat(16);
const TOKEN = 'a7c3e9f1'.repeat(4);
const FROM = '+12065550100';
const NUMBER = '+254712345678';
const logLines: string[] = [];
let t: TestApp;
let vendor: FakeVendor;
let gw: Json;
let sids = 0;

before(async () => {
  vendor = await startFakeVendor(() => ({ status: 201, body: { sid: `SM${String(++sids).padStart(32, '0')}`, status: 'queued' } }));
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await createTestApp({ config: { publicUrl: PUBLIC, retryBaseMs: 0 }, logger: pino({ level: 'trace' }, logStream) });
  await t.createProject('tw', { defaultCountry: 'KE' });
});
after(async () => {
  await t.close();
  await vendor.close();
});

/** What the proxy at PUBLIC forwards: the path after the prefix. */
const local = (publicUrl: string) => publicUrl.slice(PUBLIC.length);

function postForm(publicUrl: string, fields: Record<string, string>, signature: string | null) {
  return t.request('POST', local(publicUrl), {
    token: null,
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
  });
}

async function sendToCase(caseId: string, text: string): Promise<Json> {
  const res = await t.request('POST', '/api/v1/projects/tw/messages', { body: { recipient: { caseId }, text } });
  assert.equal(res.statusCode, 201, res.body);
  await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });
  return (await t.request('GET', `/api/v1/projects/tw/messages/${res.json().id}`)).json();
}

async function newCase(name: string, number: string): Promise<string> {
  const res = await t.request('POST', '/api/v1/projects/tw/cases', { body: { caseType: 'patient', name, properties: { contact_phone_number: number, contact_phone_number_is_verified: '1' } } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

test('create the gateway through the API: config checked, default rate 1/s, webhook URLs on the public address', async () => {
  const bad = await t.request('POST', '/api/v1/projects/tw/gateways', { body: { name: 'twilio', type: 'twilio', config: { accountSid: ACCOUNT, authToken: TOKEN } } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'VALIDATION_ERROR');
  assert.match(bad.json().error.message, /give the sender/);
  const res = await t.request('POST', '/api/v1/projects/tw/gateways', { body: { name: 'twilio', type: 'twilio', config: { accountSid: ACCOUNT, authToken: TOKEN, from: FROM, baseUrl: vendor.url } } });
  assert.equal(res.statusCode, 201, res.body);
  gw = res.json();
  assert.equal(gw.type, 'twilio');
  assert.equal(gw.ratePerSecond, 1);
  assert.match(gw.inboundUrl, /^https:\/\/sms\.example\.org\/rollcall\/webhooks\/[\w-]+\/inbound$/);
  assert.match(gw.statusUrl, /^https:\/\/sms\.example\.org\/rollcall\/webhooks\/[\w-]+\/status$/);
  // Tests must not wait for the 1/s bucket.
  assert.equal((await t.request('PATCH', '/api/v1/projects/tw/gateways/TWILIO', { body: { ratePerSecond: 100 } })).statusCode, 200);
  assert.equal((await t.request('PUT', '/api/v1/projects/tw/gateway-routes', { body: [{ prefix: '*', gateway: 'TWILIO' }] })).statusCode, 200);
});

test('send to a case, receive the reply, get the delivery callback: the message log shows it all', async () => {
  const caseId = await newCase('Amina', '0712345678');
  const before = vendor.requests.length;
  const sent = await sendToCase(caseId, 'Your clinic visit is tomorrow at 9 & bring the card');
  assert.equal(sent.status, 'sent', JSON.stringify(sent));
  assert.equal(vendor.requests.length - before, 1);
  const req = vendor.requests[before]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
  assert.equal(req.headers.authorization, `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), { To: NUMBER, Body: 'Your clinic visit is tomorrow at 9 & bring the card', From: FROM, StatusCallback: gw.statusUrl });
  const sid = sent.providerMessageId as string;
  assert.match(sid, /^SM\d{32}$/);

  // The reply, as Twilio posts it to the inbound URL, signed over the public URL.
  const reply = { ToCountry: 'US', SmsMessageSid: 'SM' + 'ab'.repeat(16), NumMedia: '0', SmsSid: 'SM' + 'ab'.repeat(16), SmsStatus: 'received', Body: 'Asante, nitakuja', FromCountry: 'KE', To: FROM, NumSegments: '1', MessageSid: 'SM' + 'ab'.repeat(16), AccountSid: ACCOUNT, From: NUMBER, ApiVersion: '2010-04-01' };
  const ok = await postForm(gw.inboundUrl, reply, twilioSignature(TOKEN, gw.inboundUrl, reply));
  assert.equal(ok.statusCode, 200, ok.body);
  assert.match(String(ok.headers['content-type']), /^text\/xml/);
  assert.equal(ok.body, EMPTY_TWIML);
  // Twilio retries a webhook it thinks failed: the same MessageSid is stored once.
  assert.equal((await postForm(gw.inboundUrl, reply, twilioSignature(TOKEN, gw.inboundUrl, reply))).statusCode, 200);
  await processInbound(t.deps, 50);

  // The delivery report, as Twilio posts it to StatusCallback.
  const delivered = { SmsSid: sid, SmsStatus: 'delivered', MessageStatus: 'delivered', To: NUMBER, MessageSid: sid, AccountSid: ACCOUNT, From: FROM, ApiVersion: '2010-04-01', RawDlrDoneDate: '2612011830' };
  const dlr = await postForm(gw.statusUrl, delivered, twilioSignature(TOKEN, gw.statusUrl, delivered));
  assert.equal(dlr.statusCode, 200, dlr.body);
  assert.equal(dlr.body, EMPTY_TWIML);

  const log = (await t.request('GET', `/api/v1/projects/tw/messages?caseId=${caseId}`)).json().items as Json[];
  const out = log.find((m) => m.direction === 'out');
  const inbound = log.filter((m) => m.direction === 'in');
  assert.equal(out?.status, 'delivered');
  assert.equal(out?.gateway, 'TWILIO');
  assert.deepEqual(inbound.map((m) => [m.text, m.from, m.status, m.gateway]), [['Asante, nitakuja', NUMBER, 'received', 'TWILIO']]);
  assert.deepEqual(inbound[0]?.contact, { type: 'case', id: caseId });
});

test('an undelivered callback fails the message with Twilio’s code and words', async () => {
  const caseId = await newCase('Baraka', '0712345679');
  const sent = await sendToCase(caseId, 'Reminder');
  const body = { SmsSid: sent.providerMessageId, SmsStatus: 'undelivered', MessageStatus: 'undelivered', ErrorCode: '30003', To: '+254712345679', MessageSid: sent.providerMessageId, AccountSid: ACCOUNT, From: FROM, ApiVersion: '2010-04-01' };
  // Intermediate statuses first (Twilio does not guarantee order): they change nothing.
  const sending = { ...body, SmsStatus: 'sending', MessageStatus: 'sending', ErrorCode: '' };
  assert.equal((await postForm(gw.statusUrl, sending, twilioSignature(TOKEN, gw.statusUrl, sending))).statusCode, 200);
  assert.equal((await postForm(gw.statusUrl, body, twilioSignature(TOKEN, gw.statusUrl, body))).statusCode, 200);
  const m = (await t.request('GET', `/api/v1/projects/tw/messages/${sent.id}`)).json();
  assert.deepEqual([m.status, m.errorCode, m.errorDetail], ['failed', 'DELIVERY_FAILED', 'Twilio 30003: Unreachable destination handset']);
});

test('a 21610 in a status callback (Messaging Service) opts the number out, as at send time', async () => {
  const caseId = await newCase('Eshe', '0712345682');
  const sent = await sendToCase(caseId, 'Reminder');
  const body = { SmsSid: sent.providerMessageId, SmsStatus: 'undelivered', MessageStatus: 'undelivered', ErrorCode: '21610', To: '+254712345682', MessageSid: sent.providerMessageId, AccountSid: ACCOUNT, MessagingServiceSid: 'MG' + '12'.repeat(16), ApiVersion: '2010-04-01' };
  for (let i = 0; i < 2; i++) {
    // Twilio may repeat a callback: the opt-out is recorded once.
    assert.equal((await postForm(gw.statusUrl, body, twilioSignature(TOKEN, gw.statusUrl, body))).statusCode, 200);
  }
  const m = (await t.request('GET', `/api/v1/projects/tw/messages/${sent.id}`)).json();
  assert.deepEqual([m.status, m.errorDetail], ['failed', 'Twilio 21610: Attempt to send to unsubscribed recipient']);
  const number = (await t.request('GET', '/api/v1/projects/tw/phone-numbers/%2B254712345682')).json();
  assert.equal(number.optedOut, true);
  const history = (await t.request('GET', '/api/v1/projects/tw/phone-numbers/%2B254712345682/consent')).json() as Json[];
  assert.deepEqual(history.map((e) => [e.action, e.method, e.gateway]), [['consent-granted', 'api', null], ['opt-out', 'vendor', 'TWILIO']]);
  const next = (await t.request('POST', '/api/v1/projects/tw/messages', { body: { recipient: { caseId }, text: 'More' } })).json();
  assert.equal(next.errorCode, 'PHONE_NUMBER_OPTED_OUT');
});

test('webhooks failing the signature are refused with 403 and stored nowhere: tampered body, URL, no signature', async () => {
  const reply = { MessageSid: 'SM' + 'cd'.repeat(16), AccountSid: ACCOUNT, From: NUMBER, To: FROM, Body: 'forged', NumMedia: '0' };
  const valid = twilioSignature(TOKEN, gw.inboundUrl, reply);
  const tamperedBody = await postForm(gw.inboundUrl, { ...reply, Body: 'STOP' }, valid);
  // Signed for the address the server sees itself, not the public one Twilio was given.
  const tamperedUrl = await postForm(gw.inboundUrl, reply, twilioSignature(TOKEN, `http://localhost${local(gw.inboundUrl)}`, reply));
  const unsigned = await postForm(gw.inboundUrl, reply, null);
  for (const res of [tamperedBody, tamperedUrl, unsigned]) {
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error.code, 'FORBIDDEN');
  }
  const forgedStatus = { MessageSid: 'SM' + '00'.repeat(16), MessageStatus: 'delivered' };
  assert.equal((await postForm(gw.statusUrl, forgedStatus, 'bm90IGEgc2lnbmF0dXJl')).statusCode, 403);
  await processInbound(t.deps, 50);
  const stored = await t.deps.db.selectFrom('messages').select('text').where('direction', '=', 'in').where('text', 'in', ['forged', 'STOP']).execute();
  assert.deepEqual(stored, []);
  assert.deepEqual(await t.deps.db.selectFrom('inbound_arrivals').select('text').where('text', 'in', ['forged', 'STOP']).execute(), []);
  assert.equal(logLines.some((l) => l.includes('forged')), false, 'refused webhooks are logged without their content');
});

test('vendor failures: 21610 records an opt-out (method vendor); bad credentials fail at once with Twilio’s words', async () => {
  const optedOut = await newCase('Chausiku', '0712345680');
  vendor.script({ status: 400, body: { code: 21610, message: 'Attempt to send to unsubscribed recipient', more_info: 'https://www.twilio.com/docs/errors/21610', status: 400 } });
  const m = await sendToCase(optedOut, 'Hello');
  assert.deepEqual([m.status, m.errorCode, m.errorDetail], ['failed', 'PHONE_NUMBER_OPTED_OUT', 'Twilio 21610: Attempt to send to unsubscribed recipient (HTTP 400)']);
  const history = (await t.request('GET', '/api/v1/projects/tw/phone-numbers/%2B254712345680/consent')).json() as Json[];
  assert.deepEqual(history.map((e) => [e.action, e.method, e.gateway]), [['consent-granted', 'api', null], ['opt-out', 'vendor', 'TWILIO']]);

  const other = await newCase('Daudi', '0712345681');
  vendor.script({ status: 401, body: { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 } });
  const denied = await sendToCase(other, 'Hello');
  assert.deepEqual([denied.status, denied.errorCode, denied.errorDetail], ['failed', 'GATEWAY_ERROR', 'Twilio 20003: Authenticate (HTTP 401)']);

  vendor.script({ status: 429, headers: { 'retry-after': '30' }, body: { code: 20429, message: 'Too Many Requests', status: 429 } });
  const limited = await sendToCase(other, 'Later');
  assert.equal(limited.status, 'queued');
  const row = await t.deps.db.selectFrom('messages').select(['due_at', 'updated_at', 'error_detail']).where('id', '=', limited.id).executeTakeFirstOrThrow();
  assert.equal(row.error_detail, 'Twilio 20429: Too Many Requests (HTTP 429)');
  assert.ok(row.due_at && row.due_at.getTime() - Date.now() > 20_000, 'Retry-After (30 s) decides when it is tried again');
});

test('the Auth Token appears in no log line, no gateway answer and no message', async () => {
  const answers = [
    (await t.request('GET', '/api/v1/projects/tw/gateways/TWILIO')).body,
    (await t.request('GET', '/api/v1/projects/tw/gateways')).body,
    (await t.request('GET', '/api/v1/projects/tw/messages')).body,
  ];
  assert.ok(logLines.length > 0, 'the test logger saw the requests');
  for (const text of [...answers, ...logLines]) {
    assert.equal(text.includes(TOKEN), false, text.slice(0, 200));
  }
  const row = await t.deps.db.selectFrom('gateways').selectAll().where('name', '=', 'TWILIO').executeTakeFirstOrThrow();
  assert.equal(JSON.stringify(row).includes(TOKEN), false, 'sealed at rest');
});
