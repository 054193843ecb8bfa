/**
 * @module http/admin/reminder-rules.routes — Messaging → Reminder rules (views in
 * reminder-rules.views.tsx and reminders.views.tsx).
 *
 * Routes (members read; admins write):
 * - GET  /ui/p/:project/reminder-rules               the list with matching counts
 * - GET  /ui/p/:project/reminder-rules/new           the form (admin)
 * - POST /ui/p/:project/reminder-rules               create (admin)
 * - GET  /ui/p/:project/reminder-rules/:id           the rule's page (?caseId= previews one case, by id or name)
 * - GET  /ui/p/:project/reminder-rules/:id/progress  the report fragment htmx polls every 2 s while the rule is evaluated
 * - GET  /ui/p/:project/reminder-rules/:id/edit      the form filled in (admin)
 * - POST /ui/p/:project/reminder-rules/:id           save (admin)
 * - POST /ui/p/:project/reminder-rules/:id/pause | resume | delete (admin)
 *
 * The form is turned into the API's rule body; the service's problems (`schedule.offsets[0].time`)
 * are put back on the form's fields, all at once, with what was typed (422).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import type { Project } from '../../domain/project.ts';
import { type FieldProblem, validateReminderRule } from '../../domain/reminder-rule.ts';
import { AppError } from '../../errors.ts';
import { searchProjectCases } from '../../services/cases.service.ts';
import { isUuid } from '../../services/deps.ts';
import { type CasePreview, previewRuleForCase, ruleReport } from '../../services/reminder-report.service.ts';
import { createReminderRule, findReminderRuleView, listRulesWithMatching, patchReminderRule, removeReminderRule } from '../../services/reminder-rules.service.ts';
import { listProjectSurveys } from '../../services/surveys.service.ts';
import { caseTypesOf } from '../../store/case.store.ts';
import type { AdminDeps } from './admin-deps.ts';
import { type FieldErrors, formFields, formList, parseForm } from './components/form.tsx';
import { scopeOf } from './project-scope.ts';
import { type ConditionRow, emptyRuleForm, formLanguages, type OffsetRow, ruleFormOf, type RuleFormState, RuleFormPage, RuleListPage, RulePage, textField } from './reminder-rules.views.tsx';
import { ReportBox } from './reminders.views.tsx';
import { formError, sendHtml } from './ui.tsx';

const MAX_ROWS = 50;

function rows<T>(fields: Record<string, string>, prefix: string, keys: readonly string[], make: (get: (k: string) => string) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < MAX_ROWS && keys.some((k) => fields[`${prefix}-${i}-${k}`] !== undefined); i++) {
    out.push(make((k) => fields[`${prefix}-${i}-${k}`] ?? ''));
  }
  return out;
}

/** The form as typed. */
export function readRuleForm(project: Project, body: unknown): RuleFormState {
  const f = formFields(body);
  const texts: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    if (k.startsWith('text-') && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(k.slice(5))) {
      texts[k.slice(5)] = v;
    }
  }
  const condition = (get: (k: string) => string): ConditionRow => ({ property: get('property'), op: get('op') || 'eq', value: get('value') });
  return {
    name: f.name ?? '',
    caseType: f.caseType ?? '',
    conditions: rows(f, 'cond', ['property', 'op', 'value'], condition),
    recipients: f.recipients ?? 'case',
    contentKind: f.contentKind === 'survey' ? 'survey' : 'text',
    channel: f.channel ?? 'sms',
    texts: Object.fromEntries(formLanguages(project, texts).map((l) => [l, texts[l] ?? ''])),
    subject: f.subject ?? '',
    surveyId: f.surveyId ?? '',
    scheduleType: f.scheduleType ?? 'offsets',
    startProperty: f.startProperty ?? '',
    offsets: rows(f, 'off', ['days', 'time'], (get): OffsetRow => ({ days: get('days'), time: get('time') })),
    times: f.times ?? '',
    weekdays: formList(body, 'weekdays'),
    repeat: f.repeat ?? '',
    stopWhen: rows(f, 'stop', ['property', 'op', 'value'], condition),
    spreadMinutes: f.spreadMinutes ?? '',
    windowFrom: f.windowFrom ?? '',
    windowTo: f.windowTo ?? '',
    active: f.active === '1',
  };
}

const INTEGER = /^[+-]?\d+$/;
/** A whole number as typed ("−7" with a real minus too), else the text itself (the rule's check then names the field). */
function whole(text: string): number | string {
  const t = text.trim().replace(/^[−–]/, '-');
  return INTEGER.test(t) ? Number(t) : text;
}

/** Which form row each of the body's list items came from (blank rows are left out). */
interface RowMaps {
  cond: number[];
  stop: number[];
  off: number[];
  times: string[];
}

const filled = (r: ConditionRow) => r.property.trim() !== '' || r.value.trim() !== '';

/** The API's rule body for the form, and where each list item came from. */
export function ruleBody(project: Project, st: RuleFormState): { body: Record<string, unknown>; maps: RowMaps } {
  const maps: RowMaps = { cond: [], stop: [], off: [], times: [] };
  const conditions = (list: ConditionRow[], map: number[]) =>
    list.flatMap((r, i) => {
      if (!filled(r)) {
        return [];
      }
      map.push(i);
      return [{ property: r.property.trim(), op: r.op, ...(r.value.trim() === '' ? {} : { value: r.value.trim() }) }];
    });
  const offsets = st.offsets.flatMap((o, i) => {
    if (o.days.trim() === '' && o.time.trim() === '') {
      return [];
    }
    maps.off.push(i);
    return [{ days: whole(o.days), time: o.time.trim() }];
  });
  maps.times = st.times.split(/[\s,;]+/).filter(Boolean);
  const stopWhen = conditions(st.stopWhen, maps.stop);
  const schedule: Record<string, unknown> = { type: st.scheduleType };
  if (st.startProperty.trim() !== '') {
    schedule.startProperty = st.startProperty.trim();
  }
  if (offsets.length) {
    schedule.offsets = offsets;
  }
  if (maps.times.length) {
    schedule.times = maps.times;
  }
  if (st.weekdays.length) {
    schedule.weekdays = st.weekdays;
  }
  if (st.repeat.trim() !== '') {
    schedule.repeat = whole(st.repeat);
  }
  if (stopWhen.length) {
    schedule.stopWhen = stopWhen;
  }
  if (st.spreadMinutes.trim() !== '') {
    schedule.spreadMinutes = whole(st.spreadMinutes);
  }
  let content: Record<string, unknown>;
  if (st.contentKind === 'survey') {
    content = { surveyId: st.surveyId };
  } else {
    const translations = Object.fromEntries(formLanguages(project, st.texts).flatMap((l) => ((st.texts[l] ?? '').trim() === '' ? [] : [[l, st.texts[l] ?? '']])));
    content = { channel: st.channel, translations, ...(st.channel === 'email' && st.subject.trim() !== '' ? { subject: st.subject } : {}) };
  }
  const body: Record<string, unknown> = {
    name: st.name,
    caseType: st.caseType,
    conditions: conditions(st.conditions, maps.cond),
    recipients: st.recipients,
    content,
    schedule,
    active: st.active,
    window: st.windowFrom.trim() === '' && st.windowTo.trim() === '' ? null : { from: st.windowFrom.trim(), to: st.windowTo.trim() },
  };
  return { body, maps };
}

/** What the form checks before the rule's own check: what a field cannot say in the API's terms. */
function formSchema(project: Project, st: RuleFormState) {
  return z.record(z.string(), z.string()).superRefine((_f, ctx) => {
    const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
    if (st.contentKind === 'text' && (st.texts[project.defaultLanguage] ?? '').trim() === '') {
      issue(textField(project.defaultLanguage), 'write the message in the default language (the others may be left blank: they get this text).');
    }
    if (st.contentKind === 'survey' && st.surveyId === '') {
      issue('surveyId', 'choose the survey to send.');
    }
    st.offsets.forEach((o, i) => {
      if (o.days.trim() === '' && o.time.trim() !== '') {
        issue(`off-${i}-days`, 'write the number of days from the date (0 = on the date, -7 = a week before).');
      } else if (o.days.trim() !== '' && typeof whole(o.days) !== 'number') {
        issue(`off-${i}-days`, 'use a whole number of days, such as -7 or 1.');
      }
    });
    for (const name of ['repeat', 'spreadMinutes'] as const) {
      if (st[name].trim() !== '' && typeof whole(st[name]) !== 'number') {
        issue(name, 'use a whole number.');
      }
    }
    if ((st.windowFrom.trim() === '') !== (st.windowTo.trim() === '')) {
      issue(st.windowFrom.trim() === '' ? 'windowFrom' : 'windowTo', 'give both times of the send window, or neither.');
    }
  });
}

/** The form field an API field name (`schedule.offsets[0].time`) belongs to. */
export function formFieldOf(project: Project, st: RuleFormState, maps: RowMaps, api: string): string {
  const row = (kind: 'cond' | 'stop' | 'off', i: string | undefined) => maps[kind][Number(i)] ?? 0;
  let m = /^conditions\[(\d+)\]\.(property|op|value)/.exec(api);
  if (m) {
    return `cond-${row('cond', m[1])}-${m[2]}`;
  }
  m = /^schedule\.stopWhen\[(\d+)\]\.(property|op|value)/.exec(api);
  if (m) {
    return `stop-${row('stop', m[1])}-${m[2]}`;
  }
  m = /^schedule\.offsets\[(\d+)\]\.(days|time)/.exec(api);
  if (m) {
    return `off-${row('off', m[1])}-${m[2]}`;
  }
  m = /^content\.translations\.([^.[]+)/.exec(api);
  if (m?.[1] && m[1] in st.texts) {
    return textField(m[1]);
  }
  const top = api.replace(/\[.*$/, '');
  const direct: Record<string, string> = {
    name: 'name',
    caseType: 'caseType',
    recipients: 'recipients',
    active: 'active',
    conditions: 'conditions',
    'schedule.type': 'scheduleType',
    'schedule.startProperty': 'startProperty',
    'schedule.offsets': 'offsets',
    'schedule.times': 'times',
    'schedule.weekdays': 'weekdays',
    'schedule.repeat': 'repeat',
    'schedule.stopWhen': 'stopWhen',
    'schedule.spreadMinutes': 'spreadMinutes',
    schedule: 'scheduleType',
    'content.surveyId': 'surveyId',
    'content.subject': 'subject',
    'content.channel': 'channel',
    'window.from': 'windowFrom',
    'window.to': 'windowTo',
    window: 'windowFrom',
  };
  if (Object.hasOwn(direct, top)) {
    return direct[top] ?? '_form';
  }
  if (top.startsWith('content')) {
    return st.contentKind === 'survey' ? 'surveyId' : textField(project.defaultLanguage);
  }
  return '_form';
}

/** The schedule's problems in the form's words (the API's name rows as JSON). */
function inFormWords(field: string, message: string): [string, string] {
  if (field === 'offsets' && message.startsWith('needs startProperty')) {
    return ['startProperty', 'name the case property holding the date the rows count from (or leave the rows blank: “once” then sends as soon as a case matches).'];
  }
  if (field === 'offsets') {
    return [field, message.startsWith('a "once"') ? '“Once” from a date takes exactly one row of days and time, such as 0 and 09:00.' : 'add at least one row of days and time, such as -7 and 09:00.'];
  }
  if (field === 'times' && message.startsWith('required')) {
    return [field, 'write at least one time of day, such as 08:00.'];
  }
  if (field === 'weekdays' && message.startsWith('required')) {
    return [field, 'tick at least one day.'];
  }
  return [field, message];
}

/** The rule's problems on the form's fields (the first per field; a time names the one typed). */
export function problemsToErrors(project: Project, st: RuleFormState, maps: RowMaps, problems: readonly FieldProblem[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const p of problems) {
    const [field, message] = inFormWords(formFieldOf(project, st, maps, p.field), p.message);
    const time = /^schedule\.times\[(\d+)\]/.exec(p.field);
    const item = time ? maps.times[Number(time[1])] : undefined;
    errors[field] ??= item === undefined ? message : `“${item}”: ${message}`;
  }
  return errors;
}

type Saver = (body: Record<string, unknown>) => Promise<{ id: string }>;

export function registerReminderRulePages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const base = (project: Project) => `/ui/p/${project.name}/reminder-rules`;

  async function form(request: FastifyRequest, ruleId: string | null, state: RuleFormState, errors: FieldErrors | null) {
    const { project, page } = scopeOf(request);
    const [caseTypes, surveys] = await Promise.all([caseTypesOf(s.db, project.id, 1000), listProjectSurveys(s, project, { limit: 500 })]);
    return <RuleFormPage ctx={page('reminder-rules')} project={project} ruleId={ruleId} state={state} errors={errors} caseTypes={caseTypes} surveys={surveys.items} />;
  }

  /** Checks the form, saves the rule, or answers the form again with every problem (422). */
  async function save(request: FastifyRequest, reply: FastifyReply, ruleId: string | null, saver: Saver) {
    const { project } = scopeOf(request);
    const state = readRuleForm(project, request.body);
    const { body, maps } = ruleBody(project, state);
    const parsed = parseForm(formSchema(project, state), request.body);
    let errors: FieldErrors;
    if (!parsed.ok) {
      // Every problem at once: the form's own, then the rule's check on the rest.
      const checked = validateReminderRule({ ...body, window: body.window ?? undefined });
      errors = { ...(checked.ok ? {} : problemsToErrors(project, state, maps, checked.problems)), ...parsed.errors };
    } else {
      try {
        const saved = await saver(body);
        return reply.redirect(`${base(project)}/${saved.id}?notice=saved`, 303);
      } catch (err) {
        const message = formError(err); // rethrows refusals and failures that are not the form's
        const issues = err instanceof AppError ? (err.details as { issues?: FieldProblem[]; field?: string } | undefined) : undefined;
        errors = issues?.issues?.length ? problemsToErrors(project, state, maps, issues.issues) : { [issues?.field ? formFieldOf(project, state, maps, issues.field) : '_form']: message };
      }
    }
    return sendHtml(reply, await form(request, ruleId, state, errors), 422);
  }

  app.get<{ Querystring: { notice?: string } }>('/ui/p/:project/reminder-rules', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const items = await listRulesWithMatching(s, project, 200);
    const notice = request.query.notice === 'deleted' ? 'Rule deleted: its scheduled sends are cancelled.' : null;
    return sendHtml(reply, <RuleListPage ctx={page('reminder-rules')} project={project} items={items} notice={notice} />);
  });

  app.get('/ui/p/:project/reminder-rules/new', { config: { role: 'admin' } }, async (request, reply) => {
    const { project } = scopeOf(request);
    const state = emptyRuleForm();
    state.texts = Object.fromEntries(formLanguages(project, {}).map((l) => [l, '']));
    return sendHtml(reply, await form(request, null, state, null));
  });

  app.post('/ui/p/:project/reminder-rules', { config: { role: 'admin' } }, async (request, reply) => {
    const { project, actor } = scopeOf(request);
    return save(request, reply, null, (body) => {
      const { window, ...rest } = body;
      return createReminderRule(s, project, window === null ? rest : body, actor.userId);
    });
  });

  const NOTICES: Record<string, string> = {
    saved: 'Rule saved. Its cases are being checked: the figures below fill in as they are.',
    paused: 'Rule paused: its scheduled sends are cancelled.',
    resumed: 'Rule resumed: its cases are being checked again.',
  };

  /** The preview for `?caseId=`: a case id, or the start of a name (one match previews it; several are listed). */
  async function preview(project: Project, ruleId: string, query: string): Promise<{ caseId: string; result: CasePreview | null; error: string | null }> {
    const q = query.trim().slice(0, 200);
    if (q === '') {
      return { caseId: '', result: null, error: null };
    }
    let id = q;
    if (!isUuid(q)) {
      const found = await searchProjectCases(s, project, { search: q }, { limit: 6, sort: 'name' });
      if (found.items.length !== 1) {
        const names = found.items.slice(0, 5).map((c) => c.name);
        return { caseId: q, result: null, error: found.items.length === 0 ? `No case is named like “${q}”.` : `Several cases are named like “${q}” (${names.join(', ')}…): give more of the name, or the case id.` };
      }
      id = found.items[0]?.id ?? q;
    }
    try {
      return { caseId: q, result: await previewRuleForCase(s, project, ruleId, id), error: null };
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') {
        return { caseId: q, result: null, error: 'No such case in this project.' };
      }
      throw err;
    }
  }

  app.get<{ Params: { id: string }; Querystring: { notice?: string; caseId?: string } }>('/ui/p/:project/reminder-rules/:id', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const rule = await findReminderRuleView(s, project, request.params.id);
    const [report, surveys, shown] = await Promise.all([
      ruleReport(s, project, rule.id, { next: 50, days: 30 }),
      listProjectSurveys(s, project, { limit: 500 }),
      preview(project, rule.id, typeof request.query.caseId === 'string' ? request.query.caseId : ''),
    ]);
    const notice = Object.hasOwn(NOTICES, request.query.notice ?? '') ? (NOTICES[request.query.notice ?? ''] ?? null) : null;
    return sendHtml(reply, <RulePage ctx={page('reminder-rules')} project={project} rule={rule} report={report} surveys={surveys.items} preview={shown} notice={notice} />);
  });

  app.get<{ Params: { id: string } }>('/ui/p/:project/reminder-rules/:id/progress', async (request, reply) => {
    const { project } = scopeOf(request);
    const rule = await findReminderRuleView(s, project, request.params.id);
    return sendHtml(reply, <ReportBox project={project} ruleId={rule.id} report={await ruleReport(s, project, rule.id, { next: 50, days: 30 })} />);
  });

  app.get<{ Params: { id: string } }>('/ui/p/:project/reminder-rules/:id/edit', { config: { role: 'admin' } }, async (request, reply) => {
    const { project } = scopeOf(request);
    const rule = await findReminderRuleView(s, project, request.params.id);
    return sendHtml(reply, await form(request, rule.id, ruleFormOf(project, rule), null));
  });

  app.post<{ Params: { id: string } }>('/ui/p/:project/reminder-rules/:id', { config: { role: 'admin' } }, async (request, reply) => {
    const { project } = scopeOf(request);
    const rule = await findReminderRuleView(s, project, request.params.id);
    return save(request, reply, rule.id, (body) => patchReminderRule(s, project, rule.id, body));
  });

  for (const [action, active] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    app.post<{ Params: { id: string } }>(`/ui/p/:project/reminder-rules/:id/${action}`, { config: { role: 'admin' } }, async (request, reply) => {
      const { project } = scopeOf(request);
      const rule = await patchReminderRule(s, project, request.params.id, { active });
      return reply.redirect(`${base(project)}/${rule.id}?notice=${active ? 'resumed' : 'paused'}`, 303);
    });
  }

  app.post<{ Params: { id: string } }>('/ui/p/:project/reminder-rules/:id/delete', { config: { role: 'admin' } }, async (request, reply) => {
    const { project } = scopeOf(request);
    await removeReminderRule(s, project, request.params.id);
    return reply.redirect(`${base(project)}?notice=deleted`, 303);
  });
}
