/**
 * @module domain/phone-number — normalises what people type (or spreadsheets hold) into E.164.
 * Rules (DESIGN.md §5): digits without '+' are read as international first; if that is not a number
 * and the project has a default country, the national reading is tried; a leading trunk '0' means
 * national. Letters are invalid. Numbers from spreadsheets ('12068130912', '1.2068130912E10') keep
 * every digit. Validity is libphonenumber's full check ('strict') or length only ('possible').
 */
import { type CountryCode, getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js/max';

export type PhoneValidation = 'strict' | 'possible';

export type PhoneReading = 'international' | 'national';

export type PhoneParseResult =
  | { kind: 'none' }
  | { kind: 'valid'; e164: string; country: string | null; reading: PhoneReading }
  | { kind: 'invalid'; input: string; reason: PhoneInvalidReason; message: string };

export type PhoneInvalidReason =
  | 'HAS_LETTERS'
  | 'BAD_CHARACTERS'
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'UNKNOWN_COUNTRY_CODE'
  | 'NOT_IN_USE'
  | 'NO_COUNTRY'
  | 'NOT_A_NUMBER';

export interface PhoneParseOptions {
  /** ISO 3166 alpha-2 country for national readings (Default: none). */
  defaultCountry?: string | null;
  /** 'strict' checks the numbering plan, 'possible' only the length (Default: 'strict'). */
  validation?: PhoneValidation;
}

const MAX_INPUT = 64;
const SCIENTIFIC = /^(\d+)(?:\.(\d+))?[eE]\+?(\d{1,3})$/;
const DECIMAL_ZERO = /^(\d+)\.0+$/;
const ALLOWED = /^[\d\s().\-/]*$/;

/** Converts a numeric spreadsheet cell to its digits without float loss ('1.2068130912E10' → '12068130912'). */
export function spreadsheetDigits(text: string): string | null {
  const sci = SCIENTIFIC.exec(text);
  if (sci) {
    const [, whole = '', fraction = '', exp = '0'] = sci;
    const shift = Number(exp);
    if (fraction.length > shift) {
      return null;
    }
    return whole + fraction + '0'.repeat(shift - fraction.length);
  }
  const dec = DECIMAL_ZERO.exec(text);
  return dec ? (dec[1] ?? null) : null;
}

function invalid(input: string, reason: PhoneInvalidReason, message: string): PhoneParseResult {
  return { kind: 'invalid', input, reason, message };
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

function countryName(code: string): string {
  try {
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

type Parsed = NonNullable<ReturnType<typeof parsePhoneNumberFromString>>;

function isAcceptable(parsed: Parsed | undefined, validation: PhoneValidation): parsed is Parsed {
  if (parsed === undefined || !(validation === 'strict' ? parsed.isValid() : parsed.isPossible())) {
    return false;
  }
  // libphonenumber drops one trunk 0 after the country code ('+63 0 2…' → '+632…'). A result whose
  // E.164 form would lose another digit when read again (found by fuzzing: '630021239398047' in
  // 'possible' mode) is not a stable number: stored, it would never match itself. Only numbers
  // whose national part starts with 0 can do this, so only they are read twice.
  return !parsed.nationalNumber.startsWith('0') || parsePhoneNumberFromString(parsed.number)?.number === parsed.number;
}

function valid(parsed: Parsed, reading: PhoneReading): PhoneParseResult {
  return { kind: 'valid', e164: parsed.number, country: parsed.country ?? null, reading };
}

/** Explains why '+digits' is not a number, in words a program manager can act on. */
function explainInternational(input: string, digits: string, parsed: Parsed | undefined): PhoneParseResult {
  const cc = parsed?.countryCallingCode;
  const where = parsed?.country ? `${countryName(parsed.country)} (+${cc})` : cc ? `country code +${cc}` : 'its country code';
  if (parsed?.isPossible()) {
    return invalid(input, 'NOT_IN_USE', `"${input}" has the right length for ${where} but is not a number in use there (for example, its area code does not exist): check the digits.`);
  }
  const lengthProblem = validatePhoneNumberLength('+' + digits);
  if (lengthProblem === 'INVALID_COUNTRY') {
    return invalid(input, 'UNKNOWN_COUNTRY_CODE', `"${input}" does not start with a known country code; enter the country code first (for example 254 for Kenya).`);
  }
  if (lengthProblem === 'TOO_SHORT') {
    return invalid(input, 'TOO_SHORT', `"${input}" is too short for ${where}: check the digits.`);
  }
  if (lengthProblem === 'TOO_LONG') {
    return invalid(input, 'TOO_LONG', `"${input}" is too long for ${where}: check the digits.`);
  }
  return invalid(input, 'NOT_A_NUMBER', `"${input}" is not a valid phone number for ${where}: check the digits.`);
}

function explainNational(input: string, digits: string, country: CountryCode): PhoneParseResult {
  const lengthProblem = validatePhoneNumberLength(digits, country);
  const name = countryName(country);
  if (lengthProblem === 'TOO_SHORT') {
    return invalid(input, 'TOO_SHORT', `"${input}" is too short for a number in ${name}: check the digits.`);
  }
  if (lengthProblem === 'TOO_LONG') {
    return invalid(input, 'TOO_LONG', `"${input}" is too long for a number in ${name}: check the digits.`);
  }
  return invalid(input, 'NOT_A_NUMBER', `"${input}" is not a valid number for ${name}: check the digits.`);
}

/** Normalises a phone input. Never throws. */
export function parsePhoneNumber(raw: unknown, options: PhoneParseOptions = {}): PhoneParseResult {
  const validation = options.validation ?? 'strict';
  const country = options.defaultCountry && isSupportedCountry(options.defaultCountry) ? options.defaultCountry : null;
  if (raw === null || raw === undefined) {
    return { kind: 'none' };
  }
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw < 0) {
      return invalid(String(raw), 'NOT_A_NUMBER', `${String(raw)} is not a whole number, so it cannot be a phone number.`);
    }
    text = String(raw);
  } else if (typeof raw === 'string') {
    text = raw.trim();
  } else {
    return invalid(String(raw), 'NOT_A_NUMBER', 'The phone number must be text or digits.');
  }
  if (text === '' || text === '0') {
    return { kind: 'none' };
  }
  if (text.length > MAX_INPUT) {
    return invalid(text.slice(0, MAX_INPUT) + '…', 'TOO_LONG', 'The phone number is far too long.');
  }
  const fromSheet = spreadsheetDigits(text);
  if (fromSheet !== null) {
    text = fromSheet;
  }
  let international = false;
  let body = text;
  if (body.startsWith('+')) {
    international = true;
    body = body.slice(1);
  }
  if (/\p{L}/u.test(body)) {
    return invalid(text, 'HAS_LETTERS', `"${text}" contains letters; a phone number may only have digits (letters such as 1-800-FLOWERS are not dialled).`);
  }
  if (!ALLOWED.test(body)) {
    return invalid(text, 'BAD_CHARACTERS', `"${text}" contains characters other than digits, spaces, dashes, dots and brackets.`);
  }
  let digits = body.replace(/\D/g, '');
  if (!international && digits.startsWith('00')) {
    international = true;
    digits = digits.slice(2);
  }
  if (digits === '') {
    return invalid(text, 'NOT_A_NUMBER', `"${text}" has no digits.`);
  }
  // No country code starts with 0, so a leading 0 (the trunk prefix) means a national number.
  const asInternational = international || !digits.startsWith('0') ? parsePhoneNumberFromString('+' + digits) : undefined;
  if (isAcceptable(asInternational, validation)) {
    return valid(asInternational, 'international');
  }
  if (international) {
    return explainInternational(text, digits, asInternational);
  }
  if (country) {
    const asNational = parsePhoneNumberFromString(digits, country);
    if (isAcceptable(asNational, validation)) {
      return valid(asNational, 'national');
    }
    return digits.startsWith('0') ? explainNational(text, digits, country) : explainInternational(text, digits, asInternational);
  }
  if (digits.startsWith('0')) {
    return invalid(text, 'NO_COUNTRY', `"${text}" is a national number (it starts with 0) and the project has no default country: enter it with the country code first, without the 0.`);
  }
  return explainInternational(text, digits, asInternational);
}

/** Reads a number given in a URL path or API field: E.164, digits, or national with the country. */
export function normaliseLookupNumber(raw: string, defaultCountry?: string | null): string | null {
  const result = parsePhoneNumber(raw, { defaultCountry, validation: 'possible' });
  return result.kind === 'valid' ? result.e164 : null;
}

/** The country calling code for an ISO country, or null. */
export function callingCodeOf(country: string): string | null {
  return isSupportedCountry(country) ? getCountryCallingCode(country) : null;
}

export function isSupportedCountryCode(country: string): boolean {
  return isSupportedCountry(country);
}
