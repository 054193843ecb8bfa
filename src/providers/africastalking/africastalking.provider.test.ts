/**
 * Africa's Talking against a fake API on 127.0.0.1 that speaks its wire format: the outgoing form
 * request field by field, each statusCode and HTTP failure class, recorded callbacks, and no
 * credential in any reason.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { closedPortUrl, localVendorDeps, type FakeAnswer, startVendorFake, type VendorFake } from '../../../test/support/vendor-fake.ts';
import type { GatewayRuntime, SendOutcome } from '../provider.ts';
import { createAfricasTalkingProvider } from './africastalking.provider.ts';

const API_KEY = 'atsk_0123456789abcdefSECRET';
const provider = createAfricasTalkingProvider(localVendorDeps);
let fake: VendorFake;

before(async () => {
  fake = await startVendorFake();
});
after(() => fake.close());

function gateway(config: Record<string, unknown> = {}): GatewayRuntime {
  return { id: 'g1', name: 'AT', type: 'africastalking', replyToNumber: null, config: { username: 'myapp', apiKey: API_KEY, from: 'MYORG', baseUrl: fake.baseUrl, ...config } };
}
const message = { id: '7d0c8a57-0000-4000-8000-000000000001', to: '+254711082306', text: 'Habari & karibu', subject: null, attempt: 1 };

const answer = (statusCode: number, status: string, messageId = ''): FakeAnswer => ({
  status: 201,
  body: { SMSMessageData: { Message: 'Sent to 1/1 Total Cost: KES 0.8000', Recipients: [{ statusCode, number: '+254711082306', status, cost: 'KES 0.8000', messageId }] } },
});

const sendCases: { name: string; answer: FakeAnswer; expect: Partial<SendOutcome> & { reasonMatch?: RegExp } }[] = [
  { name: '101 Success keeps the messageId', answer: answer(101, 'Success', 'ATXid_a1b2c3'), expect: { ok: true, providerMessageId: 'ATXid_a1b2c3' } as Partial<SendOutcome> },
  { name: '102 Queued is accepted', answer: answer(102, 'Queued', 'ATXid_q'), expect: { ok: true, providerMessageId: 'ATXid_q' } as Partial<SendOutcome> },
  { name: '403 InvalidPhoneNumber is permanent', answer: answer(403, 'InvalidPhoneNumber'), expect: { ok: false, retryable: false, reasonMatch: /^403 InvalidPhoneNumber/ } },
  { name: '402 InvalidSenderId is permanent', answer: answer(402, 'InvalidSenderId'), expect: { ok: false, retryable: false, reasonMatch: /402 InvalidSenderId/ } },
  { name: '405 InsufficientBalance is permanent', answer: answer(405, 'InsufficientBalance'), expect: { ok: false, retryable: false, reasonMatch: /top it up/ } },
  { name: '406 UserInBlacklist is an opt-out', answer: answer(406, 'UserInBlacklist'), expect: { ok: false, retryable: false, optedOut: true, reasonMatch: /406 UserInBlacklist/ } },
  { name: '409 DoNotDisturbRejection is permanent, not an opt-out', answer: answer(409, 'DoNotDisturbRejection'), expect: { ok: false, retryable: false, reasonMatch: /409/ } },
  { name: '500 InternalServerError is retried', answer: answer(500, 'InternalServerError'), expect: { ok: false, retryable: true } },
  { name: '501 GatewayError is retried', answer: answer(501, 'GatewayError'), expect: { ok: false, retryable: true } },
  { name: '502 RejectedByGateway is permanent', answer: answer(502, 'RejectedByGateway'), expect: { ok: false, retryable: false } },
  { name: 'an unknown 5xx code is retried', answer: answer(599, 'Mystery'), expect: { ok: false, retryable: true } },
  { name: 'no recipient accepted', answer: { status: 201, body: { SMSMessageData: { Message: 'InvalidSenderId', Recipients: [] } } }, expect: { ok: false, retryable: false, reasonMatch: /InvalidSenderId/ } },
  { name: 'HTTP 401 bad credentials is permanent; the plain-text body is not kept', answer: { status: 401, body: 'The supplied authentication is invalid' }, expect: { ok: false, retryable: false, reasonMatch: /^Africa's Talking HTTP 401: Unauthorized$/ } },
  { name: 'HTTP 400 echoing the key is permanent; the body is not kept', answer: { status: 400, body: `Invalid request apiKey=${API_KEY}` }, expect: { ok: false, retryable: false, reasonMatch: /^Africa's Talking HTTP 400: Bad Request$/ } },
  { name: 'HTTP 429 honours Retry-After', answer: { status: 429, headers: { 'retry-after': '7' }, body: 'Too Many Requests' }, expect: { ok: false, retryable: true, retryAfterMs: 7000 } },
  { name: 'HTTP 503 is retried', answer: { status: 503, body: 'Service Unavailable' }, expect: { ok: false, retryable: true } },
  { name: 'a 2xx without SMSMessageData is not retried (it may have gone out)', answer: { status: 201, body: '<html>ok</html>' }, expect: { ok: false, retryable: false } },
];

for (const c of sendCases) {
  test(`send: ${c.name}`, async () => {
    fake.requests.length = 0;
    fake.answers.push(c.answer);
    const [outcome] = await provider.send(gateway(), [message]);
    assert.ok(outcome);
    const { reasonMatch, ...fields } = c.expect;
    for (const [k, v] of Object.entries(fields)) {
      assert.deepEqual((outcome as Record<string, unknown>)[k], v, `${k} of ${JSON.stringify(outcome)}`);
    }
    if (!outcome.ok) {
      if (reasonMatch) {
        assert.match(outcome.reason, reasonMatch);
      }
      assert.ok(!outcome.reason.includes(API_KEY), 'the API key never appears in a reason');
      assert.equal(outcome.optedOut ?? false, (fields as { optedOut?: boolean }).optedOut ?? false);
    }
  });
}

test('send: the request is the documented form POST, field by field', async () => {
  fake.requests.length = 0;
  fake.answers.push(answer(101, 'Success', 'ATXid_1'));
  await provider.send(gateway(), [message]);
  const [req] = fake.requests;
  assert.ok(req);
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/version1/messaging');
  assert.equal(req.headers.apikey, API_KEY);
  assert.equal(req.headers.accept, 'application/json');
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), { username: 'myapp', to: '+254711082306', message: 'Habari & karibu', from: 'MYORG' });
});

test('send: without a sender id no from field is sent; a batch keeps its order', async () => {
  fake.requests.length = 0;
  fake.answers.push(answer(101, 'Success', 'ATXid_A'), answer(403, 'InvalidPhoneNumber'));
  const outcomes = await provider.send(gateway({ from: undefined }), [message, { ...message, id: 'x2', to: '+254700000000' }]);
  assert.equal(outcomes.length, 2);
  assert.equal(fake.requests.length, 2);
  assert.ok(fake.requests.every((r) => !new URLSearchParams(r.body).has('from')));
  const ok = outcomes.filter((o) => o.ok).length;
  assert.equal(ok, 1);
});

test('send: a timeout and a refused connection are retried', async () => {
  fake.answers.push({ hang: true });
  const [slow] = await provider.send(gateway({ timeoutMs: 200 }), [message]);
  assert.deepEqual([slow?.ok, slow && !slow.ok && slow.retryable], [false, true]);
  assert.match((slow as { reason: string }).reason, /no answer within 200 ms/);
  const [refused] = await provider.send(gateway({ baseUrl: await closedPortUrl() }), [message]);
  assert.deepEqual([refused?.ok, refused && !refused.ok && refused.retryable], [false, true]);
  assert.match((refused as { reason: string }).reason, /ECONNREFUSED/);
});

test('config: required fields, URLs and unknown fields are checked; the host is derived, not stored', () => {
  assert.throws(() => provider.validateConfig({ apiKey: 'k' }), /config\.username is required/);
  assert.throws(() => provider.validateConfig({ username: 'u' }), /config\.apiKey is required/);
  assert.throws(() => provider.validateConfig({ username: 'u', apiKey: 'k', baseUrl: 'ftp://x' }), /http\(s\) URL/);
  assert.throws(() => provider.validateConfig({ username: 'u', apiKey: 'k', token: 'x' }), /Unknown config field.*token/);
  assert.throws(() => provider.validateConfig({ username: 'u', apiKey: 'k', timeoutMs: 5 }), /timeoutMs/);
  assert.deepEqual(provider.validateConfig({ username: 'sandbox', apiKey: 'k' }), { username: 'sandbox', apiKey: 'k' });
  assert.deepEqual(provider.validateConfig({ username: 'u', apiKey: 'k', baseUrl: 'https://at.example/', from: ' ORG ' }), { username: 'u', apiKey: 'k', baseUrl: 'https://at.example', from: 'ORG' });
  assert.ok(provider.configFields?.find((f) => f.key === 'apiKey')?.secret);
});

const webhook = (body: unknown) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, url: 'https://rollcall.example/webhooks/k/inbound' });

test('inbound: the documented incoming message callback is read', () => {
  const recorded = { date: '2026-12-01 18:02:11', from: '+254711082306', id: 'a8d0b9d7-8c1e-4b4f-9b0a-2a3a0a1c2d3e', linkId: 'SampleLinkId123', text: 'STOP', to: '12345', networkCode: '63902' };
  assert.deepEqual(provider.parseInbound?.(gateway(), webhook(recorded)), { ok: true, messages: [{ from: '+254711082306', text: 'STOP', gatewayMessageId: 'a8d0b9d7-8c1e-4b4f-9b0a-2a3a0a1c2d3e' }] });
  assert.deepEqual(provider.parseInbound?.(gateway(), webhook({ to: '12345' })), { ok: false, status: 400, reason: "Expected Africa's Talking's incoming message form (from, text, id, …)." });
});

const statusCases: { body: Record<string, string>; updates: unknown[]; ignored: string[] }[] = [
  { body: { id: 'ATXid_1', status: 'Success', phoneNumber: '+254711082306', networkCode: '63902', retryCount: '0' }, updates: [{ providerMessageId: 'ATXid_1', status: 'delivered', reason: null, vendorStatus: 'Success' }], ignored: [] },
  { body: { id: 'ATXid_2', status: 'Failed', phoneNumber: '+254711082306', networkCode: '63902', failureReason: 'UserInBlackList', retryCount: '0' }, updates: [{ providerMessageId: 'ATXid_2', status: 'failed', reason: 'Failed: UserInBlackList', vendorStatus: 'Failed' }], ignored: [] },
  { body: { id: 'ATXid_3', status: 'Rejected', failureReason: 'InsufficientCredit' }, updates: [{ providerMessageId: 'ATXid_3', status: 'failed', reason: 'Rejected: InsufficientCredit', vendorStatus: 'Rejected' }], ignored: [] },
  { body: { id: 'ATXid_4', status: 'AbsentSubscriber' }, updates: [{ providerMessageId: 'ATXid_4', status: 'failed', reason: 'AbsentSubscriber', vendorStatus: 'AbsentSubscriber' }], ignored: [] },
  { body: { id: 'ATXid_5', status: 'Expired' }, updates: [{ providerMessageId: 'ATXid_5', status: 'failed', reason: 'Expired', vendorStatus: 'Expired' }], ignored: [] },
  { body: { id: 'ATXid_6', status: 'Sent' }, updates: [{ providerMessageId: 'ATXid_6', status: 'sent', reason: null, vendorStatus: 'Sent' }], ignored: [] },
  { body: { id: 'ATXid_7', status: 'Submitted' }, updates: [{ providerMessageId: 'ATXid_7', status: 'sent', reason: null, vendorStatus: 'Submitted' }], ignored: [] },
  { body: { id: 'ATXid_8', status: 'Buffered' }, updates: [], ignored: ['Buffered'] },
  { body: { id: 'ATXid_9', status: 'SomethingNew' }, updates: [], ignored: ['SomethingNew'] },
];

for (const c of statusCases) {
  test(`status: ${c.body.status}`, () => {
    assert.deepEqual(provider.parseStatus?.(gateway(), webhook(c.body)), { ok: true, updates: c.updates, ignored: c.ignored });
  });
}

test('status: a report without id or status is refused', () => {
  assert.equal(provider.parseStatus?.(gateway(), webhook({ status: 'Success' }))?.ok, false);
});
