/**
 * @module domain/case-contact — what a case's properties (DESIGN.md §3) say about it as a contact:
 * its normalised number, consent, email, effective zone and language, gateway override and problems.
 * Pure: the phone-entry state (one-way / two-way) is passed in by the caller.
 */
import type { ErrorCode } from '../errors.ts';
import { CONSENT_PROPERTY, isConsentValue } from './consent.ts';
import { isEmailAddress } from './email.ts';
import { matchLanguage } from './language.ts';
import { parsePhoneNumber, type PhoneParseResult } from './phone-number.ts';
import type { ProjectContactSettings } from './project.ts';
import { canonicalTimeZone } from './time-zone.ts';

export const CONTACT_PROPERTIES = {
  phone: 'contact_phone_number',
  consent: CONSENT_PROPERTY,
  email: 'commcare_email_address',
  timeZone: 'time_zone',
  language: 'language_code',
  gateway: 'contact_backend_id',
} as const;

export type PhoneStatus = 'none' | 'invalid' | 'one-way' | 'two-way';
export type EntryState = 'one-way' | 'pending' | 'two-way';

export interface ContactProblem {
  field: string;
  code: ErrorCode;
  message: string;
}

/** What the properties alone decide, before the phone registry is consulted. */
export interface CaseContactReading {
  phone: PhoneParseResult;
  smsConsent: boolean;
  email: string | null;
  timeZone: string;
  timeZoneIsFallback: boolean;
  language: string;
  languageIsFallback: boolean;
  gateway: string | null;
  problems: ContactProblem[];
}

export interface CaseContact {
  phoneNumber: string | null;
  phoneCountry: string | null;
  phoneStatus: PhoneStatus;
  smsConsent: boolean;
  email: string | null;
  timeZone: string;
  language: string;
  gateway: string | null;
  problems: ContactProblem[];
}

function present(value: string | undefined): string | null {
  if (value === undefined) {
    return null;
  }
  const t = value.trim();
  return t === '' ? null : t;
}

/** Normalises a gateway name as typed in contact_backend_id (' twilio_us ' → 'TWILIO_US'). */
export function normaliseGatewayName(raw: string): string {
  return raw.trim().toUpperCase();
}

export function readCaseContact(properties: Readonly<Record<string, string>>, project: ProjectContactSettings): CaseContactReading {
  const problems: ContactProblem[] = [];
  const phone = parsePhoneNumber(properties[CONTACT_PROPERTIES.phone] ?? null, {
    defaultCountry: project.defaultCountry,
    validation: project.phoneValidation,
  });
  if (phone.kind === 'invalid') {
    problems.push({ field: CONTACT_PROPERTIES.phone, code: 'INVALID_PHONE_NUMBER', message: phone.message });
  }
  let email: string | null = null;
  const rawEmail = present(properties[CONTACT_PROPERTIES.email]);
  if (rawEmail !== null) {
    if (isEmailAddress(rawEmail)) {
      email = rawEmail;
    } else {
      problems.push({ field: CONTACT_PROPERTIES.email, code: 'INVALID_EMAIL_ADDRESS', message: `"${rawEmail}" is not a valid email address.` });
    }
  }
  let timeZone = project.timeZone;
  let timeZoneIsFallback = true;
  const rawZone = present(properties[CONTACT_PROPERTIES.timeZone]);
  if (rawZone !== null) {
    const zone = canonicalTimeZone(rawZone);
    if (zone) {
      timeZone = zone;
      timeZoneIsFallback = false;
    } else {
      problems.push({
        field: CONTACT_PROPERTIES.timeZone,
        code: 'INVALID_TIME_ZONE',
        message: `"${rawZone}" is not a known time zone (use a name such as America/New_York); the project time zone ${project.timeZone} is used.`,
      });
    }
  }
  let language = project.defaultLanguage;
  let languageIsFallback = true;
  const rawLanguage = present(properties[CONTACT_PROPERTIES.language]);
  if (rawLanguage !== null) {
    const match = matchLanguage(rawLanguage, project.languages);
    if (match) {
      language = match;
      languageIsFallback = false;
    } else {
      problems.push({
        field: CONTACT_PROPERTIES.language,
        code: 'UNKNOWN_LANGUAGE',
        message: `"${rawLanguage}" is not one of the project's SMS languages (${project.languages.join(', ')}); ${project.defaultLanguage} is used.`,
      });
    }
  }
  const rawGateway = present(properties[CONTACT_PROPERTIES.gateway]);
  return {
    phone,
    smsConsent: isConsentValue(properties[CONTACT_PROPERTIES.consent]),
    email,
    timeZone,
    timeZoneIsFallback,
    language,
    languageIsFallback,
    gateway: rawGateway === null ? null : normaliseGatewayName(rawGateway),
    problems,
  };
}

/** Whether the case asks for the number as two-way: a valid number with consent. */
export function wantsTwoWay(reading: CaseContactReading): boolean {
  return reading.phone.kind === 'valid' && reading.smsConsent;
}

/** Combines the reading with the registry state of the case's entry (null: no entry). */
export function toCaseContact(reading: CaseContactReading, entryState: EntryState | null, active: boolean): CaseContact {
  const problems = [...reading.problems];
  let phoneStatus: PhoneStatus;
  if (reading.phone.kind === 'none') {
    phoneStatus = 'none';
  } else if (reading.phone.kind === 'invalid') {
    phoneStatus = 'invalid';
  } else if (!active || entryState === null) {
    phoneStatus = 'none';
  } else {
    phoneStatus = entryState === 'two-way' ? 'two-way' : 'one-way';
    if (phoneStatus === 'one-way' && wantsTwoWay(reading)) {
      problems.push({
        field: CONTACT_PROPERTIES.phone,
        code: 'PHONE_NUMBER_IN_USE',
        message: 'Another contact (in this or another project) already receives replies from this number, so this case can be sent to but its replies go to that contact.',
      });
    }
  }
  return {
    phoneNumber: reading.phone.kind === 'valid' ? reading.phone.e164 : null,
    phoneCountry: reading.phone.kind === 'valid' ? reading.phone.country : null,
    phoneStatus,
    smsConsent: reading.smsConsent,
    email: reading.email,
    timeZone: reading.timeZone,
    language: reading.language,
    gateway: reading.gateway,
    problems,
  };
}
