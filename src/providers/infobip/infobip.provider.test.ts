/**
 * Infobip against a fake API on 127.0.0.1 that speaks its wire format: the JSON request field by
 * field, each failure class, recorded inbound and delivery-report fixtures, webhook-secret checks
 * (raw header, Basic auth, custom header) and no credential in any reason.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { closedPortUrl, localVendorDeps, type FakeAnswer, startVendorFake, type VendorFake } from '../../../test/support/vendor-fake.ts';
import type { GatewayRuntime, SendOutcome } from '../provider.ts';
import { createInfobipProvider } from './infobip.provider.ts';

const API_KEY = '003026bbc133714df1834b8638bb496e-8f4b3d9a-SECRET';
const provider = createInfobipProvider(localVendorDeps);
let fake: VendorFake;

before(async () => {
  fake = await startVendorFake();
});
after(() => fake.close());

function gateway(config: Record<string, unknown> = {}): GatewayRuntime {
  return { id: 'g1', name: 'IB', type: 'infobip', replyToNumber: null, config: { baseUrl: fake.baseUrl, apiKey: API_KEY, from: 'InfoSMS', ...config } };
}
const message = { id: '7d0c8a57-0000-4000-8000-000000000002', to: '+41793026727', text: 'Bonjour «é»', subject: null, attempt: 1, statusCallbackUrl: 'https://rollcall.example/webhooks/KEY/status' };

const sent = (groupName: string, name: string, description: string, messageId = '2250be2d4219-3af1-78856-aabe-1362af1edfd2'): FakeAnswer => ({
  status: 200,
  body: { bulkId: '2034072219640523072', messages: [{ messageId, status: { groupId: 1, groupName, id: 26, name, description }, to: '41793026727' }] },
});
const requestError = (status: number, messageId: string, text: string, headers: Record<string, string> = {}): FakeAnswer => ({ status, headers, body: { requestError: { serviceException: { messageId, text } } } });

const sendCases: { name: string; answer: FakeAnswer; expect: Record<string, unknown>; reason?: RegExp }[] = [
  { name: 'PENDING_ACCEPTED keeps the messageId', answer: sent('PENDING', 'PENDING_ACCEPTED', 'Message sent to next instance'), expect: { ok: true, providerMessageId: '2250be2d4219-3af1-78856-aabe-1362af1edfd2' } },
  { name: 'REJECTED_NOT_ENOUGH_CREDITS is permanent', answer: sent('REJECTED', 'REJECTED_NOT_ENOUGH_CREDITS', 'Not enough credits'), expect: { ok: false, retryable: false }, reason: /^REJECTED REJECTED_NOT_ENOUGH_CREDITS: Not enough credits$/ },
  { name: 'REJECTED_PREFIX_MISSING (bad number) is permanent', answer: sent('REJECTED', 'REJECTED_PREFIX_MISSING', 'Number prefix missing'), expect: { ok: false, retryable: false }, reason: /PREFIX_MISSING/ },
  { name: 'HTTP 401 UNAUTHORIZED is permanent', answer: requestError(401, 'UNAUTHORIZED', 'Invalid login details'), expect: { ok: false, retryable: false }, reason: /Infobip HTTP 401: UNAUTHORIZED: Invalid login details/ },
  { name: 'HTTP 400 BAD_REQUEST is permanent', answer: requestError(400, 'BAD_REQUEST', 'Bad request'), expect: { ok: false, retryable: false }, reason: /BAD_REQUEST/ },
  { name: 'HTTP 403 echoing the key is redacted', answer: requestError(403, 'FORBIDDEN', `Key App ${API_KEY} has no SMS scope`), expect: { ok: false, retryable: false }, reason: /\[redacted\]/ },
  { name: 'HTTP 429 honours Retry-After', answer: requestError(429, 'TOO_MANY_REQUESTS', 'Too many requests', { 'retry-after': '3' }), expect: { ok: false, retryable: true, retryAfterMs: 3000 } },
  { name: 'HTTP 500 GENERAL_ERROR is retried', answer: requestError(500, 'GENERAL_ERROR', 'Something went wrong. Please contact support.'), expect: { ok: false, retryable: true }, reason: /GENERAL_ERROR/ },
  { name: 'HTTP 502 with an HTML body is retried', answer: { status: 502, body: '<html>Bad Gateway</html>' }, expect: { ok: false, retryable: true } },
  { name: 'a 200 without messages is not retried', answer: { status: 200, body: { bulkId: 'x' } }, expect: { ok: false, retryable: false } },
];

for (const c of sendCases) {
  test(`send: ${c.name}`, async () => {
    fake.answers.push(c.answer);
    const [outcome] = (await provider.send(gateway(), [message])) as [SendOutcome];
    for (const [k, v] of Object.entries(c.expect)) {
      assert.deepEqual((outcome as Record<string, unknown>)[k], v, `${k} of ${JSON.stringify(outcome)}`);
    }
    if (!outcome.ok) {
      assert.match(outcome.reason, c.reason ?? /./);
      assert.ok(!outcome.reason.includes(API_KEY), 'the API key never appears in a reason');
      assert.equal(outcome.optedOut, undefined);
    }
  });
}

test('send: the request is the documented JSON, field by field', async () => {
  fake.requests.length = 0;
  fake.answers.push(sent('PENDING', 'PENDING_ENROUTE', 'Message sent to next instance'));
  await provider.send(gateway(), [message]);
  const [req] = fake.requests;
  assert.ok(req);
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/sms/2/text/advanced');
  assert.equal(req.headers.authorization, `App ${API_KEY}`);
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers.accept, 'application/json');
  assert.deepEqual(JSON.parse(req.body), {
    messages: [{ from: 'InfoSMS', destinations: [{ to: '41793026727' }], text: 'Bonjour «é»', notifyUrl: 'https://rollcall.example/webhooks/KEY/status', notifyContentType: 'application/json', callbackData: message.id }],
  });
});

test('send: a numeric sender loses its plus sign like the destination', async () => {
  fake.requests.length = 0;
  fake.answers.push(sent('PENDING', 'PENDING_ACCEPTED', 'Message sent to next instance'));
  await provider.send(gateway({ from: '+447491163443' }), [message]);
  assert.equal(JSON.parse(fake.requests[0]?.body ?? '{}').messages[0].from, '447491163443');
});

test('send: timeouts and refused connections are retried', async () => {
  fake.answers.push({ hang: true });
  const [slow] = (await provider.send(gateway({ timeoutMs: 200 }), [message])) as [SendOutcome];
  assert.equal(!slow.ok && slow.retryable, true);
  const [refused] = (await provider.send(gateway({ baseUrl: await closedPortUrl() }), [message])) as [SendOutcome];
  assert.equal(!refused.ok && refused.retryable, true);
});

test('config: baseUrl, apiKey and sender are required; unknown fields refused', () => {
  assert.throws(() => provider.validateConfig({ apiKey: 'k', from: 'X' }), /baseUrl is required/);
  assert.throws(() => provider.validateConfig({ baseUrl: 'https://x.api.infobip.com', from: 'X' }), /apiKey is required/);
  assert.throws(() => provider.validateConfig({ baseUrl: 'https://x.api.infobip.com', apiKey: 'k' }), /from is required/);
  assert.throws(() => provider.validateConfig({ baseUrl: 'x.api.infobip.com', apiKey: 'k', from: 'X' }), /http\(s\) URL/);
  assert.throws(() => provider.validateConfig({ baseUrl: 'https://x.api.infobip.com', apiKey: 'k', from: 'X', username: 'u' }), /Unknown config field.*username/);
  assert.throws(() => provider.validateConfig({ baseUrl: 'https://x.api.infobip.com', apiKey: 'k', from: 'X', webhookSecretHeader: 'bad header' }), /header name/);
  assert.deepEqual(provider.validateConfig({ baseUrl: 'https://x.api.infobip.com/', apiKey: 'k', from: 'X' }), { baseUrl: 'https://x.api.infobip.com', apiKey: 'k', from: 'X' });
});

const inboundFixture = {
  results: [{ messageId: '817790313235066447', from: '385916242493', to: '385921004026', text: 'QUIZ Correct answer is Paris', cleanText: 'Correct answer is Paris', keyword: 'QUIZ', receivedAt: '2016-10-06T09:28:39.220+0000', smsCount: 1, price: { pricePerMessage: 0, currency: 'EUR' }, callbackData: 'callbackData' }],
  messageCount: 1,
  pendingMessageCount: 0,
};
const req = (body: unknown, headers: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/json', ...headers }, body, url: 'https://rollcall.example/webhooks/k/inbound' });

test('inbound: the documented forwarding JSON is read (number gets its plus sign)', () => {
  assert.deepEqual(provider.parseInbound?.(gateway(), req(inboundFixture)), { ok: true, messages: [{ from: '+385916242493', text: 'QUIZ Correct answer is Paris', gatewayMessageId: '817790313235066447' }] });
  assert.equal(provider.parseInbound?.(gateway(), req({ messages: [] }))?.ok, false);
});

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const authCases: { name: string; config: Record<string, unknown>; headers: Record<string, string>; ok: boolean }[] = [
  { name: 'no secret configured: accepted', config: {}, headers: {}, ok: true },
  { name: 'secret configured, no header: 403', config: { webhookSecret: 'hook-secret-123' }, headers: {}, ok: false },
  { name: 'raw Authorization value', config: { webhookSecret: 'hook-secret-123' }, headers: { authorization: 'hook-secret-123' }, ok: true },
  { name: 'Basic auth password', config: { webhookSecret: 'hook-secret-123' }, headers: { authorization: basic('infobip', 'hook-secret-123') }, ok: true },
  { name: 'Basic auth wrong password: 403', config: { webhookSecret: 'hook-secret-123' }, headers: { authorization: basic('infobip', 'hook-secret-124') }, ok: false },
  { name: 'App scheme', config: { webhookSecret: 'hook-secret-123' }, headers: { authorization: 'App hook-secret-123' }, ok: true },
  { name: 'custom header', config: { webhookSecret: 'hook-secret-123', webhookSecretHeader: 'X-Webhook-Secret' }, headers: { 'x-webhook-secret': 'hook-secret-123' }, ok: true },
  { name: 'custom header with the secret elsewhere: 403', config: { webhookSecret: 'hook-secret-123', webhookSecretHeader: 'X-Webhook-Secret' }, headers: { authorization: 'hook-secret-123' }, ok: false },
];
for (const c of authCases) {
  test(`webhook auth: ${c.name}`, () => {
    const inbound = provider.parseInbound?.(gateway(c.config), req(inboundFixture, c.headers));
    assert.equal(inbound?.ok, c.ok);
    if (!c.ok) {
      assert.ok(inbound && !inbound.ok && inbound.status === 403 && !inbound.reason.includes('hook-secret'));
    }
    // Reports to the per-message notifyUrl carry no header: a missing one passes, a wrong one does not.
    const status = provider.parseStatus?.(gateway(c.config), req({ results: [] }, c.headers));
    const headerSent = Object.keys(c.headers).length > 0 && (c.config.webhookSecretHeader ?? 'authorization').toString().toLowerCase() in c.headers;
    assert.equal(status?.ok, c.ok || !headerSent);
  });
}

const report = (groupName: string, name: string, description: string, error?: Record<string, unknown>) => ({
  results: [{ bulkId: 'BULK-ID-123-xyz', messageId: 'MESSAGE-ID-123-xyz', to: '41793026727', sentAt: '2019-11-09T16:00:00.000+0000', doneAt: '2019-11-09T16:00:00.000+0000', smsCount: 1, callbackData: 'cb', price: { pricePerMessage: 0.01, currency: 'EUR' }, status: { groupId: 3, groupName, id: 5, name, description }, error: error ?? { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false } }],
});
const statusCases: { name: string; body: unknown; updates: unknown[]; ignored: string[] }[] = [
  { name: 'DELIVERED', body: report('DELIVERED', 'DELIVERED_TO_HANDSET', 'Message delivered to handset'), updates: [{ providerMessageId: 'MESSAGE-ID-123-xyz', status: 'delivered', reason: null, vendorStatus: 'DELIVERED_TO_HANDSET' }], ignored: [] },
  {
    name: 'UNDELIVERABLE with a handset error',
    body: report('UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'Message sent not delivered', { groupId: 1, groupName: 'HANDSET_ERRORS', id: 27, name: 'EC_ABSENT_SUBSCRIBER', description: 'Absent Subscriber', permanent: false }),
    updates: [{ providerMessageId: 'MESSAGE-ID-123-xyz', status: 'failed', reason: 'UNDELIVERABLE UNDELIVERABLE_NOT_DELIVERED: Message sent not delivered; EC_ABSENT_SUBSCRIBER: Absent Subscriber', vendorStatus: 'UNDELIVERABLE_NOT_DELIVERED' }],
    ignored: [],
  },
  { name: 'EXPIRED (error group written Ok)', body: report('EXPIRED', 'EXPIRED_EXPIRED', 'Message expired', { groupId: 0, groupName: 'Ok', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false }), updates: [{ providerMessageId: 'MESSAGE-ID-123-xyz', status: 'failed', reason: 'EXPIRED EXPIRED_EXPIRED: Message expired', vendorStatus: 'EXPIRED_EXPIRED' }], ignored: [] },
  { name: 'REJECTED', body: report('REJECTED', 'REJECTED_NETWORK', 'Network is forbidden'), updates: [{ providerMessageId: 'MESSAGE-ID-123-xyz', status: 'failed', reason: 'REJECTED REJECTED_NETWORK: Network is forbidden', vendorStatus: 'REJECTED_NETWORK' }], ignored: [] },
  { name: 'PENDING is intermediate', body: report('PENDING', 'PENDING_ENROUTE', 'Message sent to next instance'), updates: [], ignored: ['PENDING (PENDING_ENROUTE)'] },
  { name: 'an unknown group is ignored, not guessed', body: report('TELEPORTED', 'TELEPORTED_AWAY', '?'), updates: [], ignored: ['TELEPORTED (TELEPORTED_AWAY)'] },
];
for (const c of statusCases) {
  test(`status: ${c.name}`, () => {
    assert.deepEqual(provider.parseStatus?.(gateway(), req(c.body)), { ok: true, updates: c.updates, ignored: c.ignored });
  });
}

test('status: malformed reports are refused', () => {
  assert.equal(provider.parseStatus?.(gateway(), req({ results: [{ status: { groupName: 'DELIVERED' } }] }))?.ok, false);
  assert.equal(provider.parseStatus?.(gateway(), req('nope'))?.ok, false);
});
