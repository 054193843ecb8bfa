/**
 * @module http/admin/cases.routes — the cases pages under /ui/p/:project (registered through
 * project-pages.ts, so the actor, the form token and the project are settled before each handler):
 * the contacts list with its filters (query names shared with the API and the dashboard's links),
 * creating a case, the case page, editing and closing it, the bulk actions on a selection, and the
 * contacts export (page and downloads).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

import type { Project } from '../../domain/project.ts';
import { AppError, describeKnownCode } from '../../errors.ts';
import {
  type CaseView,
  closeCase,
  closeCases,
  CONTACT_SORTS,
  type ContactFilter,
  countProjectCases,
  createCase,
  getCase,
  type PropertyValue,
  searchAndCountProjectCases,
  searchProjectCases,
  updateCase,
} from '../../services/cases.service.ts';
import { CSV_TYPE, exportCsv, exportFileName, exportXlsx, XLSX_TYPE } from '../../services/contacts-export.service.ts';
import { listGateways } from '../../services/gateways.service.ts';
import { contactConversation, reachability, sendMessage } from '../../services/messages.service.ts';
import { listProjectMobileWorkers } from '../../services/mobile-workers.service.ts';
import { listSurveySessions, startSession } from '../../services/survey-sessions.service.ts';
import { caseReminders } from '../../services/reminder-report.service.ts';
import { listProjectSurveys } from '../../services/surveys.service.ts';
import { caseTypesOf } from '../../store/case.store.ts';
import { contactFilterOf, contactFilterQuery } from '../api/cases.routes.ts';
import { PROPERTY_NAME } from '../api/schemas.ts';
import type { AdminDeps } from './admin-deps.ts';
import { type Choice, type FieldErrors, formFields, formList, parseForm } from './components/form.tsx';
import { scopeOf } from './project-scope.ts';
import { BulkClosePage, type CaseMessaging, CasePage, type CasePickers, CasesPage, CONTACT_FIELDS, ExportPage, type ListQuery, outcomeText } from './cases.views.tsx';
import { SEND_LABELS } from './messages.views.tsx';
import { formError, formValue, sendHtml } from './ui.tsx';

const text = (max: number, label: string) => z.string().trim().max(max, `${label} is longer than ${max.toLocaleString('en-US')} characters.`);

function caseFormSchema(isNew: boolean) {
  return z.object({
    name: z.string().trim().min(1, 'Give the case a name.').max(255, 'Use at most 255 characters.'),
    caseType: isNew ? z.string().trim().min(1, 'Give the case type, for example patient.').max(255, 'Use at most 255 characters.') : z.string().optional(),
    ...Object.fromEntries(CONTACT_FIELDS.map((f) => [f.name, text(10_000, f.label).optional()])),
    contact_phone_number_is_verified: z.string().optional(),
    extraName: z
      .string()
      .trim()
      .refine((v) => v === '' || PROPERTY_NAME.test(v), 'This cannot be a property name: use 1–100 letters, digits, _ or -, starting with a letter.')
      .optional(),
    extraValue: text(10_000, 'The value').optional(),
  });
}

type CaseForm = { name: string; caseType?: string | undefined; extraName?: string | undefined; extraValue?: string | undefined; contact_phone_number_is_verified?: string | undefined } & Record<string, string | undefined>;

function formToProperties(v: CaseForm, keepBlank: boolean): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  for (const f of CONTACT_FIELDS) {
    const value = (v[f.name] ?? '').trim();
    if (value !== '' || keepBlank) {
      out[f.name] = value;
    }
  }
  out.contact_phone_number_is_verified = v.contact_phone_number_is_verified === '1' ? '1' : keepBlank ? '' : null;
  if (v.extraName) {
    out[v.extraName] = v.extraValue ?? '';
  }
  return out;
}

function caseFormValues(c: CaseView): Record<string, string> {
  return { name: c.name, ...Object.fromEntries(CONTACT_FIELDS.map((f) => [f.name, c.properties[f.name] ?? ''])), contact_phone_number_is_verified: c.contact.smsConsent ? '1' : '' };
}

/** A service's refusal of the form, on the field it names (or the whole form). */
function serviceErrors(err: unknown): FieldErrors {
  if (err instanceof AppError && (err.code === 'VALIDATION_ERROR' || err.code === 'CONFLICT' || err.code === 'NOT_FOUND')) {
    const field = (err.details as { field?: unknown } | undefined)?.field;
    return { [typeof field === 'string' ? field : '_form']: err.message };
  }
  throw err;
}

/** The list's query as typed in the URL, checked like the API's; a wrong value is a page in words. */
const listQuerySchema = contactFilterQuery.extend({
  sort: z.enum(CONTACT_SORTS).optional(),
  cursor: z.string().max(600).optional(),
  done: z.enum(['close', 'survey']).optional(),
  ok: z.coerce.number().int().min(0).optional(),
  already: z.coerce.number().int().min(0).optional(),
  missing: z.coerce.number().int().min(0).optional(),
  failed: z.coerce.number().int().min(0).optional(),
  /** Why cases were not started, as catalogue codes with counts ("CASE_CLOSED.2,OPTED_OUT.1"). */
  why: z
    .string()
    .max(500)
    .regex(/^[A-Z_]+\.\d+(,[A-Z_]+\.\d+)*$/)
    .optional(),
  format: z.enum(['csv', 'xlsx']).optional(),
});

type ParsedListQuery = z.infer<typeof listQuerySchema>;

/** Blank filters ("any" in a select) are absent. */
function withoutBlanks(q: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries((q ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''));
}

function parseListQuery(raw: unknown): ParsedListQuery {
  const result = listQuerySchema.safeParse(withoutBlanks(raw));
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = typeof issue?.path[0] === 'string' ? issue.path[0] : 'query';
    throw new AppError('VALIDATION_ERROR', `The filter "${field}" has a value this list does not know; choose it again from the form.`, { details: { field } });
  }
  return result.data;
}

function shownQuery(q: ParsedListQuery): ListQuery {
  const out: ListQuery = {};
  for (const k of ['caseType', 'phoneStatus', 'consent', 'optedOut', 'problems', 'owner', 'createdFrom', 'createdTo', 'search', 'sort'] as const) {
    const v = q[k];
    if (typeof v === 'string' && v !== '') {
      out[k] = v;
    }
  }
  return out;
}

function bulkNotice(q: ParsedListQuery): string | null {
  if (q.done === 'close') {
    return `Bulk close: ${outcomeText([
      [q.ok ?? 0, 'closed'],
      [q.already ?? 0, 'already closed'],
      [q.missing ?? 0, 'not found'],
    ])}`;
  }
  if (q.done === 'survey') {
    // Only catalogue codes are read from the URL, and shown by their descriptions.
    const reasons = (q.why ?? '')
      .split(',')
      .map((part) => part.split('.'))
      .flatMap(([code, n]) => (describeKnownCode(code) === null ? [] : [`${n} not started: ${describeKnownCode(code)} (${code})`]));
    const summary = `Start survey: ${outcomeText([
      [q.ok ?? 0, 'started'],
      [q.failed ?? 0, 'not started'],
      [q.missing ?? 0, 'not found'],
    ])}`;
    return reasons.length > 0 ? `${summary} ${reasons.join(' ')}` : summary;
  }
  return null;
}

export function registerCasesPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  /** The case form's pickers: the project's zone and languages, the gateways it may name. */
  async function casePickers(request: Parameters<typeof scopeOf>[0]): Promise<CasePickers> {
    const { actor, project, role } = scopeOf(request);
    const gateways = await listGateways(s, project.id, { isSuperuser: actor.isSuperuser, role });
    return { timeZone: project.timeZone, languages: project.languages, defaultLanguage: project.defaultLanguage, gateways: gateways.map((g) => g.name) };
  }

  async function pickers(project: Project): Promise<{ caseTypes: string[]; owners: Choice[] }> {
    const [caseTypes, workers] = await Promise.all([caseTypesOf(s.db, project.id), listProjectMobileWorkers(s, project, { limit: 200 })]);
    return { caseTypes, owners: workers.items.map((w) => ({ value: w.id, label: w.username })) };
  }

  async function listPage(request: Parameters<typeof scopeOf>[0], q: ParsedListQuery, form: Record<string, string>, errors: FieldErrors | null) {
    const { project, page } = scopeOf(request);
    const f = contactFilterOf(project, q);
    const [{ page: list, total }, pick, surveys, formPickers] = await Promise.all([
      searchAndCountProjectCases(s, project, f, { sort: q.sort, limit: 50, cursor: q.cursor }),
      pickers(project),
      listProjectSurveys(s, project, { limit: 200 }),
      casePickers(request),
    ]);
    return (
      <CasesPage
        ctx={page('cases')}
        project={project}
        items={list.items}
        total={total}
        next={list.nextCursor}
        paged={Boolean(q.cursor)}
        q={shownQuery(q)}
        caseTypes={pick.caseTypes}
        owners={pick.owners}
        surveys={surveys.items}
        form={form}
        errors={errors}
        notice={bulkNotice(q)}
        pickers={formPickers}
      />
    );
  }

  app.get('/ui/p/:project/cases', async (request, reply) => sendHtml(reply, await listPage(request, parseListQuery(request.query), {}, null)));

  app.post('/ui/p/:project/cases', async (request, reply) => {
    const { actor, project } = scopeOf(request);
    const parsed = parseForm(caseFormSchema(true), request.body);
    let errors: FieldErrors;
    if (parsed.ok) {
      const v = parsed.value as CaseForm;
      try {
        const c = await createCase(s, project, { caseType: v.caseType ?? '', name: v.name, properties: formToProperties(v, false) }, { method: 'ui', source: { userId: actor.userId } });
        return reply.redirect(`/ui/p/${project.name}/cases/${c.id}?notice=created`);
      } catch (err) {
        errors = serviceErrors(err);
      }
    } else {
      errors = parsed.errors;
    }
    return sendHtml(reply, await listPage(request, parseListQuery({}), formFields(request.body), errors), 422);
  });

  const NO_SEND: CaseMessaging['send'] = { errors: null, text: '', sendAt: '' };

  async function messaging(project: Project, caseId: string, send: CaseMessaging['send'], surveyError: string | null = null): Promise<CaseMessaging> {
    const [reach, conversation, surveys, sessions, reminders] = await Promise.all([
      reachability(s, project, { caseId }, 'sms'),
      contactConversation(s, project, { type: 'case', id: caseId }),
      listProjectSurveys(s, project, { limit: 500 }),
      listSurveySessions(s, project, { caseId, limit: 20 }),
      caseReminders(s, project, caseId, { limit: 50 }),
    ]);
    return { reach, conversation, send, surveys: surveys.items, sessions: sessions.items, surveyError, reminders };
  }

  const NOTICES: Record<string, string> = { created: 'Case created.', saved: 'Changes saved.', closed: 'Case closed.', sent: 'Message queued.', 'survey-started': 'Survey started: the first question is on its way.' };

  app.get<{ Params: { project: string; id: string }; Querystring: { notice?: string; surveyError?: string } }>('/ui/p/:project/cases/:id', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const c = await getCase(s, project, request.params.id);
    // Query values only select known words (own keys, catalogue codes): "constructor" or any text is not shown.
    const notice = Object.hasOwn(NOTICES, request.query.notice ?? '') ? (NOTICES[request.query.notice ?? ''] ?? null) : null;
    const surveyError = describeKnownCode(request.query.surveyError);
    const m = await messaging(project, c.id, NO_SEND, surveyError && `The survey was not started: ${surveyError}`);
    m.alert = request.query.notice === 'send-failed' ? 'The message could not go out; the reason is in the conversation below.' : null;
    return sendHtml(reply, <CasePage ctx={page('cases')} project={project} c={c} notice={notice} errors={null} form={caseFormValues(c)} messaging={m} pickers={await casePickers(request)} />);
  });

  // A refused send answers the case page again (422) with the errors by field and the text typed:
  // message text never goes in a URL.
  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/cases/:id/messages', async (request, reply) => {
    const { actor, project, page } = scopeOf(request);
    const text = formValue(request.body, 'text');
    const sendAt = formValue(request.body, 'sendAt').trim();
    let errors: FieldErrors;
    try {
      const m = await sendMessage(s, project, actor.userId, { recipient: { caseId: request.params.id }, text, ...(sendAt ? { sendAt } : {}) });
      return reply.redirect(`/ui/p/${project.name}/cases/${request.params.id}?notice=${m.status === 'failed' ? 'send-failed' : 'sent'}#conversation`);
    } catch (err) {
      const message = formError(err); // rethrows anything but a refusal the user can fix
      const field = ((err as AppError).details as { field?: unknown } | undefined)?.field;
      errors = { [typeof field === 'string' && Object.hasOwn(SEND_LABELS, field) ? field : '_form']: message };
    }
    const c = await getCase(s, project, request.params.id);
    const m = await messaging(project, c.id, { errors, text, sendAt });
    return sendHtml(reply, <CasePage ctx={page('cases')} project={project} c={c} notice={null} errors={null} form={caseFormValues(c)} messaging={m} pickers={await casePickers(request)} />, 422);
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/cases/:id', async (request, reply) => {
    const { actor, project, page } = scopeOf(request);
    const parsed = parseForm(caseFormSchema(false), request.body);
    let errors: FieldErrors;
    if (parsed.ok) {
      const v = parsed.value as CaseForm;
      try {
        await updateCase(s, project, request.params.id, { name: v.name, properties: formToProperties(v, true) }, { method: 'ui', source: { userId: actor.userId } });
        return reply.redirect(`/ui/p/${project.name}/cases/${request.params.id}?notice=saved`);
      } catch (err) {
        errors = serviceErrors(err);
      }
    } else {
      errors = parsed.errors;
    }
    const c = await getCase(s, project, request.params.id);
    return sendHtml(reply, <CasePage ctx={page('cases')} project={project} c={c} notice={null} errors={errors} form={formFields(request.body)} messaging={await messaging(project, c.id, NO_SEND)} pickers={await casePickers(request)} />, 422);
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/cases/:id/close', async (request, reply) => {
    const { project } = scopeOf(request);
    await closeCase(s, project, request.params.id);
    return reply.redirect(`/ui/p/${project.name}/cases/${request.params.id}?notice=closed`);
  });

  // Bulk actions on the list's selection (checkboxes named caseIds). "Send message" posts to the
  // broadcast composer (broadcasts/new) directly; these are the others.
  const MAX_SELECTION = 500;
  function selection(body: unknown): string[] {
    const ids = [...new Set(formList(body, 'caseIds'))];
    if (ids.length > MAX_SELECTION) {
      throw new AppError('VALIDATION_ERROR', `Select at most ${MAX_SELECTION} cases at once; for more, filter the list and export or broadcast to the filter.`, { details: { field: 'caseIds' } });
    }
    return ids;
  }

  app.post('/ui/p/:project/cases/bulk/close', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const ids = selection(request.body);
    if (formFields(request.body).confirm !== 'yes') {
      const list = ids.length ? await searchProjectCases(s, project, { ids }, { limit: MAX_SELECTION }) : { items: [] };
      return sendHtml(reply, <BulkClosePage ctx={page('cases')} project={project} cases={list.items} />);
    }
    const r = await closeCases(s, project, ids);
    return reply.redirect(`/ui/p/${project.name}/cases?done=close&ok=${r.closed}&already=${r.alreadyClosed}&missing=${r.notFound}`);
  });

  app.post('/ui/p/:project/cases/bulk/survey', async (request, reply) => {
    const { actor, project } = scopeOf(request);
    const ids = selection(request.body);
    const surveyId = formFields(request.body).surveyId ?? '';
    const out = { ok: 0, failed: 0, missing: 0 };
    const why = new Map<string, number>();
    for (const id of ids) {
      try {
        await startSession(s, project, surveyId, id, actor.userId);
        out.ok++;
      } catch (err) {
        if (!(err instanceof AppError)) {
          throw err;
        }
        if (err.code === 'NOT_FOUND' && (err.details as { field?: string } | undefined)?.field !== 'caseId') {
          throw err; // the survey itself is gone
        }
        if (err.code === 'NOT_FOUND') {
          out.missing++;
        } else {
          out.failed++;
          why.set(err.code, (why.get(err.code) ?? 0) + 1);
        }
      }
    }
    const whyPart = why.size > 0 ? `&why=${[...why].map(([code, n]) => `${code}.${n}`).join(',')}` : '';
    return reply.redirect(`/ui/p/${project.name}/cases?done=survey&ok=${out.ok}&failed=${out.failed}&missing=${out.missing}${whyPart}`);
  });

  async function download(reply: FastifyReply, project: Project, f: ContactFilter, format: 'csv' | 'xlsx') {
    const name = exportFileName(project, f, format, s.clock());
    reply.header('content-disposition', `attachment; filename="${name}"`);
    if (format === 'xlsx') {
      return reply.type(XLSX_TYPE).send(await exportXlsx(s, project, f));
    }
    return reply.type(CSV_TYPE).send(await exportCsv(s, project, f));
  }

  app.post('/ui/p/:project/cases/bulk/export', async (request, reply) => {
    const { project } = scopeOf(request);
    const ids = selection(request.body);
    if (ids.length === 0) {
      throw new AppError('VALIDATION_ERROR', 'Select the cases to export first (the boxes in the first column), or use Export contacts for a whole filter.', { details: { field: 'caseIds' } });
    }
    return download(reply, project, { ids }, 'csv');
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`/ui/p/:project/cases/export.${format}`, async (request, reply) => {
      const { project } = scopeOf(request);
      return download(reply, project, contactFilterOf(project, parseListQuery(request.query)), format);
    });
  }

  app.get('/ui/p/:project/export', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const q = parseListQuery(request.query);
    const f = contactFilterOf(project, q);
    const [pick, total] = await Promise.all([pickers(project), countProjectCases(s, project, f)]);
    return sendHtml(reply, <ExportPage ctx={page('export')} project={project} q={shownQuery(q)} caseTypes={pick.caseTypes} owners={pick.owners} total={total} />);
  });
}
