/**
 * @module domain/time-zone — IANA time zone names, validated against the runtime's ICU data.
 */

const NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** Returns the canonical spelling of an IANA zone ('america/new_york' → 'America/New_York'), or null. */
export function canonicalTimeZone(raw: string): string | null {
  const text = raw.trim();
  if (text === '' || text.length > 64 || !NAME.test(text)) {
    return null;
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}
