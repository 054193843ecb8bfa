/**
 * @module http/admin/broadcasts.routes — Send / broadcast: the list, the composer, the preview
 * before sending, the broadcast's page with its live progress, and cancelling a scheduled one.
 *
 * Routes (all members of the project):
 * - GET  /ui/p/:project/broadcasts              the list, newest first (?cursor=)
 * - GET  /ui/p/:project/broadcasts/new          the composer
 * - POST /ui/p/:project/broadcasts/new          the composer prefilled: repeated `caseIds` (the
 *   contacts list's "Send message"), or every composer field (the preview's Change button)
 * - POST /ui/p/:project/broadcasts/segments     the live length of one text (htmx fragment)
 * - POST /ui/p/:project/broadcasts/preview      who can be reached and what each language gets
 *   (multipart: the composer may carry a file of case ids; the form token is checked here)
 * - POST /ui/p/:project/broadcasts              send: creates the broadcast, then its page
 * - GET  /ui/p/:project/broadcasts/:id          the broadcast with its progress bar
 * - GET  /ui/p/:project/broadcasts/:id/progress the progress fragment htmx polls every 2 s
 * - POST /ui/p/:project/broadcasts/:id/cancel   cancel a scheduled broadcast
 * Message text travels only in POST bodies, never in a URL.
 */
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { SMS_MAX_LENGTH } from '../../domain/message-content.ts';
import type { Project } from '../../domain/project.ts';
import { resolveSendAt, sendAtProblem } from '../../domain/schedule.ts';
import { AppError, errorCatalogue } from '../../errors.ts';
import { previewBroadcast } from '../../services/broadcast-preview.service.ts';
import { type BroadcastInput, type BroadcastRecipients, cancelBroadcast, createBroadcast, getBroadcast, listProjectBroadcasts } from '../../services/broadcasts.service.ts';
import { isUuid } from '../../services/deps.ts';
import { readImportFileOffThread, type SheetRow } from '../../services/import-file.ts';
import { findRecipientList, insertRecipientList } from '../../store/broadcast.store.ts';
import { caseTypesOf } from '../../store/case.store.ts';
import { multipartLimits } from '../api/imports.routes.ts';
import { PROPERTY_NAME } from '../api/schemas.ts';
import type { AdminDeps } from './admin-deps.ts';
import {
  BroadcastListPage,
  BroadcastPage,
  ComposerPage,
  type ComposerState,
  emptyComposer,
  type PreviewGroupText,
  PreviewPage,
  ProgressBox,
  projectLanguages,
  recipientsText,
  SegmentCount,
  textField,
} from './broadcasts.views.tsx';
import { type FieldErrors, formList, parseForm } from './components/form.tsx';
import { scopeOf } from './project-scope.ts';
import { checkCsrf } from './session.ts';
import { formError, sendHtml } from './ui.tsx';

/** Case ids one broadcast may name (as the API). */
const MAX_IDS = 100_000;

type Body = Record<string, unknown>;

function text(body: Body, name: string): string {
  const v = body[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : '';
}

/** The composer's values as typed (whatever their validity). */
export function composerState(project: Project, body: Body): ComposerState {
  const source = text(body, 'source');
  const texts: Record<string, string> = {};
  for (const l of projectLanguages(project)) {
    texts[l] = text(body, textField(l));
  }
  return {
    source: source === 'caseType' || source === 'ids' || source === 'file' ? source : '',
    caseType: text(body, 'caseType'),
    where: text(body, 'where'),
    caseIds: text(body, 'caseIds'),
    listId: text(body, 'listId'),
    listName: text(body, 'listName'),
    listCount: text(body, 'listCount'),
    texts,
    when: text(body, 'when') === 'later' ? 'later' : 'now',
    sendAt: text(body, 'sendAt').trim(),
  };
}

/** Case ids in pasted text: separated by new lines, commas, semicolons or spaces. */
export function splitIds(raw: string): string[] {
  return [...new Set(raw.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
}

/** `property = value` lines; a line that is not one is reported by its number. */
function parseWhere(raw: string): { where: Record<string, string>; problem: string | null } {
  const where: Record<string, string> = {};
  const lines = raw.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') {
      continue;
    }
    const at = line.indexOf('=');
    const key = at < 0 ? '' : line.slice(0, at).trim();
    if (at < 0 || !PROPERTY_NAME.test(key)) {
      return { where, problem: `line ${i + 1} is not “property = value” (a property name starts with a letter; letters, digits, _ and - only).` };
    }
    where[key] = line.slice(at + 1).trim();
  }
  return { where, problem: null };
}

/** The composer's rules, every problem at once with its field. */
function composerSchema(project: Project, caseTypes: readonly string[], now: Date) {
  const texts = Object.fromEntries(projectLanguages(project).map((l) => [textField(l), z.string().max(SMS_MAX_LENGTH, `is longer than ${SMS_MAX_LENGTH} characters (10 SMS); shorten it.`).optional()]));
  return z
    .object({
      source: z.enum(['caseType', 'ids', 'file'], { error: 'choose who receives the broadcast.' }),
      caseType: z.string().max(255).optional(),
      where: z.string().max(10_000, 'is too long.').optional(),
      caseIds: z.string().optional(),
      listId: z.string().max(64).optional(),
      when: z.enum(['now', 'later']).default('now'),
      sendAt: z.string().max(40).optional(),
      ...texts,
    })
    .superRefine((v, ctx) => {
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      const all = v as Record<string, string | undefined>;
      if (v.source === 'caseType') {
        if (!v.caseType?.trim()) {
          issue('caseType', 'choose a case type.');
        } else if (!caseTypes.includes(v.caseType.trim())) {
          issue('caseType', 'is not a case type of this project.');
        }
        const w = parseWhere(v.where ?? '');
        if (w.problem) {
          issue('where', w.problem);
        }
      }
      if (v.source === 'ids') {
        const ids = splitIds(v.caseIds ?? '');
        if (ids.length === 0) {
          issue('caseIds', 'paste at least one case id.');
        } else if (ids.length > MAX_IDS) {
          issue('caseIds', `has ${ids.length.toLocaleString('en')} ids; a broadcast takes at most ${MAX_IDS.toLocaleString('en')}.`);
        } else if (!ids.some(isUuid)) {
          issue('caseIds', 'has no case id (a case id looks like 0b7c5e0e-3a52-4c1e-9d55-2f5d0a1e6c11).');
        }
      }
      if (!all[textField(project.defaultLanguage)]?.trim()) {
        issue(textField(project.defaultLanguage), 'write the message in the default language (the others may be left blank: they get this text).');
      }
      if (v.when === 'later') {
        const at = v.sendAt?.trim() ?? '';
        if (at === '') {
          issue('sendAt', 'choose the date and time, or choose Send now.');
        } else if (sendAtProblem(at) !== null) {
          issue('sendAt', 'must be a date and time such as 2027-01-15 09:00.');
        } else {
          const when = resolveSendAt(at, project.timeZone);
          if (when && when.at.getTime() <= now.getTime()) {
            issue('sendAt', 'is in the past (in the project’s time zone); choose a later time, or Send now.');
          }
        }
      }
    });
}

interface Checked {
  errors: FieldErrors | null;
  input: BroadcastInput | null;
}

/** Validates the composer; resolves an uploaded list by its id. */
async function checkComposer(deps: AdminDeps, project: Project, state: ComposerState, body: Body): Promise<Checked> {
  const caseTypes = await caseTypesOf(deps.services.db, project.id, 1000);
  const parsed = parseForm(composerSchema(project, caseTypes, deps.services.clock()), body);
  const errors: FieldErrors = parsed.ok ? {} : { ...parsed.errors };
  let recipients: BroadcastRecipients | null = null;
  if (state.source === 'file') {
    const list = isUuid(state.listId) ? await findRecipientList(deps.services.db, project.id, state.listId) : null;
    if (!list) {
      errors.file ??= state.listId ? 'the uploaded list is no longer kept; choose the file again.' : 'choose a file.';
    } else if (list.caseIds.length === 0) {
      errors.file ??= 'the file has no case ids.';
    } else {
      recipients = { caseIds: list.caseIds };
    }
  } else if (state.source === 'ids') {
    recipients = { caseIds: splitIds(state.caseIds).slice(0, MAX_IDS) };
  } else if (state.source === 'caseType') {
    recipients = { caseType: state.caseType.trim(), where: parseWhere(state.where).where };
  }
  if (Object.keys(errors).length > 0 || !recipients) {
    return { errors, input: null };
  }
  const translations: Record<string, string> = {};
  for (const l of projectLanguages(project)) {
    const t = state.texts[l] ?? '';
    if (t.trim() !== '') {
      translations[l] = t;
    }
  }
  return { errors: null, input: { recipients, translations, ...(state.when === 'later' ? { sendAt: state.sendAt } : {}) } };
}

/** Case ids in an uploaded sheet: the `case_id` (or "case id") column, else the first column. */
export function idsFromRows(rows: readonly SheetRow[]): string[] {
  const first = rows[0]?.cells ?? [];
  const header = first.findIndex((c) => /^case[\s_-]?id$/i.test(c.trim()));
  let column = 0;
  let start = 0;
  if (header >= 0) {
    column = header;
    start = 1;
  } else if (first[0] !== undefined && !isUuid(first[0].trim())) {
    // A first row that is not an id is a header ("id", "Case").
    start = 1;
  }
  return [...new Set(rows.slice(start).map((r) => (r.cells[column] ?? '').trim()).filter(Boolean))];
}

/** The composer's multipart form: its fields, and the file of ids when one was chosen. */
async function readComposerForm(request: FastifyRequest): Promise<{ body: Body; file: { name: string; bytes: Buffer } | null }> {
  if (!request.isMultipart()) {
    return { body: (request.body ?? {}) as Body, file: null };
  }
  const body: Record<string, string> = {};
  let file: { name: string; bytes: Buffer } | null = null;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (part.fieldname === 'file' && part.filename && bytes.length > 0 && file === null) {
          file = { name: part.filename, bytes };
        }
      } else if (typeof part.value === 'string' && !(part.fieldname in body)) {
        body[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError('IMPORT_FILE_TOO_LARGE', undefined, { cause: err });
    }
    throw new AppError('VALIDATION_ERROR', 'The form could not be read; reload the page and try again.', { cause: err });
  }
  return { body, file };
}

export async function registerBroadcastPages(scope: FastifyInstance, deps: AdminDeps): Promise<void> {
  const s = deps.services;
  await scope.register(async (app) => {
    // Only the composer's preview reads multipart (a file of case ids); bigger field limits than an
    // import form's, since every language's text and a pasted list of ids ride along.
    const limits = multipartLimits(deps.config).limits;
    await app.register(fastifyMultipart, { limits: { ...limits, fields: 200, parts: 210, fieldSize: Math.max(limits.fieldSize, deps.config.bodyLimit) } });

    async function composer(request: FastifyRequest, state: ComposerState, errors: FieldErrors | null, status = 200, notice: string | null = null) {
      const { project, page } = scopeOf(request);
      const caseTypes = await caseTypesOf(s.db, project.id, 1000);
      return { status, html: <ComposerPage ctx={page('broadcasts')} project={project} state={state} errors={errors} caseTypes={caseTypes} notice={notice} /> };
    }

    app.get<{ Params: { project: string }; Querystring: { cursor?: string } }>('/ui/p/:project/broadcasts', async (request, reply) => {
      const { project, page } = scopeOf(request);
      const list = await listProjectBroadcasts(s, project, { limit: 25, cursor: request.query.cursor || undefined });
      return sendHtml(reply, <BroadcastListPage ctx={page('broadcasts')} project={project} items={list.items} next={list.nextCursor} />);
    });

    app.get<{ Params: { project: string } }>('/ui/p/:project/broadcasts/new', async (request, reply) => {
      const c = await composer(request, emptyComposer(), null);
      return sendHtml(reply, c.html, c.status);
    });

    // The contacts list's "Send message" (repeated caseIds), or the preview's Change (every field).
    app.post<{ Params: { project: string } }>('/ui/p/:project/broadcasts/new', async (request, reply) => {
      const { project } = scopeOf(request);
      const body = (request.body ?? {}) as Body;
      if (typeof body.source === 'string') {
        const c = await composer(request, composerState(project, body), null);
        return sendHtml(reply, c.html, c.status);
      }
      const ids = [...new Set(formList(body, 'caseIds'))];
      const state: ComposerState = { ...emptyComposer(), source: 'ids', caseIds: ids.join('\n') };
      const c = await composer(request, state, null, 200, ids.length ? `${ids.length.toLocaleString('en')} selected ${ids.length === 1 ? 'case' : 'cases'} — write the message, then preview.` : null);
      return sendHtml(reply, c.html, c.status);
    });

    app.post<{ Params: { project: string } }>('/ui/p/:project/broadcasts/segments', async (request, reply) => {
      const body = (request.body ?? {}) as Body;
      const field = text(body, 'field');
      return sendHtml(reply, <SegmentCount text={/^text-[A-Za-z0-9-]{2,20}$/.test(field) ? text(body, field) : ''} />);
    });

    app.post<{ Params: { project: string } }>('/ui/p/:project/broadcasts/preview', { config: { csrf: 'in-handler' } }, async (request, reply) => {
      const { actor, project, page } = scopeOf(request);
      const { body, file } = await readComposerForm(request);
      checkCsrf(actor, body);
      const state = composerState(project, body);
      const fileErrors: FieldErrors = {};
      if (state.source === 'file' && file) {
        try {
          const read = await readImportFileOffThread(file.name, file.bytes, { hasHeaders: false, maxBytes: deps.config.importMaxBytes }, { kind: 'rows' });
          const ids = idsFromRows(read.items);
          if (ids.length > MAX_IDS) {
            fileErrors.file = `has ${ids.length.toLocaleString('en')} case ids; a broadcast takes at most ${MAX_IDS.toLocaleString('en')}.`;
          } else if (ids.length === 0) {
            fileErrors.file = 'has no case ids (put them in a case_id column, or in the first column).';
          } else {
            const list = await insertRecipientList(s.db, project.id, read.summary.fileName, ids, actor.userId, s.clock());
            state.listId = list.id;
            state.listName = list.fileName;
            state.listCount = String(ids.length);
          }
        } catch (err) {
          const message = formError(err);
          const code = err instanceof AppError ? err.code : null;
          fileErrors.file = code && code in errorCatalogue ? `${errorCatalogue[code]} (${code})` : message;
        }
      }
      const checked = await checkComposer(deps, project, state, { ...body, listId: state.listId });
      const errors = { ...(checked.errors ?? {}), ...fileErrors };
      if (Object.keys(errors).length > 0 || !checked.input) {
        const c = await composer(request, state, errors, 422);
        return sendHtml(reply, c.html, c.status);
      }
      const input = checked.input;
      const preview = await previewBroadcast(s, project, input);
      const translations = input.translations ?? {};
      const groups: PreviewGroupText[] = preview.byLanguage.map((g) => ({ ...g, text: (g.textLanguage !== null ? translations[g.textLanguage] : undefined) ?? '' }));
      const r = input.recipients;
      const recipients = 'caseIds' in r ? (state.source === 'file' ? `The ${r.caseIds.length.toLocaleString('en')} case ids of ${state.listName}` : `A list of ${r.caseIds.length.toLocaleString('en')} case ids`) : 'caseType' in r ? recipientsText({ caseType: r.caseType, where: (r.where ?? {}) as Record<string, string> }) : '';
      return sendHtml(reply, <PreviewPage ctx={page('broadcasts')} project={project} state={state} preview={preview} recipients={recipients} groups={groups} />);
    });

    app.post<{ Params: { project: string } }>('/ui/p/:project/broadcasts', async (request, reply) => {
      const { actor, project } = scopeOf(request);
      const body = (request.body ?? {}) as Body;
      const state = composerState(project, body);
      const checked = await checkComposer(deps, project, state, body);
      if (checked.errors || !checked.input) {
        const c = await composer(request, state, checked.errors ?? {}, 422);
        return sendHtml(reply, c.html, c.status);
      }
      try {
        const b = await createBroadcast(s, project, actor.userId, checked.input);
        return reply.redirect(`/ui/p/${project.name}/broadcasts/${b.id}?notice=created`, 303);
      } catch (err) {
        const message = formError(err);
        const field = (err as AppError).details as { field?: unknown } | undefined;
        const name = field?.field === 'sendAt' ? 'sendAt' : textField(project.defaultLanguage);
        const c = await composer(request, state, { [name]: message }, 422);
        return sendHtml(reply, c.html, c.status);
      }
    });

    app.get<{ Params: { project: string; id: string }; Querystring: { notice?: string } }>('/ui/p/:project/broadcasts/:id', async (request, reply) => {
      const { project, page } = scopeOf(request);
      const b = await getBroadcast(s, project, request.params.id);
      const notice = request.query.notice === 'created' ? 'Broadcast created.' : request.query.notice === 'cancelled' ? 'Broadcast cancelled: its scheduled messages will not be sent.' : null;
      return sendHtml(reply, <BroadcastPage ctx={page('broadcasts')} project={project} b={b} notice={notice} />);
    });

    app.get<{ Params: { project: string; id: string } }>('/ui/p/:project/broadcasts/:id/progress', async (request, reply) => {
      const { project } = scopeOf(request);
      const b = await getBroadcast(s, project, request.params.id);
      return sendHtml(reply, <ProgressBox project={project} b={b} />);
    });

    app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/broadcasts/:id/cancel', async (request, reply) => {
      const { actor, project, page } = scopeOf(request);
      try {
        await cancelBroadcast(s, project, request.params.id, actor.userId);
        return reply.redirect(`/ui/p/${project.name}/broadcasts/${request.params.id}?notice=cancelled`, 303);
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'CONFLICT') {
          throw err;
        }
        const b = await getBroadcast(s, project, request.params.id);
        return sendHtml(reply, <BroadcastPage ctx={page('broadcasts')} project={project} b={b} error={err.message} errorCode={err.code} />, 409);
      }
    });
  });
}
