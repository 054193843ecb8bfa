/**
 * The telerivet provider against a fake Telerivet REST API on 127.0.0.1 that speaks its wire
 * format: outgoing requests asserted field by field, each failure class mapped, recorded webhooks
 * (the fields Telerivet's Webhook API documents) parsed with their secret checked, and credentials
 * kept out of reasons.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type FakeVendor, startFakeVendor } from '../../../test/support/fake-vendor.ts';
import type { GatewayRuntime, OutboundMessage, SendOutcome } from '../provider.ts';
import { localVendorDeps } from '../../../test/support/vendor-fake.ts';
import { createTelerivetProvider } from './telerivet.provider.ts';
import type { TELERIVET_STATUSES } from './telerivet.status-map.ts';

const API_KEY = 'trApiKey_' + 'Zx9'.repeat(10);
const PROJECT = 'PJ' + 'a1b2c3d4'.repeat(2);
const ROUTE = 'PN' + 'e5f6'.repeat(4);
const SECRET = 'hook-secret-4711';
const provider = createTelerivetProvider(localVendorDeps);
let vendor: FakeVendor;

before(async () => {
  vendor = await startFakeVendor((req) => {
    const body = JSON.parse(req.body || '{}') as Record<string, string>;
    return { status: 200, body: { id: `SM${vendor.requests.length}x`, direction: 'outgoing', status: 'queued', message_type: 'sms', source: 'api', to_number: body.to_number, content: body.content, project_id: PROJECT } };
  });
});
after(() => vendor.close());

function gateway(config: Record<string, unknown> = {}): GatewayRuntime {
  return { id: 'g1', name: 'TELERIVET', type: 'telerivet', replyToNumber: null, config: provider.validateConfig({ apiKey: API_KEY, projectId: PROJECT, webhookSecret: SECRET, baseUrl: vendor.url, ...config }) };
}

const message: OutboundMessage = { id: 'm1', to: '+254712345678', text: 'Habari "rafiki" — ✓', subject: null, attempt: 1, statusCallbackUrl: 'https://rollcall.example.org/webhooks/KEY/status' };

async function sendOne(g: GatewayRuntime, m: OutboundMessage = message): Promise<SendOutcome> {
  const [outcome] = await provider.send(g, [m]);
  return outcome as SendOutcome;
}

describe('send', () => {
  test('posts the documented JSON with Basic apiKey: and keeps the id', async () => {
    const before = vendor.requests.length;
    const outcome = await sendOne(gateway({ routeId: ROUTE }));
    const req = vendor.requests[before]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, `/v1/projects/${PROJECT}/messages/send`);
    assert.equal(req.headers.authorization, `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(req.body), { to_number: '+254712345678', content: message.text, route_id: ROUTE, status_url: message.statusCallbackUrl, status_secret: SECRET });
    assert.deepEqual(outcome, { ok: true, providerMessageId: `SM${before + 1}x` });
  });

  test('without a route or status URL only the number and text are sent', async () => {
    const before = vendor.requests.length;
    await sendOne(gateway(), { ...message, statusCallbackUrl: null });
    assert.deepEqual(JSON.parse(vendor.requests[before]!.body), { to_number: '+254712345678', content: message.text });
  });

  const failures: { name: string; answer: { status: number; headers?: Record<string, string>; body?: unknown }; retryable: boolean; retryAfterMs?: number; reason: RegExp }[] = [
    { name: 'invalid number (invalid_param)', answer: { status: 400, body: { error: { code: 'invalid_param', message: 'Invalid phone number', param: 'to_number' } } }, retryable: false, reason: /^Telerivet invalid_param: Invalid phone number \(to_number\) \(HTTP 400\)$/ },
    { name: 'bad API key (401)', answer: { status: 401, body: { error: { code: 'unauthorized', message: 'Invalid API key' } } }, retryable: false, reason: /^Telerivet unauthorized: Invalid API key \(HTTP 401\)$/ },
    { name: 'no permission (403)', answer: { status: 403, body: { error: { code: 'forbidden', message: 'Access denied' } } }, retryable: false, reason: /forbidden/ },
    { name: 'unknown project or route (not_found)', answer: { status: 404, body: { error: { code: 'not_found', message: 'Route not found' } } }, retryable: false, reason: /not_found: Route not found/ },
    { name: 'an error body with HTTP 200', answer: { status: 200, body: { error: { code: 'invalid_param', message: 'content is empty', param: 'content' } } }, retryable: false, reason: /content is empty/ },
    { name: 'rate limited (429) honours Retry-After', answer: { status: 429, headers: { 'retry-after': '12' }, body: { error: { code: 'rate_limited', message: 'Too many requests' } } }, retryable: true, retryAfterMs: 12_000, reason: /rate_limited/ },
    { name: 'server error (503) is retried', answer: { status: 503, headers: { 'content-type': 'text/plain' }, body: 'Down for <b>maintenance</b>' }, retryable: true, reason: /^Telerivet HTTP 503: Service Unavailable$/ },
    { name: 'success without an id is not retried', answer: { status: 200, body: { status: 'queued' } }, retryable: false, reason: /without a message id/ },
    { name: 'an error that echoes the API key is redacted', answer: { status: 400, body: { error: { code: 'invalid_param', message: `bad key ${API_KEY}` } } }, retryable: false, reason: /\[redacted\]/ },
  ];
  for (const f of failures) {
    test(`failure: ${f.name}`, async () => {
      vendor.script(f.answer);
      const outcome = await sendOne(gateway());
      assert.equal(outcome.ok, false);
      if (outcome.ok) {
        return;
      }
      assert.equal(outcome.retryable, f.retryable);
      assert.equal(outcome.retryAfterMs, f.retryAfterMs);
      assert.equal(outcome.optedOut, undefined);
      assert.match(outcome.reason, f.reason);
      assert.equal(outcome.reason.includes(API_KEY) || outcome.reason.includes(SECRET), false);
    });
  }

  test('failure: no answer within the timeout is retried', async () => {
    vendor.script({ status: 200, hang: true });
    assert.deepEqual(await sendOne(gateway({ timeoutMs: 1000 })), { ok: false, retryable: true, reason: 'Telerivet could not be reached (no answer within 1000 ms).' });
  });
});

describe('config', () => {
  const base = { apiKey: API_KEY, projectId: PROJECT, webhookSecret: SECRET };
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['no API key', { ...base, apiKey: '' }, /apiKey is required/],
    ['no project', { ...base, projectId: undefined }, /projectId is required/],
    ['a project ID with a slash', { ...base, projectId: 'PJ/../x' }, /projectId is not valid/],
    ['no webhook secret', { ...base, webhookSecret: undefined }, /webhookSecret is required/],
    ['a short webhook secret', { ...base, webhookSecret: 'abc' }, /webhookSecret is not valid/],
    ['a base URL that is not a URL', { ...base, baseUrl: 'api.telerivet.com' }, /baseUrl must be an http\(s\) URL/],
    ['an unknown field', { ...base, phoneId: 'PN1' }, /Unknown config field for a Telerivet gateway: phoneId/],
  ];
  for (const [name, config, pattern] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(() => provider.validateConfig(config), pattern);
    });
  }
  test('normalises: drops blanks and defaults', () => {
    assert.deepEqual(provider.validateConfig({ ...base, routeId: '', baseUrl: 'https://api.telerivet.com' }), base);
    assert.deepEqual(provider.validateConfig({ ...base, routeId: ROUTE, timeoutMs: 30000 }), { ...base, routeId: ROUTE, timeoutMs: 30000 });
  });
  test('describes every field for the UI form, secrets marked; default rate 0.5/s', () => {
    assert.deepEqual((provider.configFields ?? []).map((f) => f.key).sort(), ['apiKey', 'baseUrl', 'projectId', 'routeId', 'timeoutMs', 'webhookSecret']);
    assert.deepEqual((provider.configFields ?? []).filter((f) => f.secret).map((f) => f.key).sort(), ['apiKey', 'webhookSecret']);
    assert.equal(provider.defaultRatePerSecond, 0.5);
  });
});

// The incoming_message notification, with the fields Telerivet's Webhook API documents.
const INCOMING = {
  event: 'incoming_message',
  id: 'SM' + '7c'.repeat(8),
  message_type: 'sms',
  content: 'STOP',
  from_number: '+254712345678',
  from_number_e164: '+254712345678',
  to_number: '+254700000001',
  time_created: '1764612000',
  time_sent: '1764611998',
  contact_id: 'CT' + '11'.repeat(8),
  phone_id: ROUTE,
  service_id: 'SV' + '22'.repeat(8),
  project_id: PROJECT,
  secret: SECRET,
};
const req = (body: unknown) => ({ url: 'https://rollcall.example.org/webhooks/KEY/inbound', headers: {}, body });

describe('inbound', () => {
  const parse = (body: unknown) => provider.parseInbound!(gateway(), req(body));
  test('an incoming message with the right secret is read: from_number, content, id', () => {
    assert.deepEqual(parse(INCOMING), { ok: true, messages: [{ from: '+254712345678', text: 'STOP', gatewayMessageId: INCOMING.id }] });
  });
  const refused: [string, unknown][] = [
    ['no secret', { ...INCOMING, secret: undefined }],
    ['a wrong secret', { ...INCOMING, secret: 'hook-secret-4712' }],
    ['a longer secret', { ...INCOMING, secret: SECRET + 'x' }],
    ['a JSON array body', [INCOMING]],
  ];
  for (const [name, body] of refused) {
    test(`403 for ${name}`, () => {
      const result = parse(body);
      assert.equal(!result.ok && result.status, 403);
    });
  }
  test('other events and calls store nothing', () => {
    assert.deepEqual(parse({ ...INCOMING, event: 'contact_update' }), { ok: true, messages: [] });
    assert.deepEqual(parse({ ...INCOMING, message_type: 'call' }), { ok: true, messages: [] });
  });
  test('an incoming message without from_number is 400', () => {
    const result = parse({ ...INCOMING, from_number: '' });
    assert.equal(!result.ok && result.status, 400);
  });
});

// The send_status notification Telerivet posts to status_url with status_secret as `secret`.
function statusBody(status: string, extra: Record<string, string> = {}) {
  return { event: 'send_status', id: 'SM' + '9d'.repeat(8), status, direction: 'outgoing', message_type: 'sms', from_number: '+254700000001', to_number: '+254712345678', project_id: PROJECT, secret: SECRET, ...extra };
}

describe('status notifications', () => {
  const parse = (body: unknown) => provider.parseStatus!(gateway(), req(body));
  const expected: Record<keyof typeof TELERIVET_STATUSES, 'sent' | 'delivered' | 'failed' | null> = {
    queued: null,
    processing: null,
    sending: null,
    retrying: null,
    failed_queued: null,
    sent: 'sent',
    delivered: 'delivered',
    failed: 'failed',
    not_delivered: 'failed',
    cancelled: 'failed',
    received: null,
    ignored: null,
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
        assert.deepEqual(result.updates.map((u) => [u.providerMessageId, u.status, u.vendorStatus]), [['SM' + '9d'.repeat(8), ours, status]]);
      }
    });
  }
  test('a failure keeps Telerivet’s error_message', () => {
    const result = parse(statusBody('failed', { error_message: 'Phone is offline' }));
    assert.equal(result.ok && result.updates[0]?.reason, 'Telerivet failed: Phone is offline');
    const bare = parse(statusBody('not_delivered'));
    assert.equal(bare.ok && bare.updates[0]?.reason, 'Telerivet not_delivered');
  });
  test('an unknown status is ignored, never guessed', () => {
    assert.deepEqual(parse(statusBody('vanished')), { ok: true, updates: [], ignored: ['vanished'] });
  });
  test('a wrong secret is 403; a notification without id is 400', () => {
    const forged = parse(statusBody('delivered', { secret: 'guess-guess' }));
    assert.equal(!forged.ok && forged.status, 403);
    const { id: _id, ...noId } = statusBody('delivered');
    const bad = parse(noId);
    assert.equal(!bad.ok && bad.status, 400);
  });
});
