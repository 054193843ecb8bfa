/**
 * @module services/messages.service — sending a message to a case, a mobile worker or a number,
 * reading the message log, and reachability. A message that cannot go out for a contact reason is
 * still recorded, with status failed and its error code.
 */
import type { Channel } from '../domain/gateway.ts';
import type { Project } from '../domain/project.ts';
import { addressOf, contactProblems, optOutKey } from '../domain/recipient.ts';
import { sendAtProblem } from '../domain/schedule.ts';
import { AppError, describeKnownCode, type ErrorCode, errorCatalogue } from '../errors.ts';
import type { MessageStatus } from '../store/database.ts';
import { listConversation } from '../store/conversation.store.ts';
import { findMessage, insertOutbound, listMessages, type MessageRecord } from '../store/message.store.ts';
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
  /** Inbound typed into the SMS tester by a project admin, not sent by a phone. */
  viaTester: boolean;
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
    viaTester: m.viaTester,
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
  limit: number;
  cursor?: string | undefined;
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

/** The messages exchanged with one number in this project (and unassigned inbound), oldest first. */
export async function numberConversation(deps: ServiceDeps, project: Project, number: string, limit = 100): Promise<MessageView[]> {
  return (await listConversation(deps.db, project.id, number, limit)).map(toMessageView);
}
