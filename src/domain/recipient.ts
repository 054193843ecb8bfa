/**
 * @module domain/recipient — a message recipient as the send checks see it, and the checks
 * themselves, in the order of the outbound issue: the first failing code is the message's error.
 */
import { type CountryCode, getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/max';

import type { ErrorCode } from '../errors.ts';
import type { Channel } from './gateway.ts';

export type RecipientPhone = { kind: 'none' } | { kind: 'invalid' } | { kind: 'valid'; e164: string; country: string | null; twoWay: boolean };
export type RecipientEmail = { kind: 'none' } | { kind: 'invalid' } | { kind: 'valid'; address: string };

export interface Recipient {
  contact: { type: 'case' | 'mobile-worker'; id: string } | null;
  active: boolean;
  phone: RecipientPhone;
  email: RecipientEmail;
  smsConsent: boolean;
  language: string;
  timeZone: string;
  /** contact_backend_id, upper-cased. */
  gatewayOverride: string | null;
}

export interface ContactCheckInput {
  recipient: Recipient;
  channel: Channel;
  optedOut: boolean;
  consentCountries: readonly string[];
  /** A survey that asks for consent may go to a contact without it (DESIGN.md §6). */
  asksConsent?: boolean;
}

/**
 * US territories with region codes of their own in the numbering plan: the TCPA covers them, so a
 * consent rule for `US` covers them too. Canada and the Caribbean states are not the US.
 */
const US_TERRITORIES = ['PR', 'VI', 'GU', 'AS', 'MP'];

function consentRegions(consentCountries: readonly string[]): readonly string[] {
  return consentCountries.includes('US') ? [...consentCountries, ...US_TERRITORIES] : consentCountries;
}

/**
 * Whether SMS to this number needs recorded consent. A number whose region is known needs it when
 * the region is a consent country (US by default, with its territories). A number whose region
 * cannot be told (a "possible" number such as +1 555 …) needs it when any consent country shares
 * its calling code: a +1 number that may be American is treated as American.
 */
export function needsConsent(e164: string, country: string | null, consentCountries: readonly string[]): boolean {
  const regions = consentRegions(consentCountries);
  if (country !== null) {
    return regions.includes(country);
  }
  return regions.some((c) => isSupportedCountry(c) && e164.startsWith(`+${getCountryCallingCode(c as CountryCode)}`));
}

/** Every contact-side reason the recipient cannot receive on the channel, in check order. */
export function contactProblems(input: ContactCheckInput): ErrorCode[] {
  const { recipient: r, channel } = input;
  const out: ErrorCode[] = [];
  if (!r.active) {
    out.push('CONTACT_IS_INACTIVE');
  }
  if (channel === 'sms') {
    if (r.phone.kind === 'none') {
      out.push('NO_PHONE_NUMBER');
    } else if (r.phone.kind === 'invalid') {
      out.push('INVALID_PHONE_NUMBER');
    } else {
      if (input.optedOut) {
        out.push('PHONE_NUMBER_OPTED_OUT');
      }
      if (!r.smsConsent && !input.asksConsent && needsConsent(r.phone.e164, r.phone.country, input.consentCountries)) {
        out.push('NO_SMS_CONSENT');
      }
    }
  } else if (r.email.kind === 'none') {
    out.push('NO_EMAIL_ADDRESS');
  } else if (r.email.kind === 'invalid') {
    out.push('INVALID_EMAIL_ADDRESS');
  } else if (input.optedOut) {
    out.push('EMAIL_OPTED_OUT');
  }
  return out;
}

/** The address a message goes to, when the recipient has a valid one. */
export function addressOf(r: Recipient, channel: Channel): string | null {
  if (channel === 'sms') {
    return r.phone.kind === 'valid' ? r.phone.e164 : null;
  }
  return r.email.kind === 'valid' ? r.email.address : null;
}

/** The key an address is opted out under: the E.164 number, or the lower-cased email address. */
export function optOutKey(address: string, channel: Channel): string {
  return channel === 'email' ? address.trim().toLowerCase() : address;
}
