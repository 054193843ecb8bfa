/**
 * @module http/admin/imports.views — Data → Import (UI.md) as pages, no Fastify: the upload form and
 * history, the mapping form (each column's suggestion with its reason beside the select, issue 24),
 * the dry run (red warnings first: no way to reach the contacts, consent words with a preview of
 * how they would be read, invalid numbers), the live progress and the problems by row and column.
 */
import type { ConsentColumnReport } from '../../domain/import-row.ts';
import { CONTACT_PROPERTIES } from '../../domain/case-contact.ts';
import { CASE_FIELDS, CONSENT_NO_WORDS, CONSENT_YES_WORDS, type ImportTarget, type MatchBy, WORKER_FIELDS } from '../../domain/import-row.ts';
import type { Project } from '../../domain/project.ts';
import { describeKnownCode } from '../../errors.ts';
import type { DryRunView, ImportView } from '../../services/imports.service.ts';
import { ErrorSummary, type FieldErrors } from './components/form.tsx';
import { Badge, type BadgeTone, Csrf, Layout, type PageContext, Time } from './layout.tsx';

const STATUS_TONE: Record<ImportView['status'], BadgeTone> = { uploaded: 'none', running: 'warn', done: 'ok', failed: 'bad' };
const STATUS_LABEL: Record<ImportView['status'], string> = { uploaded: 'not run yet', running: 'running', done: 'done', failed: 'failed' };

/** The id of the mapping form: the consent checkbox of the dry run belongs to it from outside. */
export const IMPORT_FORM_ID = 'import-form';
export const CONSENT_WORDS_LABEL = `Read ${CONSENT_YES_WORDS.join('/')} as consent and ${CONSENT_NO_WORDS.join('/')} as no consent`;

/** A failure in words: what happened, the catalogue's description when it says more, and the code small beside it. */
export interface Failure {
  message: string;
  code: string;
}

export function FailureBox(props: { failure: Failure | null }): JSX.Element {
  const f = props.failure;
  if (!f) {
    return '';
  }
  const description = describeKnownCode(f.code);
  return (
    <div class="error" role="alert">
      <p safe>{f.message}</p>
      {description && description !== f.message ? (
        <p class="muted" safe>
          {description}
        </p>
      ) : (
        ''
      )}
      <p class="code" safe>
        {f.code}
      </p>
    </div>
  );
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
                  {describeKnownCode(e.code) ?? ''}
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

export function HistoryPage(props: { ctx: PageContext; project: Project; items: ImportView[]; next: string | null; failure: Failure | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/imports`;
  return (
    <Layout title="Import" ctx={props.ctx}>
      <h1>Import contacts from a spreadsheet</h1>
      <section class="card">
        <form class="stack" method="post" action={base} enctype="multipart/form-data">
          <Csrf ctx={props.ctx} />
          <FailureBox failure={props.failure} />
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

/** What the mapping form holds (what was typed is kept when the page is shown again). */
export interface WizardForm {
  target: ImportTarget;
  caseType: string;
  matchBy: MatchBy;
  matchColumn: string;
  createNew: boolean;
  consentWords: boolean;
  /** Column → target ('' : ignored). */
  mapping: Record<string, string>;
}

/** The label of each field of the mapping form, for the error summary (never `caseType` or `map-3`). */
export function wizardLabels(columns: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {
    target: 'Import as',
    caseType: 'Case type',
    matchColumn: 'Column that identifies existing records',
    matchBy: 'It holds',
    createNew: 'Create new records when there is no match',
    consentWords: CONSENT_WORDS_LABEL,
  };
  columns.forEach((c, n) => {
    labels[`map-${n}`] = `Import “${c}” into`;
    labels[`new-${n}`] = `New property for “${c}”`;
  });
  return labels;
}

/** A map's own value for a column name from a file (never Object.prototype's `constructor` and the like). */
function ownValue(map: Readonly<Record<string, string>>, key: string): string {
  return Object.hasOwn(map, key) ? (map[key] ?? '') : '';
}

function targetChoices(target: ImportTarget, suggested: string): string[] {
  const base = target === 'cases' ? [...CASE_FIELDS, ...Object.values(CONTACT_PROPERTIES)] : [...WORKER_FIELDS];
  return [...new Set([...base, ...(suggested ? [suggested] : [])])];
}

function describedBy(...ids: (string | false | null | undefined)[]): string | undefined {
  const list = ids.filter((x): x is string => typeof x === 'string' && x !== '');
  return list.length ? list.join(' ') : undefined;
}

function ConsentWordsBox(props: { checked: boolean; outside: boolean }): JSX.Element {
  return (
    <p>
      <input id="f-consentWords" name="consentWords" type="checkbox" value="true" checked={props.checked} form={props.outside ? IMPORT_FORM_ID : undefined} aria-describedby="f-consentWords-help" />{' '}
      <label for="f-consentWords" class="inline" safe>
        {CONSENT_WORDS_LABEL}
      </label>
      <span class="help muted" id="f-consentWords-help">
        {' '}
        (1 and true mean consent; the words are written as 1 or 0 before the rows are saved)
      </span>
    </p>
  );
}

interface MappingFormProps {
  ctx: PageContext;
  project: Project;
  i: ImportView;
  form: WizardForm;
  /** Column → target suggested from the header, and why. */
  suggestion: { mapping: Record<string, string>; explanations: Record<string, string> };
  errors: FieldErrors | null;
  /** The dry run shown above offers the consent checkbox itself. */
  consentInDryRun: boolean;
}

function MappingForm(props: MappingFormProps): JSX.Element {
  const { i, form } = props;
  const e = props.errors ?? {};
  const base = `/ui/p/${props.project.name}/imports/${i.id}`;
  return (
    <form id={IMPORT_FORM_ID} class="stack card" method="post" action={`${base}/dry-run`} novalidate>
      <Csrf ctx={props.ctx} />
      <ErrorSummary errors={props.errors} labels={wizardLabels(i.columns)} />
      <h2>1. What to import</h2>
      <label for="f-target">Import as</label>
      <select id="f-target" name="target" aria-invalid={e.target ? 'true' : undefined}>
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
      <input
        id="f-caseType"
        name="caseType"
        type="text"
        value={form.caseType}
        aria-describedby={describedBy('f-caseType-help', e.caseType && 'f-caseType-error')}
        aria-invalid={e.caseType ? 'true' : undefined}
      />
      {e.caseType ? (
        <p class="help field-error" id="f-caseType-error" safe>
          {e.caseType}
        </p>
      ) : (
        ''
      )}
      <label for="f-matchColumn">Column that identifies existing records</label>
      <p class="help" id="f-matchColumn-help">
        Rows whose value matches an existing case are updated; a blank cell means a new case.
      </p>
      <select
        id="f-matchColumn"
        name="matchColumn"
        aria-describedby={describedBy('f-matchColumn-help', e.matchColumn && 'f-matchColumn-error')}
        aria-invalid={e.matchColumn ? 'true' : undefined}
      >
        <option value="">None: every row is a new record</option>
        {i.columns.map((c) => (
          <option value={c} selected={form.matchColumn === c} safe>
            {c}
          </option>
        ))}
      </select>
      {e.matchColumn ? (
        <p class="help field-error" id="f-matchColumn-error" safe>
          {e.matchColumn}
        </p>
      ) : (
        ''
      )}
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
      {form.consentWords && !props.consentInDryRun ? <ConsentWordsBox checked outside={false} /> : ''}
      <h2>2. Map the columns</h2>
      <p class="help">
        Each column goes to a field or property, or is ignored. The suggestion for each column says why. A blank cell leaves the value unchanged; a cell holding <code>---</code>{' '}
        clears it.
      </p>
      <table class="import-mapping">
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
            const suggested = ownValue(props.suggestion.mapping, c);
            const choices = targetChoices(form.target, suggested);
            const why = ownValue(props.suggestion.explanations, c);
            const shownWhy = current === suggested ? why : `Suggested: ${suggested || '(ignore)'}. ${why}`;
            const mapError = e[`map-${n}`];
            const newError = e[`new-${n}`];
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
                  <select
                    id={`f-map-${n}`}
                    name={`map-${n}`}
                    aria-describedby={describedBy(why && `f-map-${n}-why`, mapError && `f-map-${n}-error`)}
                    aria-invalid={mapError ? 'true' : undefined}
                  >
                    <option value="">(ignore)</option>
                    {choices.map((t) => (
                      <option value={t} selected={current === t} safe>
                        {t}
                      </option>
                    ))}
                  </select>
                  {why ? (
                    <p class="help suggestion" id={`f-map-${n}-why`} safe>
                      {shownWhy}
                    </p>
                  ) : (
                    ''
                  )}
                  {mapError ? (
                    <p class="help field-error" id={`f-map-${n}-error`} safe>
                      {mapError}
                    </p>
                  ) : (
                    ''
                  )}
                </td>
                <td>
                  <input
                    type="text"
                    id={`f-new-${n}`}
                    name={`new-${n}`}
                    aria-label={`New property for ${c}`}
                    value={current && !choices.includes(current) ? current : ''}
                    aria-describedby={newError ? `f-new-${n}-error` : undefined}
                    aria-invalid={newError ? 'true' : undefined}
                  />
                  {newError ? (
                    <p class="help field-error" id={`f-new-${n}-error`} safe>
                      {newError}
                    </p>
                  ) : (
                    ''
                  )}
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

function readAs(becomes: '1' | '0' | null): string {
  return becomes === '1' ? '1 — consent' : becomes === '0' ? '0 — no consent' : 'not a yes/no word: saved as typed, without consent (reported on each row)';
}

function ConsentWarning(props: { c: ConsentColumnReport }): JSX.Element {
  const { c } = props;
  const rows = c.values.reduce((n, v) => n + v.count, 0);
  const settled = c.applied && c.wordsOnly;
  return (
    <div class={settled ? 'notice' : 'error'} role={settled ? 'status' : 'alert'} data-testid="warning-consent">
      <p>
        <strong safe>
          {settled
            ? `The consent column “${c.column}” holds yes/no words; they will be read as shown (${rows} ${rows === 1 ? 'row' : 'rows'}).`
            : `The consent column “${c.column}” holds values other than 1, 0, true or false in ${rows} ${rows === 1 ? 'row' : 'rows'}: only 1 or true mean consent, so these contacts would get no consent.`}
        </strong>
      </p>
      <table data-testid="consent-values">
        <thead>
          <tr>
            <th>Value</th>
            <th>Rows</th>
            <th>{c.wordsOnly ? 'Read as, when confirmed' : 'Read as'}</th>
          </tr>
        </thead>
        <tbody>
          {c.values.map((v) => (
            <tr>
              <td safe>{v.value}</td>
              <td safe>{String(v.count)}</td>
              <td safe>{readAs(c.wordsOnly ? v.becomes : null)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {c.wordsOnly ? (
        <>
          <ConsentWordsBox checked={c.applied} outside />
          <p class="help">Tick it to confirm, then run the dry run again to check, or import now.</p>
        </>
      ) : (
        <p>Write 1 or 0 in the file for these rows (each is listed under Problems), or map the column to another property.</p>
      )}
    </div>
  );
}

function DryRunResults(props: { dry: DryRunView }): JSX.Element {
  const { dry } = props;
  const w = dry.warnings;
  return (
    <section class="card" data-testid="dry-run">
      <h2>Dry run: what the import would do</h2>
      {w.noContact ? (
        <div class="error" role="alert" data-testid="warning-no-contact">
          <strong safe>{w.noContact}</strong>
        </div>
      ) : (
        ''
      )}
      {w.consent && w.consent.values.length > 0 ? <ConsentWarning c={w.consent} /> : ''}
      {dry.invalidNumberCount ? (
        <div class="error" role="alert" data-testid="warning-invalid-numbers">
          <strong safe>{`${dry.invalidNumberCount} phone ${dry.invalidNumberCount === 1 ? 'number is' : 'numbers are'} not valid: ${dry.invalidNumberCount === 1 ? 'that contact' : 'those contacts'} cannot be sent SMS until fixed (listed below).`}</strong>
        </div>
      ) : (
        ''
      )}
      <p class="muted">Nothing has been changed yet.</p>
      <Counts r={dry.result} future />
      {dry.invalidNumbers.length ? (
        <>
          <h3>
            Invalid phone numbers <span class="muted">({dry.invalidNumberCount})</span>
          </h3>
          <table data-testid="invalid-numbers">
            <thead>
              <tr>
                <th>Row</th>
                <th>As typed</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {dry.invalidNumbers.map((n) => (
                <tr>
                  <td safe>{String(n.row)}</td>
                  <td safe>{n.value}</td>
                  <td safe>{n.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        ''
      )}
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
export function Progress(props: { project: Project; i: ImportView }): JSX.Element {
  const { i } = props;
  const base = `/ui/p/${props.project.name}/imports/${i.id}`;
  const pct = i.progress.total ? Math.floor((i.progress.done * 100) / i.progress.total) : 0;
  const live = i.status === 'running';
  return (
    <section id="import-progress" class="card" data-status={i.status} hx-get={live ? `${base}/progress` : undefined} hx-trigger={live ? 'every 1s' : undefined} hx-swap={live ? 'outerHTML' : undefined}>
      <p>
        <Badge tone={STATUS_TONE[i.status]} label={STATUS_LABEL[i.status]} /> <span safe>{`${i.progress.done} of ${i.progress.total} rows`}</span>
      </p>
      <label for="import-bar">Progress</label>
      <progress id="import-bar" class="progress" max={String(i.progress.total)} value={String(i.progress.done)} safe>{`${pct}%`}</progress>
      <Counts r={i.result} />
      {i.error ? <FailureBox failure={{ message: `The import stopped: ${i.error}`, code: i.errorCode ?? 'INTERNAL_ERROR' }} /> : ''}
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

export interface ImportPageProps {
  ctx: PageContext;
  project: Project;
  i: ImportView;
  form: WizardForm;
  suggestion: { mapping: Record<string, string>; explanations: Record<string, string> };
  dry: DryRunView | null;
  errors: FieldErrors | null;
  failure: Failure | null;
}

export function ImportPage(props: ImportPageProps): JSX.Element {
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
      <FailureBox failure={props.failure} />
      {i.status === 'uploaded' ? (
        <>
          {props.dry ? <DryRunResults dry={props.dry} /> : ''}
          <MappingForm
            ctx={props.ctx}
            project={props.project}
            i={i}
            form={props.form}
            suggestion={props.suggestion}
            errors={props.errors}
            consentInDryRun={props.dry?.warnings.consent?.wordsOnly === true}
          />
        </>
      ) : (
        <Progress project={props.project} i={i} />
      )}
    </Layout>
  );
}
