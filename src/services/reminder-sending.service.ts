/**
 * @module services/reminder-sending.service — due reminder occurrences become ordinary messages
 * (issue 25; docs/reminders.md "Sending"). One step claims a batch of due occurrences (SKIP
 * LOCKED, so several workers share them), renders each text in the recipient's language with the
 * case's placeholders, plans it as any single send is planned (consent, opt-out, gateway, language
 * — and dispatch checks them all again at send time), inserts the messages with their rule, and
 * marks each occurrence queued with its message id, all in one transaction: an occurrence becomes
 * exactly one message or none. A message that cannot go out is stored failed with its code, so the
 * rule's report shows it; an occurrence whose case closed or whose rule was paused meanwhile is
 * cancelled instead.
 */
import { randomUUID } from 'node:crypto';

import type { Project } from '../domain/project.ts';
import { renderReminderText } from '../domain/reminder-schedule.ts';
import { addressOf, optOutKey, type Recipient } from '../domain/recipient.ts';
import type { ErrorCode } from '../errors.ts';
import { type CaseWithEntry, findCasesByIds } from '../store/case.store.ts';
import type { Db, Trx } from '../store/database.ts';
import { insertOutboundMany, type NewOutboundMessage } from '../store/message.store.ts';
import { findMobileWorkersByIds } from '../store/mobile-worker.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { findEntriesByOwner } from '../store/phone-entry.store.ts';
import { findProjectsByIds } from '../store/project.store.ts';
import { claimDueOccurrences, type DueOccurrence, listDueOccurrenceProjects, markCasesDirty, markOccurrencesDone } from '../store/reminder-occurrence.store.ts';
import { claimInTurn, ProjectRotation, PROJECTS_PER_CLAIM } from './project-rotation.ts';
import { findReminderRulesByIds, type ReminderRuleRecord } from '../store/reminder-rule.store.ts';
import type { ServiceDeps } from './deps.ts';
import { loadRouting, planMessage } from './message-plan.ts';
import { caseRecipient, workerRecipient } from './recipients.service.ts';
import { ruleChannel } from './reminder-evaluation.service.ts';
import { startSurveyForReminder } from './survey-sessions.service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Done {
  occurrence: DueOccurrence;
  messageId: string | null;
  reason: string | null;
}

/** The rule's texts for one case: each language's template with the case's placeholders, dates in that language. */
export function renderRuleContent(
  rule: Pick<ReminderRuleRecord, 'content'>,
  c: { name: string; properties: Readonly<Record<string, string>> },
  defaultLanguage: string,
  zone: string,
): { text?: string; translations?: Record<string, string>; subject: string | null; missing: string[] } {
  const missing = new Set<string>();
  const render = (template: string, language: string) => {
    const out = renderReminderText(template, { name: c.name, properties: c.properties, language, zone });
    out.missing.forEach((m) => missing.add(m));
    return out.text;
  };
  const { text, translations, subject } = rule.content;
  return {
    ...(text === undefined ? {} : { text: render(text, defaultLanguage) }),
    ...(translations === undefined ? {} : { translations: Object.fromEntries(Object.entries(translations).map(([lang, t]) => [lang, render(t, lang)])) }),
    subject: subject === undefined ? null : render(subject, defaultLanguage),
    missing: [...missing],
  };
}

/** The recipients of one project's occurrences: its live cases and the owners they name. */
async function loadRecipients(trx: Trx, project: Project, due: readonly DueOccurrence[]) {
  const cases = new Map((await findCasesByIds(trx, project.id, [...new Set(due.map((o) => o.caseId))])).map((c) => [c.id, c]));
  const ownerIds = [
    ...new Set(
      due.flatMap((o) => {
        const owner = o.recipient === 'owner' ? cases.get(o.caseId)?.ownerId : null;
        return owner && UUID.test(owner) ? [owner] : [];
      }),
    ),
  ];
  const workers = await findMobileWorkersByIds(trx, project.id, ownerIds);
  const entries = await findEntriesByOwner(trx, project.id, 'mobile-worker', workers.map((w) => w.id));
  const owners = new Map(workers.map((w) => [w.id, workerRecipient(project, w, entries.filter((e) => e.ownerId === w.id))]));
  return { cases, owners };
}

/** One project's due occurrences → messages (or cancellations). */
async function sendProjectReminders(trx: Trx, deps: ServiceDeps, project: Project, due: readonly DueOccurrence[], rules: ReadonlyMap<string, ReminderRuleRecord>, now: Date): Promise<Done[]> {
  const { cases, owners } = await loadRecipients(trx, project, due);
  const routing = await loadRouting(trx as unknown as Db, project);
  const targets: Array<{ o: DueOccurrence; rule: ReminderRuleRecord; c: CaseWithEntry; r: Recipient | null }> = [];
  const done: Done[] = [];
  const cancel = (o: DueOccurrence, reason: ErrorCode) => done.push({ occurrence: o, messageId: null, reason });
  for (const o of due) {
    const rule = rules.get(o.ruleId);
    const c = cases.get(o.caseId);
    if (!rule || !rule.active) {
      cancel(o, 'REMINDER_RULE_PAUSED');
    } else if (!c || c.closed) {
      cancel(o, 'CONTACT_IS_INACTIVE');
    } else {
      const r = o.recipient === 'case' ? caseRecipient(project, c) : (c.ownerId !== null && owners.get(c.ownerId)) || null;
      targets.push({ o, rule, c, r });
    }
  }
  const addresses = targets.flatMap(({ rule, r }) => {
    const channel = ruleChannel(rule);
    const a = r ? addressOf(r, channel) : null;
    return a ? [optOutKey(a, channel)] : [];
  });
  const optedOut = addresses.length ? await findOptedOut(trx, addresses) : new Set<string>();
  const ctx = { project, routing, consentCountries: deps.messaging.consentCountries, optedOut, now, createdBy: null, broadcastId: null };
  const messages: NewOutboundMessage[] = [];
  for (const { o, rule, c, r } of targets) {
    const surveyId = rule.content.surveyId;
    if (surveyId !== undefined) {
      const message = await startSurveyForReminder(trx, deps, project, surveyId, c, now);
      if (message) {
        // Its created_at is the application's clock (whole milliseconds): with the id, its month's partition alone.
        await trx.updateTable('messages').set({ reminder_rule_id: rule.id }).where('id', '=', message.id).where('created_at', '=', message.createdAt).execute();
      }
      done.push({ occurrence: o, messageId: message?.id ?? null, reason: message ? null : 'NO_MESSAGE' });
      continue;
    }
    const channel = ruleChannel(rule);
    const id = randomUUID();
    if (r === null) {
      // The owner is not a mobile worker of the project: the case's log says so.
      messages.push({
        projectId: project.id, channel, status: 'failed', to: null, text: null, subject: null, language: null, gatewayId: null, gatewayName: null,
        errorCode: 'NO_OWNER_MOBILE_WORKER', errorDetail: null, contactType: 'case', contactId: c.id, broadcastId: null,
        dueAt: null, scheduledLocal: null, scheduledZone: null, createdBy: null, id, reminderRuleId: rule.id,
      });
    } else {
      const content = renderRuleContent(rule, c, project.defaultLanguage, r.timeZone);
      const planned = planMessage(ctx, r, { channel, content, subject: content.subject, sendAt: null });
      messages.push({ ...planned, id, reminderRuleId: rule.id });
    }
    done.push({ occurrence: o, messageId: id, reason: null });
  }
  await insertOutboundMany(trx, messages, now);
  return done;
}

/** The rotation of projects with due occurrences (services/project-rotation.ts). */
export function dueRemindersRotation(deps: ServiceDeps, refreshMs = 0): ProjectRotation<Trx> {
  return new ProjectRotation<Trx>({ list: (trx) => listDueOccurrenceProjects(trx, deps.clock()), refreshMs });
}

/**
 * One step: up to `limit` due occurrences, project by project in turn, become messages, in one
 * transaction. Returns how many occurrences it handled (a full batch means: call again at once).
 */
export async function sendDueReminders(deps: ServiceDeps, limit: number, rotation: ProjectRotation<Trx> = dueRemindersRotation(deps)): Promise<number> {
  const series: Array<{ caseId: string; projectId: string }> = [];
  const handled = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock();
    const due: DueOccurrence[] = [];
    await claimInTurn(rotation, trx, limit, PROJECTS_PER_CLAIM, async ({ projectId }, room) => {
      const got = await claimDueOccurrences(trx, projectId, now, room);
      due.push(...got);
      return got.length;
      // The claimed occurrences stay 'scheduled' and locked by this transaction until it ends: asked
      // again, the project would hand back the same ones.
    }, { askAgain: false });
    if (due.length === 0) {
      return 0;
    }
    const projectIds = [...new Set(due.map((o) => o.projectId))];
    const [projects, rules] = await Promise.all([findProjectsByIds(trx as unknown as Db, projectIds), findReminderRulesByIds(trx, [...new Set(due.map((o) => o.ruleId))])]);
    const done: Done[] = [];
    for (const projectId of projectIds) {
      const mine = due.filter((o) => o.projectId === projectId);
      const project = projects.get(projectId);
      if (!project) {
        mine.forEach((o) => done.push({ occurrence: o, messageId: null, reason: 'CONTACT_IS_INACTIVE' }));
        continue;
      }
      done.push(...(await sendProjectReminders(trx, deps, project, mine, rules, now)));
    }
    await markOccurrencesDone(trx, done, now);
    for (const o of due) {
      const type = rules.get(o.ruleId)?.schedule.type;
      if (type === 'daily' || type === 'weekly') {
        series.push({ caseId: o.caseId, projectId: o.projectId });
      }
    }
    return due.length;
  });
  if (handled > 0) {
    deps.notifyDue();
  }
  // A daily or weekly series plans a limited number of occurrences ahead: each one sent has its case
  // evaluated again, which plans the next. After the commit (and not in it: an evaluation holding
  // the case's mark would wait on these occurrences while we wait on its mark). Lost in a crash
  // here, the next occurrence of the series marks the case again.
  await markCasesDirty(deps.db, series);
  return handled;
}
