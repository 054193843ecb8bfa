/**
 * @module domain/email — a practical email address check (one @, a dotted domain, no spaces).
 */

/** The address's shape, as a pattern both JavaScript and PostgreSQL read the same way (ASCII only). */
export const EMAIL_PATTERN = "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";

const EMAIL = new RegExp(EMAIL_PATTERN);

export function isEmailAddress(raw: string): boolean {
  const text = raw.trim();
  return text.length <= 254 && EMAIL.test(text) && !text.includes('..');
}
