/**
 * @module services/survey-sessions.service — one person answering one survey over SMS (issue 7).
 *
 * - Start (API, UI, or the welcome survey after `join`): the first question goes out through the
 *   normal message planning, so opt-out, consent, gateway and language checks apply; a survey with
 *   `asksConsent` may reach a contact without consent. If the question cannot go out, the failed
 *   message is logged and no session opens. Starting closes the number's open session
 *   (`cancelled`, SURVEY_REPLACED): a number answers one survey at a time.
 * - Answers arrive through inbound processing (DESIGN.md §9: after opt keywords and verification,
 *   before `join`). A valid answer is saved to the case at once through the same case update as the
 *   API (so consent and two-way ownership follow), then the next question or the closing message
 *   goes back through the gateway the answer came in on. An invalid answer re-asks with a short
 *   hint; the third invalid answer in a row ends the session `incomplete`.
 * - Timeout: a session ends `timed-out` after `timeoutMinutes` (Default: 1440, 24 h) without an
 *   answer, counted from the last question sent; with `reminderMinutes` the current question is sent
 *   once more as a reminder after that long. The sweeper (sweepSurveySessions) runs in the worker; a
 *   late answer to an expired session also ends it and is handled as an ordinary message.
 * - Survey texts are bounded by the questions and three invalid answers each, so they are not
 *   counted by the automatic-reply loop guard of inbound.service (which would otherwise stop the
 *   confirmation of a STOP sent after a long survey).
 */
import { CONSENT_PROPERTY, isConsentValue } from '../domain/consent.ts';
import type { MessageContent } from '../domain/message-content.ts';
import type { Project } from '../domain/project.ts';
import { addressOf, type Recipient } from '../domain/recipient.ts';
import { closingText, MAX_INVALID_ANSWERS, parseAnswer, questionText, type SurveyDefinition, type SurveyQuestion } from '../domain/survey.ts';
import { systemText } from '../domain/system-texts.ts';
import { AppError, type ErrorCode, errorCatalogue } from '../errors.ts';
import { type CaseWithEntry, findCase } from '../store/case.store.ts';
import type { SurveySessionStatus, Trx } from '../store/database.ts';
import { findGatewayById } from '../store/gateway.store.ts';
import { insertOutbound, type MessageRecord, type NewOutboundMessage } from '../store/message.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { findProjectById } from '../store/project.store.ts';
import {
  endOpenSession,
  findDueSessions,
  findOpenSession,
  findSession,
  findSurvey,
  insertSession,
  listSessions,
  lockSurveyNumber,
  type SessionRecord,
  type SurveyRecord,
  updateSession,
} from '../store/survey.store.ts';
import { type ChangeContext, updateCaseInTransaction } from './cases.service.ts';
import { recordConsent } from './consent.service.ts';
import { findHolder } from '../store/phone-entry.store.ts';
import { isUuid, type ServiceDeps } from './deps.ts';
import { loadRouting, planMessage } from './message-plan.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { caseRecipient } from './recipients.service.ts';

export interface SessionView {
  id: string;
  surveyId: string;
  surveyName: string;
  caseId: string;
  number: string;
  status: SurveySessionStatus;
  /** Index of the question being asked (the number of questions once completed). */
  questionIndex: number;
  currentQuestionId: string | null;
  invalidAttempts: number;
  /** Answers saved so far by question id (null: an optional question skipped). */
  answers: Record<string, string | null>;
  endCode: string | null;
  endDescription: string | null;
  startedAt: string;
  updatedAt: string;
  expiresAt: string;
  remindAt: string | null;
  remindedAt: string | null;
  endedAt: string | null;
}

export function toSessionView(s: SessionRecord): SessionView {
  return {
    id: s.id,
    surveyId: s.surveyId,
    surveyName: s.definition.name,
    caseId: s.caseId,
    number: s.number,
    status: s.status,
    questionIndex: s.questionIndex,
    currentQuestionId: s.status === 'open' ? (s.definition.questions[s.questionIndex]?.id ?? null) : null,
    invalidAttempts: s.invalidAttempts,
    answers: s.answers,
    endCode: s.endCode,
    endDescription: s.endCode && s.endCode in errorCatalogue ? errorCatalogue[s.endCode as ErrorCode] : null,
    startedAt: s.startedAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    remindAt: s.remindAt ? s.remindAt.toISOString() : null,
    remindedAt: s.remindedAt ? s.remindedAt.toISOString() : null,
    endedAt: s.endedAt ? s.endedAt.toISOString() : null,
  };
}

/** Where a survey conversation happens: the transaction, and the gateway to answer through. */
interface Exchange {
  trx: Trx;
  deps: ServiceDeps;
  project: Project;
  now: Date;
  /** The gateway the person wrote in on (replies go back through it); null: normal routing. */
  via: { id: string; name: string } | null;
  createdBy: string | null;
}

function definitionOf(s: SurveyRecord): SurveyDefinition {
  return {
    name: s.name,
    questions: s.questions,
    closingMessage: s.closingMessage,
    closingTranslations: s.closingTranslations,
    asksConsent: s.asksConsent,
    timeoutMinutes: s.timeoutMinutes,
    reminderMinutes: s.reminderMinutes,
  };
}

/** The timers restart with every question sent. */
function timers(d: SurveyDefinition, now: Date): { expiresAt: Date; remindAt: Date | null } {
  return {
    expiresAt: new Date(now.getTime() + d.timeoutMinutes * 60_000),
    remindAt: d.reminderMinutes ? new Date(now.getTime() + d.reminderMinutes * 60_000) : null,
  };
}

/** A text written for this recipient's language (the planner records that language). */
function contentFor(r: Recipient, text: string | null): MessageContent {
  return text === null ? {} : { translations: { [r.language]: text } };
}

function askText(x: Exchange, r: Recipient, q: SurveyQuestion): string | null {
  return questionText(q, r.language, x.project.defaultLanguage, x.project.settings.systemTexts);
}

/**
 * Plans one survey SMS with the normal checks. When the person wrote in, the reply goes back through
 * that gateway, even where routing alone would find none. Survey texts carry no `inReplyTo`: that
 * marks the automatic replies the loop guard counts, and a survey must not use up the replies an
 * opt-out confirmation needs.
 */
async function planSurveyText(x: Exchange, r: Recipient, text: string | null, asksConsent: boolean): Promise<NewOutboundMessage> {
  const to = addressOf(r, 'sms');
  const [routing, optedOut] = await Promise.all([loadRouting(x.trx, x.project), to ? findOptedOut(x.trx, [to]) : Promise.resolve(new Set<string>())]);
  const planned = planMessage(
    { project: x.project, routing, consentCountries: x.deps.messaging.consentCountries, optedOut, now: x.now, createdBy: x.createdBy, broadcastId: null, asksConsent },
    r,
    { channel: 'sms', content: contentFor(r, text), subject: null, sendAt: null },
  );
  const gatewayProblem = planned.errorCode === 'NO_SUITABLE_GATEWAY' || planned.errorCode === 'GATEWAY_NOT_FOUND';
  // A consent survey's texts ask for consent: the send-time check lets them through without it.
  const exempt = { consentExempt: asksConsent };
  if (x.via && (planned.status !== 'failed' || gatewayProblem)) {
    return { ...planned, ...exempt, status: 'queued', errorCode: null, gatewayId: x.via.id, gatewayName: x.via.name, dueAt: x.now };
  }
  return { ...planned, ...exempt };
}

async function sendSurveyText(x: Exchange, r: Recipient, text: string | null, asksConsent: boolean): Promise<MessageRecord> {
  return insertOutbound(x.trx, await planSurveyText(x, r, text, asksConsent), x.now);
}

type Opened = { ok: true; session: SessionRecord; message: MessageRecord } | { ok: false; message: MessageRecord };

/**
 * Whether replies from the number can reach this case's session: the case is the number's two-way
 * owner, or (a consent survey only) nobody owns the number two-way, so a Yes can make it the owner.
 * A one-way holder of a shared number could never answer: its replies belong to the owner.
 */
async function mayAnswerFrom(x: Pick<Exchange, 'trx' | 'now'>, caseId: string, number: string, asksConsent: boolean): Promise<boolean> {
  const holder = await findHolder(x.trx, number, x.now);
  if (holder?.state === 'two-way') {
    return holder.ownerType === 'case' && holder.ownerId === caseId;
  }
  return asksConsent;
}

/** Sends the first question and opens the session, closing the number's other open session. */
async function openSession(x: Exchange, survey: SurveyRecord, c: CaseWithEntry): Promise<Opened> {
  const d = definitionOf(survey);
  const r = caseRecipient(x.project, c);
  const first = d.questions[0];
  let planned = await planSurveyText(x, r, first ? askText(x, r, first) : null, d.asksConsent);
  if (planned.status !== 'failed' && r.phone.kind === 'valid' && !(await mayAnswerFrom(x, c.id, r.phone.e164, d.asksConsent))) {
    planned = { ...planned, status: 'failed', errorCode: 'NO_TWO_WAY_PHONE_NUMBER', gatewayId: null, gatewayName: null, dueAt: null };
  }
  if (planned.status === 'failed' || r.phone.kind !== 'valid') {
    return { ok: false, message: await insertOutbound(x.trx, planned, x.now) };
  }
  const number = r.phone.e164;
  await lockSurveyNumber(x.trx, number);
  await endOpenSession(x.trx, number, 'cancelled', 'SURVEY_REPLACED', x.now);
  const session = await insertSession(x.trx, { projectId: x.project.id, surveyId: survey.id, caseId: c.id, number, definition: d, gatewayId: planned.gatewayId, ...timers(d, x.now) }, x.now);
  const message = await insertOutbound(x.trx, planned, x.now);
  return { ok: true, session, message };
}

export interface StartedSession extends SessionView {
  /** The message carrying the first question. */
  messageId: string;
}

/**
 * Starts a survey for a case (API and UI). When the first question cannot go out (no consent, opted
 * out, no gateway, …) the failed message is logged and the error says why; no session opens.
 */
export async function startSession(deps: ServiceDeps, project: Project, surveyId: string, caseId: string, createdBy: string | null): Promise<StartedSession> {
  const survey = isUuid(surveyId) ? await findSurvey(deps.db, project.id, surveyId) : null;
  if (!survey) {
    throw new AppError('NOT_FOUND', 'No such survey in this project.');
  }
  const now = deps.clock();
  const opened = await deps.db.transaction().execute(async (trx) => {
    const c = isUuid(caseId) ? await findCase(trx, project.id, caseId) : null;
    if (!c) {
      throw new AppError('NOT_FOUND', 'No such case in this project.', { details: { field: 'caseId' } });
    }
    return openSession({ trx, deps, project, now, via: null, createdBy }, survey, c);
  });
  deps.notifyDue();
  if (!opened.ok) {
    const code = (opened.message.errorCode ?? 'NO_MESSAGE') as ErrorCode;
    throw new AppError(code, `The survey was not started: ${errorCatalogue[code]}`, { details: { field: 'caseId', messageId: opened.message.id } });
  }
  return { ...toSessionView(opened.session), messageId: opened.message.id };
}

/**
 * The welcome survey after `join` (inside inbound processing): asks through the gateway the `join`
 * came in on. Returns whether a session opened (false when the survey no longer exists).
 */
export async function startWelcomeSurvey(trx: Trx, deps: ServiceDeps, project: Project, caseId: string, via: { id: string; name: string } | null, now: Date): Promise<boolean> {
  const id = project.settings.selfRegistration.welcomeSurveyId;
  const survey = id && isUuid(id) ? await findSurvey(trx, project.id, id) : null;
  const c = survey ? await findCase(trx, project.id, caseId) : null;
  if (!survey || !c) {
    return false;
  }
  return (await openSession({ trx, deps, project, now, via, createdBy: null }, survey, c)).ok;
}

/**
 * Consent withdrawn (or refused) while the case's survey is open: the session ends `declined` at
 * once and nothing more is asked. A consent survey sends its closing message for No (the system
 * text `surveyConsentDeclined`, which a project may reword per language); any other survey ends
 * silently. Called by consent.service for every withdrawal, whatever its origin.
 */
export async function endSurveyOnConsentWithdrawn(trx: Trx, deps: ServiceDeps, who: { caseId: string; number: string }, now: Date): Promise<void> {
  await lockSurveyNumber(trx, who.number);
  const s = await findOpenSession(trx, who.number);
  if (!s || s.caseId !== who.caseId) {
    return;
  }
  await updateSession(trx, s.id, { status: 'declined', endCode: 'SURVEY_CONSENT_DECLINED' }, now);
  if (!s.definition.asksConsent) {
    return;
  }
  const project = await findProjectById(trx, s.projectId);
  const c = project ? await findCase(trx, project.id, s.caseId) : null;
  if (!project || !c) {
    return;
  }
  const gateway = s.gatewayId ? await findGatewayById(trx, s.gatewayId) : null;
  const x: Exchange = { trx, deps, project, now, via: gateway ? { id: gateway.id, name: gateway.name } : null, createdBy: null };
  const r = caseRecipient(project, c);
  await sendSurveyText(x, r, systemText('surveyConsentDeclined', r.language, project.settings.systemTexts, { project: project.name }), true);
}

async function saveAnswer(x: Exchange, s: SessionRecord, c: CaseWithEntry, q: SurveyQuestion, value: string, messageId: string): Promise<void> {
  const ctx: ChangeContext = { method: 'survey', source: { surveyId: s.surveyId, sessionId: s.id, questionId: q.id, messageId } };
  const before = isConsentValue(c.properties[CONSENT_PROPERTY]);
  // The case name is at most 255 characters (the case API's limit).
  const input = q.saveAs === 'name' ? { name: value.slice(0, 255) } : { properties: { [q.saveAs]: value } };
  const view = await updateCaseInTransaction(x.trx, x.deps, x.project, c.id, input, ctx);
  // A "no" from someone who had not consented changes nothing on the case, yet the refusal is
  // evidence too: the ledger records it as consent withdrawn (a "no" after a yes is recorded by
  // the case update itself).
  if (q.saveAs === CONSENT_PROPERTY && !before && !isConsentValue(value) && view.contact.phoneNumber) {
    await recordConsent(x.trx, x.deps, view.contact.phoneNumber, false, { method: 'survey', source: ctx.source, projectId: x.project.id, contact: { type: 'case', id: c.id }, gateway: x.via }, x.now);
  }
}

export interface SurveyAnswerOutcome {
  handling: 'survey-answer' | 'survey-invalid-answer' | 'survey-completed' | 'survey-incomplete' | 'survey-declined';
  project: Project;
  caseId: string;
}

/**
 * Handles an inbound message from a number with an open session as an answer (inside inbound
 * processing). Null when the number has no open session (or it has just expired or lost its case):
 * the message then goes on to the next inbound step.
 */
export async function answerSurvey(trx: Trx, deps: ServiceDeps, input: { message: MessageRecord; from: string; gateway: { id: string; name: string } | null; now: Date }): Promise<SurveyAnswerOutcome | null> {
  const { now } = input;
  await lockSurveyNumber(trx, input.from);
  const s = await findOpenSession(trx, input.from);
  if (!s) {
    return null;
  }
  if (s.expiresAt.getTime() <= now.getTime()) {
    await updateSession(trx, s.id, { status: 'timed-out', endCode: 'SURVEY_TIMED_OUT' }, now);
    return null;
  }
  const project = await findProjectById(trx, s.projectId);
  const c = project ? await findCase(trx, project.id, s.caseId) : null;
  const q = s.definition.questions[s.questionIndex];
  if (!project || !c || c.closed || c.deleted || !q) {
    await updateSession(trx, s.id, { status: 'cancelled', endCode: 'CONTACT_IS_INACTIVE' }, now);
    return null;
  }
  if (!(await mayAnswerFrom({ trx, now }, c.id, input.from, s.definition.asksConsent))) {
    // The number has another two-way owner now: its replies are that owner's, not this session's.
    await updateSession(trx, s.id, { status: 'cancelled', endCode: 'NO_TWO_WAY_PHONE_NUMBER' }, now);
    return null;
  }
  const d = s.definition;
  const x: Exchange = { trx, deps, project, now, via: input.gateway, createdBy: null };
  const gatewayId = input.gateway?.id ?? s.gatewayId;
  const r = caseRecipient(project, c);
  const overrides = project.settings.systemTexts;
  const result = parseAnswer(q, input.message.text ?? '', r.language, overrides);
  if (!result.ok) {
    const attempts = s.invalidAttempts + 1;
    if (attempts >= MAX_INVALID_ANSWERS) {
      await updateSession(trx, s.id, { status: 'incomplete', endCode: 'SURVEY_TOO_MANY_INVALID_ANSWERS', invalidAttempts: attempts, gatewayId }, now);
      await sendSurveyText(x, r, systemText('surveyIncomplete', r.language, overrides), d.asksConsent);
      return { handling: 'survey-incomplete', project, caseId: c.id };
    }
    await sendSurveyText(x, r, `${result.hint}\n${askText(x, r, q) ?? ''}`.trim(), d.asksConsent);
    await updateSession(trx, s.id, { invalidAttempts: attempts, gatewayId, ...timers(d, now) }, now);
    return { handling: 'survey-invalid-answer', project, caseId: c.id };
  }
  if (result.value !== null) {
    await saveAnswer(x, s, c, q, result.value, input.message.id);
    if ((await findOpenSession(trx, input.from))?.id !== s.id) {
      // The answer withdrew or refused consent: consent.service ended the session (`declined`)
      // and sent only the closing message for No.
      return { handling: 'survey-declined', project, caseId: c.id };
    }
  }
  const answers = { ...s.answers, [q.id]: result.value };
  // Read the case again: the answer may have changed its consent or language.
  const after = (await findCase(trx, project.id, c.id)) ?? c;
  const r2 = caseRecipient(project, after);
  const nextIndex = s.questionIndex + 1;
  const next = d.questions[nextIndex];
  if (next) {
    const sent = await sendSurveyText(x, r2, askText(x, r2, next), d.asksConsent);
    if (sent.status === 'failed') {
      await updateSession(trx, s.id, { status: 'incomplete', endCode: sent.errorCode, answers, questionIndex: nextIndex, invalidAttempts: 0, gatewayId }, now);
      return { handling: 'survey-incomplete', project, caseId: c.id };
    }
    await updateSession(trx, s.id, { answers, questionIndex: nextIndex, invalidAttempts: 0, gatewayId, remindedAt: null, ...timers(d, now) }, now);
    return { handling: 'survey-answer', project, caseId: c.id };
  }
  await updateSession(trx, s.id, { status: 'completed', answers, questionIndex: nextIndex, invalidAttempts: 0, gatewayId }, now);
  const closing = closingText(d, r2.language, project.defaultLanguage);
  if (closing) {
    await sendSurveyText(x, r2, closing, d.asksConsent);
  }
  return { handling: 'survey-completed', project, caseId: c.id };
}

/** One due session: time it out, or send its reminder. */
async function sweepOne(deps: ServiceDeps, due: { id: string; number: string }, now: Date): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await lockSurveyNumber(trx, due.number);
    const s = await findOpenSession(trx, due.number);
    if (!s || s.id !== due.id) {
      return;
    }
    if (s.expiresAt.getTime() <= now.getTime()) {
      await updateSession(trx, s.id, { status: 'timed-out', endCode: 'SURVEY_TIMED_OUT' }, now);
      return;
    }
    const project = await findProjectById(trx, s.projectId);
    const c = project ? await findCase(trx, project.id, s.caseId) : null;
    const q = s.definition.questions[s.questionIndex];
    if (!project || !c || c.closed || c.deleted || !q) {
      await updateSession(trx, s.id, { status: 'cancelled', endCode: 'CONTACT_IS_INACTIVE' }, now);
      return;
    }
    const gateway = s.gatewayId ? await findGatewayById(trx, s.gatewayId) : null;
    const x: Exchange = { trx, deps, project, now, via: gateway ? { id: gateway.id, name: gateway.name } : null, createdBy: null };
    const r = caseRecipient(project, c);
    const text = systemText('surveyReminder', r.language, project.settings.systemTexts, { question: askText(x, r, q) ?? '' });
    await sendSurveyText(x, r, text, s.definition.asksConsent);
    await updateSession(trx, s.id, { remindAt: null, remindedAt: now }, now);
  });
}

/** Times out expired sessions and sends due reminders, up to `limit`. Returns how many were due. */
export async function sweepSurveySessions(deps: ServiceDeps, limit = 100): Promise<number> {
  const now = deps.clock();
  const due = await findDueSessions(deps.db, now, limit);
  for (const d of due) {
    await sweepOne(deps, d, now);
  }
  if (due.length > 0) {
    deps.notifyDue();
  }
  return due.length;
}

export async function getSession(deps: ServiceDeps, project: Project, id: string): Promise<SessionView> {
  const s = isUuid(id) ? await findSession(deps.db, project.id, id) : null;
  if (!s) {
    throw new AppError('NOT_FOUND', 'No such survey session in this project.');
  }
  return toSessionView(s);
}

/** Sessions, newest first, of one survey, one case and/or one number (E.164). */
export async function listSurveySessions(deps: ServiceDeps, project: Project, q: { surveyId?: string | undefined; caseId?: string | undefined; number?: string | undefined; limit: number; cursor?: string | undefined }): Promise<Page<SessionView>> {
  if ((q.surveyId !== undefined && !isUuid(q.surveyId)) || (q.caseId !== undefined && !isUuid(q.caseId))) {
    return { items: [], nextCursor: null };
  }
  const rows = await listSessions(deps.db, project.id, { surveyId: q.surveyId, caseId: q.caseId, number: q.number, beforeSeq: q.cursor === undefined ? null : decodeCursor(q.cursor), limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { items: page.map(toSessionView), nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null };
}

/** Ends an open session by hand (`cancelled`, SURVEY_CANCELLED); an ended one is a CONFLICT. */
export async function cancelSession(deps: ServiceDeps, project: Project, id: string): Promise<SessionView> {
  const found = isUuid(id) ? await findSession(deps.db, project.id, id) : null;
  if (!found) {
    throw new AppError('NOT_FOUND', 'No such survey session in this project.');
  }
  const now = deps.clock();
  return deps.db.transaction().execute(async (trx) => {
    await lockSurveyNumber(trx, found.number);
    const s = await findSession(trx, project.id, id);
    if (!s || s.status !== 'open') {
      throw new AppError('CONFLICT', 'This survey session has already ended.');
    }
    return toSessionView(await updateSession(trx, s.id, { status: 'cancelled', endCode: 'SURVEY_CANCELLED' }, now));
  });
}

/**
 * A reminder rule's survey (issue 25), inside the reminder loop's transaction: opens a session for
 * the case as a start by hand would, and returns the message carrying the first question (failed,
 * with its code, when it cannot go out), or null when the survey no longer exists.
 */
export async function startSurveyForReminder(trx: Trx, deps: ServiceDeps, project: Project, surveyId: string, c: CaseWithEntry, now: Date): Promise<MessageRecord | null> {
  const survey = isUuid(surveyId) ? await findSurvey(trx, project.id, surveyId) : null;
  if (!survey) {
    return null;
  }
  const opened = await openSession({ trx, deps, project, now, via: null, createdBy: null }, survey, c);
  return opened.message;
}
