/**
 * @module domain/reminder-rule — the shape of a reminder rule (issue 25; API.md "Reminder rules")
 * and whether a case's properties meet its conditions.
 *
 * Validation: `reminderRuleSchema` (zod) plus `validateReminderRule`, whose problems name the field
 * the way the API reports it (`schedule.offsets[0].time: use HH:MM, 00:00–23:59`).
 *
 * Conditions (all must hold; an empty list always holds). Property values are strings; a missing
 * property counts as ''. A condition's `value` may be a JSON string or number (compared as text).
 * - `set` / `empty`: the property has / has no value after trimming whitespace.
 * - `eq` / `ne`: when both sides are numbers, numeric equality (`5` eq `5.0`); else the trimmed
 *   strings compared exactly (case-sensitive). `ne` is the negation of `eq` (so an empty property
 *   is `ne` any non-empty value).
 * - `lt` / `gt`: as numbers when both sides are finite numbers; as dates when both are ISO dates
 *   (`YYYY-MM-DD` or a date-time, of which the date part as written counts); otherwise false.
 * - `withinDays` (value N, a whole number): the property is a date d with today ≤ d ≤ today + N;
 *   a negative N means "within the last |N| days": today + N ≤ d ≤ today. Not a date: false.
 */
import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';

import { isLanguageCode } from './language.ts';
import { isRealDate } from './schedule.ts';

export const CONDITION_OPS = ['eq', 'ne', 'set', 'empty', 'lt', 'gt', 'withinDays'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}.*)?$/;

/** A local wall time "HH:MM". */
export const timeOfDaySchema = z.string().regex(TIME, { error: 'use HH:MM, 00:00–23:59' });

const valueSchema = z.union([z.string().max(500), z.number()], { error: 'must be a string or a number' });

export const conditionSchema = z
  .strictObject({
    property: z.string().trim().min(1, { error: 'name a case property' }).max(100),
    op: z.enum(CONDITION_OPS, { error: `use one of ${CONDITION_OPS.join(', ')}` }),
    value: valueSchema.optional(),
  })
  .superRefine((c, ctx) => {
    const needsValue = c.op !== 'set' && c.op !== 'empty';
    const text = c.value === undefined ? '' : String(c.value).trim();
    if (needsValue && text === '') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `required for op "${c.op}"` });
    } else if (c.op === 'withinDays' && !(INTEGER.test(text) && Math.abs(Number(text)) <= 36500)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'use a whole number of days, e.g. 7 (next 7 days) or -7 (last 7 days)' });
    } else if ((c.op === 'lt' || c.op === 'gt') && asNumber(text) === null && parseDatePart(text) === null) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `"${c.op}" compares numbers or dates: use a number or a date YYYY-MM-DD` });
    }
  });
export type Condition = z.infer<typeof conditionSchema>;

export const offsetSchema = z.strictObject({
  days: z.number().int({ error: 'use a whole number of days (negative: before the date)' }).min(-3650).max(3650),
  time: timeOfDaySchema,
});

export const scheduleSchema = z
  .strictObject({
    type: z.enum(['once', 'daily', 'weekly', 'offsets'], { error: 'use once, daily, weekly or offsets' }),
    startProperty: z.string().trim().min(1, { error: 'name a case property that holds a date' }).max(100).optional(),
    offsets: z.array(offsetSchema).max(50).optional(),
    times: z.array(timeOfDaySchema).max(24).optional(),
    weekdays: z.array(z.enum(WEEKDAYS, { error: `use ${WEEKDAYS.join(', ')}` })).max(7).optional(),
    repeat: z.number().int().min(1, { error: 'must be at least 1' }).max(1000).optional(),
    stopWhen: z.array(conditionSchema).max(50).optional(),
    /** Spread load: each occurrence moves by a deterministic 0 … spreadMinutes−1 minutes. */
    spreadMinutes: z.number().int().min(1, { error: 'must be at least 1' }).max(1440).optional(),
  })
  .superRefine((s, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (s.type === 'offsets') {
      if (s.startProperty === undefined) {
        problem('startProperty', 'required when type is "offsets": the case property holding the date');
      }
      if (!s.offsets?.length) {
        problem('offsets', 'required when type is "offsets", e.g. [{"days":-7,"time":"09:00"}]');
      }
    }
    if (s.type === 'once' && s.startProperty !== undefined && s.offsets?.length !== 1) {
      problem('offsets', 'a "once" rule with startProperty needs exactly one offset, e.g. [{"days":0,"time":"09:00"}]');
    }
    if (s.type === 'once' && s.startProperty === undefined && s.offsets !== undefined) {
      problem('offsets', 'needs startProperty (without it, "once" sends when the case starts to match)');
    }
    if ((s.type === 'daily' || s.type === 'weekly') && !s.times?.length) {
      problem('times', `required when type is "${s.type}", e.g. ["08:00"]`);
    }
    if (s.type === 'weekly' && !s.weekdays?.length) {
      problem('weekdays', 'required when type is "weekly", e.g. ["mon","thu"]');
    }
  });
export type ReminderSchedule = z.infer<typeof scheduleSchema>;

export const windowSchema = z
  .strictObject({ from: timeOfDaySchema, to: timeOfDaySchema })
  .refine((w) => w.from < w.to, { path: ['to'], error: 'must be later than window.from (a window cannot span midnight)' });
export type SendWindow = z.infer<typeof windowSchema>;

export const contentSchema = z
  .strictObject({
    surveyId: z.string().min(1).max(64).optional(),
    channel: z.enum(['sms', 'email'], { error: 'use sms or email' }).optional(),
    text: z.string().trim().min(1, { error: 'must not be empty' }).max(5000).optional(),
    translations: z.record(z.string(), z.string().trim().min(1, { error: 'must not be empty' }).max(5000)).optional(),
    subject: z.string().trim().max(200).optional(),
  })
  .superRefine((c, ctx) => {
    for (const code of Object.keys(c.translations ?? {})) {
      if (!isLanguageCode(code)) {
        ctx.addIssue({ code: 'custom', path: ['translations', code], message: 'use a language code such as en, fr, sw or pt-BR' });
      }
    }
    const hasText = c.text !== undefined || Object.keys(c.translations ?? {}).length > 0;
    if (c.surveyId !== undefined && hasText) {
      ctx.addIssue({ code: 'custom', path: ['surveyId'], message: 'give either surveyId or text/translations, not both' });
    } else if (c.surveyId === undefined && !hasText) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'give text or translations (or a surveyId)' });
    }
  });
export type ReminderContent = z.infer<typeof contentSchema>;

export const reminderRuleSchema = z.object({
  name: z.string().trim().min(1, { error: 'must not be empty' }).max(200),
  caseType: z.string().trim().min(1, { error: 'must not be empty' }).max(100),
  conditions: z.array(conditionSchema).max(50).default([]),
  recipients: z.enum(['case', 'owner', 'both'], { error: 'use case, owner or both' }).default('case'),
  content: contentSchema,
  schedule: scheduleSchema,
  window: windowSchema.optional(),
  active: z.boolean().default(true),
});
export type ReminderRule = z.infer<typeof reminderRuleSchema>;
/** The body as sent (defaults not yet applied). */
export type ReminderRuleInput = z.input<typeof reminderRuleSchema>;

export interface FieldProblem {
  /** `schedule.offsets[0].time`, `conditions[1].value`, … */
  field: string;
  message: string;
}

/** `['schedule','offsets',0,'time']` → `schedule.offsets[0].time` (with an optional prefix). */
export function fieldName(path: readonly PropertyKey[], prefix = ''): string {
  let name = prefix;
  for (const part of path) {
    name += typeof part === 'number' ? `[${part}]` : `${name === '' ? '' : '.'}${String(part)}`;
  }
  return name;
}

/** The problems of a failed zod parse, each naming its field. */
export function fieldProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => ({ field: fieldName(issue.path, prefix) || '(body)', message: issue.message }));
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Parses a whole rule (POST body); problems name the field, e.g. `schedule.times[0]`. */
export function validateReminderRule(input: unknown): ValidationResult<ReminderRule> {
  const parsed = reminderRuleSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: fieldProblems(parsed.error) };
}

/** A finite number written in decimal ('12', '-2.5', '1e3'), else null. Blank is not a number. */
export function asNumber(value: string): number | null {
  const text = value.trim();
  if (!NUMBER.test(text)) {
    return null;
  }
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/**
 * The calendar date of an ISO date (`2027-01-15`) or date-time (`2027-01-15T09:00:00Z`: the date
 * part as written), or null when it is not one or names no real day/time.
 */
export function parseDatePart(value: string): Temporal.PlainDate | null {
  const match = ISO_DATE.exec(value.trim());
  if (match === null || match[1] === undefined) {
    return null;
  }
  if (match[2] !== undefined && !isRealDate(value.trim())) {
    return null;
  }
  try {
    return Temporal.PlainDate.from(match[1], { overflow: 'reject' });
  } catch {
    return null;
  }
}

function equals(a: string, b: string): boolean {
  const x = asNumber(a);
  const y = asNumber(b);
  return x !== null && y !== null ? x === y : a.trim() === b.trim();
}

/** -1, 0, 1 when both are numbers or both dates; null when they cannot be compared. */
function compare(a: string, b: string): number | null {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== null && y !== null) {
    return Math.sign(x - y);
  }
  const d = parseDatePart(a);
  const e = parseDatePart(b);
  return d !== null && e !== null ? Temporal.PlainDate.compare(d, e) : null;
}

/** Whether one condition holds (see the module comment for the semantics). */
export function conditionHolds(properties: Readonly<Record<string, string>>, condition: Condition, today: Temporal.PlainDate): boolean {
  const actual = properties[condition.property] ?? '';
  const value = condition.value === undefined ? '' : String(condition.value);
  switch (condition.op) {
    case 'set':
      return actual.trim() !== '';
    case 'empty':
      return actual.trim() === '';
    case 'eq':
      return equals(actual, value);
    case 'ne':
      return !equals(actual, value);
    case 'lt':
      return compare(actual, value) === -1;
    case 'gt':
      return compare(actual, value) === 1;
    case 'withinDays': {
      const date = parseDatePart(actual);
      const days = value.trim();
      if (date === null || !INTEGER.test(days)) {
        return false;
      }
      const other = today.add({ days: Number(days) });
      const [from, to] = Temporal.PlainDate.compare(other, today) < 0 ? [other, today] : [today, other];
      return Temporal.PlainDate.compare(from, date) <= 0 && Temporal.PlainDate.compare(date, to) <= 0;
    }
  }
}

/** True when every condition holds (an empty list always holds). `today` is in the case's zone. */
export function matchesConditions(
  properties: Readonly<Record<string, string>>,
  conditions: readonly Condition[],
  today: Temporal.PlainDate,
): boolean {
  return conditions.every((c) => conditionHolds(properties, c, today));
}
