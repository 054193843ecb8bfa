/**
 * @module http/admin/imports.routes — the routes of Data → Import (views in imports.views.tsx):
 * upload (multipart: registered by admin.routes.tsx in a scope with @fastify/multipart, so it checks
 * its form token itself), the wizard page prefilled from the import's draft or from the suggestions,
 * the dry run (which keeps the draft), the run, the progress fragment, the annotated file and the
 * template. The mapping form is parsed with zod; its problems name each field by its label.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { CASE_FIELDS, PROPERTY_KEY, WORKER_FIELDS } from '../../domain/import-row.ts';
import type { Project } from '../../domain/project.ts';
import { AppError } from '../../errors.ts';
import { annotatedFile, templateFile } from '../../services/import-export.ts';
import { suggestMapping } from '../../services/import-mapping.ts';
import {
  dryRunImport,
  getImport,
  getImportDraft,
  type ImportDraft,
  importProblems,
  type ImportView,
  listProjectImports,
  type RunInput,
  saveDraft,
  startImportRun,
  uploadImport,
} from '../../services/imports.service.ts';
import { readUpload, reserveUploadSpace, sendFile, type UploadSpace } from '../api/imports.routes.ts';
import { httpStatus } from '../error-handler.ts';
import type { AdminDeps } from './admin-deps.ts';
import { type FieldErrors, formFields, parseForm } from './components/form.tsx';
import { type Failure, HistoryPage, ImportPage, type ImportPageProps, Progress, type WizardForm } from './imports.views.tsx';
import type { PageContext } from './layout.tsx';
import { scopeOf } from './project-scope.ts';
import { checkCsrf } from './session.ts';
import { formError, sendHtml } from './ui.tsx';

/** The fixed fields of the mapping form; the columns' `map-N` / `new-N` are checked by mappingErrors. */
const wizardForm = z.object({
  target: z.enum(['cases', 'mobile-workers'], { error: 'Choose cases or mobile workers.' }).default('cases'),
  caseType: z.string().trim().max(255, 'Use at most 255 characters.').default(''),
  matchBy: z.enum(['case_id', 'external_id'], { error: 'Choose the case id or the external id.' }).default('case_id'),
  matchColumn: z.string().default(''),
  createNew: z.string().optional(),
  consentWords: z.string().optional(),
});

/** What the form holds, as typed (a column's typed `new-N` overrides its select `map-N`). */
function readForm(columns: readonly string[], body: unknown): WizardForm {
  const f = formFields(body);
  const mapping = Object.create(null) as Record<string, string>;
  columns.forEach((c, n) => {
    mapping[c] = (f[`new-${n}`] ?? '').trim() || (f[`map-${n}`] ?? '').trim();
  });
  return {
    target: f.target === 'mobile-workers' ? 'mobile-workers' : 'cases',
    caseType: (f.caseType ?? '').trim(),
    matchBy: f.matchBy === 'external_id' ? 'external_id' : 'case_id',
    matchColumn: f.matchColumn ?? '',
    createNew: f.createNew === 'true',
    consentWords: f.consentWords === 'true',
    mapping,
  };
}

/** Every problem of the form at once, by field: the zod parse, then the columns and the rules between fields. */
function formErrors(columns: readonly string[], body: unknown, form: WizardForm): FieldErrors {
  const parsed = parseForm(wizardForm, body);
  const errors: FieldErrors = parsed.ok ? {} : { ...parsed.errors };
  const f = formFields(body);
  if (form.target === 'cases' && form.caseType === '' && !errors.caseType) {
    errors.caseType = 'Give the case type your surveys use, such as contact.';
  }
  if (form.matchColumn !== '' && !columns.includes(form.matchColumn)) {
    errors.matchColumn = 'Choose one of the file’s columns, or none.';
  }
  const seen = new Map<string, string>();
  columns.forEach((c, n) => {
    const typed = (f[`new-${n}`] ?? '').trim();
    const field = typed ? `new-${n}` : `map-${n}`;
    const t = form.mapping[c] ?? '';
    if (t === '') {
      return;
    }
    if (form.target === 'cases' && !(CASE_FIELDS as readonly string[]).includes(t) && !PROPERTY_KEY.test(t)) {
      errors[field] = 'A property name starts with a letter, then letters, digits, _ or - (at most 100 characters).';
      return;
    }
    if (form.target === 'mobile-workers' && !(WORKER_FIELDS as readonly string[]).includes(t)) {
      errors[field] = `A mobile worker has no property “${t}”: choose one of ${WORKER_FIELDS.join(', ')}.`;
      return;
    }
    const other = seen.get(t);
    if (other !== undefined) {
      errors[field] = `“${other}” already goes to ${t} (one column per field): choose another one for this column, or (ignore).`;
      return;
    }
    seen.set(t, c);
  });
  if (form.target === 'mobile-workers' && !seen.has('username')) {
    errors._form = 'Map a column to username: a mobile-worker import needs one.';
  }
  return errors;
}

function runInput(form: WizardForm): RunInput {
  return {
    target: form.target,
    caseType: form.target === 'cases' ? form.caseType : undefined,
    matchBy: form.matchBy,
    matchColumn: form.matchColumn || null,
    createNew: form.createNew,
    mapping: form.mapping,
    consentWords: form.target === 'cases' && form.consentWords,
  };
}

function draftOf(form: WizardForm): ImportDraft {
  return { ...form, matchColumn: form.matchColumn || null };
}

function formOfDraft(d: ImportDraft): WizardForm {
  return { ...d, matchColumn: d.matchColumn ?? '' };
}

/** A service's refusal on the field it names (details.field), else as the page's failure. */
function serviceProblem(err: unknown): { errors: FieldErrors | null; failure: Failure | null } {
  const message = formError(err);
  const code = err instanceof AppError ? err.code : 'VALIDATION_ERROR';
  const field = err instanceof AppError ? (err.details as { field?: unknown } | undefined)?.field : undefined;
  if (field === 'caseType' || field === 'matchColumn') {
    return { errors: { [field]: message }, failure: null };
  }
  return { errors: null, failure: { message, code } };
}

function failureOf(err: unknown): Failure {
  return { message: formError(err), code: err instanceof AppError ? err.code : 'VALIDATION_ERROR' };
}

export function registerImportPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  type P = { Params: { project: string; id: string } };

  function wizardPage(ctx: PageContext, project: Project, i: ImportView, form: WizardForm, more: Partial<Pick<ImportPageProps, 'dry' | 'errors' | 'failure'>> = {}): JSX.Element {
    const suggestion = suggestMapping(i.columns, { target: form.target, languages: project.languages });
    return <ImportPage ctx={ctx} project={project} i={i} form={form} suggestion={suggestion} dry={more.dry ?? null} errors={more.errors ?? null} failure={more.failure ?? null} />;
  }

  app.get<{ Querystring: { cursor?: string } }>('/ui/p/:project/imports', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const list = await listProjectImports(s, project, { limit: 20, cursor: request.query.cursor || undefined });
    return sendHtml(reply, <HistoryPage ctx={page('imports')} project={project} items={list.items} next={list.nextCursor} failure={null} />);
  });

  // Multipart: its fields are read in the handler, so the form token is checked there.
  app.post('/ui/p/:project/imports', { config: { csrf: 'in-handler' } }, async (request, reply) => {
    const { actor, project, page } = scopeOf(request);
    let space: UploadSpace | null = null;
    try {
      // Disk space for the file is held from before its body is read until it is kept or refused.
      space = reserveUploadSpace(request, s.imports.maxBytes);
      const { upload, fields } = await readUpload(request, space);
      checkCsrf(actor, fields);
      // hasHeaders: the hidden "false" comes first and a ticked checkbox's "true" after it (the last value is kept).
      const up = await uploadImport(s, project, actor.userId, upload);
      space.release();
      return reply.redirect(`/ui/p/${project.name}/imports/${up.id}`);
    } catch (err) {
      space?.release();
      const failure = failureOf(err);
      const list = await listProjectImports(s, project, { limit: 20 });
      // The page says what is wrong; its status is the code's (413 too large, 415 not a spreadsheet, 422 unreadable).
      const status = err instanceof AppError ? httpStatus(err.code) : 422;
      return sendHtml(reply, <HistoryPage ctx={page('imports')} project={project} items={list.items} next={list.nextCursor} failure={failure} />, status);
    }
  });

  app.get<{ Querystring: { format?: string } }>('/ui/p/:project/imports/template', async (request, reply) => {
    scopeOf(request);
    return sendFile(reply, templateFile(request.query.format === 'csv' ? 'csv' : 'xlsx'));
  });

  app.get<P>('/ui/p/:project/imports/:id', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const i = await getImport(s, project, request.params.id);
    const draft = i.status === 'uploaded' ? await getImportDraft(s, project, i) : null;
    let form: WizardForm;
    if (draft) {
      form = formOfDraft(draft);
    } else {
      const suggestion = suggestMapping(i.columns, { target: 'cases', languages: project.languages });
      form = { target: 'cases', caseType: '', matchBy: suggestion.matchBy, matchColumn: suggestion.matchColumn ?? '', createNew: true, consentWords: false, mapping: suggestion.mapping };
    }
    return sendHtml(reply, wizardPage(page('imports'), project, i, form));
  });

  app.get<P>('/ui/p/:project/imports/:id/progress', async (request, reply) => {
    const { project } = scopeOf(request);
    return sendHtml(reply, <Progress project={project} i={await getImport(s, project, request.params.id)} />);
  });

  /** The dry run and the run: the form parsed, kept as the draft when it has problems, then the service. */
  async function submit(request: FastifyRequest<P>, run: boolean): Promise<{ redirect: string } | { status: number; html: JSX.Element }> {
    const { project, page } = scopeOf(request);
    const i = await getImport(s, project, request.params.id);
    const form = readForm(i.columns, request.body);
    const errors = formErrors(i.columns, request.body, form);
    if (Object.keys(errors).length > 0) {
      if (i.status === 'uploaded') {
        await saveDraft(s, project, i.id, draftOf(form));
      }
      return { status: 422, html: wizardPage(page('imports'), project, i, form, { errors }) };
    }
    try {
      if (run) {
        await startImportRun(s, project, i.id, runInput(form));
        return { redirect: `/ui/p/${project.name}/imports/${i.id}` };
      }
      const dry = await dryRunImport(s, project, i.id, runInput(form));
      return { status: 200, html: wizardPage(page('imports'), project, i, form, { dry }) };
    } catch (err) {
      return { status: 422, html: wizardPage(page('imports'), project, i, form, serviceProblem(err)) };
    }
  }

  app.post<P>('/ui/p/:project/imports/:id/dry-run', async (request, reply) => {
    const r = await submit(request, false);
    return 'redirect' in r ? reply.redirect(r.redirect) : sendHtml(reply, r.html, r.status);
  });

  app.post<P>('/ui/p/:project/imports/:id/run', async (request, reply) => {
    const r = await submit(request, true);
    return 'redirect' in r ? reply.redirect(r.redirect) : sendHtml(reply, r.html, r.status);
  });

  app.get<P & { Querystring: { only?: string } }>('/ui/p/:project/imports/:id/annotated', async (request, reply) => {
    const { project } = scopeOf(request);
    const { problems, parsed } = await importProblems(s, project, request.params.id);
    return sendFile(reply, annotatedFile(parsed, problems, request.query.only === 'errors'));
  });
}
