/**
 * @module http/admin/cases.views — the contacts (cases) list with its filters, count, Problems
 * column and bulk actions; the new-case form; the case page (contact card with the truth about
 * opt-outs, problems naming who holds a number, reachability, conversation, surveys, properties,
 * edit, close); the bulk-action outcome and close confirmation; the "Export contacts" page.
 * Components only: the routes are in cases.routes.tsx.
 */
import type { Project } from '../../domain/project.ts';
import type { CaseProblemView, CaseView, NumberHolder } from '../../services/cases.service.ts';
import type { Conversation, Reachability } from '../../services/messages.service.ts';
import type { SessionView } from '../../services/survey-sessions.service.ts';
import type { SurveyView } from '../../services/surveys.service.ts';
import { type Choice, ErrorSummary, type FieldErrors, keepCurrent, languageChoices, Select, timeZoneChoices } from './components/form.tsx';
import { Badge, type BadgeTone, countryName, Csrf, ErrorBox, Field, Layout, Notice, type PageContext, Time } from './layout.tsx';
import { ContactConversation, ReachabilityBox, SendForm } from './messages.views.tsx';
import { CaseSurveys } from './survey-parts.tsx';
import { CaseReminders } from './reminders.views.tsx';
import type { CaseReminder } from '../../services/reminder-report.service.ts';

const FIXES: Record<string, string> = {
  INVALID_PHONE_NUMBER: 'Check the digits and enter the number with its country code first (for example 254712345678), or set the project’s default country in Settings.',
  PHONE_NUMBER_IN_USE:
    'Messages still reach this case, but replies from this number go to the other contact. To move replies here, close the other case or remove the number from the other contact first.',
  INVALID_TIME_ZONE: 'Use a time zone name such as Africa/Nairobi or America/New_York.',
  UNKNOWN_LANGUAGE: 'Use one of the project’s SMS languages, or add this language in the project settings.',
  INVALID_EMAIL_ADDRESS: 'Check the address; it should look like name@example.org.',
};

export const STATUS_TONE: Record<string, BadgeTone> = { 'two-way': 'ok', 'one-way': 'warn', invalid: 'bad', none: 'none' };

/** Short words for a problem in the cases list; the case page gives the whole story. */
const PROBLEM_WORDS: Record<string, string> = {
  INVALID_PHONE_NUMBER: 'number not valid',
  PHONE_NUMBER_IN_USE: 'number used by another contact',
  INVALID_TIME_ZONE: 'time zone not known',
  UNKNOWN_LANGUAGE: 'language not in the project',
  INVALID_EMAIL_ADDRESS: 'email not valid',
};

/** Where a holder of a number is shown: its page when in this project, else only that it is elsewhere. */
export function HolderLink(props: { project: Project; holder: NumberHolder }): JSX.Element {
  const h = props.holder;
  if (h.type === 'another-project') {
    return <span>a contact in another project</span>;
  }
  const href = `/ui/p/${props.project.name}/${h.type === 'case' ? 'cases' : 'mobile-workers'}/${h.id}`;
  return (
    <span>
      {h.type === 'case' ? 'the case ' : 'the mobile worker '}
      <a href={href} class="holder" safe>
        {h.name}
      </a>
    </span>
  );
}

/** The phone status as the list and the card show it: `opted out` wins over two-way / one-way. */
export function PhoneStatusBadges(props: { c: CaseView }): JSX.Element {
  const { contact } = props.c;
  return (
    <>
      {contact.optedOut ? <Badge tone="bad" label="opted out" /> : <Badge tone={STATUS_TONE[contact.phoneStatus] ?? 'none'} label={contact.phoneStatus} />}
    </>
  );
}

function ProblemBox(props: { p: CaseProblemView; project: Project }): JSX.Element {
  const { p } = props;
  return (
    <div class="problem">
      {p.code === 'PHONE_NUMBER_IN_USE' && p.holder ? (
        <div>
          Replies from this number go to <HolderLink project={props.project} holder={p.holder} />, which already receives them; this case can be sent to (one-way).
        </div>
      ) : (
        <div safe>{p.message}</div>
      )}
      <div class="fix" safe>
        {FIXES[p.code] ?? ''}
      </div>
      <code>{p.code}</code>
    </div>
  );
}

function Problems(props: { c: CaseView; project: Project }): JSX.Element {
  const problems = props.c.contact.problems;
  if (problems.length === 0) {
    return '';
  }
  return (
    <section class="card" aria-labelledby="problems">
      <h2 id="problems">Problems</h2>
      {problems.map((p) => (
        <ProblemBox p={p} project={props.project} />
      ))}
    </section>
  );
}

function ContactCard(props: { c: CaseView; project: Project }): JSX.Element {
  const { contact } = props.c;
  const props_ = props.c.properties;
  const zoneFallback = !props_.time_zone || contact.problems.some((p) => p.code === 'INVALID_TIME_ZONE');
  const languageFallback = !props_.language_code || contact.problems.some((p) => p.code === 'UNKNOWN_LANGUAGE');
  return (
    <section class="card" aria-labelledby="contact">
      <h2 id="contact">Contact</h2>
      <dl class="facts">
        <dt>Phone number</dt>
        <dd>
          {contact.phoneNumber ? <span safe>{contact.phoneNumber}</span> : <span class="muted">{props_.contact_phone_number ? 'not usable' : 'none'}</span>}{' '}
          {contact.phoneCountry ? <span class="muted" safe>{`(${countryName(contact.phoneCountry) ?? contact.phoneCountry})`}</span> : ''} <PhoneStatusBadges c={props.c} />
          {contact.optedOut ? (
            <div class="muted">
              The person opted out (replied STOP or another opt-out word): nothing is sent to this number until they reply START.{' '}
              {contact.phoneNumber ? <a href={`/ui/p/${props.project.name}/numbers/${encodeURIComponent(contact.phoneNumber)}`}>The number’s page</a> : ''}
            </div>
          ) : (
            ''
          )}
        </dd>
        <dt>SMS consent</dt>
        <dd>
          {contact.smsConsent ? <Badge tone={contact.optedOut ? 'warn' : 'ok'} label="yes" /> : <Badge tone="none" label="no" />}
          {contact.smsConsent && contact.optedOut ? <span class="muted"> — recorded, but the number has since opted out</span> : ''}
        </dd>
        <dt>Email</dt>
        <dd safe>{contact.email ?? '—'}</dd>
        <dt>Time zone</dt>
        <dd>
          <span safe>{contact.timeZone}</span>
          {zoneFallback ? <span class="muted"> (the project’s)</span> : ''}
        </dd>
        <dt>Language</dt>
        <dd>
          <span safe>{contact.language}</span>
          {languageFallback ? <span class="muted"> (the project default)</span> : ''}
        </dd>
        <dt>Gateway</dt>
        <dd safe>{contact.gateway ?? 'chosen by the routes'}</dd>
      </dl>
    </section>
  );
}

export const CONTACT_FIELDS: Array<{ name: string; label: string; help: string }> = [
  { name: 'contact_phone_number', label: 'Phone number', help: 'International format, country code first (254712345678); a national number uses the project’s default country.' },
  { name: 'commcare_email_address', label: 'Email', help: '' },
  { name: 'time_zone', label: 'Time zone', help: 'Leave blank to use the project’s.' },
  { name: 'language_code', label: 'Language', help: 'One of the project’s SMS languages; blank for the default.' },
  { name: 'contact_backend_id', label: 'Gateway override', help: 'Name of a gateway; blank to let the routes choose.' },
];

/** The labels of the case form's fields, for the error summary. */
export const CASE_FORM_LABELS: Record<string, string> = {
  name: 'Name',
  caseType: 'Case type',
  extraName: 'Other property',
  extraValue: 'Value',
  ...Object.fromEntries(CONTACT_FIELDS.map((f) => [f.name, f.label])),
};

/** What the case form's pickers offer: the project's zone and languages, the gateways it may use. */
export interface CasePickers {
  timeZone: string;
  languages: readonly string[];
  defaultLanguage: string;
  gateways: readonly string[];
}

export function CaseForm(props: { ctx: PageContext; action: string; values: Record<string, string>; isNew: boolean; errors: FieldErrors | null; error?: string | null; pickers: CasePickers }): JSX.Element {
  const v = props.values;
  const e = props.errors ?? {};
  const pk = props.pickers;
  const picker = (f: (typeof CONTACT_FIELDS)[number]): JSX.Element => {
    if (f.name === 'time_zone') {
      return <Select label={f.label} name={f.name} value={v[f.name]} blank={`— the project’s (${pk.timeZone}) —`} choices={timeZoneChoices(v[f.name])} error={e[f.name]} />;
    }
    if (f.name === 'language_code') {
      const choices = keepCurrent(languageChoices(pk.languages), v[f.name], 'not one of the project’s languages');
      return <Select label={f.label} name={f.name} value={v[f.name]} blank={`— the project’s default (${pk.defaultLanguage}) —`} choices={choices} error={e[f.name]} />;
    }
    if (f.name === 'contact_backend_id') {
      const choices = keepCurrent(
        pk.gateways.map((g) => ({ value: g, label: g })),
        v[f.name],
        'no such gateway',
      );
      return <Select label={f.label} name={f.name} value={v[f.name]} blank="— let the routes choose —" choices={choices} error={e[f.name]} />;
    }
    return <Field label={f.label} name={f.name} value={v[f.name]} help={f.help} error={e[f.name]} />;
  };
  return (
    <form class="stack" method="post" action={props.action}>
      <Csrf ctx={props.ctx} />
      <ErrorSummary errors={props.errors} labels={CASE_FORM_LABELS} />
      <ErrorBox text={props.error} />
      <Field label="Name" name="name" value={v.name} required error={e.name} />
      {props.isNew ? <Field label="Case type" name="caseType" value={v.caseType} required help="For example patient or household." error={e.caseType} /> : ''}
      {CONTACT_FIELDS.map(picker)}
      <label>
        <input type="checkbox" name="contact_phone_number_is_verified" value="1" checked={v.contact_phone_number_is_verified === '1'} /> The person consented to SMS (and replies may come from this number)
      </label>
      <div class="row">
        <Field label="Other property" name="extraName" value={v.extraName} help="Optional: a property name" error={e.extraName} />
        <Field label="Value" name="extraValue" value={v.extraValue} error={e.extraValue} />
      </div>
      <p>
        <button type="submit">{props.isNew ? 'Create case' : 'Save changes'}</button>
      </p>
    </form>
  );
}

/** The list's query, as the URL carries it (every name bookmarkable; another page links with them). */
export interface ListQuery {
  caseType?: string;
  phoneStatus?: string;
  consent?: string;
  optedOut?: string;
  problems?: string;
  owner?: string;
  createdFrom?: string;
  createdTo?: string;
  search?: string;
  sort?: string;
  cursor?: string;
}

export const FILTER_NAMES = ['caseType', 'phoneStatus', 'consent', 'optedOut', 'problems', 'owner', 'createdFrom', 'createdTo', 'search'] as const;

export function queryString(q: Record<string, string | undefined>): string {
  const entries = Object.entries(q).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}

function FilterSelect(props: { id: string; name: string; label: string; value: string | undefined; choices: readonly Choice[] }): JSX.Element {
  return (
    <div>
      <label for={props.id} safe>
        {props.label}
      </label>
      <select id={props.id} name={props.name}>
        <option value="">any</option>
        {props.choices.map((c) => (
          <option value={c.value} selected={c.value === props.value} safe>
            {c.label}
          </option>
        ))}
      </select>
    </div>
  );
}

const YES_NO: Choice[] = [
  { value: 'yes', label: 'yes' },
  { value: 'no', label: 'no' },
];

/** The filters, shared by the list and the export page. */
export function ContactFilters(props: { q: ListQuery; caseTypes: readonly string[]; owners: readonly Choice[]; withSearch: boolean }): JSX.Element {
  const q = props.q;
  return (
    <>
      <div>
        <label for="q-caseType">Case type</label>
        <input id="q-caseType" name="caseType" type="text" list="case-types" value={q.caseType ?? ''} />
        <datalist id="case-types">
          {props.caseTypes.map((t) => (
            <option value={t} />
          ))}
        </datalist>
      </div>
      <FilterSelect
        id="q-phoneStatus"
        name="phoneStatus"
        label="Phone status"
        value={q.phoneStatus}
        choices={[
          { value: 'two-way', label: 'two-way' },
          { value: 'one-way', label: 'one-way' },
          { value: 'invalid', label: 'invalid' },
          { value: 'none', label: 'none' },
        ]}
      />
      <FilterSelect id="q-consent" name="consent" label="SMS consent" value={q.consent} choices={YES_NO} />
      <FilterSelect id="q-optedOut" name="optedOut" label="Opted out" value={q.optedOut} choices={YES_NO} />
      <FilterSelect id="q-problems" name="problems" label="Problems" value={q.problems} choices={[{ value: 'yes', label: 'has problems' }]} />
      {props.owners.length ? <FilterSelect id="q-owner" name="owner" label="Owner" value={q.owner} choices={props.owners} /> : ''}
      <div>
        <label for="q-createdFrom">Created from</label>
        <input id="q-createdFrom" name="createdFrom" type="date" value={q.createdFrom ?? ''} />
      </div>
      <div>
        <label for="q-createdTo">Created to</label>
        <input id="q-createdTo" name="createdTo" type="date" value={q.createdTo ?? ''} />
      </div>
      {props.withSearch ? (
        <div>
          <label for="q-search">Name or number</label>
          <input id="q-search" name="search" type="search" value={q.search ?? ''} />
        </div>
      ) : (
        ''
      )}
    </>
  );
}

export interface ListTotal {
  count: number;
  atLeast: boolean;
}

export function totalText(t: ListTotal): string {
  const n = t.count.toLocaleString('en-US');
  return t.atLeast ? `${n}+ cases` : `${n} ${t.count === 1 ? 'case' : 'cases'}`;
}

export interface CasesPageProps {
  ctx: PageContext;
  project: Project;
  items: CaseView[];
  total: ListTotal;
  next: string | null;
  paged: boolean;
  q: ListQuery;
  caseTypes: readonly string[];
  owners: readonly Choice[];
  surveys: readonly SurveyView[];
  form: Record<string, string>;
  errors: FieldErrors | null;
  notice: string | null;
  pickers: CasePickers;
}

export function CasesPage(props: CasesPageProps): JSX.Element {
  const p = props.project;
  const base = `/ui/p/${p.name}/cases`;
  const filters = Object.fromEntries(FILTER_NAMES.map((n) => [n, props.q[n]]));
  const keep = { ...filters, sort: props.q.sort };
  const nextHref = props.next ? `${base}${queryString({ ...keep, cursor: props.next })}` : null;
  const firstHref = props.paged ? `${base}${queryString(keep)}` : null;
  const filtered = FILTER_NAMES.some((n) => props.q[n]);
  const sortHref = (sort: string) => `${base}${queryString({ ...filters, sort: sort === 'newest' ? undefined : sort })}`;
  const sort = props.q.sort ?? 'newest';
  return (
    <Layout title="Cases" ctx={props.ctx}>
      <h1>Cases</h1>
      <Notice text={props.notice} />
      <form class="row card filters" method="get" action={base} role="search" aria-label="Filter cases">
        <ContactFilters q={props.q} caseTypes={props.caseTypes} owners={props.owners} withSearch />
        {props.q.sort && props.q.sort !== 'newest' ? <input type="hidden" name="sort" value={props.q.sort} /> : ''}
        <button type="submit" class="secondary">
          Filter
        </button>
        {filtered ? <a href={base}>Clear filters</a> : ''}
      </form>
      <p class="list-summary">
        <strong id="total" safe>
          {totalText(props.total)}
        </strong>
        {props.total.atLeast ? <span class="muted"> (counting stops there; narrow the filters for an exact number)</span> : ''} <span class="muted">· Sort:</span>{' '}
        {(['newest', 'oldest', 'name'] as const).map((s) => (
          <>
            {sort === s ? (
              <strong aria-current="true" safe>{s === 'name' ? 'name A–Z' : `${s} first`}</strong>
            ) : (
              <a href={sortHref(s)} safe>{s === 'name' ? 'name A–Z' : `${s} first`}</a>
            )}{' '}
          </>
        ))}
        · <a href={`/ui/p/${p.name}/cases/export.csv${queryString(filters)}`}>Export these as CSV</a> · <a href={`/ui/p/${p.name}/cases/export.xlsx${queryString(filters)}`}>.xlsx</a>
      </p>
      {props.items.length === 0 ? (
        filtered ? (
          <div class="empty">
            No case matches these filters — check the spelling, search by part of the name or the number, or <a href={base}>show all cases</a>.
          </div>
        ) : (
          <div class="empty">
            No cases here yet — create one below, or <a href={`/ui/p/${p.name}/imports`}>import them from a spreadsheet</a>.
          </div>
        )
      ) : (
        <form id="bulk" method="post" action={`${base}/bulk/export`}>
          <Csrf ctx={props.ctx} />
          <table class="cases">
            <thead>
              <tr>
                <th>
                  <span class="sr-only">Select</span>
                </th>
                <th>Name</th>
                <th>Type</th>
                <th>Phone</th>
                <th>Status</th>
                <th>Problems</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((c) => (
                <tr>
                  <td>
                    <input type="checkbox" name="caseIds" value={c.id} id={`sel-${c.id}`} aria-label={`Select ${c.name}`} />
                  </td>
                  <td>
                    <a href={`${base}/${c.id}`} safe>
                      {c.name}
                    </a>
                    {c.closed ? <span class="muted"> (closed)</span> : ''}
                  </td>
                  <td safe>{c.caseType}</td>
                  <td safe>{c.contact.phoneNumber ?? c.properties.contact_phone_number ?? '—'}</td>
                  <td>
                    <PhoneStatusBadges c={c} />
                  </td>
                  <td class="problems">
                    {c.contact.problems.map((pr) => (
                      <div title={pr.message} safe>
                        {PROBLEM_WORDS[pr.code] ?? pr.code}
                      </div>
                    ))}
                  </td>
                  <td>
                    <Time at={c.createdAt} zone={p.timeZone} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <fieldset class="row card bulk mt-08">
            <legend>With the selected cases</legend>
            <button type="submit" class="secondary" formaction={`/ui/p/${p.name}/broadcasts/new`}>
              Send message
            </button>
            {props.surveys.length ? (
              <>
                <div>
                  <label for="bulk-survey">Survey</label>
                  <select id="bulk-survey" name="surveyId">
                    {props.surveys.map((s) => (
                      <option value={s.id} safe>
                        {s.name}
                      </option>
                    ))}
                  </select>
                </div>
                <button type="submit" class="secondary" formaction={`${base}/bulk/survey`}>
                  Start survey
                </button>
              </>
            ) : (
              ''
            )}
            <button type="submit" class="secondary" formaction={`${base}/bulk/export`}>
              Export selected
            </button>
            <button type="submit" class="danger" formaction={`${base}/bulk/close`}>
              Close…
            </button>
          </fieldset>
        </form>
      )}
      {nextHref || firstHref ? (
        <p class="pager">
          {firstHref ? <a href={firstHref}>← First page</a> : ''} {nextHref ? <a href={nextHref}>Next page →</a> : ''}
        </p>
      ) : (
        ''
      )}
      <div class="card mt-1">
        <h2>New case</h2>
        <CaseForm ctx={props.ctx} action={base} values={props.form} isNew errors={props.errors} pickers={props.pickers} />
      </div>
    </Layout>
  );
}

/** The bulk close's confirmation: the cases named, one button to close them. */
export function BulkClosePage(props: { ctx: PageContext; project: Project; cases: CaseView[] }): JSX.Element {
  const base = `/ui/p/${props.project.name}/cases`;
  const open = props.cases.filter((c) => !c.closed);
  return (
    <Layout title="Close cases" ctx={props.ctx}>
      <p>
        <a href={base}>← Cases</a>
      </p>
      <h1 safe>{`Close ${open.length} ${open.length === 1 ? 'case' : 'cases'}?`}</h1>
      {open.length === 0 ? (
        <div class="empty">
          None of the selected cases is open. <a href={base}>Back to the cases</a>.
        </div>
      ) : (
        <form method="post" action={`${base}/bulk/close`} data-confirm={`Close ${open.length} cases?`} class="card">
          <Csrf ctx={props.ctx} />
          <input type="hidden" name="confirm" value="yes" />
          <p>A closed case receives no messages and gives up its phone number, which passes to the next contact that asked for it.</p>
          <ul>
            {open.map((c) => (
              <li>
                <input type="hidden" name="caseIds" value={c.id} />
                <span safe>{c.name}</span> <span class="muted" safe>{`· ${c.caseType}`}</span>
              </li>
            ))}
          </ul>
          <p>
            <button type="submit" class="danger">
              Close these cases
            </button>{' '}
            <a href={base}>Cancel</a>
          </p>
        </form>
      )}
    </Layout>
  );
}

interface CaseMessaging {
  /** Shown as an alert: the last send could not go out. */
  alert?: string | null;
  reach: Reachability;
  conversation: Conversation;
  /** A refused send: its errors by field, and what was typed (the form is answered again, 422). */
  send: { errors: FieldErrors | null; text: string; sendAt: string };
  surveys: SurveyView[];
  sessions: SessionView[];
  surveyError: string | null;
  /** The case's reminders (scheduled, then sent, failed or cancelled). */
  reminders: CaseReminder[];
}

export type { CaseMessaging };

export function CasePage(props: { ctx: PageContext; project: Project; c: CaseView; notice: string | null; errors: FieldErrors | null; form: Record<string, string>; messaging: CaseMessaging; pickers: CasePickers }): JSX.Element {
  const { c } = props;
  const base = `/ui/p/${props.project.name}/cases/${c.id}`;
  return (
    <Layout title={c.name} ctx={props.ctx}>
      <p>
        <a href={`/ui/p/${props.project.name}/cases`}>← Cases</a>
      </p>
      <h1>
        <span safe>{c.name}</span> <span class="muted" safe>{`· ${c.caseType}`}</span> {c.closed ? <Badge tone="none" label="closed" /> : ''}
      </h1>
      <Notice text={props.notice} />
      <ErrorBox text={props.messaging.alert} />
      <ContactCard c={c} project={props.project} />
      <Problems c={c} project={props.project} />
      <section class="card" aria-labelledby="reach">
        <h2 id="reach">Reachability</h2>
        <ReachabilityBox r={props.messaging.reach} />
      </section>
      <section class="card" id="conversation" aria-labelledby="conversation-title">
        <h2 id="conversation-title">Conversation</h2>
        <ContactConversation project={props.project} contact={{ type: 'case', id: c.id }} conversation={props.messaging.conversation} />
        {c.closed ? (
          ''
        ) : (
          <div id="send">
            <h3>Send a message</h3>
            <SendForm ctx={props.ctx} action={`${base}/messages`} errors={props.messaging.send.errors} text={props.messaging.send.text} sendAt={props.messaging.send.sendAt} />
          </div>
        )}
      </section>
      {c.closed ? '' : <CaseSurveys ctx={props.ctx} project={props.project} caseId={c.id} surveys={props.messaging.surveys} sessions={props.messaging.sessions} error={props.messaging.surveyError} />}
      <CaseReminders project={props.project} caseId={c.id} reminders={props.messaging.reminders} />
      <section class="card" aria-labelledby="props">
        <h2 id="props">Properties</h2>
        <table>
          <tbody>
            {Object.entries(c.properties).map(([k, v]) => (
              <tr>
                <th safe>{k}</th>
                <td safe>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted">
          Created <Time at={c.createdAt} zone={props.project.timeZone} />, updated <Time at={c.updatedAt} zone={props.project.timeZone} />
        </p>
      </section>
      {c.closed ? (
        ''
      ) : (
        <>
          <section class="card">
            <h2>Edit</h2>
            <CaseForm ctx={props.ctx} action={base} values={props.form} isNew={false} errors={props.errors} pickers={props.pickers} />
          </section>
          <section class="card">
            <h2>Close the case</h2>
            <p class="muted">A closed case receives no messages and gives up its phone number, which passes to the next contact that asked for it.</p>
            <form method="post" action={`${base}/close`} data-confirm="Close this case?">
              <Csrf ctx={props.ctx} />
              <button type="submit" class="danger">
                Close case
              </button>
            </form>
          </section>
        </>
      )}
    </Layout>
  );
}

/** Data → Export contacts: the filters and the format; the download keeps them in its URL. */
export function ExportPage(props: { ctx: PageContext; project: Project; q: ListQuery; caseTypes: readonly string[]; owners: readonly Choice[]; total: ListTotal | null }): JSX.Element {
  const p = props.project;
  return (
    <Layout title="Export contacts" ctx={props.ctx}>
      <h1>Export contacts</h1>
      <section class="card" aria-labelledby="export">
        <h2 id="export">Which cases, in which file</h2>
        <p class="muted">
          The file has the columns of the bulk import (<code>case id</code>, <code>Case Name</code>, <code>contact_phone_number</code>, <code>contact_phone_number_is_verified</code>, …) and then every other property, so it can be
          changed and imported again: map <code>case id</code> as the case id to update the same cases.
        </p>
        <form class="stack" method="get" action={`/ui/p/${p.name}/cases/export.csv`}>
          <div class="row">
            <ContactFilters q={props.q} caseTypes={props.caseTypes} owners={props.owners} withSearch={false} />
          </div>
          <p>
            <button type="submit">Download CSV</button>{' '}
            <button type="submit" class="secondary" formaction={`/ui/p/${p.name}/cases/export.xlsx`}>
              Download .xlsx
            </button>
          </p>
        </form>
        {props.total ? (
          <p>
            <a href={`/ui/p/${p.name}/cases${queryString(Object.fromEntries(FILTER_NAMES.map((n) => [n, props.q[n]])))}`} safe>{`${totalText(props.total)} match these filters — see them in the list`}</a>
          </p>
        ) : (
          ''
        )}
      </section>
    </Layout>
  );
}

/** What a bulk action did, case by case, in words ("12 closed, 1 already closed"). */
export function outcomeText(parts: ReadonlyArray<[number, string]>): string {
  const said = parts.filter(([n]) => n > 0).map(([n, words]) => `${n.toLocaleString('en-US')} ${words}`);
  return said.length ? `${said.join(', ')}.` : 'Nothing was selected.';
}
