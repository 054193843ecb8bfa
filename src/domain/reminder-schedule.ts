/**
 * @module domain/reminder-schedule — when a reminder rule sends to one case (issue 25), and the
 * text it sends. Pure: the caller resolves the zone (contact's, else project's) and stores what was
 * sent under each occurrence's key, so nothing is sent twice for the same rule, case and occurrence.
 *
 * Local times are read in `zone`, DST-safe: a time in a spring-forward gap moves to the end of the
 * gap (02:30 on a day that jumps 02:00 → 03:00 is sent at 03:00); an ambiguous fall-back time
 * takes the earlier instant. (Unlike `sendAt` in domain/schedule.ts, which shifts by the gap.)
 *
 * Each occurrence: nominal local date + time → instant → `+ spread` (deterministic per
 * rule + case + key, in [0, spreadMinutes)) → moved into the window (before `from`: the same day at
 * `from`; after `to`: the next day at `from`; `to` itself is allowed). Keys are nominal:
 * - offsets: `${startDate}:${days}:${time}` (a new date gives new keys; old ones become stale);
 * - daily / weekly: `${localDate} ${time}`; once: `once`, or `once:${startDate}` with startProperty.
 * Occurrences before `now` are dropped, except that `once` without startProperty is at `now`.
 * A start date (`startProperty`) is an ISO date or date-time, of which the date part as written counts.
 */
import { Temporal } from 'temporal-polyfill';

import { asNumber, matchesConditions, parseDatePart, type ReminderSchedule, type SendWindow, type Weekday, WEEKDAYS } from './reminder-rule.ts';

export interface Occurrence {
  /** Stable per rule + case + occurrence (see the module comment). */
  key: string;
  /** When to send, UTC ISO ('2026-12-14T06:00:00.000Z'), after spread and window. */
  at: string;
  /** The same moment on the contact's clock: '2026-12-14 09:00'. */
  localTime: string;
  zone: string;
}

export interface OccurrencesInput {
  schedule: ReminderSchedule;
  window?: SendWindow | undefined;
  properties: Readonly<Record<string, string>>;
  /** IANA zone, already resolved by the caller (contact's, else project's). */
  zone: string;
  now: Temporal.Instant | Date | string;
  ruleId: string;
  caseId: string;
  /**
   * When the case started to match the rule (default `now`). A daily/weekly series without
   * startProperty starts on that local day, so `repeat` counts from there, not from each evaluation.
   */
  since?: Temporal.Instant | Date | string | undefined;
  /**
   * Daily/weekly series only: occurrences up to now + horizonDays (default 400). Offsets and once
   * are few and fixed by the case's date, so all of them are planned however far ahead they fall.
   */
  horizonDays?: number | undefined;
  /** Daily/weekly: at most this many upcoming occurrences (default 30). */
  limit?: number | undefined;
}

export interface OccurrencesResult {
  occurrences: Occurrence[];
  /** Why there are none when the schedule cannot be read for this case (e.g. the date property). */
  problem?: string;
}

/** An instant from a Temporal.Instant, a Date or an ISO string with Z or an offset. */
export function toInstant(value: Temporal.Instant | Date | string): Temporal.Instant {
  if (value instanceof Temporal.Instant) {
    return value;
  }
  return value instanceof Date ? Temporal.Instant.fromEpochMilliseconds(value.getTime()) : Temporal.Instant.from(value);
}

/** A local date and time in `zone`: a gap moves to its end (03:00), an overlap takes the earlier. */
export function atLocal(date: Temporal.PlainDate, time: Temporal.PlainTime, zone: string): Temporal.ZonedDateTime {
  const wall = date.toPlainDateTime(time);
  const zoned = wall.toZonedDateTime(zone, { disambiguation: 'compatible' });
  if (Temporal.PlainDateTime.compare(zoned.toPlainDateTime(), wall) === 0) {
    return zoned;
  }
  // In a gap 'compatible' shifts forward by the gap's length (02:30 → 03:30); the gap ends at the transition.
  return zoned.getTimeZoneTransition('previous') ?? zoned;
}

/** FNV-1a (32 bit): a stable hash, the same on every run and machine. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The spread of one occurrence in whole minutes: in [0, spreadMinutes), the same on every call. */
export function spreadOffsetMinutes(ruleId: string, caseId: string, key: string, spreadMinutes: number | undefined): number {
  if (spreadMinutes === undefined || spreadMinutes <= 1) {
    return 0;
  }
  return hash(`${ruleId}\u0000${caseId}\u0000${key}`) % Math.floor(spreadMinutes);
}

/** Moves a moment into the send window: before `from` → `from` that day; after `to` → `from` the next day. */
export function moveIntoWindow(moment: Temporal.ZonedDateTime, window: SendWindow | undefined): Temporal.ZonedDateTime {
  if (window === undefined) {
    return moment;
  }
  const from = Temporal.PlainTime.from(window.from);
  const to = Temporal.PlainTime.from(window.to);
  const time = moment.toPlainTime();
  if (Temporal.PlainTime.compare(time, from) < 0) {
    return atLocal(moment.toPlainDate(), from, moment.timeZoneId);
  }
  if (Temporal.PlainTime.compare(time, to) > 0) {
    return atLocal(moment.toPlainDate().add({ days: 1 }), from, moment.timeZoneId);
  }
  return moment;
}

function localTimeText(moment: Temporal.ZonedDateTime): string {
  return `${moment.toPlainDate().toString()} ${moment.toPlainTime().toString({ smallestUnit: 'minute' })}`;
}

type AddResult = 'added' | 'past' | 'beyond';

const WEEKDAY_NUMBER: Record<Weekday, number> = Object.fromEntries(WEEKDAYS.map((d, i) => [d, i + 1])) as Record<Weekday, number>;

/** The occurrences of one rule for one case, sorted by `at` (see the module comment). `schedule` and `window` must have passed their schemas. */
export function occurrences(input: OccurrencesInput): OccurrencesResult {
  const { schedule, zone } = input;
  const now = toInstant(input.now);
  const nowLocal = now.toZonedDateTimeISO(zone);
  const horizon = now.add({ hours: 24 * (input.horizonDays ?? 400) });
  const isSeries = schedule.type === 'daily' || schedule.type === 'weekly';
  const limit = input.limit ?? 30;
  if (schedule.stopWhen?.length && matchesConditions(input.properties, schedule.stopWhen, nowLocal.toPlainDate())) {
    return { occurrences: [] };
  }

  const found: Occurrence[] = [];
  /** Adds the occurrence when it is due from now on (a series: up to the horizon). */
  const add = (key: string, nominal: Temporal.ZonedDateTime, keepPast = false): AddResult => {
    const spread = spreadOffsetMinutes(input.ruleId, input.caseId, key, schedule.spreadMinutes);
    const moment = moveIntoWindow(nominal.add({ minutes: spread }), input.window);
    const at = moment.toInstant();
    if (isSeries && Temporal.Instant.compare(at, horizon) > 0) {
      return 'beyond';
    }
    if (!keepPast && Temporal.Instant.compare(at, now) < 0) {
      return 'past';
    }
    found.push({ key, at: new Date(at.epochMilliseconds).toISOString(), localTime: localTimeText(moment), zone });
    return 'added';
  };

  if (schedule.type === 'once' && schedule.startProperty === undefined) {
    add('once', nowLocal, true);
    return { occurrences: found };
  }

  let start: Temporal.PlainDate | null = null;
  if (schedule.startProperty !== undefined) {
    const raw = (input.properties[schedule.startProperty] ?? '').trim();
    if (raw === '') {
      return { occurrences: [], problem: `case property "${schedule.startProperty}" has no date` };
    }
    start = parseDatePart(raw);
    if (start === null) {
      return { occurrences: [], problem: `case property "${schedule.startProperty}" is not a date ("${raw}"): use YYYY-MM-DD` };
    }
  }

  if (schedule.type === 'once' || schedule.type === 'offsets') {
    const startDate = start;
    if (startDate === null) {
      return { occurrences: [], problem: `a schedule of type "${schedule.type}" needs startProperty` };
    }
    for (const offset of schedule.offsets ?? []) {
      const nominal = atLocal(startDate.add({ days: offset.days }), Temporal.PlainTime.from(offset.time), zone);
      add(schedule.type === 'once' ? `once:${startDate.toString()}` : `${startDate.toString()}:${offset.days}:${offset.time}`, nominal);
    }
  } else {
    series(input, start ?? toInstant(input.since ?? now).toZonedDateTimeISO(zone).toPlainDate(), nowLocal.toPlainDate(), limit, add);
  }
  found.sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key));
  return { occurrences: found };
}

/** Daily/weekly: walks the days from `first`, counting every occurrence (past ones too) for `repeat`. */
function series(
  input: OccurrencesInput,
  first: Temporal.PlainDate,
  today: Temporal.PlainDate,
  limit: number,
  add: (key: string, nominal: Temporal.ZonedDateTime) => AddResult,
): void {
  const { schedule, zone } = input;
  const times = [...new Set(schedule.times ?? [])].sort();
  const days = new Set((schedule.weekdays ?? []).map((d) => WEEKDAY_NUMBER[d]));
  if (times.length === 0 || (schedule.type === 'weekly' && days.size === 0)) {
    return;
  }
  let day = first;
  // Without `repeat` nothing before now counts: start a few days back (a late time moved by the
  // window or spread into today still counts), not on a first day years ago.
  const recent = today.subtract({ days: 3 });
  if (schedule.repeat === undefined && Temporal.PlainDate.compare(day, recent) < 0) {
    day = recent;
  }
  let counted = 0;
  let added = 0;
  for (let walked = 0; walked < 20_000; walked++, day = day.add({ days: 1 })) {
    if (schedule.type === 'weekly' && !days.has(day.dayOfWeek)) {
      continue;
    }
    for (const time of times) {
      if (schedule.repeat !== undefined && counted >= schedule.repeat) {
        return;
      }
      counted++;
      const result = add(`${day.toString()} ${time}`, atLocal(day, Temporal.PlainTime.from(time), zone));
      added += result === 'added' ? 1 : 0;
      if (result === 'beyond' || added >= limit) {
        return;
      }
    }
  }
}

export interface RenderContext {
  /** The case's name for `{name}`. */
  name: string | null | undefined;
  properties: Readonly<Record<string, string>>;
  /** The contact's language (BCP 47); dates fall back to 'en' when the runtime does not know it. */
  language: string;
  /** The contact's zone: a date-time with Z or an offset is shown as the date on the contact's clock. */
  zone: string;
}

export interface RenderedText {
  text: string;
  /** Placeholders with no value (absent or blank), each once, in order: they were replaced by ''. */
  missing: string[];
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Date formats by language and zone, made once: building an Intl.DateTimeFormat costs far more than
 * formatting with one (a batch of reminders formats thousands of dates in a few languages). A memo
 * of pure values, bounded: it is emptied when it grows past a few hundred formats.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(language: string, zone: string): Intl.DateTimeFormat {
  const key = `${language}\u0000${zone}`;
  let format = formats.get(key);
  if (format === undefined) {
    let locale = 'en';
    try {
      locale = Intl.DateTimeFormat.supportedLocalesOf([language])[0] ?? 'en';
    } catch {
      // not a well-formed language tag
    }
    if (formats.size >= 500) {
      formats.clear();
    }
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: zone });
    formats.set(key, format);
  }
  return format;
}

/** A value shown in a message: an ISO date (or date-time) as a medium date in the language, else as is. */
export function formatValue(value: string, language: string, zone: string): string {
  const date = asNumber(value) === null ? parseDatePart(value) : null;
  if (date === null) {
    return value;
  }
  const text = value.trim();
  if (text.includes('T') && ZONED.test(text)) {
    try {
      return dateFormat(language, zone).format(new Date(toInstant(text).epochMilliseconds));
    } catch {
      // an instant Temporal does not read, or a zone Intl does not know: show its date part as written
    }
  }
  const utcNoon = Date.UTC(date.year, date.month - 1, date.day, 12);
  return dateFormat(language, 'UTC').format(new Date(utcNoon));
}

/** Fills `{name}` and `{property}` placeholders; unknown or blank ones become '' and are listed in `missing`. */
export function renderReminderText(template: string, context: RenderContext): RenderedText {
  const missing: string[] = [];
  const text = template.replace(PLACEHOLDER, (_whole, key: string) => {
    const raw = key === 'name' ? (context.name ?? '') : (context.properties[key] ?? '');
    if (raw.trim() === '') {
      if (!missing.includes(key)) {
        missing.push(key);
      }
      return '';
    }
    return formatValue(raw.trim(), context.language, context.zone);
  });
  return { text, missing };
}
