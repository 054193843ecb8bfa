/**
 * @module services/consent.service — the one home of consent and opt-out changes (issue 22).
 * Inbound keywords, a vendor's report of an opt-out, the email unsubscribe link, the API, the UI,
 * imports, surveys, self-registration and verification all change consent through these three
 * functions, inside the caller's transaction, by one rule:
 * - each first takes the address's lock (store/opt-out.store lockAddress), so changes to one
 *   number are serialised and the last one wins;
 * - each writes its ledger event, labelled with where it came from (`method`);
 * - an opt-out fails what was queued for the address and ends the number's open survey session;
 *   a consent withdrawal fails the contact's queued messages that need consent and ends its open
 *   survey session (a consent survey sends only its closing message for No).
 * An opt-out or opt-in is recorded when it changes the state, and also when the person's own
 * message repeats it (`keyword`: each such message is evidence); repeats from a vendor or a
 * second click on an unsubscribe link add nothing.
 */
import type { Channel } from '../domain/gateway.ts';
import { parsePhoneNumber } from '../domain/phone-number.ts';
import { needsConsent } from '../domain/recipient.ts';
import { appendConsentEvents, type NewConsentEvent } from '../store/consent.store.ts';
import type { ConsentAction, ConsentMethod, Trx } from '../store/database.ts';
import { cancelQueuedNeedingConsent, cancelQueuedTo, lockAddress, lockAddresses, setOptOut } from '../store/opt-out.store.ts';
import { resolveOpenPossibleOptOuts } from '../store/possible-opt-out.store.ts';
import { endOpenSession } from '../store/survey.store.ts';
import type { ServiceDeps } from './deps.ts';
import { endSurveyOnConsentWithdrawn } from './survey-sessions.service.ts';

export interface ConsentOrigin {
  method: ConsentMethod;
  source: Record<string, unknown>;
  projectId: string | null;
  contact: { type: 'case' | 'mobile-worker'; id: string } | null;
  gateway: { id: string; name: string } | null;
}

export interface OptAddress {
  channel: Channel;
  /** An E.164 number (sms) or an email address (any case). */
  address: string;
}

function keyOf(a: OptAddress): string {
  return a.channel === 'email' ? a.address.trim().toLowerCase() : a.address;
}

function ledgerEvent(a: OptAddress, action: ConsentAction, origin: ConsentOrigin): NewConsentEvent {
  const key = keyOf(a);
  return {
    number: a.channel === 'sms' ? key : null,
    email: a.channel === 'email' ? key : null,
    projectId: origin.projectId,
    contactType: origin.contact?.type ?? null,
    contactId: origin.contact?.id ?? null,
    action,
    method: origin.method,
    source: origin.source,
    gatewayId: origin.gateway?.id ?? null,
    gatewayName: origin.gateway?.name ?? null,
  };
}

async function recordOpt(trx: Trx, a: OptAddress, optOut: boolean, origin: ConsentOrigin, now: Date): Promise<{ changed: boolean }> {
  const key = keyOf(a);
  await lockAddress(trx, key);
  const before = await setOptOut(trx, key, optOut, now);
  const changed = before !== optOut;
  if (changed || origin.method === 'keyword') {
    await appendConsentEvents(trx, [ledgerEvent(a, optOut ? 'opt-out' : 'opt-in', origin)]);
  }
  // Possible opt-outs of this number are settled by the person's own decision.
  if (a.channel === 'sms') {
    await resolveOpenPossibleOptOuts(trx, key, optOut ? 'confirmed' : 'dismissed', null, now);
  }
  if (optOut) {
    await cancelQueuedTo(trx, key, a.channel, a.channel === 'sms' ? 'PHONE_NUMBER_OPTED_OUT' : 'EMAIL_OPTED_OUT', now);
    if (a.channel === 'sms') {
      await endOpenSession(trx, key, 'opted-out', 'PHONE_NUMBER_OPTED_OUT', now);
    }
  }
  return { changed };
}

/** The address opts out (server-wide): ledger, queued messages failed, open survey ended. */
export function recordOptOut(trx: Trx, a: OptAddress, origin: ConsentOrigin, now: Date): Promise<{ changed: boolean }> {
  return recordOpt(trx, a, true, origin, now);
}

/** The address opts back in (server-wide). */
export function recordOptIn(trx: Trx, a: OptAddress, origin: ConsentOrigin, now: Date): Promise<{ changed: boolean }> {
  return recordOpt(trx, a, false, origin, now);
}

/**
 * A contact's SMS consent was granted or withdrawn (or refused: a No from someone who never
 * consented is recorded as withdrawn too, as evidence). On withdrawal, where the consent rule
 * applies to the number, the contact's queued messages that need consent fail `NO_SMS_CONSENT`;
 * everywhere, the contact's open survey session ends (`declined`).
 */
export async function recordConsent(trx: Trx, deps: ServiceDeps, number: string, granted: boolean, origin: ConsentOrigin, now: Date): Promise<void> {
  await lockAddress(trx, number);
  await appendConsentEvents(trx, [ledgerEvent({ channel: 'sms', address: number }, granted ? 'consent-granted' : 'consent-withdrawn', origin)]);
  if (granted || !origin.contact) {
    return;
  }
  const parsed = parsePhoneNumber(number, { validation: 'possible' });
  if (needsConsent(number, parsed.kind === 'valid' ? parsed.country : null, deps.messaging.consentCountries)) {
    await cancelQueuedNeedingConsent(trx, origin.contact.id, number, now);
  }
  if (origin.contact.type === 'case') {
    await endSurveyOnConsentWithdrawn(trx, deps, { caseId: origin.contact.id, number }, now);
  }
}

/** Consent granted to several new contacts at once (an import's chunk, self-registration): locks, then one ledger insert. */
export async function recordConsentGrants(trx: Trx, grants: ReadonlyArray<{ number: string; origin: ConsentOrigin }>): Promise<void> {
  await lockAddresses(trx, grants.map((g) => g.number));
  await appendConsentEvents(trx, grants.map((g) => ledgerEvent({ channel: 'sms', address: g.number }, 'consent-granted', g.origin)));
}
