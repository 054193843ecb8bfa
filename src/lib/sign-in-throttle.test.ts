import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SignInThrottle } from './sign-in-throttle.ts';

const limits = { perAccountAddress: 3, perAddress: 100, perAccount: 1000, baseDelayMs: 1000, maxDelayMs: 60_000, forgetMs: 600_000 };

test('one account from one address: free up to its limit, then waits that double with each failure, up to the longest', () => {
  const t = new SignInThrottle(limits);
  let now = 0;
  for (let i = 0; i < 3; i++) {
    assert.equal(t.retryAfterMs('amina@example.org', '10.0.0.1', now), 0);
    t.recordFailure(i % 2 ? 'AMINA@example.org' : 'amina@example.org', '10.0.0.1', now);
  }
  assert.equal(t.retryAfterMs('amina@example.org', '10.0.0.1', now), 1000, 'any letter case counts as one account');
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    now += t.retryAfterMs('amina@example.org', '10.0.0.1', now);
    t.recordFailure('amina@example.org', '10.0.0.1', now);
    waits.push(t.retryAfterMs('amina@example.org', '10.0.0.1', now));
  }
  assert.deepEqual(waits, [2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  assert.equal(t.retryAfterMs('amina@example.org', '10.0.0.1', now + 30_000), 30_000, 'the wait runs down');
});

test('a guesser from one address does not slow the same account from another address, nor other accounts', () => {
  const t = new SignInThrottle(limits);
  for (let i = 0; i < 100; i++) {
    t.recordFailure('root@example.org', '203.0.113.9', i * 100_000);
  }
  const now = 99 * 100_000 + 1;
  assert.ok(t.retryAfterMs('root@example.org', '203.0.113.9', now) > 0, 'the guesser waits');
  assert.equal(t.retryAfterMs('root@example.org', '198.51.100.7', now), 0, 'the account from elsewhere does not');
  assert.equal(t.retryAfterMs('other@example.org', '198.51.100.7', now), 0);
});

test('an address past its own limit waits whichever account it tries; other addresses do not', () => {
  const t = new SignInThrottle({ ...limits, perAddress: 5 });
  for (let i = 0; i < 5; i++) {
    t.recordFailure(`user${i}@example.org`, '10.0.0.2', 0);
  }
  assert.equal(t.retryAfterMs('new@example.org', '10.0.0.2', 1), 999);
  assert.equal(t.retryAfterMs('new@example.org', '10.0.0.3', 1), 0);
});

test('an account past its much higher ceiling (guessing from many addresses) waits from every address', () => {
  const t = new SignInThrottle({ ...limits, perAccount: 20 });
  for (let i = 0; i < 20; i++) {
    t.recordFailure('root@example.org', `10.1.0.${i}`, 0);
  }
  assert.equal(t.retryAfterMs('root@example.org', '10.9.9.9', 1), 999);
  assert.equal(t.retryAfterMs('someone@example.org', '10.9.9.9', 1), 0);
});

test('a success clears the account-from-this-address count only; counts are forgotten after a quiet period', () => {
  const t = new SignInThrottle({ ...limits, perAddress: 4 });
  for (let i = 0; i < 3; i++) {
    t.recordFailure('a@example.org', '10.0.0.4', 0);
  }
  assert.ok(t.retryAfterMs('a@example.org', '10.0.0.4', 0) > 0);
  t.recordSuccess('a@example.org', '10.0.0.4');
  assert.equal(t.retryAfterMs('a@example.org', '10.0.0.4', 0), 0);
  t.recordFailure('b@example.org', '10.0.0.4', 0);
  assert.ok(t.retryAfterMs('c@example.org', '10.0.0.4', 0) > 0, 'the address count stayed (4 failures)');
  assert.equal(t.retryAfterMs('c@example.org', '10.0.0.4', 600_000), 0, 'forgotten after forgetMs');
});

test('without an address only the account ceiling applies', () => {
  const t = new SignInThrottle({ ...limits, perAccount: 2 });
  t.recordFailure('a@example.org', null, 0);
  assert.equal(t.retryAfterMs('a@example.org', null, 0), 0);
  t.recordFailure('a@example.org', null, 0);
  assert.equal(t.retryAfterMs('a@example.org', null, 0), 1000);
});

test('the map is bounded: made-up emails cannot grow it without end', () => {
  const t = new SignInThrottle({ ...limits, maxKeys: 100 });
  for (let i = 0; i < 10_000; i++) {
    t.recordFailure(`x${i}@example.org`, `10.2.${i % 250}.${i % 7}`, i);
  }
  assert.ok((t as unknown as { counts: Map<string, unknown> }).counts.size <= 100);
});
