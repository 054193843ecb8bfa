import assert from 'node:assert/strict';
import { test } from 'node:test';

import { resolveSendAt } from './schedule.ts';

test('local wall time in the contact zone', () => {
  assert.equal(resolveSendAt('2031-01-15T09:00', 'America/New_York')?.at.toISOString(), '2031-01-15T14:00:00.000Z');
  assert.equal(resolveSendAt('2031-01-15T09:00', 'Africa/Nairobi')?.at.toISOString(), '2031-01-15T06:00:00.000Z');
});

test('a time in the spring-forward gap moves forward; an overlap takes the earlier instant', () => {
  // New York 2031-03-09 02:30 does not exist (clocks jump 02:00 → 03:00): 03:30 EDT = 07:30Z.
  assert.equal(resolveSendAt('2031-03-09T02:30', 'America/New_York')?.at.toISOString(), '2031-03-09T07:30:00.000Z');
  // 2031-11-02 01:30 happens twice: the earlier is EDT (05:30Z).
  assert.equal(resolveSendAt('2031-11-02T01:30', 'America/New_York')?.at.toISOString(), '2031-11-02T05:30:00.000Z');
});

test('instants pass through; nonsense is refused', () => {
  assert.equal(resolveSendAt('2031-01-15T09:00Z', 'America/New_York')?.at.toISOString(), '2031-01-15T09:00:00.000Z');
  assert.equal(resolveSendAt('2031-01-15T09:00+03:00', 'UTC')?.at.toISOString(), '2031-01-15T06:00:00.000Z');
  assert.equal(resolveSendAt('2031-02-30T09:00', 'UTC'), null);
  assert.equal(resolveSendAt('tomorrow', 'UTC'), null);
});
