import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isRealDate, isSendAt, resolveSendAt, sendAtProblem } from './schedule.ts';

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

test('sendAt that has the right shape but names no real moment is refused, with the reason (issue 23)', () => {
  for (const value of ['2027-02-30T09:00', '2027-13-01T10:00', '2027-01-15T25:00', '2027-01-15T24:00', '2027-02-29T09:00', '2027-04-31T09:00', '2027-00-10T09:00', '2027-01-00T09:00', '2027-01-15T09:60', '2027-02-30T09:00Z', '2027-01-15T09:00+24:00']) {
    assert.equal(isSendAt(value), false, value);
    assert.match(sendAtProblem(value) ?? '', /is not a real date and time/, value);
  }
  assert.match(sendAtProblem('tomorrow at nine') ?? '', /must be a local date and time/);
  for (const value of ['2028-02-29T09:00', '2027-12-31T23:59:59', '2027-01-15T09:00+14:00', '2027-01-15T09:00:00.123456789Z']) {
    assert.equal(sendAtProblem(value), null, value);
  }
});

test('date filters: real dates and instants only; JavaScript would have rolled 2027-02-30 over to March', () => {
  assert.equal(isRealDate('2027-02-28'), true);
  assert.equal(isRealDate('2028-02-29T23:59:59Z'), true);
  assert.equal(isRealDate('2027-02-30'), false);
  assert.equal(isRealDate('2027-02-30T00:00:00Z'), false);
  assert.equal(isRealDate('2027-13-01'), false);
  assert.equal(isRealDate('2027-01-15T25:00:00Z'), false);
  assert.equal(isRealDate('yesterday'), false);
});
