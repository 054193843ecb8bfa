import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { ReminderSchedule, SendWindow } from './reminder-rule.ts';
import { type OccurrencesInput, occurrences, renderReminderText, spreadOffsetMinutes } from './reminder-schedule.ts';

const WINDOW: SendWindow = { from: '08:00', to: '20:00' };

function run(schedule: ReminderSchedule, extra: Partial<OccurrencesInput> = {}) {
  return occurrences({ schedule, properties: { visit: '2026-12-21' }, zone: 'Africa/Nairobi', now: '2026-12-01T00:00:00Z', ruleId: 'r1', caseId: 'c1', ...extra });
}
const ats = (result: ReturnType<typeof run>) => result.occurrences.map((o) => o.at);
const locals = (result: ReturnType<typeof run>) => result.occurrences.map((o) => o.localTime);

const OFFSETS: ReminderSchedule = { type: 'offsets', startProperty: 'visit', offsets: [{ days: -7, time: '09:00' }, { days: -1, time: '09:00' }] };

test('offsets −7 d and −1 d at 09:00 in three zones', () => {
  const expected: [string, string][] = [['Africa/Nairobi', '06:00'], ['America/New_York', '14:00'], ['Asia/Kolkata', '03:30']];
  for (const [zone, utc] of expected) {
    const result = run(OFFSETS, { zone });
    assert.equal(result.problem, undefined);
    assert.deepEqual(ats(result), [`2026-12-14T${utc}:00.000Z`, `2026-12-20T${utc}:00.000Z`], zone);
    assert.deepEqual(locals(result), ['2026-12-14 09:00', '2026-12-20 09:00'], zone);
    assert.deepEqual(result.occurrences.map((o) => o.key), ['2026-12-21:-7:09:00', '2026-12-21:-1:09:00']);
    assert.ok(result.occurrences.every((o) => o.zone === zone));
  }
});

test('offsets: a date-time property counts by its date part; past ones are left out, far ones kept (no horizon)', () => {
  assert.deepEqual(locals(run(OFFSETS, { properties: { visit: '2026-12-21T15:00:00Z' } })), ['2026-12-14 09:00', '2026-12-20 09:00']);
  assert.deepEqual(locals(run(OFFSETS, { now: '2026-12-15T00:00:00Z' })), ['2026-12-20 09:00']);
  assert.deepEqual(locals(run(OFFSETS, { now: '2026-12-20T06:00:00Z' })), ['2026-12-20 09:00']); // exactly now: still due
  assert.deepEqual(locals(run(OFFSETS, { now: '2026-12-20T06:00:01Z' })), []);
  // More than 400 days ahead: still planned (the horizon bounds daily and weekly series only).
  assert.deepEqual(locals(run(OFFSETS, { properties: { visit: '2028-06-01' } })), ['2028-05-25 09:00', '2028-05-31 09:00']);
});

test('keys are stable across calls and change when the start date changes', () => {
  assert.deepEqual(run(OFFSETS), run(OFFSETS));
  const moved = run(OFFSETS, { properties: { visit: '2026-12-28' } }).occurrences.map((o) => o.key);
  assert.deepEqual(moved, ['2026-12-28:-7:09:00', '2026-12-28:-1:09:00']);
  const once = run({ type: 'once', startProperty: 'visit', offsets: [{ days: -2, time: '10:00' }] });
  assert.deepEqual(once.occurrences, [{ key: 'once:2026-12-21', at: '2026-12-19T07:00:00.000Z', localTime: '2026-12-19 10:00', zone: 'Africa/Nairobi' }]);
});

test('a date property that is not a date: no occurrences, and the reason', () => {
  const bad = run(OFFSETS, { properties: { visit: '2026-02-30' } });
  assert.deepEqual(bad.occurrences, []);
  assert.match(bad.problem ?? '', /"visit" is not a date \("2026-02-30"\)/);
  assert.match(run(OFFSETS, { properties: { visit: 'next week' } }).problem ?? '', /not a date/);
  assert.match(run(OFFSETS, { properties: {} }).problem ?? '', /"visit" has no date/);
});

test('daily 08:00 in New York across spring-forward and fall-back: 08:00 local every day', () => {
  const daily: ReminderSchedule = { type: 'daily', times: ['08:00'] };
  const spring = run(daily, { zone: 'America/New_York', now: '2027-03-12T00:00:00Z', limit: 4 });
  assert.deepEqual(locals(spring), ['2027-03-12 08:00', '2027-03-13 08:00', '2027-03-14 08:00', '2027-03-15 08:00']);
  assert.deepEqual(ats(spring), ['2027-03-12T13:00:00.000Z', '2027-03-13T13:00:00.000Z', '2027-03-14T12:00:00.000Z', '2027-03-15T12:00:00.000Z']);
  assert.deepEqual(spring.occurrences.map((o) => o.key), ['2027-03-12 08:00', '2027-03-13 08:00', '2027-03-14 08:00', '2027-03-15 08:00']);
  const fall = run(daily, { zone: 'America/New_York', now: '2027-11-05T00:00:00Z', limit: 4 });
  assert.deepEqual(locals(fall), ['2027-11-05 08:00', '2027-11-06 08:00', '2027-11-07 08:00', '2027-11-08 08:00']);
  assert.deepEqual(ats(fall), ['2027-11-05T12:00:00.000Z', '2027-11-06T12:00:00.000Z', '2027-11-07T13:00:00.000Z', '2027-11-08T13:00:00.000Z']);
});

test('02:30 on the spring-forward day goes at 03:00 local; 01:30 on the fall-back day takes the earlier instant', () => {
  const gap = run({ type: 'daily', times: ['02:30'] }, { zone: 'America/New_York', now: '2027-03-13T12:00:00Z', limit: 2 });
  assert.deepEqual(gap.occurrences, [
    { key: '2027-03-14 02:30', at: '2027-03-14T07:00:00.000Z', localTime: '2027-03-14 03:00', zone: 'America/New_York' },
    { key: '2027-03-15 02:30', at: '2027-03-15T06:30:00.000Z', localTime: '2027-03-15 02:30', zone: 'America/New_York' },
  ]);
  const overlap = run({ type: 'daily', times: ['01:30'] }, { zone: 'America/New_York', now: '2027-11-06T12:00:00Z', limit: 1 });
  assert.deepEqual(ats(overlap), ['2027-11-07T05:30:00.000Z']); // 01:30 EDT, not 01:30 EST
});

test('send window: 22:00 moves to 08:00 the next morning, 06:00 to 08:00 the same day, 20:00 stays', () => {
  const at = (time: string) => run({ type: 'offsets', startProperty: 'visit', offsets: [{ days: 0, time }] }, { window: WINDOW }).occurrences;
  assert.deepEqual(at('22:00').map((o) => [o.key, o.localTime, o.at]), [['2026-12-21:0:22:00', '2026-12-22 08:00', '2026-12-22T05:00:00.000Z']]);
  assert.deepEqual(at('06:00').map((o) => [o.localTime, o.at]), [['2026-12-21 08:00', '2026-12-21T05:00:00.000Z']]);
  assert.deepEqual(at('20:00').map((o) => o.localTime), ['2026-12-21 20:00']);
  assert.deepEqual(at('20:01').map((o) => o.localTime), ['2026-12-22 08:00']);
  // The next morning is the spring-forward day in New York: 08:00 EDT.
  const ny = run({ type: 'daily', times: ['22:00'] }, { zone: 'America/New_York', now: '2027-03-13T12:00:00Z', window: WINDOW, limit: 1 });
  assert.deepEqual(ny.occurrences.map((o) => [o.key, o.localTime, o.at]), [['2027-03-13 22:00', '2027-03-14 08:00', '2027-03-14T12:00:00.000Z']]);
});

test('once without startProperty: now, moved into the window', () => {
  assert.deepEqual(run({ type: 'once' }, { now: '2026-12-04T10:15:30Z' }).occurrences, [{ key: 'once', at: '2026-12-04T10:15:30.000Z', localTime: '2026-12-04 13:15', zone: 'Africa/Nairobi' }]);
  // 22:30 in Nairobi → 08:00 the next day.
  assert.deepEqual(locals(run({ type: 'once' }, { now: '2026-12-04T19:30:00Z', window: WINDOW })), ['2026-12-05 08:00']);
});

test('spread: the same minute on every call, within [0, spreadMinutes), varying between cases', () => {
  const schedule: ReminderSchedule = { ...OFFSETS, spreadMinutes: 45 };
  const minutes = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const first = run(schedule, { caseId: `case-${i}` });
    assert.deepEqual(run(schedule, { caseId: `case-${i}` }), first);
    for (const o of first.occurrences) {
      const delay = (Date.parse(o.at) - Date.parse(o.localTime.startsWith('2026-12-14') ? '2026-12-14T06:00:00Z' : '2026-12-20T06:00:00Z')) / 60_000;
      assert.ok(Number.isInteger(delay) && delay >= 0 && delay < 45, `${o.at}`);
      assert.equal(delay, spreadOffsetMinutes('r1', `case-${i}`, o.key, 45));
      minutes.add(delay);
    }
  }
  assert.ok(minutes.size > 10, `only ${minutes.size} different minutes`);
  assert.equal(spreadOffsetMinutes('r1', 'c1', 'k', undefined), 0);
});

test('spread is applied before the window: a late spread still lands inside it', () => {
  const schedule: ReminderSchedule = { type: 'daily', times: ['19:30'], spreadMinutes: 120 };
  for (let i = 0; i < 20; i++) {
    for (const o of run(schedule, { caseId: `c${i}`, window: WINDOW, limit: 5 }).occurrences) {
      const time = o.localTime.slice(11);
      assert.ok((time >= '19:30' && time <= '20:00') || time === '08:00', o.localTime);
    }
  }
});

test('weekly with repeat counts from `since`; stopWhen stops; limit caps daily', () => {
  const weekly: ReminderSchedule = { type: 'weekly', times: ['09:00'], weekdays: ['mon', 'thu'], repeat: 3 };
  // Mon 4 Jan and Thu 7 Jan are past (and counted); the third is Mon 11 Jan.
  const result = run(weekly, { since: '2027-01-04T00:00:00Z', now: '2027-01-08T00:00:00Z' });
  assert.deepEqual(locals(result), ['2027-01-11 09:00']);
  assert.equal(run({ ...weekly, repeat: undefined }, { now: '2027-01-08T00:00:00Z', limit: 3 }).occurrences.map((o) => o.key).join(','), '2027-01-11 09:00,2027-01-14 09:00,2027-01-18 09:00');
  const daily: ReminderSchedule = { type: 'daily', times: ['20:00', '08:00'], stopWhen: [{ property: 'status', op: 'eq', value: 'done' }] };
  assert.equal(run(daily).occurrences.length, 30);
  assert.deepEqual(locals(run(daily, { limit: 3 })), ['2026-12-01 08:00', '2026-12-01 20:00', '2026-12-02 08:00']);
  assert.deepEqual(run(daily, { properties: { status: 'done' } }).occurrences, []);
  assert.deepEqual(locals(run({ type: 'daily', times: ['09:00'], startProperty: 'visit', repeat: 2 })), ['2026-12-21 09:00', '2026-12-22 09:00']);
});

test('renderReminderText fills placeholders, formats dates in the language, reports missing ones', () => {
  const properties = { visit_date: '2027-01-12', clinic: 'Kisumu', late: '2027-01-12T23:30:00Z', blank: ' ' };
  const en = renderReminderText('Hi {name}, visit {clinic} on {visit_date}.{unknown}{blank}', { name: 'Amina', properties, language: 'en', zone: 'Africa/Nairobi' });
  assert.equal(en.text, 'Hi Amina, visit Kisumu on Jan 12, 2027.');
  assert.deepEqual(en.missing, ['unknown', 'blank']);
  assert.match(renderReminderText('{visit_date}', { name: 'A', properties, language: 'fr', zone: 'UTC' }).text, /^12 janv\.? 2027$/);
  // An instant is shown as the date on the contact's clock: 23:30Z is already the 13th in Nairobi.
  assert.equal(renderReminderText('{late}', { name: 'A', properties, language: 'en', zone: 'Africa/Nairobi' }).text, 'Jan 13, 2027');
  assert.equal(renderReminderText('{visit_date}', { name: 'A', properties, language: 'not a tag!', zone: 'UTC' }).text, 'Jan 12, 2027');
  assert.deepEqual(renderReminderText('{name}: {clinic}', { name: null, properties, language: 'sw', zone: 'UTC' }), { text: ': Kisumu', missing: ['name'] });
  assert.equal(renderReminderText('Pay 2027 {x} {y}', { name: 'A', properties: { x: '2027', y: '{name}' }, language: 'en', zone: 'UTC' }).text, 'Pay 2027 2027 {name}');
});
