/**
 * @module http/admin/imports.pages — Data → Import (UI.md): upload a spreadsheet, map its columns
 * (pre-filled from the headers), choose the options, see a dry run, run it with a live progress bar
 * (htmx polls a fragment every second; without JavaScript the page refreshes itself), then read every
 * problem by row and column and download the annotated file. Also the history and the template.
 */
import type { FastifyInstance } from 'fastify';

import { CONTACT_PROPERTIES } from '../../domain/case-contact.ts';
import { CASE_FIELDS, type ImportTarget, type MatchBy, suggestCaseMapping, suggestWorkerMapping, WORKER_FIELDS } from '../../domain/import-row.ts';
import type { Project } from '../../domain/project.ts';
import { AppError, describeKnownCode } from '../../errors.ts';
import { annotatedFile, templateFile } from '../../services/import-export.ts';
import { dryRunImport, type DryRunView, getImport, importProblems, type ImportView, listProjectImports, type RunInput, startImportRun, uploadImport } from '../../services/imports.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import { readUpload, reserveUploadSpace, sendFile, type UploadSpace } from '../api/imports.routes.ts';
import { httpStatus } from '../error-handler.ts';
import type { AdminDeps } from './admin-deps.ts';
import { Badge, type BadgeTone, Csrf, ErrorBox, Layout, type PageContext, Time } from './layout.tsx';
import { checkCsrf } from './session.ts';
import { formError, formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

const STATUS_TONE: Record<ImportView['status'], BadgeTone> = { uploaded: 'none', running: 'warn', done: 'ok', failed: 'bad' };
const STATUS_LABEL: Record<ImportView['status'], string> = { uploaded: 'not run yet', running: 'running', done: 'done', failed: 'failed' };

function describe(code: string): string {
  return describeKnownCode(code) ?? code;
}

/** A map's own value for a column name from a file (never Object.prototype's `constructor` and the like). */
function ownValue(map: Record<string, string>, key: string): string {
  return Object.hasOwn(map, key) ? (map[key] ?? '') : '';
}

function Counts(props: { r: { created: number; updated: number; skipped: number; failed: number }; future?: boolean }): JSX.Element {
  const verb = props.future ? ['to create', 'to update', 'to skip', 'to fail'] : ['created', 'updated', 'skipped', 'failed'];
  return (
    <p class="row" data-testid="counts">
      <Badge tone="ok" label={`${props.r.created} ${verb[0]}`} />
      <Badge tone="ok" label={`${props.r.updated} ${verb[1]}`} />
      <Badge tone="none" label={`${props.r.skipped} ${verb[2]}`} />
      <Badge tone={props.r.failed ? 'bad' : 'none'} label={`${props.r.failed} ${verb[3]}`} />
    </p>
  );
}

function ProblemTable(props: { errors: ImportView['result']['errors']; total: number }): JSX.Element {
  if (props.errors.length === 0) {
    return <p class="muted">No problems found.</p>;
  }
  return (
    <>
      <h2>
        Problems <span class="muted">({props.total})</span>
      </h2>
      <table data-testid="problems">
        <thead>
          <tr>
            <th>Row</th>
            <th>Column</th>
            <th>Problem</th>
          </tr>
        </thead>
        <tbody>
          {props.errors.map((e) => (
            <tr>
              <td safe>{String(e.row)}</td>
              <td safe>{e.column ?? '—'}</td>
              <td>
                <div safe>{e.message}</div>
                <div class="muted" safe>
                  {describe(e.code)}
                </div>
                <code>{e.code}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.total > props.errors.length ? <p class="muted" safe>{`The first ${props.errors.length} are shown; the annotated file has them all.`}</p> : ''}
    </>
  );
}

function HistoryPage(props: { ctx: PageContext; project: Project; items: ImportView[]; next: string | null; error: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/imports`;
  return (
    <Layout title="Import" ctx={props.ctx}>
      <h1>Import contacts from a spreadsheet</h1>
      <section class="card">
        <form class="stack" method="post" action={base} enctype="multipart/form-data">
          <Csrf ctx={props.ctx} />
          <ErrorBox text={props.error} />
          <label for="f-file">Spreadsheet (.xlsx, .xls or .csv)</label>
          <p class="help" id="f-file-help">
            Up to 100,000 rows and 300 columns. Phone numbers: country code first (254712345678); national numbers use the project’s default country.
          </p>
          <input id="f-file" name="file" type="file" accept=".xlsx,.xls,.csv" required aria-describedby="f-file-help" />
          <p>
            <input type="hidden" name="hasHeaders" value="false" />
            <input id="f-hasHeaders" name="hasHeaders" type="checkbox" value="true" checked />
            <label for="f-hasHeaders" class="inline">
              This file has column headers (the first row names the columns)
            </label>
          </p>
          <label for="f-sheet">Sheet (optional)</label>
          <p class="help" id="f-sheet-help">
            Leave blank for the first sheet of the workbook.
          </p>
          <input id="f-sheet" name="sheet" type="text" aria-describedby="f-sheet-help" />
          <p>
            <button type="submit">Upload and map columns</button>
          </p>
        </form>
        <p class="muted">
          Not sure how to lay out the file? Download the template: <a href={`${base}/template?format=xlsx`}>Excel (.xlsx)</a> · <a href={`${base}/template?format=csv`}>CSV</a>
        </p>
      </section>
      <h2>Import history</h2>
      {props.items.length === 0 ? (
        <div class="empty">No imports yet — upload a spreadsheet above.</div>
      ) : (
        <table data-testid="history">
          <thead>
            <tr>
              <th>File</th>
              <th>Uploaded</th>
              <th>Status</th>
              <th>Rows</th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((i) => (
              <tr>
                <td>
                  <a href={`${base}/${i.id}`} safe>
                    {i.fileName}
                  </a>
                </td>
                <td>
                  <Time at={i.createdAt} zone={props.project.timeZone} />
                </td>
                <td>
                  <Badge tone={STATUS_TONE[i.status]} label={STATUS_LABEL[i.status]} />
                </td>
                <td safe>{String(i.rowCount)}</td>
                <td safe>{i.status === 'uploaded' ? '—' : `${i.result.created} created, ${i.result.updated} updated, ${i.result.skipped} skipped, ${i.result.failed} failed`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <p class="pager">
          <a href={`${base}?cursor=${encodeURIComponent(props.next)}`}>Older imports</a>
        </p>
      ) : (
        ''
      )}
    </Layout>
  );
}

/** What the mapping form holds (typed values are kept when the page is shown again). */
interface WizardForm {
  target: ImportTarget;
  caseType: string;
  matchBy: MatchBy;
  matchColumn: string;
  createNew: boolean;
  mapping: Record<string, string>;
}

function defaultForm(i: ImportView): WizardForm {
  const s = suggestCaseMapping(i.columns);
  return { target: 'cases', caseType: '', matchBy: s.matchBy, matchColumn: s.matchColumn ?? '', createNew: true, mapping: s.mapping };
}

function targetChoices(form: WizardForm, suggested: string): string[] {
  const base = form.target === 'cases' ? [...CASE_FIELDS, ...Object.values(CONTACT_PROPERTIES)] : [...WORKER_FIELDS];
  return [...new Set([...base, ...(suggested ? [suggested] : [])])];
}

function MappingForm(props: { ctx: PageContext; project: Project; i: ImportView; form: WizardForm }): JSX.Element {
  const { i, form } = props;
  const base = `/ui/p/${props.project.name}/imports/${i.id}`;
  const workerSuggestion = suggestWorkerMapping(i.columns);
  const caseSuggestion = suggestCaseMapping(i.columns).mapping;
  return (
    <form class="stack card" method="post" action={`${base}/dry-run`}>
      <Csrf ctx={props.ctx} />
      <h2>1. What to import</h2>
      <label for="f-target">Import as</label>
      <select id="f-target" name="target">
        <option value="cases" selected={form.target === 'cases'}>
          Cases (beneficiaries)
        </option>
        <option value="mobile-workers" selected={form.target === 'mobile-workers'}>
          Mobile workers
        </option>
      </select>
      <label for="f-caseType">Case type</label>
      <p class="help" id="f-caseType-help">
        The case type your surveys use (for example contact). Not needed for mobile workers.
      </p>
      <input id="f-caseType" name="caseType" type="text" value={form.caseType} aria-describedby="f-caseType-help" />
      <label for="f-matchColumn">Column that identifies existing records</label>
      <p class="help" id="f-matchColumn-help">
        Rows whose value matches an existing case are updated; a blank cell means a new case.
      </p>
      <select id="f-matchColumn" name="matchColumn" aria-describedby="f-matchColumn-help">
        <option value="">None: every row is a new record</option>
        {i.columns.map((c) => (
          <option value={c} selected={form.matchColumn === c} safe>
            {c}
          </option>
        ))}
      </select>
      <label for="f-matchBy">It holds</label>
      <select id="f-matchBy" name="matchBy">
        <option value="case_id" selected={form.matchBy === 'case_id'}>
          the case id
        </option>
        <option value="external_id" selected={form.matchBy === 'external_id'}>
          the external id
        </option>
      </select>
      <p>
        <input id="f-createNew" name="createNew" type="checkbox" value="true" checked={form.createNew} />
        <label for="f-createNew" class="inline">
          Create new records when there is no match
        </label>
      </p>
      <h2>2. Map the columns</h2>
      <p class="help">
        Each column goes to a field or property, or is ignored. A blank cell leaves the value unchanged; a cell holding <code>---</code> clears it.
      </p>
      <table>
        <thead>
          <tr>
            <th>Column</th>
            <th>Example</th>
            <th>Import into</th>
            <th>or a new property</th>
          </tr>
        </thead>
        <tbody>
          {i.columns.map((c, n) => {
            const current = ownValue(form.mapping, c);
            const suggested = ownValue(form.target === 'cases' ? caseSuggestion : workerSuggestion, c);
            const choices = targetChoices(form, suggested);
            return (
              <tr>
                <td>
                  <label for={`f-map-${n}`} safe>
                    {c}
                  </label>
                </td>
                <td class="muted" safe>
                  {(i.sample[0]?.[n] ?? '').slice(0, 60)}
                </td>
                <td>
                  <select id={`f-map-${n}`} name={`map-${n}`}>
                    <option value="">(ignore)</option>
                    {choices.map((t) => (
                      <option value={t} selected={current === t} safe>
                        {t}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input type="text" name={`new-${n}`} aria-label={`New property for ${c}`} value={current && !choices.includes(current) ? current : ''} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p class="row">
        <button type="submit" class="secondary">
          Dry run (check, change nothing)
        </button>
        <button type="submit" formaction={`${base}/run`}>
          Import now
        </button>
      </p>
    </form>
  );
}

/** Rewritten numbers listed on the page (the API gives up to 1000). */
const SHOWN = 20;

function DryRunResults(props: { dry: DryRunView }): JSX.Element {
  const { dry } = props;
  return (
    <section class="card" data-testid="dry-run">
      <h2>Dry run: what the import would do</h2>
      <p class="muted">Nothing has been changed yet.</p>
      <Counts r={dry.result} future />
      <ProblemTable errors={dry.result.errors} total={dry.result.errorCount} />
      {dry.normalisations.length ? (
        <>
          <h3>
            Phone numbers that will be rewritten <span class="muted">({dry.normalisationCount})</span>
          </h3>
          <table data-testid="normalisations">
            <thead>
              <tr>
                <th>Row</th>
                <th>As typed</th>
                <th>Stored as</th>
              </tr>
            </thead>
            <tbody>
              {dry.normalisations.slice(0, SHOWN).map((n) => (
                <tr>
                  <td safe>{String(n.row)}</td>
                  <td safe>{n.from}</td>
                  <td safe>{`→ ${n.to}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {dry.normalisationCount > SHOWN ? <p class="muted" safe>{`… and ${dry.normalisationCount - SHOWN} more.`}</p> : ''}
        </>
      ) : (
        ''
      )}
      {dry.duplicates.length ? (
        <>
          <h3>Numbers on more than one row</h3>
          <ul>
            {dry.duplicates.slice(0, 200).map((d) => (
              <li safe>{`${d.number}: rows ${d.rows.join(', ')}`}</li>
            ))}
          </ul>
        </>
      ) : (
        ''
      )}
      {dry.twoWayElsewhere.length ? (
        <>
          <h3>Numbers another contact already receives replies from</h3>
          <ul>
            {dry.twoWayElsewhere.slice(0, 200).map((d) => (
              <li safe>{`Row ${d.row}: ${d.number}`}</li>
            ))}
          </ul>
        </>
      ) : (
        ''
      )}
    </section>
  );
}

/** The live part of a running or finished import (htmx replaces it every second while running). */
function Progress(props: { project: Project; i: ImportView }): JSX.Element {
  const { i } = props;
  const base = `/ui/p/${props.project.name}/imports/${i.id}`;
  const pct = i.progress.total ? Math.floor((i.progress.done * 100) / i.progress.total) : 0;
  const live = i.status === 'running';
  return (
    <section id="import-progress" class="card" data-status={i.status} hx-get={live ? `${base}/progress` : undefined} hx-trigger={live ? 'every 1s' : undefined} hx-swap={live ? 'outerHTML' : undefined}>
      <p>
        <Badge tone={STATUS_TONE[i.status]} label={STATUS_LABEL[i.status]} />{' '}
        <span safe>{`${i.progress.done} of ${i.progress.total} rows`}</span>
      </p>
      <label for="import-bar">Progress</label>
      <progress id="import-bar" class="progress" max={String(i.progress.total)} value={String(i.progress.done)} safe>{`${pct}%`}</progress>
      <Counts r={i.result} />
      {i.error ? <ErrorBox text={`The import stopped: ${i.error}${i.errorCode ? ` (${i.errorCode})` : ''}`} /> : ''}
      {live ? (
        <noscript>
          <meta http-equiv="refresh" content="2" />
        </noscript>
      ) : (
        <>
          <ProblemTable errors={i.result.errors} total={i.result.errorCount} />
          <p>
            Download the file with an “errors” column: <a href={`${base}/annotated?only=all`}>every row</a> · <a href={`${base}/annotated?only=errors`}>only rows with problems</a> (fix them and import that file)
          </p>
        </>
      )}
    </section>
  );
}

function ImportPage(props: { ctx: PageContext; project: Project; i: ImportView; form: WizardForm; dry: DryRunView | null; error: string | null }): JSX.Element {
  const { i } = props;
  return (
    <Layout title={`Import ${i.fileName}`} ctx={props.ctx}>
      <p>
        <a href={`/ui/p/${props.project.name}/imports`}>← Import</a>
      </p>
      <h1 safe>{i.fileName}</h1>
      <p class="muted" safe>
        {`${i.rowCount} rows, ${i.columns.length} columns${i.sheet ? `, sheet “${i.sheet}”` : ''}`}
      </p>
      <ErrorBox text={props.error} />
      {i.status === 'uploaded' ? (
        <>
          {props.dry ? <DryRunResults dry={props.dry} /> : ''}
          <MappingForm ctx={props.ctx} project={props.project} i={i} form={props.form} />
        </>
      ) : (
        <Progress project={props.project} i={i} />
      )}
    </Layout>
  );
}

/** Reads the mapping form back (column n's select `map-n`, overridden by a typed `new-n`). */
function readForm(i: ImportView, body: unknown): WizardForm {
  const mapping: Record<string, string> = Object.create(null) as Record<string, string>;
  i.columns.forEach((c, n) => {
    const typed = formValue(body, `new-${n}`).trim();
    mapping[c] = typed || formValue(body, `map-${n}`).trim();
  });
  return {
    target: formValue(body, 'target') === 'mobile-workers' ? 'mobile-workers' : 'cases',
    caseType: formValue(body, 'caseType').trim(),
    matchBy: formValue(body, 'matchBy') === 'external_id' ? 'external_id' : 'case_id',
    matchColumn: formValue(body, 'matchColumn'),
    createNew: formValue(body, 'createNew') === 'true',
    mapping,
  };
}

function runInput(form: WizardForm): RunInput {
  return {
    target: form.target,
    caseType: form.target === 'cases' ? form.caseType : undefined,
    matchBy: form.matchBy,
    matchColumn: form.matchColumn || null,
    createNew: form.createNew,
    mapping: form.mapping,
  };
}

export function registerImportPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  type P = { Params: { project: string; id: string } };

  app.get<{ Params: { project: string }; Querystring: { cursor?: string } }>('/ui/p/:project/imports', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const page = await listProjectImports(s, project, { limit: 20, cursor: request.query.cursor || undefined });
    return sendHtml(reply, <HistoryPage ctx={{ actor, project, section: 'imports' }} project={project} items={page.items} next={page.nextCursor} error={null} />);
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/imports', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
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
      const message = formError(err);
      const page = await listProjectImports(s, project, { limit: 20 });
      // The page says what is wrong; its status is the code's (413 too large, 415 not a spreadsheet, 422 unreadable).
      const status = err instanceof AppError ? httpStatus(err.code) : 422;
      return sendHtml(reply, <HistoryPage ctx={{ actor, project, section: 'imports' }} project={project} items={page.items} next={page.nextCursor} error={message} />, status);
    }
  });

  app.get<{ Params: { project: string }; Querystring: { format?: string } }>('/ui/p/:project/imports/template', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    await requireProject(s, actor, request.params.project);
    return sendFile(reply, templateFile(request.query.format === 'csv' ? 'csv' : 'xlsx'));
  });

  app.get<P>('/ui/p/:project/imports/:id', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const i = await getImport(s, project, request.params.id);
    return sendHtml(reply, <ImportPage ctx={{ actor, project, section: 'imports' }} project={project} i={i} form={defaultForm(i)} dry={null} error={null} />);
  });

  app.get<P>('/ui/p/:project/imports/:id/progress', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    return sendHtml(reply, <Progress project={project} i={await getImport(s, project, request.params.id)} />);
  });

  app.post<P>('/ui/p/:project/imports/:id/dry-run', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const i = await getImport(s, project, request.params.id);
    const form = readForm(i, request.body);
    const ctx: PageContext = { actor, project, section: 'imports' };
    try {
      const dry = await dryRunImport(s, project, i.id, runInput(form));
      return sendHtml(reply, <ImportPage ctx={ctx} project={project} i={i} form={form} dry={dry} error={null} />);
    } catch (err) {
      return sendHtml(reply, <ImportPage ctx={ctx} project={project} i={i} form={form} dry={null} error={formError(err)} />, 422);
    }
  });

  app.post<P>('/ui/p/:project/imports/:id/run', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const i = await getImport(s, project, request.params.id);
    const form = readForm(i, request.body);
    try {
      await startImportRun(s, project, i.id, runInput(form));
      return reply.redirect(`/ui/p/${project.name}/imports/${i.id}`);
    } catch (err) {
      return sendHtml(reply, <ImportPage ctx={{ actor, project, section: 'imports' }} project={project} i={i} form={form} dry={null} error={formError(err)} />, 422);
    }
  });

  app.get<P & { Querystring: { only?: string } }>('/ui/p/:project/imports/:id/annotated', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const { problems, parsed } = await importProblems(s, project, request.params.id);
    return sendFile(reply, annotatedFile(parsed, problems, request.query.only === 'errors'));
  });
}
