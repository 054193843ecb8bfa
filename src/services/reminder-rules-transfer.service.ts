/**
 * @module services/reminder-rules-transfer.service — moving reminder rules between projects (issue
 * 25, point 6): `rollcall rules export|import` and `GET|POST …/reminder-rules/export|import`.
 *
 * The document:
 * `{"format": "rollcall-reminder-rules", "version": 1, "rules": [<rule body as POST …/reminder-rules
 * takes it>], "surveys": {"<surveyId>": "<survey name>"}}`. Survey ids mean nothing in another
 * project, so `surveys` names each survey a rule sends; on import, a rule's `content.surveyId` becomes
 * the id of the target project's survey of that name.
 *
 * Import is all or nothing: the document and every rule are checked first (problems name the field,
 * `rules[2].schedule.offsets[0].time`), then every rule is created in one transaction, each with its
 * evaluation over the project's cases started there (as POST …/reminder-rules does). A rule whose name the project already has is a CONFLICT naming it, or, with
 * `skipExisting`, left out and reported.
 */
import { sql } from 'kysely';
import { z } from 'zod';

import type { Project } from '../domain/project.ts';
import { type FieldProblem, fieldProblems, type ReminderRule, reminderRuleSchema } from '../domain/reminder-rule.ts';
import { AppError } from '../errors.ts';
import type { Trx } from '../store/database.ts';
import { insertReminderRule, listReminderRules, type ReminderRuleRecord, ruleBodyOf } from '../store/reminder-rule.store.ts';
import { listSurveys, type SurveyRecord } from '../store/survey.store.ts';
import type { ServiceDeps } from './deps.ts';
import { startRuleEvaluation } from './reminder-evaluation.service.ts';

export const TRANSFER_FORMAT = 'rollcall-reminder-rules';
export const TRANSFER_VERSION = 1;
/** The most rules one document may carry (an import is one transaction). */
export const MAX_TRANSFER_RULES = 500;

export interface ReminderRulesDocument {
  format: typeof TRANSFER_FORMAT;
  version: typeof TRANSFER_VERSION;
  /** Each rule as POST …/reminder-rules takes it (no id, version or timestamps). */
  rules: ReminderRule[];
  /** The name of each survey a rule sends, by the id in its content.surveyId. */
  surveys: Record<string, string>;
}

export interface ImportOptions {
  /** Leave out (and report) rules whose name the project already has, instead of refusing all. */
  skipExisting?: boolean | undefined;
  /** The user the new rules are recorded as created by (null: the CLI). */
  createdBy: string | null;
}

export interface ImportResult {
  created: Array<{ id: string; name: string }>;
  /** Names of the rules left out because the project already had a rule of that name. */
  skipped: string[];
}

/** The envelope; each rule is checked by the domain's reminderRuleSchema. */
const documentSchema = z.strictObject({
  format: z.literal(TRANSFER_FORMAT, { error: `must be "${TRANSFER_FORMAT}" (a file written by rollcall rules export)` }),
  version: z.literal(TRANSFER_VERSION, { error: `must be ${TRANSFER_VERSION}, the version this server reads` }),
  rules: z.array(z.unknown(), { error: 'must be a list of rules' }).max(MAX_TRANSFER_RULES, { error: `at most ${MAX_TRANSFER_RULES} rules per document; split it in several` }),
  surveys: z.record(z.string().max(64), z.string().max(200), { error: 'must map survey ids to survey names' }).default({}),
});

const PAGE = 500;

/** Every rule of the project, in creation order. */
async function allRules(db: ServiceDeps['db'] | Trx, projectId: string): Promise<ReminderRuleRecord[]> {
  const out: ReminderRuleRecord[] = [];
  for (;;) {
    const page = await listReminderRules(db, projectId, out.at(-1)?.seq ?? null, PAGE);
    out.push(...page);
    if (page.length < PAGE) {
      return out;
    }
  }
}

async function allSurveys(deps: ServiceDeps, projectId: string): Promise<SurveyRecord[]> {
  const out: SurveyRecord[] = [];
  for (;;) {
    const page = await listSurveys(deps.db, projectId, out.at(-1)?.seq ?? null, PAGE);
    out.push(...page);
    if (page.length < PAGE) {
      return out;
    }
  }
}


/** The project's rules as a document another project can import. */
export async function exportReminderRules(deps: ServiceDeps, project: Project): Promise<ReminderRulesDocument> {
  const rules = await allRules(deps.db, project.id);
  const wanted = new Set(rules.flatMap((r) => (r.content.surveyId === undefined ? [] : [r.content.surveyId])));
  const surveys: Record<string, string> = {};
  if (wanted.size > 0) {
    for (const s of await allSurveys(deps, project.id)) {
      if (wanted.has(s.id)) {
        surveys[s.id] = s.name;
      }
    }
  }
  return { format: TRANSFER_FORMAT, version: TRANSFER_VERSION, rules: rules.map(ruleBodyOf), surveys };
}

function problemError(problems: readonly FieldProblem[]): AppError {
  const first = problems[0] ?? { field: '(body)', message: 'is not valid' };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return new AppError('VALIDATION_ERROR', `${first.field}: ${first.message}${more}`, { details: { field: first.field, issues: problems } });
}

/**
 * Checks the whole document against the schema and the target project; returns the rules to create
 * (survey ids mapped to the project's), or throws VALIDATION_ERROR listing every problem found.
 */
async function checkDocument(deps: ServiceDeps, project: Project, doc: unknown): Promise<ReminderRule[]> {
  const envelope = documentSchema.safeParse(doc);
  if (!envelope.success) {
    throw problemError(fieldProblems(envelope.error));
  }
  const { rules: items, surveys: surveyNames } = envelope.data;
  const problems: FieldProblem[] = [];
  const rules: ReminderRule[] = [];
  items.forEach((item, i) => {
    const parsed = reminderRuleSchema.safeParse(item);
    if (parsed.success) {
      rules.push(parsed.data);
    } else {
      problems.push(...fieldProblems(parsed.error, `rules[${i}]`));
    }
  });
  if (problems.length > 0) {
    throw problemError(problems);
  }
  const firstOfName = new Map<string, number>();
  rules.forEach((rule, i) => {
    const earlier = firstOfName.get(rule.name);
    if (earlier === undefined) {
      firstOfName.set(rule.name, i);
    } else {
      problems.push({ field: `rules[${i}].name`, message: `"${rule.name}" is also the name of rules[${earlier}]; give each rule its own name` });
    }
  });
  if (rules.some((r) => r.content.surveyId !== undefined)) {
    const byName = new Map<string, string[]>();
    for (const s of await allSurveys(deps, project.id)) {
      byName.set(s.name, [...(byName.get(s.name) ?? []), s.id]);
    }
    rules.forEach((rule, i) => {
      const sourceId = rule.content.surveyId;
      if (sourceId === undefined) {
        return;
      }
      const field = `rules[${i}].content.surveyId`;
      const name = Object.hasOwn(surveyNames, sourceId) ? surveyNames[sourceId] : undefined;
      if (name === undefined) {
        problems.push({ field, message: `rule "${rule.name}" sends survey ${sourceId}, which the document's "surveys" does not name (add "${sourceId}": "<survey name>")` });
        return;
      }
      const targets = byName.get(name) ?? [];
      if (targets.length === 0) {
        problems.push({ field, message: `rule "${rule.name}" sends the survey "${name}", and project ${project.name} has no survey of that name (create it first)` });
      } else if (targets.length > 1) {
        problems.push({ field, message: `rule "${rule.name}" sends the survey "${name}", and project ${project.name} has ${targets.length} surveys of that name (rename all but one)` });
      } else {
        rule.content = { ...rule.content, surveyId: targets[0] as string };
      }
    });
  }
  if (problems.length > 0) {
    throw problemError(problems);
  }
  return rules;
}

/**
 * Imports a document into the project: every rule checked first, then all created in one
 * transaction (nothing is created when anything fails).
 */
export async function importReminderRules(deps: ServiceDeps, project: Project, doc: unknown, options: ImportOptions): Promise<ImportResult> {
  const rules = await checkDocument(deps, project, doc);
  return deps.db.transaction().execute(async (trx) => {
    // Two imports into one project at once would both see a name as free: one waits for the other.
    await sql`select pg_advisory_xact_lock(hashtextextended(${'reminder-rules:' + project.id}, 7222))`.execute(trx);
    const existing = new Set((await allRules(trx, project.id)).map((r) => r.name));
    const clashes = rules.flatMap((r, i) => (existing.has(r.name) ? [{ i, name: r.name }] : []));
    const first = clashes[0];
    if (first !== undefined && options.skipExisting !== true) {
      const names = clashes.map((c) => c.name);
      const list = names.map((n) => `"${n}"`).join(', ');
      throw new AppError(
        'CONFLICT',
        `rules[${first.i}].name: project ${project.name} already has a rule named ${list}; nothing was imported (rename or delete ${names.length > 1 ? 'them' : 'it'}, or import with skipExisting to leave ${names.length > 1 ? 'them' : 'it'} out)`,
        { details: { field: `rules[${first.i}].name`, names } },
      );
    }
    const now = deps.clock();
    const created: ImportResult['created'] = [];
    for (const rule of rules) {
      if (existing.has(rule.name)) {
        continue;
      }
      const saved = await insertReminderRule(trx, project.id, rule, options.createdBy, now);
      await startRuleEvaluation(trx, saved, now);
      created.push({ id: saved.id, name: saved.name });
    }
    return { created, skipped: clashes.map((c) => c.name) };
  });
}
