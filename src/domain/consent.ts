/**
 * @module domain/consent — reading the consent property of a case.
 * `contact_phone_number_is_verified` means consent only when its trimmed, lower-cased value is `1` or
 * `true`. CommCare treats any non-empty string as yes (so "0" counts); we do not copy that bug.
 */

export const CONSENT_PROPERTY = 'contact_phone_number_is_verified';

export function isConsentValue(value: string | undefined | null): boolean {
  if (value === undefined || value === null) {
    return false;
  }
  const v = value.trim().toLowerCase();
  return v === '1' || v === 'true';
}
