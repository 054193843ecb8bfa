/**
 * @module services/reminder-rules.service — reminder rules of a project (issue 25; API.md "Reminder
 * rules"): create, read, list, patch, delete. Creating, editing or resuming a rule starts its
 * evaluation over its cases in the same transaction; pausing cancels its scheduled sends there
 * (services/reminder-evaluation.service.ts). Project admins write, members read (the routes check
 * the role).
 */
import type { Project } from '../domain/project.ts';
import { type FieldProblem, type ReminderRule, validateReminderRule } from '../domain/reminder-rule.ts';
import { AppError } from '../errors.ts';
import { deleteReminderRule, findReminderRule, insertReminderRule, listReminderRules, type ReminderRuleRecord, ruleBodyOf, updateReminderRule } from '../store/reminder-rule.store.ts';
import { listNextSends, matchCounts, matchingByRule } from '../store/reminder-report.store.ts';
import { findSurvey } from '../store/survey.store.ts';
import { isUuid, type ServiceDeps } from './deps.ts';
import { startRuleEvaluation } from './reminder-evaluation.service.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';

/** A body as the API takes it; every field is checked by validateReminderRule. */
export type ReminderRuleBody = Record<string, unknown>;
/** PATCH: the given top-level fields replace the current ones (`window: null` removes the window). */
export type ReminderRulePatch = Record<string, unknown>;

export interface ReminderRuleView {
  id: string;
  name: string;
  caseType: string;
  conditions: ReminderRule['conditions'];
  recipients: ReminderRule['recipients'];
  content: ReminderRule['content'];
  schedule: ReminderRule['schedule'];
  window: NonNullable<ReminderRule['window']> | null;
  active: boolean;
  version: number;
  /** The evaluation of the rule over its cases: running with progress, done, or paused. */
  evaluation: { status: 'running' | 'done' | 'paused'; done: number; total: number } | null;
  createdAt: string;
  updatedAt: string;
}

export function toReminderRuleView(r: ReminderRuleRecord): ReminderRuleView {
  return {
    id: r.id,
    name: r.name,
    caseType: r.caseType,
    conditions: r.conditions,
    recipients: r.recipients,
    content: r.content,
    schedule: r.schedule,
    window: r.window,
    active: r.active,
    version: r.version,
    evaluation: r.evaluation ? { status: r.evaluation.status, done: r.evaluation.done, total: r.evaluation.total } : null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

function problemError(problems: readonly FieldProblem[]): AppError {
  const first = problems[0] ?? { field: '(body)', message: 'is not valid' };
  return new AppError('VALIDATION_ERROR', `${first.field}: ${first.message}`, { details: { field: first.field, issues: problems } });
}

/** The whole rule, checked against the schema and the project (the survey it sends must be the project's). */
async function checkRule(deps: ServiceDeps, project: Project, input: unknown): Promise<ReminderRule> {
  const result = validateReminderRule(input);
  if (!result.ok) {
    throw problemError(result.problems);
  }
  const rule = result.value;
  if (rule.caseType.trim() === '') {
    throw problemError([{ field: 'caseType', message: 'must not be empty' }]);
  }
  const surveyId = rule.content.surveyId;
  if (surveyId !== undefined && rule.recipients !== 'case') {
    throw problemError([{ field: 'recipients', message: 'a survey is answered by the case: use "case" with content.surveyId' }]);
  }
  if (surveyId !== undefined && !(isUuid(surveyId) && (await findSurvey(deps.db, project.id, surveyId)))) {
    throw problemError([{ field: 'content.surveyId', message: 'must be the id of a survey of this project' }]);
  }
  return rule;
}

async function requireRule(deps: ServiceDeps, project: Project, id: string): Promise<ReminderRuleRecord> {
  const rule = isUuid(id) ? await findReminderRule(deps.db, project.id, id) : null;
  if (!rule) {
    throw new AppError('NOT_FOUND', 'No such reminder rule in this project.');
  }
  return rule;
}


export async function createReminderRule(deps: ServiceDeps, project: Project, body: ReminderRuleBody, createdBy: string | null): Promise<ReminderRuleView> {
  const rule = await checkRule(deps, project, body);
  const now = deps.clock();
  const saved = await deps.db.transaction().execute(async (trx) => {
    const inserted = await insertReminderRule(trx, project.id, rule, createdBy, now);
    await startRuleEvaluation(trx, inserted, now);
    return (await findReminderRule(trx, project.id, inserted.id)) ?? inserted;
  });
  return toReminderRuleView(saved);
}

/** One rule as GET …/reminder-rules/{id} shows it: with how many cases match now and its next 50 sends. */
export interface ReminderRuleDetail extends ReminderRuleView {
  matching: number;
  nextSends: Array<{ caseId: string; recipient: 'case' | 'owner'; at: string; localTime: string; zone: string }>;
}

/** One rule as the list shows it (the admin pages read its figures from the rule report). */
export async function findReminderRuleView(deps: ServiceDeps, project: Project, id: string): Promise<ReminderRuleView> {
  return toReminderRuleView(await requireRule(deps, project, id));
}

/** The project's rules, each with how many cases match it now (one query for all counts). */
export async function listRulesWithMatching(deps: ServiceDeps, project: Project, limit: number): Promise<Array<{ rule: ReminderRuleView; matching: number }>> {
  const rules = await listProjectReminderRules(deps, project, { limit });
  const counts = await matchingByRule(deps.db, rules.items.map((r) => r.id));
  return rules.items.map((rule) => ({ rule, matching: counts.get(rule.id) ?? 0 }));
}

export async function getReminderRule(deps: ServiceDeps, project: Project, id: string): Promise<ReminderRuleDetail> {
  const rule = await requireRule(deps, project, id);
  const [counts, next] = await Promise.all([matchCounts(deps.db, rule.id), listNextSends(deps.db, rule.id, deps.clock(), 50)]);
  return {
    ...toReminderRuleView(rule),
    matching: counts.reduce((sum, c) => sum + c.n, 0),
    nextSends: next.map((n) => ({ caseId: n.caseId, recipient: n.recipient, at: n.dueAt.toISOString(), localTime: n.localTime, zone: n.zone })),
  };
}

export async function listProjectReminderRules(deps: ServiceDeps, project: Project, q: { limit: number; cursor?: string | undefined }): Promise<Page<ReminderRuleView>> {
  const rows = await listReminderRules(deps.db, project.id, q.cursor === undefined ? null : decodeCursor(q.cursor), q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { items: page.map(toReminderRuleView), nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null };
}

/** PATCH: any top-level field; the merged rule is checked as a whole, and its version goes up. */
export async function patchReminderRule(deps: ServiceDeps, project: Project, id: string, patch: ReminderRulePatch): Promise<ReminderRuleView> {
  const current = await requireRule(deps, project, id);
  const merged: Record<string, unknown> = { ...ruleBodyOf(current) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) {
      continue;
    }
    if (key === 'window' && value === null) {
      delete merged.window;
    } else {
      merged[key] = value;
    }
  }
  const rule = await checkRule(deps, project, merged);
  const now = deps.clock();
  const saved = await deps.db.transaction().execute(async (trx) => {
    const updated = await updateReminderRule(trx, project.id, id, rule, now);
    if (!updated) {
      throw new AppError('NOT_FOUND', 'No such reminder rule in this project.');
    }
    // A new name changes no send; anything else is evaluated again over the rule's cases.
    if (JSON.stringify({ ...ruleBodyOf(updated), name: '' }) !== JSON.stringify({ ...ruleBodyOf(current), name: '' })) {
      await startRuleEvaluation(trx, updated, now);
    }
    return (await findReminderRule(trx, project.id, id)) ?? updated;
  });
  return toReminderRuleView(saved);
}

/** Deletes the rule with its scheduled occurrences (messages already sent stay in the log). */
export async function removeReminderRule(deps: ServiceDeps, project: Project, id: string): Promise<void> {
  if (!(isUuid(id) && (await deleteReminderRule(deps.db, project.id, id)))) {
    throw new AppError('NOT_FOUND', 'No such reminder rule in this project.');
  }
}
