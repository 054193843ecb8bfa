/**
 * @module services/messages.service — sending a message to a case, a mobile worker or a number,
 * reading the message log, and reachability. A message that cannot go out for a contact reason is
 * still recorded, with status failed and its error code.
 */
import type { Channel } from '../domain/gateway.ts';
import { describeHandling } from '../domain/inbound-handling.ts';
import { normaliseLookupNumber } from '../domain/phone-number.ts';
import type { Project } from '../domain/project.ts';
import { addressOf, contactProblems, optOutKey } from '../domain/recipient.ts';
import { sendAtProblem } from '../domain/schedule.ts';
import { AppError, describeKnownCode, type ErrorCode, errorCatalogue } from '../errors.ts';
import type { MessageStatus } from '../store/database.ts';
import { listConversation } from '../store/conversation.store.ts';
import { countWaitingArrivals } from '../store/inbound.store.ts';
import { contactNames, findMessage, insertOutbound, listContactMessages, listMessages, type MessageRecord } from '../store/message.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { cachedRouting, chooseGateway, loadRouting, planMessage } from './message-plan.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { type RecipientRef, resolveRecipient } from './recipients.service.ts';

export interface SendInput {
  recipient: RecipientRef;
  channel?: Channel | undefined;
  text?: string | undefined;
  translations?: Record<string, string> | undefined;
  subject?: string | undefined;
  sendAt?: string | undefined;
}

export type PublicStatus = Exclude<MessageStatus, 'sending'>;

export interface MessageView {
  id: string;
  direction: 'out' | 'in';
  channel: Channel;
  status: PublicStatus;
  to: string | null;
  from: string | null;
  text: string | null;
  subject: string | null;
  language: string | null;
  gateway: string | null;
  providerMessageId: string | null;
  errorCode: string | null;
  errorDescription: string | null;
  /** The gateway's own words for a gateway failure, kept as given. */
  errorDetail: string | null;
  attempts: number;
  scheduledFor: string | null;
  scheduledLocal: string | null;
  scheduledZone: string | null;
  createdAt: string;
  sentAt: string | null;
  broadcastId: string | null;
  contact: { type: 'case' | 'mobile-worker'; id: string } | null;
  /** Inbound only: when it was handled, and how (opt-out, verified, registered-case, unrecognised, …). */
  processedAt: string | null;
  handling: string | null;
  /** Inbound only: the handling in words (why nothing answered, for one): domain/inbound-handling.ts. */
  handlingDescription: string | null;
  /** Inbound typed into the SMS tester by a project admin, not sent by a phone. */
  viaTester: boolean;
  /** The reminder rule that sent it (null: not a reminder). */
  reminderRuleId: string | null;
}

export function toMessageView(m: MessageRecord): MessageView {
  return {
    id: m.id,
    direction: m.direction,
    channel: m.channel,
    // 'sending' is the worker's lease on a queued message; to callers it is still queued.
    status: m.status === 'sending' ? 'queued' : m.status,
    to: m.to,
    from: m.from,
    text: m.text,
    subject: m.subject,
    language: m.language,
    gateway: m.gatewayName,
    providerMessageId: m.providerMessageId,
    errorCode: m.errorCode,
    errorDescription: describeKnownCode(m.errorCode),
    errorDetail: m.errorDetail,
    attempts: m.attempts,
    scheduledFor: m.dueAt ? m.dueAt.toISOString() : null,
    scheduledLocal: m.scheduledLocal,
    scheduledZone: m.scheduledZone,
    createdAt: m.createdAt.toISOString(),
    sentAt: m.sentAt ? m.sentAt.toISOString() : null,
    broadcastId: m.broadcastId,
    contact: m.contactType && m.contactId ? { type: m.contactType, id: m.contactId } : null,
    processedAt: m.processedAt ? m.processedAt.toISOString() : null,
    handling: m.handling,
    handlingDescription: describeHandling(m.handling, m.text, m.direction),
    viaTester: m.viaTester,
    reminderRuleId: m.reminderRuleId,
  };
}

export function validateContent(input: { channel?: Channel | undefined; text?: string | undefined; translations?: Record<string, string> | undefined; subject?: string | undefined; sendAt?: string | undefined }): void {
  const sendAtIssue = input.sendAt === undefined ? null : sendAtProblem(input.sendAt);
  if (sendAtIssue !== null) {
    throw new AppError('VALIDATION_ERROR', `sendAt ${sendAtIssue}`, { details: { field: 'sendAt' } });
  }
  if (input.subject !== undefined && (input.channel ?? 'sms') !== 'email') {
    throw new AppError('VALIDATION_ERROR', 'subject is for email; SMS has no subject.', { details: { field: 'subject' } });
  }
}

export async function sendMessage(deps: ServiceDeps, project: Project, createdBy: string | null, input: SendInput): Promise<MessageView> {
  validateContent(input);
  const channel = input.channel ?? 'sms';
  const recipient = await resolveRecipient(deps.db, project, input.recipient);
  const now = deps.clock();
  const to = addressOf(recipient, channel);
  const [routing, optedOut] = await Promise.all([cachedRouting(deps, project), to ? findOptedOut(deps.db, [optOutKey(to, channel)]) : Promise.resolve(new Set<string>())]);
  const planned = planMessage(
    { project, routing, consentCountries: deps.messaging.consentCountries, optedOut, now, createdBy, broadcastId: null },
    recipient,
    { channel, content: { text: input.text, translations: input.translations }, subject: input.subject ?? null, sendAt: input.sendAt ?? null },
  );
  const saved = await insertOutbound(deps.db, planned, now);
  if (saved.status === 'queued') {
    deps.notifyDue();
  }
  return toMessageView(saved);
}

export async function getMessage(deps: ServiceDeps, project: Project, id: string): Promise<MessageView> {
  const m = isUuid(id) ? await findMessage(deps.db, project.id, id) : null;
  if (!m) {
    throw new AppError('NOT_FOUND', 'No such message in this project.');
  }
  return toMessageView(m);
}

export interface MessageFilter {
  direction?: 'in' | 'out' | undefined;
  caseId?: string | undefined;
  mobileWorkerId?: string | undefined;
  status?: PublicStatus | undefined;
  errorCode?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Search the text and the number (a number is also read in the project's default country). */
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** What the log's search box looks for: the text as typed, and as a phone number when it reads as one. */
function searchOf(project: Project, raw: string | undefined): { text: string; number: string | null } | undefined {
  const text = (raw ?? '').trim().slice(0, 200);
  if (text === '') {
    return undefined;
  }
  return { text, number: /\d{3}/.test(text) ? normaliseLookupNumber(text, project.defaultCountry) : null };
}

/** The message log, newest first. */
export async function listProjectMessages(deps: ServiceDeps, project: Project, f: MessageFilter): Promise<Page<MessageView>> {
  const contactId = f.caseId ?? f.mobileWorkerId;
  if (contactId !== undefined && !isUuid(contactId)) {
    return { items: [], nextCursor: null };
  }
  const status: MessageStatus[] | undefined = f.status === undefined ? undefined : f.status === 'queued' ? ['queued', 'sending'] : [f.status];
  const rows = await listMessages(deps.db, project.id, {
    direction: f.direction,
    contactId,
    status,
    errorCode: f.errorCode,
    from: f.from,
    to: f.to,
    beforeSeq: f.cursor === undefined ? undefined : decodeCursor(f.cursor),
    search: searchOf(project, f.q),
    limit: f.limit + 1,
  });
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  return { items: page.map(toMessageView), nextCursor: rows.length > f.limit && last ? encodeCursor(last.seq) : null };
}

export interface Reachability {
  canSend: boolean;
  reasons: Array<{ code: ErrorCode; description: string }>;
  gateway: string | null;
  to: string | null;
}

/** Every reason the contact cannot be reached on the channel now, and the gateway that would be used. */
export async function reachability(deps: ServiceDeps, project: Project, ref: RecipientRef, channel: Channel): Promise<Reachability> {
  const recipient = await resolveRecipient(deps.db, project, ref);
  const to = addressOf(recipient, channel);
  const optedOut = to ? (await findOptedOut(deps.db, [optOutKey(to, channel)])).has(optOutKey(to, channel)) : false;
  const codes = contactProblems({ recipient, channel, optedOut, consentCountries: deps.messaging.consentCountries });
  const routing = await loadRouting(deps.db, project);
  const choice = chooseGateway(routing, recipient, channel);
  let gateway: string | null = null;
  if (choice?.ok) {
    gateway = routing.gateways.find((g) => g.id === choice.gatewayId)?.name ?? null;
  } else if (choice) {
    codes.push(choice.code);
  }
  return { canSend: codes.length === 0, reasons: codes.map((code) => ({ code, description: errorCatalogue[code] })), gateway, to };
}

/** Messages received through the project's own gateways and not handled yet: they enter the log once handled. */
export async function waitingInbound(deps: ServiceDeps, project: Project): Promise<{ count: number; oldest: Date | null }> {
  return countWaitingArrivals(deps.db, project.id);
}

/** The messages exchanged with one number in this project (and unassigned inbound), oldest first. */
export async function numberConversation(deps: ServiceDeps, project: Project, number: string, limit = 100): Promise<MessageView[]> {
  return (await listConversation(deps.db, project.id, number, limit)).map(toMessageView);
}

export type ContactRef = { type: 'case' | 'mobile-worker'; id: string };

/** One page of a contact's conversation: oldest first; `earlier` is the cursor of the page before (older), if any. */
export interface Conversation {
  items: MessageView[];
  earlier: string | null;
}

/** A contact's messages, `limit` at a time from the newest; each page reads oldest → newest. */
export async function contactConversation(deps: ServiceDeps, project: Project, contact: ContactRef, opts: { before?: string | undefined; limit?: number } = {}): Promise<Conversation> {
  const limit = opts.limit ?? 50;
  if (!isUuid(contact.id)) {
    return { items: [], earlier: null };
  }
  let before: string | undefined;
  try {
    before = opts.before ? decodeCursor(opts.before) : undefined;
  } catch {
    before = undefined;
  }
  const rows = await listContactMessages(deps.db, project.id, contact, limit + 1, before);
  const page = rows.length > limit ? rows.slice(1) : rows;
  const first = page[0];
  return { items: page.map(toMessageView), earlier: rows.length > limit && first ? encodeCursor(first.seq) : null };
}

/** The names of the contacts these messages belong to (two queries in all): key `type:id`. */
export async function messageContactNames(deps: ServiceDeps, project: Project, messages: readonly MessageView[]): Promise<Map<string, string>> {
  return contactNames(deps.db, project.id, messages.flatMap((m) => (m.contact ? [m.contact] : [])));
}

/** The names of these contacts of the project (cases by name, mobile workers by username): key `type:id`. */
export async function namesOfContacts(deps: ServiceDeps, project: Project, contacts: readonly ContactRef[]): Promise<Map<string, string>> {
  return contactNames(deps.db, project.id, contacts.filter((c) => isUuid(c.id)));
}
