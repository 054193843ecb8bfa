/**
 * @module services/recipients.service — who a message goes to: a case, a mobile worker or a bare
 * number, read as the send checks need it (number, consent, email, language, zone, gateway).
 */
import { readCaseContact } from '../domain/case-contact.ts';
import { isEmailAddress } from '../domain/email.ts';
import { parsePhoneNumber } from '../domain/phone-number.ts';
import type { Project } from '../domain/project.ts';
import type { Recipient } from '../domain/recipient.ts';
import { AppError } from '../errors.ts';
import { type CaseWithEntry, findCase } from '../store/case.store.ts';
import type { Db } from '../store/database.ts';
import { findMobileWorker, type MobileWorkerRecord } from '../store/mobile-worker.store.ts';
import { findEntriesByNumber, findEntriesByOwner, type PhoneEntry } from '../store/phone-entry.store.ts';
import { isUuid } from './deps.ts';

export type RecipientRef = { caseId: string } | { mobileWorkerId: string } | { phoneNumber: string };

export function caseRecipient(project: Project, c: CaseWithEntry): Recipient {
  const reading = readCaseContact(c.properties, project);
  const phone = reading.phone;
  return {
    contact: { type: 'case', id: c.id },
    active: !c.closed && !c.deleted,
    phone:
      phone.kind === 'valid'
        ? { kind: 'valid', e164: phone.e164, country: phone.country, twoWay: c.entryState === 'two-way' }
        : { kind: phone.kind },
    email: reading.email ? { kind: 'valid', address: reading.email } : reading.problems.some((p) => p.code === 'INVALID_EMAIL_ADDRESS') ? { kind: 'invalid' } : { kind: 'none' },
    smsConsent: reading.smsConsent,
    language: reading.language,
    timeZone: reading.timeZone,
    gatewayOverride: reading.gateway,
  };
}

/** A worker's verified number first, else its first number; consent is a verified number. */
export function workerRecipient(project: Project, w: MobileWorkerRecord, entries: readonly PhoneEntry[]): Recipient {
  const verified = entries.find((e) => e.state === 'two-way');
  const chosen = verified ?? entries[0];
  const country = chosen ? parsePhoneNumber(chosen.number, { validation: 'possible' }) : null;
  return {
    contact: { type: 'mobile-worker', id: w.id },
    active: true,
    phone: chosen ? { kind: 'valid', e164: chosen.number, country: country?.kind === 'valid' ? country.country : null, twoWay: chosen.state === 'two-way' } : { kind: 'none' },
    email: w.email ? (isEmailAddress(w.email) ? { kind: 'valid', address: w.email } : { kind: 'invalid' }) : { kind: 'none' },
    smsConsent: verified !== undefined,
    language: w.language ?? project.defaultLanguage,
    timeZone: w.timeZone ?? project.timeZone,
    gatewayOverride: null,
  };
}

/**
 * A bare number: consent when a contact of this project holds it two-way (that person consented or
 * verified); language and zone are the project's.
 */
export async function numberRecipient(db: Db, project: Project, raw: string): Promise<Recipient> {
  const parsed = parsePhoneNumber(raw, { defaultCountry: project.defaultCountry, validation: project.phoneValidation });
  let phone: Recipient['phone'] = { kind: parsed.kind === 'none' ? 'none' : 'invalid' };
  let consent = false;
  if (parsed.kind === 'valid') {
    const entries = await findEntriesByNumber(db, parsed.e164);
    const twoWay = entries.some((e) => e.projectId === project.id && e.state === 'two-way');
    phone = { kind: 'valid', e164: parsed.e164, country: parsed.country, twoWay };
    consent = twoWay;
  }
  return {
    contact: null,
    active: true,
    phone,
    email: { kind: 'none' },
    smsConsent: consent,
    language: project.defaultLanguage,
    timeZone: project.timeZone,
    gatewayOverride: null,
  };
}

export async function resolveRecipient(db: Db, project: Project, ref: RecipientRef): Promise<Recipient> {
  if ('caseId' in ref) {
    const c = isUuid(ref.caseId) ? await findCase(db, project.id, ref.caseId) : null;
    if (!c) {
      throw new AppError('NOT_FOUND', 'No such case in this project.', { details: { field: 'recipient.caseId' } });
    }
    return caseRecipient(project, c);
  }
  if ('mobileWorkerId' in ref) {
    const w = isUuid(ref.mobileWorkerId) ? await findMobileWorker(db, project.id, ref.mobileWorkerId) : null;
    if (!w) {
      throw new AppError('NOT_FOUND', 'No such mobile worker in this project.', { details: { field: 'recipient.mobileWorkerId' } });
    }
    return workerRecipient(project, w, await findEntriesByOwner(db, project.id, 'mobile-worker', [w.id]));
  }
  return numberRecipient(db, project, ref.phoneNumber);
}
