/**
 * The one vendor HTTP module: the table of retried failures (the same for every vendor),
 * Retry-After, a call that is answered, unreachable or refused by the host policy, the
 * order-keeping pool; and the text helpers (redaction, clipping, constant-time compare).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { closedPortUrl, startVendorFake } from '../../test/support/vendor-fake.ts';
import { hostPolicy } from './outbound-hosts.ts';
import { ConfigReader } from './vendor-config.ts';
import { callVendor, httpFailure, isRetryableStatus, mapPool, noAnswer, retryAfterMs } from './vendor-http.ts';
import { clip, redact, secretsEqual } from './vendor-text.ts';

test('one table: network errors, timeouts, 408, 425, 429 and 5xx are retried; every other status is permanent', () => {
  const retried = [408, 425, 429, 500, 502, 503, 504, 599];
  const permanent = [300, 302, 400, 401, 402, 403, 404, 409, 410, 413, 422, 451];
  for (const s of retried) {
    assert.equal(isRetryableStatus(s), true, String(s));
  }
  for (const s of permanent) {
    assert.equal(isRetryableStatus(s), false, String(s));
  }
  const h = new Headers({ 'retry-after': '5' });
  assert.deepEqual(httpFailure(408, h, 'x'), { ok: false, retryable: true, reason: 'x', retryAfterMs: 5000 });
  assert.deepEqual(httpFailure(400, h, 'x'), { ok: false, retryable: false, reason: 'x' });
  assert.deepEqual(noAnswer('Twilio', { kind: 'unreachable', reason: 'network error: ECONNREFUSED' }), { ok: false, retryable: true, reason: 'Twilio could not be reached (network error: ECONNREFUSED).' });
  assert.deepEqual(noAnswer('Twilio', { kind: 'refused', reason: 'no' }), { ok: false, retryable: false, reason: 'no' });
});

test('Retry-After in seconds or as an HTTP date; absent or unreadable is undefined', () => {
  const now = Date.parse('2026-12-01T18:00:00Z');
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '7' }), now), 7000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Dec 2026 18:00:30 GMT' }), now), 30_000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Dec 2026 17:00:00 GMT' }), now), 0);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(retryAfterMs(new Headers(), now), undefined);
});

test('callVendor: answered (JSON parsed), unreachable, timed out, and refused by the host policy', async () => {
  const fake = await startVendorFake(() => ({ status: 201, headers: { 'retry-after': '3' }, body: { id: 'v-1' } }));
  try {
    const allowed = hostPolicy(true);
    const init = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 2000 };
    const ok = await callVendor(allowed, `${fake.baseUrl}/send`, init);
    assert.equal(ok.kind, 'answered');
    assert.ok(ok.kind === 'answered' && ok.status === 201 && ok.headers.get('retry-after') === '3');
    assert.deepEqual(ok.kind === 'answered' && ok.json, { id: 'v-1' });
    assert.equal(fake.requests[0]?.body, '{"a":1}');

    const down = await callVendor(allowed, `${await closedPortUrl()}/send`, init);
    assert.deepEqual(down, { kind: 'unreachable', reason: 'network error: ECONNREFUSED' });

    fake.answers.push({ hang: true });
    const slow = await callVendor(allowed, `${fake.baseUrl}/send`, { ...init, timeoutMs: 150 });
    assert.deepEqual(slow, { kind: 'unreachable', reason: 'no answer within 150 ms' });

    const count = fake.requests.length;
    const refused = await callVendor(hostPolicy(false), `${fake.baseUrl}/send`, init);
    assert.equal(refused.kind, 'refused');
    assert.equal(fake.requests.length, count, 'nothing reached the private host');
  } finally {
    await fake.close();
  }
});

test('redact replaces every secret (also URL-encoded) before clip cuts; secretsEqual compares whole values', () => {
  const secret = 'S3CRET-abcdefghijklmnop';
  const out = clip(redact(`${'x'.repeat(490)} key=${secret} and more`, [secret]));
  assert.ok(out.length <= 500 && !out.includes('S3CRET'));
  assert.equal(redact(`a=${encodeURIComponent('p@ss word')}`, ['p@ss word']), 'a=[redacted]');
  assert.equal(redact('token abcd1234 and abcd1234 again', ['abcd1234', undefined, '']), 'token [redacted] and [redacted] again');
  assert.equal(clip('two\nlines\u0000'), 'two lines');
  assert.equal(secretsEqual('abc-123', 'abc-123'), true);
  assert.equal(secretsEqual('abc-124', 'abc-123'), false);
  assert.equal(secretsEqual('abc-12', 'abc-123'), false);
});

test('mapPool keeps order and never has more than the limit in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const out = await mapPool([5, 1, 4, 2, 3, 0], 2, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
  assert.equal(most, 2);
  assert.deepEqual(await mapPool([], 4, async () => 1), []);
});

test('ConfigReader: blanks are absent, numbers may come as text, unknown keys are refused', () => {
  const r = new ConfigReader({ a: '  x ', b: '', n: '42', extra: 1 }, 'Vendor');
  assert.equal(r.text('a', { required: true }), 'x');
  assert.equal(r.text('b', { required: false }), undefined);
  assert.equal(r.integer('n', { min: 1, max: 100, fallback: 5 }), 42);
  assert.equal(r.url('u', 'https://api.example.org'), 'https://api.example.org');
  assert.throws(() => r.refuseUnknown(), /Unknown config field for a Vendor gateway: extra/);
  assert.throws(() => new ConfigReader({ u: 'https://api.example.org/?k=1' }, 'Vendor').url('u', 'https://x'), /without credentials, query or fragment/);
});
