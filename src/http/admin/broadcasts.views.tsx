/**
 * @module http/admin/broadcasts.views — the Send / broadcast pages (UI.md "Messaging"): the list of
 * broadcasts with their progress, the composer (recipients by case type and filter, a list of case
 * ids or a file of them; a text per project language with its SMS length; now or at a local time),
 * the preview before sending (who can be reached, why the others cannot, what each language group
 * gets) and a broadcast's live progress bar.
 */
import type { Project } from '../../domain/project.ts';
import { nonGsmCharacters, smsLength } from '../../domain/sms-segments.ts';
import { describeKnownCode } from '../../errors.ts';
import type { BroadcastPreview } from '../../services/broadcast-preview.service.ts';
import type { BroadcastView } from '../../services/broadcasts.service.ts';
import { type Choice, ErrorSummary, type FieldErrors, Select, TextArea } from './components/form.tsx';
import { Time, zoneAbbreviation } from './components/time.tsx';
import { Badge, type BadgeTone, Csrf, Layout, Notice, type PageContext } from './layout.tsx';

/** What the composer holds: every value typed, kept across the preview and errors (never in a URL). */
export interface ComposerState {
  source: 'caseType' | 'ids' | 'file' | '';
  caseType: string;
  where: string;
  caseIds: string;
  /** A list read from an uploaded file, kept by the server (id, file name, number of ids). */
  listId: string;
  listName: string;
  listCount: string;
  texts: Record<string, string>;
  when: 'now' | 'later';
  sendAt: string;
}

export const emptyComposer = (): ComposerState => ({ source: '', caseType: '', where: '', caseIds: '', listId: '', listName: '', listCount: '', texts: {}, when: 'now', sendAt: '' });

export function textField(language: string): string {
  return `text-${language}`;
}

function languageName(code: string): string {
  try {
    const name = new Intl.DisplayNames(['en'], { type: 'language' }).of(code);
    return name && name !== code ? name : code;
  } catch {
    return code;
  }
}

/** "English (en) — default", "Swahili (sw)". */
export function languageLabel(project: Pick<Project, 'defaultLanguage'>, code: string): string {
  const name = languageName(code);
  const base = name === code ? code : `${name} (${code})`;
  return code === project.defaultLanguage ? `${base} — default` : base;
}

/** The project's languages, the default first. */
export function projectLanguages(project: Pick<Project, 'languages' | 'defaultLanguage'>): string[] {
  return [project.defaultLanguage, ...project.languages.filter((l) => l !== project.defaultLanguage)];
}

/** Labels of the composer's fields, for the error summary. */
export function composerLabels(project: Pick<Project, 'languages' | 'defaultLanguage'>): Record<string, string> {
  const labels: Record<string, string> = {
    source: 'Recipients',
    caseType: 'Case type',
    where: 'Only cases whose properties match',
    caseIds: 'Case ids',
    file: 'File of case ids',
    when: 'When',
    sendAt: 'Send at (local time)',
  };
  for (const l of projectLanguages(project)) {
    labels[textField(l)] = `Message in ${languageLabel(project, l)}`;
  }
  return labels;
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** "42 characters · 1 SMS · GSM-7 (160 per SMS)", or why it is UCS-2. */
export function lengthText(text: string): string {
  if (text === '') {
    return 'Empty';
  }
  const l = smsLength(text);
  const odd = nonGsmCharacters(text);
  const why = l.encoding === 'UCS-2' ? `Unicode (UCS-2) because of ${odd.slice(0, 3).map((c) => `“${c}”`).join(' ')}` : 'GSM-7';
  return `${plural(l.characters, 'character', 'characters')} · ${plural(l.segments, 'SMS', 'SMS')} · ${why}, ${l.perSegment} per SMS`;
}

/** The live counter's content (also the fragment the counter route answers with). */
export function SegmentCount(props: { text: string }): JSX.Element {
  const l = smsLength(props.text);
  return (
    <span class={l.segments > 1 ? 'seg-count seg-multi' : 'seg-count'} safe>
      {lengthText(props.text)}
    </span>
  );
}

/** Hidden copies of everything typed: the preview's Send and Change buttons post them back. */
export function StateFields(props: { project: Project; state: ComposerState }): JSX.Element {
  const s = props.state;
  return (
    <>
      <input type="hidden" name="source" value={s.source} />
      <input type="hidden" name="caseType" value={s.caseType} />
      <textarea name="where" hidden safe>
        {s.where}
      </textarea>
      <textarea name="caseIds" hidden safe>
        {s.caseIds}
      </textarea>
      <input type="hidden" name="listId" value={s.listId} />
      <input type="hidden" name="listName" value={s.listName} />
      <input type="hidden" name="listCount" value={s.listCount} />
      {projectLanguages(props.project).map((l) => (
        <textarea name={textField(l)} hidden safe>
          {s.texts[l] ?? ''}
        </textarea>
      ))}
      <input type="hidden" name="when" value={s.when} />
      <input type="hidden" name="sendAt" value={s.sendAt} />
    </>
  );
}

function FieldError(props: { id: string; error: string | undefined }): JSX.Element {
  return props.error ? (
    <p class="help field-error" id={`${props.id}-error`} safe>
      {props.error}
    </p>
  ) : (
    ''
  );
}

function Radio(props: { name: string; value: string; current: string; label: string; id: string; invalid?: boolean }): JSX.Element {
  return (
    <div class="choice">
      <input type="radio" id={props.id} name={props.name} value={props.value} checked={props.current === props.value} aria-invalid={props.invalid ? 'true' : undefined} />
      <label class="inline" for={props.id} safe>
        {props.label}
      </label>
    </div>
  );
}

export function ComposerPage(props: { ctx: PageContext; project: Project; state: ComposerState; errors: FieldErrors | null; caseTypes: readonly string[]; notice?: string | null }): JSX.Element {
  const { project, state, ctx } = props;
  const errors = props.errors ?? {};
  const base = `/ui/p/${project.name}/broadcasts`;
  const languages = projectLanguages(project);
  const zone = project.timeZone;
  const typeChoices: Choice[] = props.caseTypes.map((t) => ({ value: t, label: t }));
  if (state.caseType && !props.caseTypes.includes(state.caseType)) {
    typeChoices.push({ value: state.caseType, label: state.caseType });
  }
  const source = state.source || (state.caseIds ? 'ids' : 'caseType');
  return (
    <Layout title="New broadcast" ctx={ctx}>
      <p>
        <a href={base}>← Broadcasts</a>
      </p>
      <h1>New broadcast</h1>
      <Notice text={props.notice} />
      <ErrorSummary errors={props.errors} labels={composerLabels(project)} />
      <form class="stack composer" method="post" action={`${base}/preview`} enctype="multipart/form-data">
        <Csrf ctx={ctx} />
        <fieldset class="card" aria-describedby={errors.source ? 'f-source-error' : undefined}>
          <legend>Recipients</legend>
          <FieldError id="f-source" error={errors.source} />
          <Radio name="source" value="caseType" current={source} label="Cases of a type" id="f-source" invalid={Boolean(errors.source)} />
          <div class="indent">
            {typeChoices.length === 0 ? (
              <p class="muted">No cases yet — import contacts (Data → Import) or add cases first.</p>
            ) : (
              <Select label="Case type" name="caseType" value={state.caseType} choices={typeChoices} blank="— choose a case type —" error={errors.caseType} />
            )}
            <TextArea
              label="Only cases whose properties match (optional)"
              name="where"
              rows={2}
              value={state.where}
              help="One per line: property = value, such as village = Kibera. Leave blank for every open case of the type."
              error={errors.where}
            />
          </div>
          <Radio name="source" value="ids" current={source} label="A list of case ids" id="f-source-ids" />
          <div class="indent">
            <TextArea label="Case ids" name="caseIds" rows={3} value={state.caseIds} help="One per line (or separated by commas or spaces), as in an export’s “case id” column." error={errors.caseIds} />
          </div>
          <Radio name="source" value="file" current={source} label="A file of case ids" id="f-source-file" />
          <div class="indent">
            <label for="f-file">File of case ids</label>
            <p class="help" id="f-file-help">
              CSV or Excel (.csv, .xlsx, .xls) with a case_id column, or the ids in the first column.
            </p>
            {state.listId ? (
              <p class="muted" safe>
                {`Using ${state.listName}: ${Number(state.listCount).toLocaleString('en')} case ids. Choose another file to replace it.`}
              </p>
            ) : (
              ''
            )}
            <input type="hidden" name="listId" value={state.listId} />
            <input type="hidden" name="listName" value={state.listName} />
            <input type="hidden" name="listCount" value={state.listCount} />
            <input id="f-file" name="file" type="file" accept=".csv,.xlsx,.xls" aria-describedby={errors.file ? 'f-file-help f-file-error' : 'f-file-help'} aria-invalid={errors.file ? 'true' : undefined} />
            <FieldError id="f-file" error={errors.file} />
          </div>
        </fieldset>

        <fieldset class="card">
          <legend>Message</legend>
          <p class="help">
            Each contact gets the text in their language (their language_code). Contacts with no language, or one left blank here, get the default language’s text.
          </p>
          {languages.map((l) => {
            const name = textField(l);
            const id = `f-${name}`;
            const text = state.texts[l] ?? '';
            const err = errors[name];
            return (
              <div class="lang-text">
                <label for={id} safe>
                  {languageLabel(project, l)}
                </label>
                <textarea
                  id={id}
                  name={name}
                  rows="3"
                  required={l === project.defaultLanguage}
                  aria-describedby={err ? `${id}-count ${id}-error` : `${id}-count`}
                  aria-invalid={err ? 'true' : undefined}
                  hx-post={`${base}/segments`}
                  hx-trigger="keyup changed delay:300ms, change"
                  hx-params={`_csrf,field,${name}`}
                  hx-vals={JSON.stringify({ field: name })}
                  hx-target={`#${id}-count`}
                  hx-swap="innerHTML"
                  safe
                >
                  {text}
                </textarea>
                <p class="help" id={`${id}-count`} aria-live="polite">
                  <SegmentCount text={text} />
                </p>
                <FieldError id={id} error={err} />
              </div>
            );
          })}
        </fieldset>

        <fieldset class="card">
          <legend>When</legend>
          <FieldError id="f-when" error={errors.when} />
          <Radio name="when" value="now" current={state.when} label="Send now" id="f-when" />
          <Radio name="when" value="later" current={state.when} label="At a local time" id="f-when-later" />
          <div class="indent">
            <label for="f-sendAt">Send at (local time)</label>
            <p class="help" id="f-sendAt-help" safe>
              {`The time in each contact’s own time zone (their time_zone property), else the project’s: ${zone} (${zoneAbbreviation(zone, new Date())}). 09:00 reaches everyone at 09:00 where they are.`}
            </p>
            <input
              id="f-sendAt"
              name="sendAt"
              type="datetime-local"
              value={state.sendAt}
              aria-describedby={errors.sendAt ? 'f-sendAt-help f-sendAt-error' : 'f-sendAt-help'}
              aria-invalid={errors.sendAt ? 'true' : undefined}
            />
            <FieldError id="f-sendAt" error={errors.sendAt} />
          </div>
        </fieldset>
        <p>
          <button type="submit">Preview</button> <span class="muted">Nothing is sent until you confirm on the next page.</span>
        </p>
      </form>
    </Layout>
  );
}

/** The recipients in words. */
export function recipientsText(r: BroadcastView['recipients'] | { caseType: string; where: Record<string, string> }): string {
  if ('caseIds' in r) {
    return `A list of ${plural(r.caseIds, 'case', 'cases')}`;
  }
  if ('mobileWorkerIds' in r) {
    return plural(r.mobileWorkerIds, 'mobile worker', 'mobile workers');
  }
  const where = Object.entries(r.where).map(([k, v]) => `${k} = ${v}`);
  return `Open cases of type ${r.caseType}${where.length ? ` where ${where.join(' and ')}` : ''}`;
}

function whenText(project: Project, sendAt: string | null): string {
  if (!sendAt) {
    return 'Now';
  }
  return `${sendAt.replace('T', ' ')} in each contact’s own time zone (the project’s, ${project.timeZone}, for contacts without one)`;
}

export interface PreviewGroupText {
  language: string;
  count: number;
  /** The language of the text they get, and the text. */
  textLanguage: string | null;
  text: string;
}

export function PreviewPage(props: {
  ctx: PageContext;
  project: Project;
  state: ComposerState;
  preview: BroadcastPreview;
  recipients: string;
  groups: readonly PreviewGroupText[];
}): JSX.Element {
  const { project, preview: p, state, ctx } = props;
  const base = `/ui/p/${project.name}/broadcasts`;
  const cannot = p.total - p.reachable;
  return (
    <Layout title="Preview broadcast" ctx={ctx}>
      <h1>Preview broadcast</h1>
      <p class="muted">Nothing has been sent yet. Check who will get what, then send.</p>
      <section class="card" aria-labelledby="who">
        <h2 id="who">Who</h2>
        <p safe>{props.recipients}</p>
        <div class="stat-row">
          <div class="stat">
            <span class="stat-n" id="stat-total" safe>
              {p.total.toLocaleString('en')}
            </span>
            <span class="stat-label">recipients</span>
          </div>
          <div class="stat stat-ok">
            <span class="stat-n" id="stat-reachable" safe>
              {p.reachable.toLocaleString('en')}
            </span>
            <span class="stat-label">can be reached</span>
          </div>
          <div class={cannot > 0 ? 'stat stat-bad' : 'stat'}>
            <span class="stat-n" id="stat-unreachable" safe>
              {cannot.toLocaleString('en')}
            </span>
            <span class="stat-label">cannot be reached</span>
          </div>
        </div>
        {p.missing > 0 ? (
          <p class="problem" safe>
            {`${plural(p.missing, 'id is', 'ids are')} not a case of this project (unknown or deleted): no message will be recorded for ${p.missing === 1 ? 'it' : 'them'}.`}
          </p>
        ) : (
          ''
        )}
        {p.unreachable.length ? (
          <table id="unreachable">
            <caption class="left">Why some cannot be reached</caption>
            <thead>
              <tr>
                <th>Reason</th>
                <th>Contacts</th>
              </tr>
            </thead>
            <tbody>
              {p.unreachable.map((u) => (
                <tr>
                  <td>
                    <span safe>{u.description}</span> <code>{u.code}</code>
                  </td>
                  <td safe>{u.count.toLocaleString('en')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          ''
        )}
      </section>
      <section class="card" aria-labelledby="what">
        <h2 id="what">What each language group gets</h2>
        {props.groups.length === 0 ? (
          <p class="muted">No one can be reached, so no one gets a text.</p>
        ) : (
          <table id="by-language">
            <thead>
              <tr>
                <th>Language</th>
                <th>Contacts</th>
                <th>Text they get</th>
                <th>Length</th>
              </tr>
            </thead>
            <tbody>
              {props.groups.map((g) => (
                <tr>
                  <td safe>{languageLabel(project, g.language)}</td>
                  <td safe>{g.count.toLocaleString('en')}</td>
                  <td>
                    <div class="sms" safe>
                      {g.text}
                    </div>
                    {g.textLanguage !== null && g.textLanguage !== g.language ? (
                      <div class="muted" safe>
                        {`No ${languageName(g.language)} text was given: they get the ${languageLabel(project, g.textLanguage).replace(' — default', '')} text (the default).`}
                      </div>
                    ) : (
                      ''
                    )}
                  </td>
                  <td safe>{lengthText(g.text)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="card" aria-labelledby="when">
        <h2 id="when">When</h2>
        <p safe>{whenText(project, state.when === 'later' ? state.sendAt : null)}</p>
      </section>
      <form method="post" action={base} class="row">
        <Csrf ctx={ctx} />
        <StateFields project={project} state={state} />
        {p.reachable > 0 ? (
          <button type="submit" id="send" safe>
            {`Send to ${plural(p.reachable, 'contact', 'contacts')}`}
          </button>
        ) : (
          <span class="muted">No one can be reached: change the recipients or fix the reasons above.</span>
        )}
        <button type="submit" class="secondary" formaction={`${base}/new`}>
          Change
        </button>
      </form>
    </Layout>
  );
}

type Phase = { label: string; tone: BadgeTone };

export function phaseOf(b: BroadcastView): Phase {
  if (b.status === 'cancelled') {
    return { label: 'cancelled', tone: 'none' };
  }
  if (b.status === 'failed') {
    return { label: 'failed', tone: 'bad' };
  }
  if (b.status === 'pending' || b.status === 'expanding') {
    return { label: 'preparing', tone: 'warn' };
  }
  if (b.counts.queued > 0) {
    return { label: 'sending', tone: 'warn' };
  }
  if (b.counts.scheduled > 0) {
    return { label: 'scheduled', tone: 'none' };
  }
  return { label: 'done', tone: 'ok' };
}

/** A stacked bar: sent (and delivered), failed, queued, scheduled, each with a title. */
export function ProgressBar(props: { b: BroadcastView }): JSX.Element {
  const c = props.b.counts;
  const parts = [
    { key: 'sent', n: c.sent + c.delivered, label: 'sent' },
    { key: 'failed', n: c.failed, label: 'failed' },
    { key: 'queued', n: c.queued, label: 'queued' },
    { key: 'scheduled', n: c.scheduled, label: 'scheduled' },
  ];
  const total = parts.reduce((a, p) => a + p.n, 0);
  let x = 0;
  const summary = `${(c.sent + c.delivered).toLocaleString('en')} sent, ${c.failed.toLocaleString('en')} failed, ${c.queued.toLocaleString('en')} queued, ${c.scheduled.toLocaleString('en')} scheduled of ${total.toLocaleString('en')}`;
  return (
    <svg class="bc-bar" viewBox="0 0 1000 24" preserveAspectRatio="none" role="img" aria-label={summary}>
      <title safe>{summary}</title>
      <rect class="bc-bg" x="0" y="0" width="1000" height="24" />
      {total === 0
        ? ''
        : parts.map((p) => {
            if (p.n === 0) {
              return '';
            }
            const w = (p.n / total) * 1000;
            const rect = (
              <rect class={`bc-${p.key}`} x={x.toFixed(1)} y="0" width={w.toFixed(1)} height="24">
                <title safe>{`${p.n.toLocaleString('en')} ${p.label}`}</title>
              </rect>
            );
            x += w;
            return rect;
          })}
    </svg>
  );
}

/** The live part of a broadcast's page: polls itself every 2 s until nothing more will change. */
export function ProgressBox(props: { project: Project; b: BroadcastView }): JSX.Element {
  const { b, project } = props;
  const phase = phaseOf(b);
  const c = b.counts;
  const live = !b.finished && b.status !== 'failed';
  const url = `/ui/p/${project.name}/broadcasts/${b.id}/progress`;
  return (
    <div id="progress" class="card" aria-live="polite" {...(live ? { 'hx-get': url, 'hx-trigger': 'every 2s', 'hx-swap': 'outerHTML' } : {})} data-finished={b.finished ? 'true' : 'false'}>
      <p>
        <Badge tone={phase.tone} label={phase.label} /> <span safe>{`${plural(b.total, 'message', 'messages')} recorded`}</span>
        {b.missing ? <span class="muted" safe>{` · ${plural(b.missing, 'id', 'ids')} not found`}</span> : ''}
      </p>
      <ProgressBar b={b} />
      <ul class="legend">
        <li>
          <span class="key bc-sent" /> Sent <strong id="n-sent" safe>{(c.sent + c.delivered).toLocaleString('en')}</strong>
          {c.delivered ? <span class="muted" safe>{` (${c.delivered.toLocaleString('en')} delivered)`}</span> : ''}
        </li>
        <li>
          <span class="key bc-failed" /> Failed <strong id="n-failed" safe>{c.failed.toLocaleString('en')}</strong>
        </li>
        <li>
          <span class="key bc-queued" /> Queued <strong id="n-queued" safe>{c.queued.toLocaleString('en')}</strong>
        </li>
        <li>
          <span class="key bc-scheduled" /> Scheduled <strong id="n-scheduled" safe>{c.scheduled.toLocaleString('en')}</strong>
        </li>
      </ul>
      {live ? <p class="muted">This page updates by itself; you can leave it and come back.</p> : ''}
      {b.error ? (
        <div class="problem" safe>
          {b.error}
        </div>
      ) : (
        ''
      )}
      {Object.keys(b.errorCounts).length ? (
        <table id="failures">
          <caption class="left">Failures by reason</caption>
          <thead>
            <tr>
              <th>Reason</th>
              <th>Messages</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(b.errorCounts)
              .sort((a, z) => z[1] - a[1])
              .map(([code, n]) => (
                <tr>
                  <td>
                    <span safe>{describeKnownCode(code) ?? code}</span> <code safe>{code}</code>
                  </td>
                  <td safe>{n.toLocaleString('en')}</td>
                </tr>
              ))}
          </tbody>
        </table>
      ) : (
        ''
      )}
    </div>
  );
}

function cancellable(b: BroadcastView): boolean {
  const phase = phaseOf(b).label;
  return b.sendAt !== null && (phase === 'scheduled' || phase === 'preparing');
}

export function BroadcastPage(props: { ctx: PageContext; project: Project; b: BroadcastView; notice?: string | null; error?: string | null; errorCode?: string | null }): JSX.Element {
  const { project, b, ctx } = props;
  const base = `/ui/p/${project.name}/broadcasts`;
  const texts = b.translations ? projectLanguages(project).filter((l) => b.translations?.[l] !== undefined) : [];
  const extra = b.translations ? Object.keys(b.translations).filter((l) => !texts.includes(l)) : [];
  return (
    <Layout title="Broadcast" ctx={ctx}>
      <p>
        <a href={base}>← Broadcasts</a>
      </p>
      <h1>Broadcast</h1>
      <Notice text={props.notice} />
      {props.error ? (
        <div class="error" role="alert">
          <span safe>{props.error}</span> {props.errorCode ? <code safe>{props.errorCode}</code> : ''}
        </div>
      ) : (
        ''
      )}
      <ProgressBox project={project} b={b} />
      <section class="card" aria-labelledby="details">
        <h2 id="details">Details</h2>
        <dl class="facts">
          <dt>Recipients</dt>
          <dd safe>{recipientsText(b.recipients)}</dd>
          <dt>Created</dt>
          <dd>
            <Time at={b.createdAt} zone={project.timeZone} />
            {b.createdByEmail ? <span safe>{` by ${b.createdByEmail}`}</span> : ''}
          </dd>
          <dt>When</dt>
          <dd>
            <span safe>{whenText(project, b.sendAt)}</span>
            {b.firstDueAt ? (
              <div class="muted">
                First due <Time at={b.firstDueAt} zone={project.timeZone} />
                {b.lastDueAt && b.lastDueAt !== b.firstDueAt ? (
                  <>
                    , last <Time at={b.lastDueAt} zone={project.timeZone} />
                  </>
                ) : (
                  ''
                )}
              </div>
            ) : (
              ''
            )}
          </dd>
          {b.cancelledAt ? (
            <>
              <dt>Cancelled</dt>
              <dd>
                <Time at={b.cancelledAt} zone={project.timeZone} />
              </dd>
            </>
          ) : (
            ''
          )}
          {[...texts, ...extra].map((l) => (
            <>
              <dt safe>{languageLabel(project, l)}</dt>
              <dd>
                <div class="sms" safe>
                  {b.translations?.[l] ?? ''}
                </div>
              </dd>
            </>
          ))}
          {b.text !== null ? (
            <>
              <dt>Text</dt>
              <dd>
                <div class="sms" safe>
                  {b.text}
                </div>
              </dd>
            </>
          ) : (
            ''
          )}
        </dl>
      </section>
      {cancellable(b) ? (
        <form method="post" action={`${base}/${b.id}/cancel`} data-confirm="Cancel this broadcast? Its scheduled messages will not be sent.">
          <Csrf ctx={ctx} />
          <button type="submit" class="danger">
            Cancel broadcast
          </button>
        </form>
      ) : (
        ''
      )}
    </Layout>
  );
}

export function BroadcastListPage(props: { ctx: PageContext; project: Project; items: readonly BroadcastView[]; next: string | null; notice?: string | null }): JSX.Element {
  const { project } = props;
  const base = `/ui/p/${project.name}/broadcasts`;
  return (
    <Layout title="Send / broadcast" ctx={props.ctx}>
      <div class="row between">
        <h1>Send / broadcast</h1>
        <a class="button" href={`${base}/new`}>
          New broadcast
        </a>
      </div>
      <Notice text={props.notice} />
      {props.items.length === 0 ? (
        <div class="empty">
          No broadcasts yet. <a href={`${base}/new`}>Compose one</a> to send a message to many contacts at once — by case type, a list of cases or a file — and see who can be reached before
          it goes.
        </div>
      ) : (
        <table id="broadcasts">
          <thead>
            <tr>
              <th>Created</th>
              <th>Recipients</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Scheduled for</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((b) => {
              const phase = phaseOf(b);
              const c = b.counts;
              return (
                <tr>
                  <td>
                    <a href={`${base}/${b.id}`}>
                      <Time at={b.createdAt} zone={project.timeZone} />
                    </a>
                    {b.createdByEmail ? (
                      <div class="muted" safe>
                        {b.createdByEmail}
                      </div>
                    ) : (
                      ''
                    )}
                  </td>
                  <td>
                    <span safe>{recipientsText(b.recipients)}</span>
                    <div class="muted" safe>
                      {firstText(b)}
                    </div>
                  </td>
                  <td>
                    <Badge tone={phase.tone} label={phase.label} />
                  </td>
                  <td class="bc-cell">
                    <ProgressBar b={b} />
                    <span class="muted" safe>
                      {`${(c.sent + c.delivered).toLocaleString('en')} sent · ${c.failed.toLocaleString('en')} failed · ${(c.queued + c.scheduled).toLocaleString('en')} waiting`}
                    </span>
                  </td>
                  <td safe>{scheduledText(b.sendAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {props.next ? (
        <p class="pager">
          <a href={`${base}?cursor=${encodeURIComponent(props.next)}`}>Older broadcasts →</a>
        </p>
      ) : (
        ''
      )}
    </Layout>
  );
}

function scheduledText(sendAt: string | null): string {
  return sendAt ? `${sendAt.replace('T', ' ')} local` : 'at once';
}

function firstText(b: BroadcastView): string {
  const t = b.translations ? (Object.values(b.translations)[0] ?? '') : (b.text ?? '');
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}
