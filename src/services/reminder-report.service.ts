/**
 * @module services/reminder-report.service — what a reminder rule is doing (issue 25, "Seeing it"):
 * the cases that match it now and which of them cannot be reached, its next sends, what it sent,
 * failed or cancelled per day, what one case would get (a preview), and a case's reminders.
 */
import { chooseText } from '../domain/message-content.ts';
import type { Project } from '../domain/project.ts';
import { type ErrorCode, errorCatalogue, isErrorCode } from '../errors.ts';
import { readCaseContact } from '../domain/case-contact.ts';
import { findCase } from '../store/case.store.ts';
import { casesForEvaluation } from '../store/reminder-evaluation.store.ts';
import { findReminderRule, type ReminderRuleRecord } from '../store/reminder-rule.store.ts';
import { AppError } from '../errors.ts';
import { findSurvey } from '../store/survey.store.ts';
import { isUuid, type ServiceDeps } from './deps.ts';
import { decideCases, ruleChannel } from './reminder-evaluation.service.ts';
import { renderRuleContent } from './reminder-sending.service.ts';
import { findMobileWorkersByIds } from '../store/mobile-worker.store.ts';
import { listRuleDays, listCaseOccurrences, listNextSends, matchCounts } from '../store/reminder-report.store.ts';

export interface RuleProblemCount {
  /** Why these matching cases cannot be reached (NO_PHONE_NUMBER, PHONE_NUMBER_OPTED_OUT, REMINDER_DATE_NOT_READABLE, …). */
  code: ErrorCode;
  description: string;
  count: number;
}

export interface NextSend {
  caseId: string;
  caseName: string;
  recipient: 'case' | 'owner';
  /** UTC ISO. */
  at: string;
  /** On the recipient's clock: '2026-12-14 09:00'. */
  localTime: string;
  zone: string;
  /** The text as it would be rendered now (null for a survey: its first question is sent). */
  text: string | null;
}

export interface RuleDay {
  /** A day in the project's zone, YYYY-MM-DD. */
  day: string;
  sent: number;
  failed: number;
  cancelled: number;
}

export interface RuleEvaluationProgress {
  status: 'running' | 'done' | 'paused';
  done: number;
  total: number;
}

export interface RuleReport {
  matching: number;
  problems: RuleProblemCount[];
  nextSends: NextSend[];
  /** The last `days` days, oldest first, every day present (zeros included). */
  daily: RuleDay[];
  evaluation: RuleEvaluationProgress | null;
}

export interface PreviewItem {
  at: string;
  localTime: string;
  zone: string;
  recipient: 'case' | 'owner';
  channel: 'sms' | 'email' | 'survey';
  /** The text this contact would get (in its language, placeholders filled); the survey's name for a survey. */
  text: string;
  /** Placeholders with no value on this case. */
  missing: string[];
}

export interface CasePreview {
  caseId: string;
  caseName: string;
  matches: boolean;
  /** Why the case gets nothing (not of the case type, a condition fails, closed, stop condition met, the date is missing…); null when it matches. */
  reason: string | null;
  items: PreviewItem[];
}

export interface CaseReminder {
  ruleId: string;
  ruleName: string;
  recipient: 'case' | 'owner';
  at: string;
  localTime: string;
  zone: string;
  status: 'scheduled' | 'sent' | 'cancelled' | 'failed';
  /** Why it was cancelled or failed (a catalogue code), else null. */
  reason: ErrorCode | null;
  messageId: string | null;
}


async function requireRule(deps: ServiceDeps, project: Project, id: string): Promise<ReminderRuleRecord> {
  const rule = isUuid(id) ? await findReminderRule(deps.db, project.id, id) : null;
  if (!rule) {
    throw new AppError('NOT_FOUND', 'No such reminder rule in this project.');
  }
  return rule;
}

/** The text a contact in `language` would get, placeholders filled (a survey: its name). */
function textFor(rule: ReminderRuleRecord, c: { name: string; properties: Record<string, string> }, project: Project, language: string, zone: string, surveyName: string | null): { text: string; missing: string[] } {
  if (rule.content.surveyId !== undefined) {
    return { text: `Survey: ${surveyName ?? '(deleted survey)'}`, missing: [] };
  }
  const rendered = renderRuleContent(rule, c, project.defaultLanguage, zone);
  const choice = chooseText({ ...(rendered.text === undefined ? {} : { text: rendered.text }), ...(rendered.translations === undefined ? {} : { translations: rendered.translations }) }, language, project.defaultLanguage, ruleChannel(rule));
  return { text: choice.ok ? choice.text : errorCatalogue[choice.code], missing: rendered.missing };
}

async function surveyNameOf(deps: ServiceDeps, project: Project, rule: ReminderRuleRecord): Promise<string | null> {
  const id = rule.content.surveyId;
  return id !== undefined && isUuid(id) ? ((await findSurvey(deps.db, project.id, id))?.name ?? null) : null;
}

/** The day of `at` in `zone` (YYYY-MM-DD). */
function dayIn(at: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The rule page's figures (see RuleReport). */
export async function ruleReport(deps: ServiceDeps, project: Project, ruleId: string, opts: { next?: number; days?: number } = {}): Promise<RuleReport> {
  const rule = await requireRule(deps, project, ruleId);
  const now = deps.clock();
  const days = opts.days ?? 30;
  const [counts, next, rows, surveyName] = await Promise.all([
    matchCounts(deps.db, rule.id),
    listNextSends(deps.db, rule.id, now, opts.next ?? 50),
    listRuleDays(deps.db, rule.id, new Date(now.getTime() - (days + 1) * 86_400_000), now),
    surveyNameOf(deps, project, rule),
  ]);
  const problems = counts
    .filter((p) => p.problem !== null && isErrorCode(p.problem))
    .map((p) => ({ code: p.problem as ErrorCode, description: errorCatalogue[p.problem as ErrorCode], count: p.n }))
    .sort((a, b) => b.count - a.count);
  const owners = new Map((await findMobileWorkersByIds(deps.db, project.id, [...new Set(next.flatMap((n) => (n.recipient === 'owner' && n.ownerId && isUuid(n.ownerId) ? [n.ownerId] : [])))])).map((w) => [w.id, w]));
  const nextSends = next.map((n) => {
    const language = n.recipient === 'owner' ? (owners.get(n.ownerId ?? '')?.language ?? project.defaultLanguage) : readCaseContact(n.case.properties, project).language;
    return {
      caseId: n.caseId,
      caseName: n.case.name,
      recipient: n.recipient,
      at: n.dueAt.toISOString(),
      localTime: n.localTime,
      zone: n.zone,
      text: rule.content.surveyId !== undefined ? null : textFor(rule, n.case, project, language, n.zone, surveyName).text,
    };
  });
  const byDay = new Map<string, RuleDay>();
  for (let i = days - 1; i >= 0; i--) {
    const day = dayIn(new Date(now.getTime() - i * 86_400_000), project.timeZone);
    byDay.set(day, { day, sent: 0, failed: 0, cancelled: 0 });
  }
  for (const row of rows) {
    const entry = byDay.get(dayIn(row.bucket, project.timeZone));
    if (entry) {
      entry[row.kind] += row.n;
    }
  }
  return {
    matching: counts.reduce((sum, p) => sum + p.n, 0),
    problems,
    nextSends,
    daily: [...byDay.values()],
    evaluation: rule.evaluation ? { status: rule.evaluation.status, done: rule.evaluation.done, total: rule.evaluation.total } : null,
  };
}

/** What one case would get from a rule now, or why it gets nothing. */
export async function previewRuleForCase(deps: ServiceDeps, project: Project, ruleId: string, caseId: string): Promise<CasePreview> {
  const rule = await requireRule(deps, project, ruleId);
  if (!isUuid(caseId)) {
    throw new AppError('VALIDATION_ERROR', 'caseId: give the id of the case to preview (a UUID, as on the case page)', { details: { field: 'caseId' } });
  }
  const [c] = await casesForEvaluation(deps.db, project.id, { ids: [caseId] });
  if (!c || c.deleted) {
    throw new AppError('NOT_FOUND', 'No such case in this project.', { details: { field: 'caseId' } });
  }
  const decision = await decideCases(deps.db, project, [c], [{ ...rule, active: true }], deps.clock());
  const match = decision.matches[0];
  const why = decision.reasons[0]?.reason;
  const surveyName = await surveyNameOf(deps, project, rule);
  const caseLanguage = readCaseContact(c.properties, project).language;
  const owner = c.ownerId && isUuid(c.ownerId) ? (await findMobileWorkersByIds(deps.db, project.id, [c.ownerId]))[0] : undefined;
  const items = decision.wanted.map((w) => {
    const language = w.recipient === 'owner' ? (owner?.language ?? project.defaultLanguage) : caseLanguage;
    const rendered = textFor(rule, c, project, language, w.zone, surveyName);
    return {
      at: new Date(w.dueAt).toISOString(),
      localTime: w.localTime,
      zone: w.zone,
      recipient: w.recipient,
      channel: rule.content.surveyId !== undefined ? ('survey' as const) : ruleChannel(rule),
      text: rendered.text,
      missing: rendered.missing,
    };
  });
  const reasonCode = match ? match.problem : (why ?? null);
  return {
    caseId: c.id,
    caseName: c.name,
    matches: match !== undefined,
    reason: reasonCode !== null && isErrorCode(reasonCode) && (!match || items.length === 0) ? errorCatalogue[reasonCode] : null,
    items,
  };
}

/** The reminders of one case: what is scheduled, then what was sent, failed or cancelled (newest first). */
export async function caseReminders(deps: ServiceDeps, project: Project, caseId: string, opts: { limit?: number } = {}): Promise<CaseReminder[]> {
  const found = isUuid(caseId) ? await findCase(deps.db, project.id, caseId) : null;
  if (!found) {
    throw new AppError('NOT_FOUND', 'No such case in this project.');
  }
  const rows = await listCaseOccurrences(deps.db, project.id, found.id, opts.limit ?? 100);
  return rows.map((r) => ({
    ruleId: r.ruleId,
    ruleName: r.ruleName,
    recipient: r.recipient,
    at: r.dueAt.toISOString(),
    localTime: r.localTime,
    zone: r.zone,
    status: r.status === 'scheduled' ? 'scheduled' : r.status === 'cancelled' ? 'cancelled' : r.messageStatus === 'failed' ? 'failed' : 'sent',
    reason: r.status === 'cancelled' ? asCode(r.reason) : r.messageStatus === 'failed' ? asCode(r.messageError) : null,
    messageId: r.messageId,
  }));
}

function asCode(value: string | null): ErrorCode | null {
  return value !== null && isErrorCode(value) ? value : null;
}
