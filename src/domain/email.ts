/**
 * @module domain/email — a practical email address check (one @, a dotted domain, no spaces).
 */

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isEmailAddress(raw: string): boolean {
  const text = raw.trim();
  return text.length <= 254 && EMAIL.test(text) && !text.includes('..');
}
