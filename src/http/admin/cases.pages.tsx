/**
 * @module http/admin/cases.pages — the cases list (filter by case type, search by name or number),
 * the new-case form, and the case page: the contact card, its problems in words with the fix,
 * the properties, its surveys (start one), editing and closing.
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { AppError, describeKnownCode } from '../../errors.ts';
import { PROPERTY_NAME } from '../api/schemas.ts';
import { normaliseLookupNumber } from '../../domain/phone-number.ts';
import { type CaseView, closeCase, createCase, getCase, listProjectCases, type PropertyValue, updateCase } from '../../services/cases.service.ts';
import { listProjectMessages, type MessageView, type Reachability, reachability } from '../../services/messages.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import { listSurveySessions, type SessionView } from '../../services/survey-sessions.service.ts';
import { listProjectSurveys, type SurveyView } from '../../services/surveys.service.ts';
import { MessageRow, ReachabilityBox, SendForm, sendErrorText } from './messages.pages.tsx';
import { CaseSurveys } from './survey-parts.tsx';
import type { AdminDeps } from './admin-deps.ts';
import { Badge, type BadgeTone, countryName, Csrf, ErrorBox, Field, Layout, Notice, type PageContext, Time } from './layout.tsx';
import { formError, formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

const FIXES: Record<string, string> = {
  INVALID_PHONE_NUMBER: 'Check the digits and enter the number with its country code first (for example 254712345678), or set the project’s default country in Settings.',
  PHONE_NUMBER_IN_USE:
    'Messages still reach this case, but replies from this number go to the other contact. To move replies here, close the other case or remove the number from the other contact first.',
  INVALID_TIME_ZONE: 'Use a time zone name such as Africa/Nairobi or America/New_York.',
  UNKNOWN_LANGUAGE: 'Use one of the project’s SMS languages, or add this language in the project settings.',
  INVALID_EMAIL_ADDRESS: 'Check the address; it should look like name@example.org.',
};

const STATUS_TONE: Record<string, BadgeTone> = { 'two-way': 'ok', 'one-way': 'warn', invalid: 'bad', none: 'none' };

/** Short words for a problem in the cases list; the case page gives the whole story. */
const PROBLEM_WORDS: Record<string, string> = {
  INVALID_PHONE_NUMBER: 'number not valid',
  PHONE_NUMBER_IN_USE: 'number used by another contact',
  INVALID_TIME_ZONE: 'time zone not known',
  UNKNOWN_LANGUAGE: 'language not in the project',
  INVALID_EMAIL_ADDRESS: 'email not valid',
};

function Problems(props: { c: CaseView }): JSX.Element {
  const problems = props.c.contact.problems;
  if (problems.length === 0) {
    return '';
  }
  return (
    <section class="card" aria-labelledby="problems">
      <h2 id="problems">Problems</h2>
      {problems.map((p) => (
        <div class="problem">
          <div safe>{p.message}</div>
          <div class="fix" safe>
            {FIXES[p.code] ?? ''}
          </div>
          <code>{p.code}</code>
        </div>
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
          {contact.phoneCountry ? <span class="muted" safe>{`(${countryName(contact.phoneCountry) ?? contact.phoneCountry})`}</span> : ''}{' '}
          <Badge tone={STATUS_TONE[contact.phoneStatus] ?? 'none'} label={contact.phoneStatus} />
        </dd>
        <dt>SMS consent</dt>
        <dd>{contact.smsConsent ? <Badge tone="ok" label="yes" /> : <Badge tone="none" label="no" />}</dd>
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

const CONTACT_FIELDS: Array<{ name: string; label: string; help: string }> = [
  { name: 'contact_phone_number', label: 'Phone number', help: 'International format, country code first (254712345678); a national number uses the project’s default country.' },
  { name: 'commcare_email_address', label: 'Email', help: '' },
  { name: 'time_zone', label: 'Time zone', help: 'Leave blank to use the project’s.' },
  { name: 'language_code', label: 'Language', help: 'One of the project’s SMS languages; blank for the default.' },
  { name: 'contact_backend_id', label: 'Gateway override', help: 'Name of a gateway; blank to let the routes choose.' },
];

function CaseForm(props: { ctx: PageContext; action: string; values: Record<string, string>; isNew: boolean; error: string | null }): JSX.Element {
  const v = props.values;
  return (
    <form class="stack" method="post" action={props.action}>
      <Csrf ctx={props.ctx} />
      <ErrorBox text={props.error} />
      <Field label="Name" name="name" value={v.name} required />
      {props.isNew ? <Field label="Case type" name="caseType" value={v.caseType} required help="For example patient or household." /> : ''}
      {CONTACT_FIELDS.map((f) => (
        <Field label={f.label} name={f.name} value={v[f.name]} help={f.help} />
      ))}
      <label>
        <input type="checkbox" name="contact_phone_number_is_verified" value="1" checked={v.contact_phone_number_is_verified === '1'} /> The person consented to SMS (and replies may come from this number)
      </label>
      <div class="row">
        <Field label="Other property" name="extraName" value={v.extraName} help="Optional: a property name" />
        <Field label="Value" name="extraValue" value={v.extraValue} />
      </div>
      <p>
        <button type="submit">{props.isNew ? 'Create case' : 'Save changes'}</button>
      </p>
    </form>
  );
}

/**
 * The checks the API's schema makes (cases.routes.ts), for the UI which calls the service directly:
 * a name and case type that are not blank, property names the API accepts (never `__proto__`).
 */
function checkCaseForm(body: unknown, isNew: boolean): void {
  const name = formValue(body, 'name').trim();
  const fail = (field: string, message: string): never => {
    throw new AppError('VALIDATION_ERROR', message, { details: { field } });
  };
  if (!name || name.length > 255) {
    fail('name', 'Give the case a name (up to 255 characters).');
  }
  const caseType = formValue(body, 'caseType').trim();
  if (isNew && (!caseType || caseType.length > 255)) {
    fail('caseType', 'Give the case type, for example patient (up to 255 characters).');
  }
  const extra = formValue(body, 'extraName').trim();
  if (extra && !PROPERTY_NAME.test(extra)) {
    fail('extraName', `"${extra}" cannot be a property name: use 1–100 letters, digits, _ or -, starting with a letter.`);
  }
  const values = [...CONTACT_FIELDS.map((f) => f.name), 'extraValue'].map((n) => formValue(body, n));
  if (values.some((v) => v.length > 10_000)) {
    fail('properties', 'A property value is longer than 10,000 characters.');
  }
}

function formToProperties(body: unknown, keepBlank: boolean): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  for (const f of CONTACT_FIELDS) {
    const v = formValue(body, f.name).trim();
    if (v !== '' || keepBlank) {
      out[f.name] = v;
    }
  }
  out.contact_phone_number_is_verified = formValue(body, 'contact_phone_number_is_verified') === '1' ? '1' : keepBlank ? '' : null;
  const extra = formValue(body, 'extraName').trim();
  if (extra) {
    out[extra] = formValue(body, 'extraValue');
  }
  return out;
}

function formValues(body: unknown): Record<string, string> {
  const names = ['name', 'caseType', 'extraName', 'extraValue', 'contact_phone_number_is_verified', ...CONTACT_FIELDS.map((f) => f.name)];
  return Object.fromEntries(names.map((n) => [n, formValue(body, n)]));
}

function CasesPage(props: { ctx: PageContext; project: Project; items: CaseView[]; next: string | null; paged?: boolean; q: Record<string, string>; form: Record<string, string>; error: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/cases`;
  const nextHref = props.next ? `${base}?${new URLSearchParams({ ...props.q, cursor: props.next }).toString()}` : null;
  const firstHref = props.paged ? `${base}?${new URLSearchParams(props.q).toString()}` : null;
  const filtered = Object.keys(props.q).length > 0;
  return (
    <Layout title="Cases" ctx={props.ctx}>
      <h1>Cases</h1>
      <form class="row card" method="get" action={base} role="search">
        <div>
          <label for="q-caseType">Case type</label>
          <input id="q-caseType" name="caseType" type="text" value={props.q.caseType ?? ''} />
        </div>
        <div>
          <label for="q-search">Name or number</label>
          <input id="q-search" name="search" type="search" value={props.q.search ?? ''} />
        </div>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      {props.items.length === 0 ? (
        filtered ? (
          <div class="empty">
            No case matches these filters — check the spelling, search by part of the name or the number, or <a href={base}>show all cases</a>.
          </div>
        ) : (
          <div class="empty">No cases here yet — create one below, or import them from a spreadsheet.</div>
        )
      ) : (
        <table>
          <thead>
            <tr>
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
                  <a href={`${base}/${c.id}`} safe>
                    {c.name}
                  </a>
                  {c.closed ? <span class="muted"> (closed)</span> : ''}
                </td>
                <td safe>{c.caseType}</td>
                <td safe>{c.contact.phoneNumber ?? c.properties.contact_phone_number ?? '—'}</td>
                <td>
                  <Badge tone={STATUS_TONE[c.contact.phoneStatus] ?? 'none'} label={c.contact.phoneStatus} />
                </td>
                <td>
                  {c.contact.problems.map((p) => (
                    <div title={p.message} safe>
                      {PROBLEM_WORDS[p.code] ?? p.code}
                    </div>
                  ))}
                </td>
                <td>
                  <Time at={c.createdAt} zone={props.project.timeZone} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
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
        <CaseForm ctx={props.ctx} action={base} values={props.form} isNew error={props.error} />
      </div>
    </Layout>
  );
}

interface CaseMessaging {
  /** Shown as an alert: the last send could not go out. */
  alert?: string | null;
  reach: Reachability;
  messages: MessageView[];
  sendError: string | null;
  text: string;
  surveys: SurveyView[];
  sessions: SessionView[];
  surveyError: string | null;
}

function CasePage(props: { ctx: PageContext; project: Project; c: CaseView; notice: string | null; error: string | null; form: Record<string, string>; messaging: CaseMessaging }): JSX.Element {
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
      <Problems c={c} />
      <section class="card" aria-labelledby="reach">
        <h2 id="reach">Reachability</h2>
        <ReachabilityBox r={props.messaging.reach} />
      </section>
      <section class="card" id="conversation" aria-labelledby="conversation-title">
        <h2 id="conversation-title">Conversation</h2>
        {props.messaging.messages.length === 0 ? (
          <p class="muted">No messages yet.</p>
        ) : (
          <table>
            <tbody>
              {props.messaging.messages.map((m) => (
                <MessageRow m={m} zone={props.project.timeZone} />
              ))}
            </tbody>
          </table>
        )}
        {c.closed ? '' : (
          <div id="send">
            <h3>Send a message</h3>
            <SendForm ctx={props.ctx} action={`${base}/messages`} error={props.messaging.sendError} text={props.messaging.text} sendAt="" />
          </div>
        )}
      </section>
      {c.closed ? '' : <CaseSurveys ctx={props.ctx} project={props.project} caseId={c.id} surveys={props.messaging.surveys} sessions={props.messaging.sessions} error={props.messaging.surveyError} />}
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
            <CaseForm ctx={props.ctx} action={base} values={props.form} isNew={false} error={props.error} />
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

function caseFormValues(c: CaseView): Record<string, string> {
  return { name: c.name, ...Object.fromEntries(CONTACT_FIELDS.map((f) => [f.name, c.properties[f.name] ?? ''])), contact_phone_number_is_verified: c.contact.smsConsent ? '1' : '' };
}

export function registerCasePages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  type ListQuery = { caseType?: string; search?: string; cursor?: string };

  async function list(project: Project, q: ListQuery) {
    const search = q.search?.trim() || undefined;
    const asNumber = search ? normaliseLookupNumber(search, project.defaultCountry) : null;
    return listProjectCases(s, project, { caseType: q.caseType?.trim() || undefined, search: asNumber ?? search, limit: 50, cursor: q.cursor || undefined });
  }

  app.get<{ Params: { project: string }; Querystring: ListQuery }>('/ui/p/:project/cases', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const page = await list(project, request.query);
    const q = Object.fromEntries(Object.entries({ caseType: request.query.caseType ?? '', search: request.query.search ?? '' }).filter(([, v]) => v));
    return sendHtml(reply, <CasesPage ctx={{ actor, project, section: 'cases' }} project={project} items={page.items} next={page.nextCursor} paged={Boolean(request.query.cursor)} q={q} form={{}} error={null} />);
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/cases', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    try {
      checkCaseForm(request.body, true);
      const c = await createCase(s, project, { caseType: formValue(request.body, 'caseType').trim(), name: formValue(request.body, 'name').trim(), properties: formToProperties(request.body, false) }, { method: 'ui', source: { userId: actor.userId } });
      return reply.redirect(`/ui/p/${project.name}/cases/${c.id}?notice=created`);
    } catch (err) {
      const message = formError(err);
      const page = await list(project, {});
      return sendHtml(reply, <CasesPage ctx={{ actor, project, section: 'cases' }} project={project} items={page.items} next={page.nextCursor} q={{}} form={formValues(request.body)} error={message} />, 422);
    }
  });

  async function messaging(project: Project, caseId: string, sendError: string | null, text: string, surveyError: string | null = null): Promise<CaseMessaging> {
    const [reach, log, surveys, sessions] = await Promise.all([
      reachability(s, project, { caseId }, 'sms'),
      listProjectMessages(s, project, { caseId, limit: 50 }),
      listProjectSurveys(s, project, { limit: 500 }),
      listSurveySessions(s, project, { caseId, limit: 20 }),
    ]);
    return { reach, messages: log.items, sendError, text, surveys: surveys.items, sessions: sessions.items, surveyError };
  }

  app.get<{ Params: { project: string; id: string }; Querystring: { notice?: string; sendError?: string; field?: string; text?: string; surveyError?: string } }>('/ui/p/:project/cases/:id', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const c = await getCase(s, project, request.params.id);
    const notices: Record<string, string> = { created: 'Case created.', saved: 'Changes saved.', closed: 'Case closed.', sent: 'Message queued.', 'survey-started': 'Survey started: the first question is on its way.' };
    // Query values only select known words (own keys, catalogue codes): "constructor" or any text is not shown.
    const notice = Object.hasOwn(notices, request.query.notice ?? '') ? (notices[request.query.notice ?? ''] ?? null) : null;
    const surveyError = describeKnownCode(request.query.surveyError);
    const m = await messaging(project, c.id, sendErrorText(request.query.sendError, request.query.field), request.query.text ?? '', surveyError && `The survey was not started: ${surveyError}`);
    m.alert = request.query.notice === 'send-failed' ? 'The message could not go out; the reason is in the conversation below.' : null;
    return sendHtml(reply, <CasePage ctx={{ actor, project, section: 'cases' }} project={project} c={c} notice={notice} error={null} form={caseFormValues(c)} messaging={m} />);
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/cases/:id', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    try {
      checkCaseForm(request.body, false);
      await updateCase(s, project, request.params.id, { name: formValue(request.body, 'name').trim(), properties: formToProperties(request.body, true) }, { method: 'ui', source: { userId: actor.userId } });
      return reply.redirect(`/ui/p/${project.name}/cases/${request.params.id}?notice=saved`);
    } catch (err) {
      const message = formError(err);
      const c = await getCase(s, project, request.params.id);
      return sendHtml(reply, <CasePage ctx={{ actor, project, section: 'cases' }} project={project} c={c} notice={null} error={message} form={formValues(request.body)} messaging={await messaging(project, c.id, null, '')} />, 422);
    }
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/cases/:id/close', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    await closeCase(s, project, request.params.id);
    return reply.redirect(`/ui/p/${project.name}/cases/${request.params.id}?notice=closed`);
  });
}
