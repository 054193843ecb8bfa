/**
 * The shared provider plumbing: HTTP-status classification, Retry-After, redaction and clipping,
 * constant-time secret comparison, the order-keeping pool.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clip, httpFailure, mapPool, redact, retryAfterMs, secretsEqual } from './vendor-client.ts';

test('HTTP statuses: 408, 429 and 5xx are retried, every other failure is permanent', () => {
  const h = new Headers({ 'retry-after': '5' });
  for (const [status, retryable] of [[400, false], [401, false], [403, false], [404, false], [408, true], [422, false], [429, true], [500, true], [502, true], [503, true]] as const) {
    assert.equal((httpFailure(status, h, 'x') as { retryable: boolean }).retryable, retryable, String(status));
  }
  assert.equal((httpFailure(429, h, 'x') as { retryAfterMs?: number }).retryAfterMs, 5000);
  assert.equal((httpFailure(500, h, 'x') as { retryAfterMs?: number }).retryAfterMs, undefined);
});

test('Retry-After as seconds or an HTTP date', () => {
  const now = new Date('2026-12-01T18:00:00Z');
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs('Tue, 01 Dec 2026 18:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});

test('a secret near the cut is redacted whole, never half shown', () => {
  const secret = 'S3CRET-abcdefghijklmnop';
  const text = `${'x'.repeat(490)} key=${secret} and more`;
  const out = clip(redact(text, [secret]));
  assert.ok(out.length <= 500);
  assert.ok(!out.includes('S3CRET'));
  assert.equal(redact(`a=${encodeURIComponent('p@ss word')}`, ['p@ss word']), 'a=[redacted]');
});

test('secrets compare equal only when identical', () => {
  assert.equal(secretsEqual('abc-123', 'abc-123'), true);
  assert.equal(secretsEqual('abc-124', 'abc-123'), false);
  assert.equal(secretsEqual('abc-12', 'abc-123'), false);
  assert.equal(secretsEqual('', 'abc'), false);
});

test('the pool keeps the order of results and never runs more than its limit', async () => {
  let running = 0;
  let peak = 0;
  const out = await mapPool([5, 1, 4, 2, 3], 2, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setImmediate(r));
    running--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.ok(peak <= 2);
});
