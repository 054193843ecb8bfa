/**
 * @module domain/schedule — turning `sendAt` into an instant. A local wall time ('2031-01-15T09:00')
 * is read in the contact's zone: a time in a DST gap moves forward, an ambiguous one takes the
 * earlier instant (Temporal's 'compatible'). A time with an offset or Z is taken as that instant.
 */
import { Temporal } from 'temporal-polyfill';

const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

export interface Schedule {
  at: Date;
  /** The local wall time as given (null when an instant was given). */
  local: string | null;
  zone: string;
}

/**
 * Null when `sendAt` is a real date and time in one of the two forms; otherwise what is wrong with
 * it, worded to follow the field name ("sendAt must be …"). A form-shaped value that names no real
 * moment (2027-02-30, month 13, hour 25, offset +25:00) is refused here, never rolled over or sent now.
 */
export function sendAtProblem(value: string): string | null {
  if (!LOCAL.test(value) && !INSTANT.test(value)) {
    return 'must be a local date and time such as 2027-01-15T09:00 (or an instant with Z or an offset).';
  }
  if (resolveSendAt(value, 'UTC') === null) {
    return `is not a real date and time ("${value}"): the month must be 01–12, the day must exist in that month, the hour 00–23, the minutes 00–59 and an offset at most ±23:59.`;
  }
  return null;
}

export function isSendAt(value: string): boolean {
  return sendAtProblem(value) === null;
}

const DATE_PREFIX = /^(\d{4}-\d{2}-\d{2})(?![0-9])/;

/**
 * Whether a date or date-time filter value (2027-01-15, 2027-01-15T09:00:00Z, …) names a real moment.
 * JavaScript's Date rolls 2027-02-30 over to 2 March, so an ISO date part is checked on the calendar first.
 */
export function isRealDate(value: string): boolean {
  const prefix = DATE_PREFIX.exec(value)?.[1];
  if (prefix !== undefined) {
    try {
      Temporal.PlainDate.from(prefix, { overflow: 'reject' });
    } catch {
      return false;
    }
  }
  return !Number.isNaN(new Date(value).getTime());
}

/** Null when `sendAt` is not a valid date-time. */
export function resolveSendAt(sendAt: string, zone: string): Schedule | null {
  try {
    if (INSTANT.test(sendAt)) {
      return { at: new Date(Temporal.Instant.from(sendAt).epochMilliseconds), local: null, zone };
    }
    if (!LOCAL.test(sendAt)) {
      return null;
    }
    const local = Temporal.PlainDateTime.from(sendAt);
    const zoned = local.toZonedDateTime(zone, { disambiguation: 'compatible' });
    return { at: new Date(zoned.epochMilliseconds), local: sendAt, zone };
  } catch {
    return null;
  }
}
