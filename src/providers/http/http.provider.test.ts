/**
 * The generic HTTP gateway against a fake Kannel-style sendsms endpoint and a fake JSON aggregator
 * on 127.0.0.1: templates and encodings field by field, success by status and pattern, message ids
 * by regex and JSON path, every failure class, webhook field names and secrets, no credential in
 * any reason.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { closedPortUrl, localVendorDeps, type FakeAnswer, startVendorFake, type VendorFake } from '../../../test/support/vendor-fake.ts';
import type { GatewayRuntime, SendOutcome } from '../provider.ts';
import { createHttpProvider } from './http.provider.ts';

const PASSWORD = 'kannel-Pa55word!';
const TOKEN = 'Bearer agg-token-0123456789';
const provider = createHttpProvider(localVendorDeps);
let fake: VendorFake;

before(async () => {
  // Kannel's sendsms: 202 "0: Accepted for delivery" with the right user and password.
  fake = await startVendorFake((req) => {
    const q = new URL(req.url, 'http://x').searchParams;
    if (req.url.startsWith('/cgi-bin/sendsms')) {
      return q.get('password') === PASSWORD ? { status: 202, body: '0: Accepted for delivery' } : { status: 403, body: 'Authorization failed for sendsms' };
    }
    return { status: 200, body: { messages: [{ id: 'agg-777', status: 'queued' }] } };
  });
});
after(() => fake.close());

const kannelUrl = () => `${fake.baseUrl}/cgi-bin/sendsms?username=rollcall&password=${encodeURIComponent(PASSWORD)}&to={to}&text={text}&from={from}&dlr-mask=3&dlr-url={status_url}`;
function gateway(config: Record<string, unknown>): GatewayRuntime {
  return { id: 'g1', name: 'KANNEL', type: 'http', replyToNumber: null, config };
}
const message = { id: '7d0c8a57-0000-4000-8000-000000000003', to: '+256772123456', text: 'Reply 1 & go: 100%', subject: null, attempt: 1, statusCallbackUrl: 'https://rollcall.example/webhooks/KEY/status' };

async function sendWith(config: Record<string, unknown>, answer?: FakeAnswer): Promise<SendOutcome> {
  fake.requests.length = 0;
  if (answer) {
    fake.answers.push(answer);
  }
  const [o] = await provider.send(gateway(provider.validateConfig(config)), [message]);
  assert.ok(o);
  return o;
}

test('Kannel GET: the URL carries each value URL-encoded; success needs 202 and the pattern', async () => {
  const o = await sendWith({ url: kannelUrl(), from: 'ROLLCALL', successPattern: '^0: Accepted' });
  assert.deepEqual(o, { ok: true, providerMessageId: message.id });
  const [req] = fake.requests;
  assert.ok(req);
  assert.equal(req.method, 'GET');
  const url = new URL(req.url, 'http://x');
  assert.equal(url.pathname, '/cgi-bin/sendsms');
  assert.deepEqual(Object.fromEntries(url.searchParams), { username: 'rollcall', password: PASSWORD, to: '+256772123456', text: 'Reply 1 & go: 100%', from: 'ROLLCALL', 'dlr-mask': '3', 'dlr-url': message.statusCallbackUrl });
  assert.match(req.url, /to=%2B256772123456&text=Reply%201%20%26%20go%3A%20100%25/);
  assert.equal(req.body, '');
});

const failures: { name: string; config?: Record<string, unknown> | (() => Record<string, unknown>); answer?: FakeAnswer; retryable: boolean; reason: RegExp; retryAfterMs?: number }[] = [
  { name: 'wrong password (403) is permanent', config: () => ({ url: kannelUrl().replace(encodeURIComponent(PASSWORD), 'wrong-pass') }), retryable: false, reason: /^HTTP 403: Forbidden$/ },
  { name: 'missing receiver (400) is permanent', answer: { status: 400, body: 'Missing receiver number' }, retryable: false, reason: /HTTP 400/ },
  { name: '503 Sending failed is retried', answer: { status: 503, body: 'Sending failed.' }, retryable: true, reason: /HTTP 503/ },
  { name: '429 honours Retry-After', answer: { status: 429, headers: { 'retry-after': '11' }, body: 'slow down' }, retryable: true, reason: /HTTP 429/, retryAfterMs: 11000 },
  { name: 'a success status with a non-matching answer is permanent', config: { successPattern: '^0: Accepted' }, answer: { status: 202, body: '3: Queued for later delivery' }, retryable: false, reason: /^HTTP 202 but the answer does not match the success pattern\.$/ },
  { name: 'a status outside a custom success set is permanent', config: { successStatuses: '200' }, answer: { status: 202, body: '0: Accepted for delivery' }, retryable: false, reason: /HTTP 202/ },
  { name: 'a plain-text answer is not kept (it could echo the password)', answer: { status: 400, body: `bad request for password=${PASSWORD}` }, retryable: false, reason: /^HTTP 400: Bad Request$/ },
  { name: 'a JSON answer keeps only its message field, redacted', answer: { status: 422, body: { error: { code: 7, message: `password ${PASSWORD} expired` }, debug: 'internal-only' } }, retryable: false, reason: /^HTTP 422: password \[redacted\] expired$/ },
  { name: '408 is retried like 429 and 5xx', answer: { status: 408, body: 'timeout' }, retryable: true, reason: /^HTTP 408: Request Timeout$/ },
  { name: '425 is retried', answer: { status: 425, body: '' }, retryable: true, reason: /^HTTP 425: Too Early$/ },
];
for (const c of failures) {
  test(`failure: ${c.name}`, async () => {
    const o = await sendWith({ url: kannelUrl(), ...(typeof c.config === 'function' ? c.config() : c.config) }, c.answer);
    assert.equal(o.ok, false);
    assert.ok(!o.ok);
    assert.equal(o.retryable, c.retryable);
    assert.match(o.reason, c.reason);
    assert.equal(o.retryAfterMs, c.retryAfterMs);
    assert.ok(!o.reason.includes(PASSWORD) && !o.reason.includes(encodeURIComponent(PASSWORD)), 'no password in the reason');
  });
}

test('failure: a timeout and a refused connection are retried; the reason never shows the URL', async () => {
  const slow = await sendWith({ url: kannelUrl(), timeoutMs: 200 }, { hang: true });
  assert.deepEqual([slow.ok, !slow.ok && slow.retryable], [false, true]);
  const refused = await sendWith({ url: `${await closedPortUrl()}/cgi-bin/sendsms?password=${PASSWORD}&to={to}` });
  assert.ok(!refused.ok && refused.retryable && !refused.reason.includes(PASSWORD));
});

test('POST JSON: body template values raw, extra headers sent, id from a JSON path', async () => {
  const o = await sendWith({
    url: `${fake.baseUrl}/api/send`,
    method: 'POST',
    bodyFormat: 'json',
    body: JSON.stringify({ msisdn: '{to_digits}', message: '{text}', ref: '{message_id}', sender: '{from}' }),
    headers: { Authorization: TOKEN },
    from: '8080',
    messageIdPath: '$.messages[0].id',
  });
  assert.deepEqual(o, { ok: true, providerMessageId: 'agg-777' });
  const [req] = fake.requests;
  assert.ok(req);
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/api/send');
  assert.equal(req.headers.authorization, TOKEN);
  assert.equal(req.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(req.body), { msisdn: '256772123456', message: 'Reply 1 & go: 100%', ref: message.id, sender: '8080' });
});

test('POST form: the default body; id from a regex group', async () => {
  const o = await sendWith({ url: `${fake.baseUrl}/form`, method: 'POST', messageIdPattern: 'id=(\\w+)' }, { status: 200, body: 'OK id=abc123' });
  assert.deepEqual(o, { ok: true, providerMessageId: 'abc123' });
  const [req] = fake.requests;
  assert.equal(req?.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(req?.body)), { to: '+256772123456', text: 'Reply 1 & go: 100%' });
});

test('patterns run in linear time: a catastrophic-backtracking pattern against a hostile answer completes at once', async () => {
  const hostile = `${'a'.repeat(30_000)}!`;
  const started = Date.now();
  // With JavaScript's RegExp, ^a{14}(a+)+$ on 30 a's and a "!" already takes seconds; here it is a scan.
  const o = await sendWith({ url: `${fake.baseUrl}/form`, successPattern: '^a{14}(a+)+$' }, { status: 200, body: hostile });
  assert.deepEqual(o, { ok: false, retryable: false, reason: 'HTTP 200 but the answer does not match the success pattern.' });
  const id = await sendWith({ url: `${fake.baseUrl}/form`, messageIdPattern: '^(a+)+(b)' }, { status: 200, body: hostile });
  assert.deepEqual(id, { ok: true, providerMessageId: message.id });
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test('a stored config with a pattern this server does not run fails its messages permanently, without a call', async () => {
  fake.requests.length = 0;
  const [o] = await provider.send(gateway({ url: `${fake.baseUrl}/form`, successPattern: '^(OK)\\1' }), [message]);
  assert.equal(o?.ok, false);
  assert.ok(o && !o.ok && !o.retryable && /^The http gateway config is not valid: config\.successPattern .*back-references/.test(o.reason), JSON.stringify(o));
  assert.equal(fake.requests.length, 0);
});

const badConfigs: [Record<string, unknown>, RegExp][] = [
  [{}, /config\.url is required/],
  [{ url: 'kannel/sendsms?to={to}' }, /http\(s\) URL/],
  [{ url: 'ftp://h/x?to={to}' }, /http\(s\) URL/],
  [{ url: 'http://h/x?to={phone}' }, /\{phone\} is not a placeholder/],
  [{ url: 'http://h/x', method: 'PUT' }, /method must be one of GET, POST/],
  [{ url: 'http://h/x', body: { to: '{to}' } }, /only sent with method POST/],
  [{ url: 'http://h/x', method: 'POST', body: '{not json' }, /JSON object/],
  [{ url: 'http://h/x', headers: { 'Bad Header': 'x' } }, /header name/],
  [{ url: 'http://h/x', successStatuses: 'ok' }, /successStatuses/],
  [{ url: 'http://h/x', successPattern: '(' }, /config\.successPattern is not a pattern this server runs: a group is not closed/],
  [{ url: 'http://h/x', messageIdPattern: '(a)\\1' }, /config\.messageIdPattern .*back-references are not supported/],
  [{ url: 'http://h/x', successPattern: '^(?=OK)' }, /config\.successPattern .*look-around/],
  [{ url: 'http://h/x', statusMap: { '1': 'great' } }, /statusMap\["1"\]/],
  [{ url: 'http://h/x', password: 'x' }, /Unknown config field.*password/],
];
test('config: each mistake gets a clear message', () => {
  for (const [config, message] of badConfigs) {
    assert.throws(() => provider.validateConfig(config), message, JSON.stringify(config));
  }
  assert.deepEqual(provider.validateConfig({ url: 'http://h/x?to={to}', method: 'post', headers: '{"X-Key": "k"}', successStatuses: ' 200, 202 ' }), { url: 'http://h/x?to={to}', method: 'POST', headers: { 'X-Key': 'k' }, successStatuses: '200,202' });
  assert.ok(provider.configFields?.find((f) => f.key === 'url')?.secret);
});

const hook = (body: unknown, query = '', headers: Record<string, string> = {}) => ({ headers, body, url: `https://rollcall.example/webhooks/k/inbound${query}` });
const inboundCases: { name: string; config: Record<string, unknown>; request: ReturnType<typeof hook>; expect: unknown }[] = [
  { name: 'form fields with default names', config: {}, request: hook({ from: '+256772123456', text: 'STOP', id: 'm1' }), expect: { ok: true, messages: [{ from: '+256772123456', text: 'STOP', gatewayMessageId: 'm1' }] } },
  { name: 'Kannel get-url query string (%p, %a, %I)', config: { inboundFromField: 'sender', inboundTextField: 'msg', inboundIdField: 'smsid' }, request: hook(undefined, '?sender=%2B256772123456&msg=hello%20there&smsid=a7'), expect: { ok: true, messages: [{ from: '+256772123456', text: 'hello there', gatewayMessageId: 'a7' }] } },
  { name: 'nested JSON fields', config: { inboundFromField: 'message.from', inboundTextField: 'message.body', inboundIdField: 'message.uuid' }, request: hook({ message: { from: '256772123456', body: 'yes', uuid: 'u-1' } }), expect: { ok: true, messages: [{ from: '256772123456', text: 'yes', gatewayMessageId: 'u-1' }] } },
  { name: 'missing text is 400', config: {}, request: hook({ from: '+256772123456' }), expect: { ok: false, status: 400, reason: 'Expected the sender in "from" and the text in "text" (form, JSON or query string).' } },
  { name: 'secret in the header', config: { webhookSecret: 'shh-secret-1' }, request: hook({ from: '+1', text: 'x' }, '', { 'x-webhook-secret': 'shh-secret-1' }), expect: { ok: true, messages: [{ from: '+1', text: 'x', gatewayMessageId: null }] } },
  { name: 'secret in a query field', config: { webhookSecret: 'shh-secret-1', webhookSecretField: 'key' }, request: hook(undefined, '?key=shh-secret-1&from=%2B1&text=x'), expect: { ok: true, messages: [{ from: '+1', text: 'x', gatewayMessageId: null }] } },
  { name: 'wrong secret is 403', config: { webhookSecret: 'shh-secret-1' }, request: hook({ from: '+1', text: 'x', secret: 'shh-secret-2' }), expect: { ok: false, status: 403, reason: 'The webhook secret is missing or wrong (header X-Webhook-Secret or field secret).' } },
  { name: 'no secret is 403', config: { webhookSecret: 'shh-secret-1' }, request: hook({ from: '+1', text: 'x' }), expect: { ok: false, status: 403, reason: 'The webhook secret is missing or wrong (header X-Webhook-Secret or field secret).' } },
];
for (const c of inboundCases) {
  test(`inbound: ${c.name}`, () => {
    assert.deepEqual(provider.parseInbound?.(gateway({ url: 'http://h/x', ...c.config }), c.request), c.expect);
  });
}

const kannelMap = { '1': 'delivered', '2': 'failed', '4': 'ignored', '8': 'sent', '16': 'failed' };
const statusCases: { name: string; config: Record<string, unknown>; request: ReturnType<typeof hook>; expect: unknown }[] = [
  { name: 'Kannel dlr-url %d=1 delivered', config: { statusMap: kannelMap, statusReasonField: 'reply' }, request: hook(undefined, '?id=m-1&status=1&reply=ACK'), expect: { ok: true, updates: [{ providerMessageId: 'm-1', status: 'delivered', reason: null, vendorStatus: '1' }], ignored: [] } },
  { name: 'Kannel %d=16 SMSC reject fails with the reply', config: { statusMap: kannelMap, statusReasonField: 'reply' }, request: hook(undefined, '?id=m-1&status=16&reply=NACK%2F0x0000000b'), expect: { ok: true, updates: [{ providerMessageId: 'm-1', status: 'failed', reason: '16: NACK/0x0000000b', vendorStatus: '16' }], ignored: [] } },
  { name: 'Kannel %d=4 buffered is intermediate', config: { statusMap: kannelMap }, request: hook(undefined, '?id=m-1&status=4'), expect: { ok: true, updates: [], ignored: ['4'] } },
  { name: 'an unmapped value is ignored', config: { statusMap: kannelMap }, request: hook(undefined, '?id=m-1&status=32'), expect: { ok: true, updates: [], ignored: ['32'] } },
  { name: 'default map, JSON body, custom field names', config: { statusIdField: 'ref', statusField: 'state' }, request: hook({ ref: 'agg-777', state: 'DELIVERED' }), expect: { ok: true, updates: [{ providerMessageId: 'agg-777', status: 'delivered', reason: null, vendorStatus: 'DELIVERED' }], ignored: [] } },
  { name: 'missing id is 400', config: {}, request: hook({ status: 'delivered' }), expect: { ok: false, status: 400, reason: 'Expected the message id in "id" and the status in "status".' } },
];
for (const c of statusCases) {
  test(`status: ${c.name}`, () => {
    assert.deepEqual(provider.parseStatus?.(gateway({ url: 'http://h/x', ...c.config }), c.request), c.expect);
  });
}
