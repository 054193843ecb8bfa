import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SignInThrottle } from './sign-in-throttle.ts';

test('an account is refused after its limit of failures until the window ends; any letter case counts as one account', () => {
  const t = new SignInThrottle({ perAccount: 3, perAddress: 100, windowMs: 1000 });
  for (let i = 0; i < 3; i++) {
    assert.equal(t.retryAfterMs('amina@example.org', '10.0.0.1', 0), 0);
    t.recordFailure(i % 2 ? 'AMINA@example.org' : 'amina@example.org', '10.0.0.1', 0);
  }
  assert.equal(t.retryAfterMs('amina@example.org', '10.0.0.9', 10), 990, 'another address does not help');
  assert.equal(t.retryAfterMs('other@example.org', '10.0.0.1', 10), 0, 'other accounts are not blocked');
  assert.equal(t.retryAfterMs('amina@example.org', null, 1000), 0, 'the window ended');
});

test('an address is refused after its limit, whichever accounts it tries', () => {
  const t = new SignInThrottle({ perAccount: 100, perAddress: 5, windowMs: 1000 });
  for (let i = 0; i < 5; i++) {
    t.recordFailure(`user${i}@example.org`, '10.0.0.2', 0);
  }
  assert.ok(t.retryAfterMs('new@example.org', '10.0.0.2', 1) > 0);
  assert.equal(t.retryAfterMs('new@example.org', '10.0.0.3', 1), 0);
});

test('a success clears the account count', () => {
  const t = new SignInThrottle({ perAccount: 3, perAddress: 100, windowMs: 1000 });
  t.recordFailure('a@example.org', null, 0);
  t.recordFailure('a@example.org', null, 0);
  t.recordSuccess('a@example.org');
  t.recordFailure('a@example.org', null, 0);
  t.recordFailure('a@example.org', null, 0);
  assert.equal(t.retryAfterMs('a@example.org', null, 0), 0);
});

test('the map is bounded: made-up emails cannot grow it without end', () => {
  const t = new SignInThrottle({ perAccount: 2, perAddress: 1_000_000, windowMs: 60_000, maxKeys: 100 });
  for (let i = 0; i < 10_000; i++) {
    t.recordFailure(`x${i}@example.org`, null, i);
  }
  assert.ok((t as unknown as { counts: Map<string, unknown> }).counts.size <= 100);
});
