import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Temporal } from 'temporal-polyfill';

import { type Condition, conditionHolds, matchesConditions, parseDatePart, scheduleSchema, fieldProblems, validateReminderRule } from './reminder-rule.ts';

const today = Temporal.PlainDate.from('2027-01-15');
const holds = (properties: Record<string, string>, condition: Condition): boolean => conditionHolds(properties, condition, today);

const validRule = {
  name: 'ANC visit',
  caseType: 'pregnancy',
  content: { text: 'Hello {name}, your visit is on {visit_date}.' },
  schedule: { type: 'offsets', startProperty: 'visit_date', offsets: [{ days: -7, time: '09:00' }] },
};

/** The message for `field`, failing when the rule is valid or the field is not named. */
function problemFor(body: unknown, field: string): string {
  const result = validateReminderRule(body);
  assert.equal(result.ok, false, 'expected a problem');
  const problems = result.ok ? [] : result.problems;
  const found = problems.find((p) => p.field === field);
  assert.ok(found, `no problem for ${field}: ${JSON.stringify(problems)}`);
  return found.message;
}

test('a valid rule parses, with defaults', () => {
  const result = validateReminderRule(validRule);
  assert.ok(result.ok);
  assert.deepEqual(result.value.conditions, []);
  assert.equal(result.value.recipients, 'case');
  assert.equal(result.value.active, true);
});

test('validation messages name the field', () => {
  const withSchedule = (schedule: unknown) => ({ ...validRule, schedule });
  for (const time of ['9:00', '24:00', '09:60', 'nine']) {
    assert.equal(problemFor(withSchedule({ type: 'offsets', startProperty: 'd', offsets: [{ days: -7, time }] }), 'schedule.offsets[0].time'), 'use HH:MM, 00:00–23:59');
  }
  assert.match(problemFor(withSchedule({ type: 'offsets', offsets: [{ days: 1, time: '09:00' }] }), 'schedule.startProperty'), /required when type is "offsets"/);
  assert.match(problemFor(withSchedule({ type: 'offsets', startProperty: 'd' }), 'schedule.offsets'), /required/);
  assert.match(problemFor(withSchedule({ type: 'offsets', startProperty: 'd', offsets: [{ days: 1.5, time: '09:00' }] }), 'schedule.offsets[0].days'), /whole number/);
  assert.match(problemFor(withSchedule({ type: 'daily' }), 'schedule.times'), /required when type is "daily"/);
  assert.equal(problemFor(withSchedule({ type: 'daily', times: ['08:00', '25:00'] }), 'schedule.times[1]'), 'use HH:MM, 00:00–23:59');
  assert.match(problemFor(withSchedule({ type: 'weekly', times: ['08:00'] }), 'schedule.weekdays'), /required when type is "weekly"/);
  assert.match(problemFor(withSchedule({ type: 'weekly', times: ['08:00'], weekdays: ['monday'] }), 'schedule.weekdays[0]'), /mon, tue/);
  assert.match(problemFor(withSchedule({ type: 'once', startProperty: 'd' }), 'schedule.offsets'), /exactly one offset/);
  assert.match(problemFor(withSchedule({ type: 'hourly' }), 'schedule.type'), /once, daily, weekly or offsets/);
  assert.match(problemFor(withSchedule({ type: 'daily', times: ['08:00'], repeat: 0 }), 'schedule.repeat'), /at least 1/);
  assert.match(problemFor(withSchedule({ type: 'daily', times: ['08:00'], stopWhen: [{ property: 'done', op: 'eq' }] }), 'schedule.stopWhen[0].value'), /required for op "eq"/);
  assert.match(problemFor({ ...validRule, window: { from: '20:00', to: '08:00' } }, 'window.to'), /later than window.from/);
  assert.equal(problemFor({ ...validRule, window: { from: '8:00', to: '20:00' } }, 'window.from'), 'use HH:MM, 00:00–23:59');
  assert.match(problemFor({ ...validRule, conditions: [{ property: 'age', op: 'lt' }] }, 'conditions[0].value'), /required for op "lt"/);
  assert.match(problemFor({ ...validRule, conditions: [{ property: 'age', op: 'gt', value: 'old' }] }, 'conditions[0].value'), /numbers or dates/);
  assert.match(problemFor({ ...validRule, conditions: [{ property: 'd', op: 'withinDays', value: 2.5 }] }, 'conditions[0].value'), /whole number of days/);
  assert.match(problemFor({ ...validRule, conditions: [{ property: 'd', op: 'like', value: 'x' }] }, 'conditions[0].op'), /use one of eq, ne/);
  assert.match(problemFor({ ...validRule, content: {} }, 'content.text'), /give text or translations/);
  assert.match(problemFor({ ...validRule, content: { translations: { 'not a code': 'Hi' } } }, 'content.translations.not a code'), /language code/);
  assert.match(problemFor({ ...validRule, content: { surveyId: 's1', text: 'Hi' } }, 'content.surveyId'), /not both/);
  assert.match(problemFor({ ...validRule, name: '  ' }, 'name'), /must not be empty/);
});

test('the accepted forms of values', () => {
  assert.ok(validateReminderRule({ ...validRule, conditions: [{ property: 'd', op: 'withinDays', value: '-7' }, { property: 'n', op: 'lt', value: 3 }, { property: 'd', op: 'gt', value: '2027-01-01' }, { property: 'x', op: 'set' }] }).ok);
  assert.ok(validateReminderRule({ ...validRule, content: { surveyId: 's1' } }).ok);
  const parsed = scheduleSchema.safeParse({ type: 'daily', times: ['08:00'], spreadMinutes: 0 });
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.success ? [] : fieldProblems(parsed.error, 'schedule').map((p) => p.field), ['schedule.spreadMinutes']);
});

test('set and empty trim whitespace; a missing property is empty', () => {
  assert.equal(holds({ x: ' a ' }, { property: 'x', op: 'set' }), true);
  assert.equal(holds({ x: '  ' }, { property: 'x', op: 'set' }), false);
  assert.equal(holds({ x: ' \t' }, { property: 'x', op: 'empty' }), true);
  assert.equal(holds({}, { property: 'x', op: 'empty' }), true);
  assert.equal(holds({ x: '0' }, { property: 'x', op: 'empty' }), false);
});

test('eq and ne: numbers numerically, else trimmed strings exactly', () => {
  assert.equal(holds({ x: '5.0' }, { property: 'x', op: 'eq', value: 5 }), true);
  assert.equal(holds({ x: ' yes ' }, { property: 'x', op: 'eq', value: 'yes' }), true);
  assert.equal(holds({ x: 'Yes' }, { property: 'x', op: 'eq', value: 'yes' }), false);
  assert.equal(holds({ x: 'yes' }, { property: 'x', op: 'ne', value: 'no' }), true);
  assert.equal(holds({}, { property: 'x', op: 'ne', value: 'no' }), true);
  assert.equal(holds({ x: '5' }, { property: 'x', op: 'ne', value: '5.00' }), false);
});

test('lt and gt: numbers, then dates, else the condition does not hold', () => {
  assert.equal(holds({ age: '9' }, { property: 'age', op: 'lt', value: 10 }), true); // not '9' > '10' as text
  assert.equal(holds({ age: '10' }, { property: 'age', op: 'lt', value: '10' }), false);
  assert.equal(holds({ age: '-2.5' }, { property: 'age', op: 'lt', value: '-2' }), true);
  assert.equal(holds({ age: '1e3' }, { property: 'age', op: 'gt', value: 999 }), true);
  assert.equal(holds({ d: '2027-01-16' }, { property: 'd', op: 'gt', value: '2027-01-15' }), true);
  assert.equal(holds({ d: '2027-01-15T23:59:00Z' }, { property: 'd', op: 'gt', value: '2027-01-15' }), false); // same date part
  assert.equal(holds({ d: '2027-01-14T08:00' }, { property: 'd', op: 'lt', value: '2027-01-15' }), true);
  assert.equal(holds({ d: '2027-02-30' }, { property: 'd', op: 'lt', value: '2028-01-01' }), false); // not a real date
  assert.equal(holds({ d: '2027-01-14' }, { property: 'd', op: 'lt', value: 5 }), false); // date vs number
  assert.equal(holds({ x: 'abc' }, { property: 'x', op: 'lt', value: 'abd' }), false); // strings are not compared
  assert.equal(holds({}, { property: 'x', op: 'gt', value: 0 }), false); // blank is not 0
  assert.equal(holds({}, { property: 'x', op: 'lt', value: 0 }), false);
});

test('withinDays: next N days (inclusive), or the last N days with a negative N', () => {
  const within = (d: string, value: number | string) => holds({ d }, { property: 'd', op: 'withinDays', value });
  assert.equal(within('2027-01-15', 7), true);
  assert.equal(within('2027-01-22', 7), true);
  assert.equal(within('2027-01-23', 7), false);
  assert.equal(within('2027-01-14', 7), false);
  assert.equal(within('2027-01-20T10:00:00Z', '7'), true);
  assert.equal(within('2027-01-08', -7), true);
  assert.equal(within('2027-01-15', -7), true);
  assert.equal(within('2027-01-07', -7), false);
  assert.equal(within('2027-01-16', -7), false);
  assert.equal(within('2027-01-15', 0), true);
  assert.equal(within('soon', 7), false);
  assert.equal(within('', 7), false);
});

test('all conditions must hold; none always holds', () => {
  const conditions: Condition[] = [
    { property: 'status', op: 'eq', value: 'open' },
    { property: 'due', op: 'withinDays', value: 3 },
  ];
  assert.equal(matchesConditions({ status: 'open', due: '2027-01-17' }, conditions, today), true);
  assert.equal(matchesConditions({ status: 'closed', due: '2027-01-17' }, conditions, today), false);
  assert.equal(matchesConditions({}, [], today), true);
});

test('parseDatePart reads ISO dates and date-times only', () => {
  assert.equal(parseDatePart('2027-01-15')?.toString(), '2027-01-15');
  assert.equal(parseDatePart(' 2027-01-15T09:00:00+03:00 ')?.toString(), '2027-01-15');
  assert.equal(parseDatePart('2027-01-15T25:00:00Z'), null);
  assert.equal(parseDatePart('2027-02-29'), null);
  assert.equal(parseDatePart('15/01/2027'), null);
  assert.equal(parseDatePart('2027-01-15junk'), null);
});
