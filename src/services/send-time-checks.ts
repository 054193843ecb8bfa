/**
 * @module services/send-time-checks — every check of a message to a contact holds at the moment it
 * is handed to the gateway, not only when it was queued (API.md, issue 22). For one claimed batch
 * the dispatch worker reads, in a few batched statements, the contacts as they are now, the
 * opt-out state, the two-way holds of bare numbers and the numbers held for review; then each
 * message is decided as of now:
 * - a contact closed, deleted or gone → CONTACT_IS_INACTIVE;
 * - the contact's number (or email) now: none → NO_PHONE_NUMBER (NO_EMAIL_ADDRESS), not valid under
 *   the project's rules → INVALID_PHONE_NUMBER, another one → PHONE_NUMBER_CHANGED
 *   (EMAIL_ADDRESS_CHANGED): the message never goes to a number the contact no longer has;
 * - opted out → PHONE_NUMBER_OPTED_OUT (EMAIL_OPTED_OUT), except an opt-out's own confirmation;
 * - consent where the rule applies (domain/recipient needsConsent) → NO_SMS_CONSENT, except a
 *   message that asks for consent (consent_exempt);
 * - a broadcast or scheduled message to a number with an open possible opt-out in its project →
 *   POSSIBLE_OPT_OUT_HELD.
 * Conversation replies (in_reply_to: an opt-out confirmation, HELP, a welcome) answer the person
 * who just wrote from that number, so only the opt-out check applies to them.
 */
import type { Project } from '../domain/project.ts';
import { needsConsent, optOutKey, type Recipient } from '../domain/recipient.ts';
import { parsePhoneNumber } from '../domain/phone-number.ts';
import type { ErrorCode } from '../errors.ts';
import type { ClaimedMessage } from '../store/message.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { findHeldNumbers } from '../store/possible-opt-out.store.ts';
import { findProjectsByIds } from '../store/project.store.ts';
import { findCasesNow, findTwoWayHolds, findWorkersNow, type WorkerNow } from '../store/send-time.store.ts';
import type { ServiceDeps } from './deps.ts';
import { caseRecipient } from './recipients.service.ts';

export interface SendTimeFacts {
  optedOut: Set<string>;
  /** Recipients as they are now by contact id; null: the contact is gone or inactive. */
  cases: Map<string, Recipient | null>;
  workers: Map<string, WorkerNow>;
  twoWayHolds: Set<string>;
  held: Set<string>;
}

const isReply = (m: ClaimedMessage) => m.inReplyTo !== null;

/** Reads what the checks need for a batch: at most six statements, whatever its size. */
export async function loadSendTimeFacts(deps: ServiceDeps, claimed: readonly ClaimedMessage[]): Promise<SendTimeFacts> {
  // A contact always belongs to a project; a message of no project (a reply through a global gateway) has none.
  const caseRefs = claimed.flatMap((m) => (m.contactType === 'case' && m.contactId && m.projectId ? [{ projectId: m.projectId, id: m.contactId }] : []));
  const caseIds = caseRefs.map((c) => c.id);
  const workerRefs = claimed.flatMap((m) => (m.contactType === 'mobile-worker' && m.contactId && m.projectId && !isReply(m) ? [{ projectId: m.projectId, id: m.contactId }] : []));
  const bare = claimed.filter((m) => m.contactType === null && m.channel === 'sms' && m.to && !isReply(m) && !m.consentExempt);
  const heldCandidates = claimed.filter((m) => m.channel === 'sms' && m.to && m.projectId && !isReply(m) && (m.broadcastId !== null || m.scheduledLocal !== null));
  const [optedOut, caseRows, workers, twoWayHolds, held] = await Promise.all([
    findOptedOut(deps.db, claimed.flatMap((m) => (m.to ? [optOutKey(m.to, m.channel)] : []))),
    findCasesNow(deps.db, caseRefs),
    findWorkersNow(deps.db, workerRefs),
    findTwoWayHolds(deps.db, bare.flatMap((m) => (m.projectId ? [{ projectId: m.projectId, number: m.to ?? '' }] : []))),
    findHeldNumbers(deps.db, heldCandidates.map((m) => ({ projectId: m.projectId ?? '', number: m.to ?? '' }))),
  ]);
  const projects: Map<string, Project> = await findProjectsByIds(deps.db, [...new Set([...caseRows.values()].map((c) => c.projectId))]);
  const cases = new Map<string, Recipient | null>();
  for (const id of caseIds) {
    const c = caseRows.get(id);
    const project = c ? projects.get(c.projectId) : undefined;
    cases.set(id, c && project && !c.closed && !c.deleted ? caseRecipient(project, { ...c, entryState: null }) : null);
  }
  return { optedOut, cases, workers, twoWayHolds, held };
}

function consentNeeded(deps: ServiceDeps, number: string): boolean {
  const parsed = parsePhoneNumber(number, { validation: 'possible' });
  return needsConsent(number, parsed.kind === 'valid' ? parsed.country : null, deps.messaging.consentCountries);
}

/** The case's current address on the message's channel compared with where the message goes. */
function caseProblem(deps: ServiceDeps, m: ClaimedMessage, r: Recipient | null | undefined): ErrorCode | null {
  if (!r) {
    return 'CONTACT_IS_INACTIVE';
  }
  if (isReply(m)) {
    return null;
  }
  if (m.channel === 'email') {
    if (r.email.kind === 'none') {
      return 'NO_EMAIL_ADDRESS';
    }
    return r.email.kind === 'invalid' ? 'INVALID_EMAIL_ADDRESS' : optOutKey(r.email.address, 'email') === optOutKey(m.to ?? '', 'email') ? null : 'EMAIL_ADDRESS_CHANGED';
  }
  if (r.phone.kind === 'none') {
    return 'NO_PHONE_NUMBER';
  }
  if (r.phone.kind === 'invalid') {
    return 'INVALID_PHONE_NUMBER';
  }
  if (r.phone.e164 !== m.to) {
    return 'PHONE_NUMBER_CHANGED';
  }
  return !r.smsConsent && !m.consentExempt && needsConsent(r.phone.e164, r.phone.country, deps.messaging.consentCountries) ? 'NO_SMS_CONSENT' : null;
}

function workerProblem(deps: ServiceDeps, m: ClaimedMessage, w: WorkerNow | undefined): ErrorCode | null {
  if (isReply(m)) {
    return null;
  }
  if (!w) {
    return 'CONTACT_IS_INACTIVE';
  }
  if (m.channel === 'email') {
    return !w.email ? 'NO_EMAIL_ADDRESS' : optOutKey(w.email, 'email') === optOutKey(m.to ?? '', 'email') ? null : 'EMAIL_ADDRESS_CHANGED';
  }
  const entry = w.entries.find((e) => e.number === m.to);
  if (!entry) {
    return w.entries.length === 0 ? 'NO_PHONE_NUMBER' : 'PHONE_NUMBER_CHANGED';
  }
  return entry.state !== 'two-way' && !m.consentExempt && consentNeeded(deps, entry.number) ? 'NO_SMS_CONSENT' : null;
}

/** The first reason the message cannot go out now, or null. */
export function sendTimeProblem(deps: ServiceDeps, m: ClaimedMessage, facts: SendTimeFacts): ErrorCode | null {
  const contact = m.contactType === 'case' && m.contactId ? caseProblem(deps, m, facts.cases.get(m.contactId)) : m.contactType === 'mobile-worker' && m.contactId ? workerProblem(deps, m, facts.workers.get(m.contactId)) : null;
  if (contact) {
    return contact;
  }
  if (m.to && !m.bypassOptOut && facts.optedOut.has(optOutKey(m.to, m.channel))) {
    return m.channel === 'sms' ? 'PHONE_NUMBER_OPTED_OUT' : 'EMAIL_OPTED_OUT';
  }
  if (m.contactType === null && m.channel === 'sms' && m.to && !isReply(m) && !m.consentExempt && consentNeeded(deps, m.to) && !facts.twoWayHolds.has(`${m.projectId}:${m.to}`)) {
    return 'NO_SMS_CONSENT';
  }
  if (m.to && m.projectId && facts.held.has(`${m.projectId}:${m.to}`)) {
    return 'POSSIBLE_OPT_OUT_HELD';
  }
  return null;
}
