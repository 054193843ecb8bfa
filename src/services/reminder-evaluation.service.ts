/**
 * @module services/reminder-evaluation.service — which cases match which reminder rule and what is
 * scheduled for them (issue 25; docs/reminders.md "Evaluation follows the case").
 *
 * One function, `evaluateCases`, decides for a batch of cases and a set of rules: the matches (with
 * why a matching case cannot be reached), the wanted occurrences (upserted under their unique key,
 * so however often a case is evaluated each occurrence exists once), and the scheduled ones no
 * longer wanted (cancelled, each with its reason). Two callers feed it:
 * - `evaluateDirtyCases`: the cases that triggers on `cases` and `opt_outs` marked in the writer's
 *   transaction (migration 0021), against every active rule of their project;
 * - `evaluateRuleStep`: one batch of a rule's cases in `seq` order after the rule was created,
 *   edited or resumed, with the cursor and progress saved on the rule in the same transaction — a
 *   killed process resumes from the cursor, and a repeated batch changes nothing.
 * Conditions are decided on the case's own calendar day; times in its zone (else the project's);
 * an owner recipient uses the owner's zone.
 */
import { sql } from 'kysely';
import { Temporal } from 'temporal-polyfill';

import type { Project } from '../domain/project.ts';
import { matchesConditions, type ReminderRule } from '../domain/reminder-rule.ts';
import { occurrences, type OccurrencesResult } from '../domain/reminder-schedule.ts';
import { canonicalTimeZone } from '../domain/time-zone.ts';
import type { ErrorCode } from '../errors.ts';
import type { Db, Trx } from '../store/database.ts';
import { findMobileWorkersByIds } from '../store/mobile-worker.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { findProjectsByIds } from '../store/project.store.ts';
import {
  cancelRuleOccurrences,
  cancelUnwanted,
  type CancelReason,
  dropStrayMatches,
  lockProjectEvaluation,
  type MatchRow,
  replaceMatches,
  seriesStarts,
  listDirtyCaseProjects,
  takeDirtyCases,
  upsertOccurrences,
  type WantedOccurrence,
} from '../store/reminder-occurrence.store.ts';
import { activeRulesOf, lockRunningEvaluation, type ReminderRuleRecord, saveEvaluation } from '../store/reminder-rule.store.ts';
import { casesForEvaluation, countCasesOfType, type EvaluatedCase } from '../store/reminder-evaluation.store.ts';
import type { ServiceDeps } from './deps.ts';
import { claimInTurn, ProjectRotation, PROJECTS_PER_CLAIM } from './project-rotation.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What one evaluation decided, before it is written. */
export interface Decision {
  wanted: WantedOccurrence[];
  reasons: CancelReason[];
  matches: MatchRow[];
}

/** A zone from a case's time_zone property, else the project's (memoised: a few zones serve a million cases). */
function zoneReader(): (raw: string | undefined, fallback: string) => string {
  const known = new Map<string, string | null>();
  return (raw, fallback) => {
    const text = raw?.trim() ?? '';
    if (text === '') {
      return fallback;
    }
    let zone = known.get(text);
    if (zone === undefined) {
      zone = canonicalTimeZone(text);
      known.set(text, zone);
    }
    return zone ?? fallback;
  };
}

/** The calendar day of `now` in a zone (memoised per zone). */
function dayReader(now: Temporal.Instant): (zone: string) => Temporal.PlainDate {
  const days = new Map<string, Temporal.PlainDate>();
  return (zone) => {
    let day = days.get(zone);
    if (day === undefined) {
      day = now.toZonedDateTimeISO(zone).toPlainDate();
      days.set(zone, day);
    }
    return day;
  };
}

/** The channel a rule's content goes out on (a survey's first question is an SMS). */
export function ruleChannel(rule: Pick<ReminderRule, 'content'>): 'sms' | 'email' {
  return rule.content.surveyId === undefined && rule.content.channel === 'email' ? 'email' : 'sms';
}

/** Why the case itself cannot get this rule's channel, as far as its row says (consent is decided when sending). */
function caseProblem(c: EvaluatedCase, channel: 'sms' | 'email', optedOut: ReadonlySet<string>): ErrorCode | null {
  if (channel === 'email') {
    const email = (c.properties.commcare_email_address ?? '').trim().toLowerCase();
    if (email === '') {
      return 'NO_EMAIL_ADDRESS';
    }
    return optedOut.has(email) ? 'EMAIL_OPTED_OUT' : null;
  }
  if (c.phoneNumber === null) {
    return (c.properties.contact_phone_number ?? '').trim() === '' ? 'NO_PHONE_NUMBER' : 'INVALID_PHONE_NUMBER';
  }
  return optedOut.has(c.phoneNumber) ? 'PHONE_NUMBER_OPTED_OUT' : null;
}

/** Decides matches and occurrences for `cases` × `rules` (pure apart from what it was given). */
function decide(
  project: Project,
  cases: readonly EvaluatedCase[],
  rules: readonly ReminderRuleRecord[],
  facts: { now: Date; optedOut: ReadonlySet<string>; ownerZones: ReadonlyMap<string, string>; starts: ReadonlyMap<string, Date> },
): Decision {
  const out: Decision = { wanted: [], reasons: [], matches: [] };
  const instant = Temporal.Instant.fromEpochMilliseconds(facts.now.getTime());
  const zoneOf = zoneReader();
  const today = dayReader(instant);
  const memo = new Map<string, OccurrencesResult>();
  for (const c of cases) {
    const caseZone = zoneOf(c.properties.time_zone, project.timeZone);
    for (const rule of rules) {
      const reason = (code: ErrorCode) => out.reasons.push({ caseId: c.id, ruleId: rule.id, reason: code });
      if (c.deleted || c.closed) {
        reason('CONTACT_IS_INACTIVE');
        continue;
      }
      if (rule.caseType !== c.caseType || !matchesConditions(c.properties, rule.conditions, today(caseZone))) {
        reason('REMINDER_NO_LONGER_MATCHES');
        continue;
      }
      const stopWhen = rule.schedule.stopWhen;
      if (stopWhen?.length && matchesConditions(c.properties, stopWhen, today(caseZone))) {
        reason('REMINDER_STOP_CONDITION');
        continue;
      }
      const channel = ruleChannel(rule);
      let problem: ErrorCode | null = null;
      let cancelReason: ErrorCode = 'REMINDER_RESCHEDULED';
      const who: Array<{ recipient: 'case' | 'owner'; zone: string }> = [];
      if (rule.recipients !== 'owner') {
        problem = caseProblem(c, channel, facts.optedOut);
        if (problem === 'PHONE_NUMBER_OPTED_OUT' || problem === 'EMAIL_OPTED_OUT') {
          // STOP cancels: nothing is planned for a number that opted out (START plans again).
          cancelReason = problem;
        } else {
          who.push({ recipient: 'case', zone: caseZone });
        }
      }
      if (rule.recipients !== 'case') {
        const ownerZone = c.ownerId === null ? undefined : facts.ownerZones.get(c.ownerId);
        if (ownerZone === undefined) {
          problem ??= 'NO_OWNER_MOBILE_WORKER';
        } else {
          who.push({ recipient: 'owner', zone: ownerZone });
        }
      }
      for (const { recipient, zone } of who) {
        const since = facts.starts.get(`${rule.id}:${c.id}`);
        const compute = () =>
          occurrences({ schedule: rule.schedule, window: rule.window ?? undefined, properties: c.properties, zone, now: instant, ruleId: rule.id, caseId: c.id, since });
        // Without a spread, the occurrences depend on the case only through its start date and zone
        // (the stop condition was checked above): cases that share them share the computation.
        let result;
        if (rule.schedule.spreadMinutes === undefined) {
          const start = rule.schedule.startProperty === undefined ? '' : (c.properties[rule.schedule.startProperty] ?? '');
          const key = `${rule.id}\u0000${zone}\u0000${start}\u0000${since?.toISOString() ?? ''}`;
          result = memo.get(key);
          if (result === undefined) {
            result = compute();
            memo.set(key, result);
          }
        } else {
          result = compute();
        }
        if (result.problem !== undefined) {
          problem = 'REMINDER_DATE_NOT_READABLE';
          cancelReason = 'REMINDER_DATE_NOT_READABLE';
        }
        for (const o of result.occurrences) {
          out.wanted.push({ projectId: project.id, ruleId: rule.id, caseId: c.id, recipient, key: o.key, dueAt: o.at, localTime: o.localTime, zone: o.zone, ruleVersion: rule.version });
        }
      }
      out.matches.push({ caseId: c.id, ruleId: rule.id, projectId: project.id, problem });
      reason(cancelReason);
    }
  }
  return out;
}

/**
 * What evaluating `cases` of one project against `rules` would decide now, from the database's
 * facts (opt-outs, owners, where a repeating series started); nothing is written. The preview of a
 * rule for one case reads this too.
 */
export async function decideCases(db: Db | Trx, project: Project, cases: readonly EvaluatedCase[], rules: readonly ReminderRuleRecord[], now: Date): Promise<Decision> {
  const ids = cases.map((c) => c.id);
  const channels = new Set(rules.map(ruleChannel));
  const addresses: string[] = [];
  for (const c of cases) {
    if (channels.has('sms') && c.phoneNumber !== null) {
      addresses.push(c.phoneNumber);
    }
    const email = (c.properties.commcare_email_address ?? '').trim().toLowerCase();
    if (channels.has('email') && email !== '') {
      addresses.push(email);
    }
  }
  const withOwner = rules.some((r) => r.recipients !== 'case');
  const ownerIds = withOwner ? [...new Set(cases.flatMap((c) => (c.ownerId !== null && UUID.test(c.ownerId) ? [c.ownerId] : [])))] : [];
  const seriesRules = rules.filter((r) => r.schedule.repeat !== undefined && r.schedule.startProperty === undefined && (r.schedule.type === 'daily' || r.schedule.type === 'weekly'));
  const [optedOut, owners, starts] = await Promise.all([
    addresses.length ? findOptedOut(db, addresses) : Promise.resolve(new Set<string>()),
    findMobileWorkersByIds(db, project.id, ownerIds),
    seriesStarts(
      db,
      seriesRules.map((r) => r.id),
      ids,
    ),
  ]);
  const zoneOf = zoneReader();
  const ownerZones = new Map(owners.map((w) => [w.id, zoneOf(w.timeZone ?? undefined, project.timeZone)]));
  return decide(project, cases, rules, { now, optedOut, ownerZones, starts });
}

/**
 * Evaluates `cases` of one project against `rules` in the caller's transaction. `all-rules` (the
 * project's active rules): every scheduled occurrence of these cases that no rule wants any more is
 * cancelled. `these-rules` (a rule's own evaluation): only those rules' matches and occurrences are
 * touched. `new-rule`: as these-rules for a rule that has no occurrences or matches yet;
 * `new-cases`: as all-rules for cases just created.
 */
export async function evaluateCases(
  trx: Trx,
  project: Project,
  cases: readonly EvaluatedCase[],
  rules: readonly ReminderRuleRecord[],
  now: Date,
  scope: 'all-rules' | 'these-rules' | 'new-rule' | 'new-cases',
): Promise<void> {
  if (cases.length === 0) {
    return;
  }
  const ids = cases.map((c) => c.id);
  const decision = await decideCases(trx, project, cases, rules, now);
  const ruleIds = scope === 'all-rules' || scope === 'new-cases' ? null : rules.map((r) => r.id);
  if (scope === 'new-rule' || scope === 'new-cases') {
    // A rule just created, or cases just created, have nothing to reschedule or cancel yet: only inserts.
    await upsertOccurrences(trx, decision.wanted, now, 'insert-only');
    await replaceMatches(trx, ids, ruleIds, decision.matches, 'insert-only');
    return;
  }
  await upsertOccurrences(trx, decision.wanted, now);
  await cancelUnwanted(trx, ids, ruleIds, decision.wanted, decision.reasons, now);
  await replaceMatches(trx, ids, ruleIds, decision.matches);
}

/**
 * Occurrences and matches are derived data with their cursor in the same or a later transaction:
 * a commit lost to a database crash is evaluated again, so the transaction does not wait for its
 * WAL flush (the WAL is flushed in order, so an earlier commit is never lost while a later is kept).
 */
async function derivedDataCommit(trx: Trx): Promise<void> {
  await sql`set local synchronous_commit = off`.execute(trx);
}

/** The rotation of projects with cases marked for evaluation (services/project-rotation.ts). */
export function dirtyCasesRotation(refreshMs = 0): ProjectRotation<Trx> {
  return new ProjectRotation<Trx>({ list: (trx) => listDirtyCaseProjects(trx), refreshMs });
}

/**
 * One step over the cases marked for evaluation: takes up to `limit`, project by project in turn,
 * evaluates them against their project's active rules, all in one transaction. Returns how many
 * cases it evaluated.
 */
export async function evaluateDirtyCases(deps: ServiceDeps, limit: number, rotation: ProjectRotation<Trx> = dirtyCasesRotation()): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    await derivedDataCommit(trx);
    const marked: Array<{ caseId: string; projectId: string; isNew: boolean }> = [];
    await claimInTurn(rotation, trx, limit, PROJECTS_PER_CLAIM, async ({ projectId }, room) => {
      const got = await takeDirtyCases(trx, projectId, room);
      marked.push(...got);
      return got.length;
    });
    if (marked.length === 0) {
      return 0;
    }
    const now = deps.clock();
    const byProject = new Map<string, string[]>();
    for (const m of marked) {
      byProject.set(m.projectId, [...(byProject.get(m.projectId) ?? []), m.caseId]);
    }
    const isNew = new Set(marked.filter((m) => m.isNew).map((m) => m.caseId));
    const projects = await findProjectsByIds(trx as unknown as Db, [...byProject.keys()]);
    for (const [projectId, caseIds] of [...byProject].sort(([a], [b]) => a.localeCompare(b))) {
      const project = projects.get(projectId);
      if (!project) {
        continue;
      }
      await lockProjectEvaluation(trx, projectId);
      const [cases, rules] = await Promise.all([casesForEvaluation(trx, projectId, { ids: caseIds }), activeRulesOf(trx, projectId)]);
      // Cases marked only by their insert have nothing to cancel yet: they are only inserted for.
      await evaluateCases(trx, project, cases.filter((c) => isNew.has(c.id)), rules, now, 'new-cases');
      await evaluateCases(trx, project, cases.filter((c) => !isNew.has(c.id)), rules, now, 'all-rules');
    }
    return marked.length;
  });
}

/**
 * One batch of a rule's own evaluation (after it was created, edited or resumed): the next `limit`
 * cases of its type after the saved cursor, with the cursor and progress saved in the same
 * transaction. At the end, scheduled sends of an earlier version that no case wanted again (cases
 * that left the case type) are cancelled. Returns the number of cases evaluated (0: nothing running).
 */
export async function evaluateRuleStep(deps: ServiceDeps, limit: number, parallel = 1): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    await derivedDataCommit(trx);
    const rule = await lockRunningEvaluation(trx);
    if (!rule || !rule.evaluation) {
      return 0;
    }
    const progress = rule.evaluation;
    const now = deps.clock();
    // The batch's parts below run in transactions of their own under this transaction's lock.
    await lockProjectEvaluation(trx, rule.projectId);
    const projects = await findProjectsByIds(trx as unknown as Db, [rule.projectId]);
    const project = projects.get(rule.projectId);
    const cases = project ? await casesForEvaluation(trx, rule.projectId, { caseType: rule.caseType, afterSeq: progress.cursor, limit }) : [];
    const scope = progress.fresh === true ? 'new-rule' : 'these-rules';
    if (project && cases.length && parallel > 1) {
      // PostgreSQL: the batch's parts in transactions of their own, side by side (one core each);
      // the cursor below commits after them. A crash in between repeats the batch, which the
      // occurrences' unique key and the matches' upsert make harmless.
      const size = Math.ceil(cases.length / parallel);
      const parts = Array.from({ length: parallel }, (_, i) => cases.slice(i * size, (i + 1) * size)).filter((p) => p.length);
      await Promise.all(
        parts.map((part) =>
          deps.db.transaction().execute(async (own) => {
            await derivedDataCommit(own);
            await evaluateCases(own, project, part, [rule], now, scope);
          }),
        ),
      );
    } else if (project && cases.length) {
      await evaluateCases(trx, project, cases, [rule], now, scope);
    }
    const finished = cases.length < limit;
    if (finished && scope === 'these-rules') {
      // An edited rule: what its earlier version planned for cases no longer of its type goes.
      await cancelRuleOccurrences(trx, rule.id, 'REMINDER_NO_LONGER_MATCHES', now, rule.version);
      await dropStrayMatches(trx, rule.id, rule.caseType);
    }
    await saveEvaluation(trx, rule.id, {
      ...progress,
      status: finished ? 'done' : 'running',
      done: progress.done + cases.length,
      total: Math.max(progress.total, progress.done + cases.length),
      cursor: cases.at(-1)?.seq ?? progress.cursor,
      ...(finished ? { finishedAt: now.toISOString() } : {}),
    });
    return Math.max(cases.length, 1);
  });
}

/**
 * Starts (or restarts) a rule's evaluation over its cases, in the caller's transaction (the rule's
 * insert or update): the loop picks it up at once. A paused rule instead has its scheduled sends
 * cancelled, in the same transaction, so pausing stops future sends at once.
 */
export async function startRuleEvaluation(trx: Trx, rule: ReminderRuleRecord, now: Date = new Date()): Promise<void> {
  if (!rule.active) {
    await cancelRuleOccurrences(trx, rule.id, 'REMINDER_RULE_PAUSED', now);
    await saveEvaluation(trx, rule.id, { status: 'paused', done: 0, total: 0, cursor: null, version: rule.version, startedAt: now.toISOString() });
    return;
  }
  const total = await countCasesOfType(trx, rule.projectId, rule.caseType);
  // A rule inserted in this transaction (version 1, never evaluated) has nothing to reschedule.
  const fresh = rule.version === 1 && rule.evaluation === null;
  await saveEvaluation(trx, rule.id, { status: 'running', done: 0, total, cursor: null, version: rule.version, startedAt: now.toISOString(), ...(fresh ? { fresh } : {}) });
}
