import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigReader, mapLimited, redact, retryAfterMs, safeEqual } from './vendor-http.ts';

test('Retry-After in seconds or as an HTTP date; absent or unreadable is undefined', () => {
  const now = Date.parse('2026-12-01T18:00:00Z');
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '7' }), now), 7000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Dec 2026 18:00:30 GMT' }), now), 30_000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Dec 2026 17:00:00 GMT' }), now), 0);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(retryAfterMs(new Headers(), now), undefined);
});

test('safeEqual compares whole strings; redact replaces every secret', () => {
  assert.equal(safeEqual('secret-1', 'secret-1'), true);
  assert.equal(safeEqual('secret-1', 'secret-2'), false);
  assert.equal(safeEqual('secret', 'secret-1'), false);
  assert.equal(redact('token abcd1234 and abcd1234 again', ['abcd1234', undefined, '']), 'token [redacted] and [redacted] again');
});

test('mapLimited keeps order and never has more than the limit in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const out = await mapLimited([5, 1, 4, 2, 3, 0], 2, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
  assert.equal(most, 2);
  assert.deepEqual(await mapLimited([], 4, async () => 1), []);
});

test('ConfigReader: blanks are absent, numbers may come as text, unknown keys are refused', () => {
  const r = new ConfigReader({ a: '  x ', b: '', n: '42', extra: 1 }, 'Vendor');
  assert.equal(r.text('a', { required: true }), 'x');
  assert.equal(r.text('b', { required: false }), undefined);
  assert.equal(r.integer('n', { min: 1, max: 100, fallback: 5 }), 42);
  assert.equal(r.integer('m', { min: 1, max: 100, fallback: 5 }), 5);
  assert.equal(r.url('u', 'https://api.example.org'), 'https://api.example.org');
  assert.throws(() => r.refuseUnknown(), /Unknown config field for a Vendor gateway: extra/);
  assert.throws(() => new ConfigReader({ n: 1.5 }, 'Vendor').integer('n', { min: 1, max: 100, fallback: 5 }), /whole number from 1 to 100/);
  assert.throws(() => new ConfigReader({ a: 7 }, 'Vendor').text('a', { required: true }), /a must be text/);
  assert.throws(() => new ConfigReader({ u: 'https://api.example.org/?k=1' }, 'Vendor').url('u', 'https://x'), /without credentials, query or fragment/);
});
