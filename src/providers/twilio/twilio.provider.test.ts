/**
 * The twilio provider against a fake Twilio API on 127.0.0.1 that speaks the Messages API's wire
 * format: outgoing requests asserted field by field, each failure class mapped, recorded webhooks
 * (from Twilio's docs) parsed and their signatures checked, and credentials kept out of reasons.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type FakeVendor, startFakeVendor } from '../../../test/support/fake-vendor.ts';
import type { GatewayRuntime, OutboundMessage, SendOutcome } from '../provider.ts';
import { localVendorDeps } from '../../../test/support/vendor-fake.ts';
import { createTwilioProvider, EMPTY_TWIML } from './twilio.provider.ts';
import { twilioSignature } from './twilio.signature.ts';
import type { TWILIO_STATUSES } from './twilio.status-map.ts';

const ACCOUNT = 'AC' + 'a1'.repeat(16);
const TOKEN = 'f00dfeed'.repeat(4);
const KEY_SID = 'SK' + 'b2'.repeat(16);
const KEY_SECRET = 'KeySecretKeySecret1234567890abcd';
const SERVICE = 'MG' + 'c3'.repeat(16);
const provider = createTwilioProvider(localVendorDeps);
let vendor: FakeVendor;

before(async () => {
  vendor = await startFakeVendor((req) => ({ status: 201, body: { sid: `SM${String(vendor.requests.length).padStart(32, '0')}`, status: 'queued', to: new URLSearchParams(req.body).get('To') } }));
});
after(() => vendor.close());

function gateway(config: Record<string, unknown> = {}): GatewayRuntime {
  return { id: 'g1', name: 'TWILIO', type: 'twilio', replyToNumber: null, config: provider.validateConfig({ accountSid: ACCOUNT, authToken: TOKEN, from: '+12065550100', baseUrl: vendor.url, ...config }) };
}

const message: OutboundMessage = { id: 'm1', to: '+254712345678', text: 'Habari & karibu — 5 < 6 ✓', subject: null, attempt: 1, statusCallbackUrl: 'https://rollcall.example.org/webhooks/KEY/status' };

async function sendOne(g: GatewayRuntime, m: OutboundMessage = message): Promise<SendOutcome> {
  const [outcome] = await provider.send(g, [m]);
  return outcome as SendOutcome;
}

describe('send', () => {
  test('posts the documented form with Basic AccountSid:AuthToken and keeps the sid', async () => {
    const before = vendor.requests.length;
    const outcome = await sendOne(gateway());
    const req = vendor.requests[before]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    assert.equal(req.headers.authorization, `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`);
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), { To: '+254712345678', Body: message.text, From: '+12065550100', StatusCallback: message.statusCallbackUrl });
    assert.deepEqual(outcome, { ok: true, providerMessageId: `SM${String(before + 1).padStart(32, '0')}` });
  });

  test('with an API key and a Messaging Service: Basic KeySid:secret and MessagingServiceSid instead of From', async () => {
    const before = vendor.requests.length;
    const g = gateway({ from: undefined, messagingServiceSid: SERVICE, apiKeySid: KEY_SID, apiKeySecret: KEY_SECRET });
    const outcome = await sendOne(g, { ...message, statusCallbackUrl: null });
    const req = vendor.requests[before]!;
    assert.equal(req.headers.authorization, `Basic ${Buffer.from(`${KEY_SID}:${KEY_SECRET}`).toString('base64')}`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), { To: '+254712345678', Body: message.text, MessagingServiceSid: SERVICE });
    assert.equal(outcome.ok, true);
  });

  test('a batch is sent as one request per message, outcomes in order', async () => {
    const before = vendor.requests.length;
    const ms = ['+254712345601', '+254712345602', '+254712345603', '+254712345604', '+254712345605'].map((to, i) => ({ ...message, id: `b${i}`, to }));
    const outcomes = await provider.send(gateway(), ms);
    assert.equal(vendor.requests.length - before, 5);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, true, true, true, true],
    );
    const sentTo = vendor.requests.slice(before).map((r) => new URLSearchParams(r.body).get('To'));
    assert.deepEqual([...sentTo].sort(), ms.map((m) => m.to).sort());
  });

  const failures: { name: string; answer: { status: number; headers?: Record<string, string>; body?: unknown }; expect: Partial<Extract<SendOutcome, { ok: false }>>; reason: RegExp }[] = [
    { name: 'invalid To number (21211)', answer: { status: 400, body: { code: 21211, message: "The 'To' number +2547 is not a valid phone number.", more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 } }, expect: { retryable: false }, reason: /^Twilio 21211: The 'To' number \+2547 is not a valid phone number\. \(HTTP 400\)$/ },
    { name: 'not a mobile number (21614)', answer: { status: 400, body: { code: 21614, message: "'To' number is not a valid mobile number", status: 400 } }, expect: { retryable: false }, reason: /21614/ },
    { name: 'unsubscribed recipient (21610) is an opt-out', answer: { status: 400, body: { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 } }, expect: { retryable: false, optedOut: true }, reason: /^Twilio 21610: Attempt to send to unsubscribed recipient/ },
    { name: 'bad credentials (20003)', answer: { status: 401, body: { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 } }, expect: { retryable: false }, reason: /^Twilio 20003: Authenticate \(HTTP 401\)$/ },
    { name: 'too many requests (20429) honours Retry-After', answer: { status: 429, headers: { 'retry-after': '7' }, body: { code: 20429, message: 'Too Many Requests', status: 429 } }, expect: { retryable: true, retryAfterMs: 7000 }, reason: /20429/ },
    { name: 'server error (500) is retried', answer: { status: 500, body: { code: 20500, message: 'Internal Server Error', status: 500 } }, expect: { retryable: true }, reason: /20500/ },
    { name: 'gateway error without JSON (502) is retried; the raw body is not kept', answer: { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' }, expect: { retryable: true }, reason: /^Twilio HTTP 502: Bad Gateway$/ },
    { name: 'success without a sid is not retried', answer: { status: 201, body: { status: 'queued' } }, expect: { retryable: false }, reason: /without a message sid/ },
    { name: 'an error that echoes the token is redacted', answer: { status: 400, body: { code: 21604, message: `A 'To' phone number is required (token ${TOKEN})`, status: 400 } }, expect: { retryable: false }, reason: /\[redacted\]/ },
  ];
  for (const f of failures) {
    test(`failure: ${f.name}`, async () => {
      vendor.script(f.answer);
      const outcome = await sendOne(gateway());
      assert.equal(outcome.ok, false);
      if (outcome.ok) {
        return;
      }
      for (const [k, v] of Object.entries(f.expect)) {
        assert.deepEqual(outcome[k as keyof typeof outcome], v, k);
      }
      assert.equal(outcome.optedOut ?? false, f.expect.optedOut ?? false);
      assert.match(outcome.reason, f.reason);
      assert.equal(outcome.reason.includes(TOKEN), false);
    });
  }

  test('failure: no answer within the timeout is retried', async () => {
    vendor.script({ status: 200, hang: true });
    const outcome = await sendOne(gateway({ timeoutMs: 1000 }));
    assert.deepEqual(outcome, { ok: false, retryable: true, reason: 'Twilio could not be reached (no answer within 1000 ms).' });
  });

  test('failure: connection refused is retried', async () => {
    const closed = await startFakeVendor(() => ({ status: 500 }));
    await closed.close();
    const outcome = await sendOne(gateway({ baseUrl: closed.url }));
    assert.deepEqual(outcome, { ok: false, retryable: true, reason: 'Twilio could not be reached (network error: ECONNREFUSED).' });
  });
});

describe('config', () => {
  const base = { accountSid: ACCOUNT, authToken: TOKEN, from: '+12065550100' };
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['no account SID', { ...base, accountSid: undefined }, /accountSid is required/],
    ['a malformed account SID', { ...base, accountSid: 'AC123' }, /accountSid is not valid/],
    ['no auth token', { ...base, authToken: '' }, /authToken is required/],
    ['no sender', { ...base, from: undefined }, /give the sender/],
    ['a sender that is neither number nor sender ID', { ...base, from: '+1 (206) 555' }, /from is not valid/],
    ['an API key without its secret', { ...base, apiKeySid: KEY_SID }, /apiKeySecret is required/],
    ['a secret without its API key', { ...base, apiKeySecret: KEY_SECRET }, /needs its apiKeySid/],
    ['a non-http base URL', { ...base, baseUrl: 'ftp://api.twilio.com' }, /baseUrl must be an http\(s\) URL/],
    ['credentials in the base URL', { ...base, baseUrl: 'https://u:p@api.twilio.com' }, /without credentials/],
    ['a timeout out of range', { ...base, timeoutMs: 5 }, /timeoutMs must be a whole number from 1000 to 120000/],
    ['an unknown field', { ...base, token: 'x' }, /Unknown config field for a Twilio gateway: token/],
  ];
  for (const [name, config, message] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(() => provider.validateConfig(config), message);
    });
  }
  test('normalises: trims, drops blanks and defaults, reads a timeout given as text', () => {
    assert.deepEqual(provider.validateConfig({ ...base, accountSid: ` ${ACCOUNT} `, messagingServiceSid: '', baseUrl: 'https://api.twilio.com/', timeoutMs: '20000' }), { ...base, timeoutMs: 20000 });
    assert.deepEqual(provider.validateConfig({ accountSid: ACCOUNT, authToken: TOKEN, messagingServiceSid: SERVICE }), { accountSid: ACCOUNT, authToken: TOKEN, messagingServiceSid: SERVICE });
    assert.equal(provider.validateConfig({ ...base, from: 'Rollcall' }).from, 'Rollcall');
  });
  test('describes every field it accepts for the UI form, secrets marked', () => {
    const keys = (provider.configFields ?? []).map((f) => f.key);
    assert.deepEqual(keys.sort(), ['accountSid', 'apiKeySecret', 'apiKeySid', 'authToken', 'baseUrl', 'from', 'messagingServiceSid', 'timeoutMs']);
    assert.deepEqual((provider.configFields ?? []).filter((f) => f.secret).map((f) => f.key).sort(), ['apiKeySecret', 'authToken']);
    assert.equal(provider.defaultRatePerSecond, 1);
    assert.deepEqual(provider.webhookAnswer, { contentType: 'text/xml', body: EMPTY_TWIML });
  });
});

describe('webhook signatures', () => {
  test("match Twilio's documented example", () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
    assert.equal(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });
});

// Twilio's request to the incoming message webhook, as its docs list the parameters.
const INBOUND = {
  ToCountry: 'US',
  ToState: 'WA',
  SmsMessageSid: 'SM' + '1f'.repeat(16),
  NumMedia: '0',
  ToCity: 'SEATTLE',
  FromZip: '',
  SmsSid: 'SM' + '1f'.repeat(16),
  FromState: '',
  SmsStatus: 'received',
  FromCity: '',
  Body: 'STOP please',
  FromCountry: 'KE',
  To: '+12065550100',
  ToZip: '98101',
  NumSegments: '1',
  MessageSid: 'SM' + '1f'.repeat(16),
  AccountSid: ACCOUNT,
  From: '+254712345678',
  ApiVersion: '2010-04-01',
};
const HOOK = 'https://sms.example.org/rollcall/webhooks/KEY/inbound';

function signed(url: string, body: Record<string, unknown>, signUrl = url, signBody = body, token = TOKEN): { url: string; body: Record<string, unknown>; headers: Record<string, string> } {
  return { url, body, headers: { 'x-twilio-signature': twilioSignature(token, signUrl, signBody) } };
}

describe('inbound', () => {
  const parse = (req: { url: string; body: unknown; headers: Record<string, string | undefined> }) => provider.parseInbound!(gateway(), req);
  test('a signed message is read: From, Body and MessageSid', () => {
    assert.deepEqual(parse(signed(HOOK, INBOUND)), { ok: true, messages: [{ from: '+254712345678', text: 'STOP please', gatewayMessageId: INBOUND.MessageSid }] });
  });
  test('the signature may name the default port or leave it out', () => {
    assert.equal(parse(signed(HOOK, INBOUND, 'https://sms.example.org:443/rollcall/webhooks/KEY/inbound')).ok, true);
    assert.equal(parse(signed('https://sms.example.org:443/rollcall/webhooks/KEY/inbound', INBOUND, HOOK)).ok, true);
  });
  const refusals: [string, ReturnType<typeof signed>][] = [
    ['no signature', { url: HOOK, body: INBOUND, headers: {} }],
    ['a tampered body', { ...signed(HOOK, INBOUND), body: { ...INBOUND, Body: 'START' } }],
    ['an added parameter', { ...signed(HOOK, INBOUND), body: { ...INBOUND, Extra: '1' } }],
    ['a tampered URL (signed for the internal address, not the public one)', signed(HOOK, INBOUND, 'http://10.0.0.5:8080/webhooks/KEY/inbound')],
    ['another account token', signed(HOOK, INBOUND, HOOK, INBOUND, 'beefbeef'.repeat(4))],
  ];
  for (const [name, req] of refusals) {
    test(`403 for ${name}`, () => {
      const result = parse(req);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.status, 403);
    });
  }
  test('a signed request without From is 400', () => {
    const { From: _from, ...rest } = INBOUND;
    const result = parse(signed(HOOK, rest));
    assert.equal(!result.ok && result.status, 400);
  });
  test('repeated parameters are signed value by value, sorted', () => {
    const body = { ...INBOUND, MediaUrl0: ['b', 'a'] };
    const url = HOOK;
    const manual = twilioSignature(TOKEN, url, { ...INBOUND, MediaUrl0: ['a', 'b'] });
    assert.equal(parse({ url, body, headers: { 'x-twilio-signature': manual } }).ok, true);
  });
});

// Twilio's request to the StatusCallback URL.
function statusBody(status: string, extra: Record<string, string> = {}) {
  return { SmsSid: 'SM' + '2e'.repeat(16), SmsStatus: status, MessageStatus: status, To: '+254712345678', MessageSid: 'SM' + '2e'.repeat(16), AccountSid: ACCOUNT, From: '+12065550100', ApiVersion: '2010-04-01', ...extra };
}
const STATUS_HOOK = 'https://sms.example.org/rollcall/webhooks/KEY/status';

describe('status callbacks', () => {
  const parse = (body: Record<string, unknown>) => provider.parseStatus!(gateway(), signed(STATUS_HOOK, body));
  const expected: Record<keyof typeof TWILIO_STATUSES, 'sent' | 'delivered' | 'failed' | null> = {
    accepted: null,
    scheduled: null,
    queued: null,
    sending: null,
    sent: 'sent',
    delivered: 'delivered',
    read: 'delivered',
    partially_delivered: null,
    undelivered: 'failed',
    failed: 'failed',
    canceled: 'failed',
    receiving: null,
    received: null,
  };
  for (const [status, ours] of Object.entries(expected)) {
    test(`${status} → ${ours ?? 'ignored'}`, () => {
      const result = parse(statusBody(status));
      assert.equal(result.ok, true);
      if (!result.ok) {
        return;
      }
      if (ours === null) {
        assert.deepEqual(result, { ok: true, updates: [], ignored: [status] });
      } else {
        assert.deepEqual(result.updates.map((u) => [u.providerMessageId, u.status, u.vendorStatus]), [['SM' + '2e'.repeat(16), ours, status]]);
      }
    });
  }
  test('an undelivered report keeps the error code and its words', () => {
    const result = parse(statusBody('undelivered', { ErrorCode: '30003' }));
    assert.deepEqual(result.ok && result.updates[0]?.reason, 'Twilio 30003: Unreachable destination handset');
    const filtered = parse(statusBody('failed', { ErrorCode: '30007', ErrorMessage: 'Carrier violation' }));
    assert.deepEqual(filtered.ok && filtered.updates[0]?.reason, 'Twilio 30007: Carrier violation');
  });
  test('an undelivered report with 21610 says the person opted out; other codes do not', () => {
    const result = parse(statusBody('undelivered', { ErrorCode: '21610' }));
    assert.deepEqual(result.ok && result.updates[0], { providerMessageId: 'SM' + '2e'.repeat(16), status: 'failed', reason: 'Twilio 21610: Attempt to send to unsubscribed recipient', vendorStatus: 'undelivered', optedOut: true });
    const other = parse(statusBody('undelivered', { ErrorCode: '30005' }));
    assert.equal(other.ok && other.updates[0]?.optedOut, undefined);
  });
  test('an unknown status is ignored, never guessed', () => {
    assert.deepEqual(parse(statusBody('teleported')), { ok: true, updates: [], ignored: ['teleported'] });
  });
  test('unsigned or tampered status callbacks are 403', () => {
    const body = statusBody('delivered');
    const forged = provider.parseStatus!(gateway(), { ...signed(STATUS_HOOK, body), body: { ...body, MessageStatus: 'failed' } });
    assert.equal(!forged.ok && forged.status, 403);
    const unsigned = provider.parseStatus!(gateway(), { url: STATUS_HOOK, body, headers: {} });
    assert.equal(!unsigned.ok && unsigned.status, 403);
  });
});
