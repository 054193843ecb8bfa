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

export function isSendAt(value: string): boolean {
  return LOCAL.test(value) || INSTANT.test(value);
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
