/**
 * @module http/admin/surveys.pages — Messaging → Surveys (UI.md): the list, the editor (add, reorder
 * and remove questions; type, choices, translations; the exact SMS texts as a preview), the sessions
 * of a survey with their answers, and the pieces the case page and the SMS tester show. Plain
 * forms: the editor's buttons post the whole draft, and the server answers with the changed draft
 * (nothing is saved until "Save survey"), so it works without JavaScript and keeps what was typed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { Project } from '../../domain/project.ts';
import type { QuestionType, SurveyChoice, SurveyQuestion } from '../../domain/survey.ts';
import { AppError } from '../../errors.ts';
import { requireProject } from '../../services/projects.service.ts';
import { listSurveySessions, type SessionView, startSession } from '../../services/survey-sessions.service.ts';
import { createSurvey, getSurvey, listProjectSurveys, removeSurvey, replaceSurvey, type SurveyInput, surveyPreview, type SurveyView } from '../../services/surveys.service.ts';
import type { AdminDeps } from './admin.routes.tsx';
import { Badge, type BadgeTone, Csrf, ErrorBox, Layout, Notice, type PageContext, Time } from './layout.tsx';
import { formError, formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

const STATUS_TONE: Record<SessionView['status'], BadgeTone> = { open: 'warn', completed: 'ok', incomplete: 'bad', 'timed-out': 'bad', cancelled: 'none', 'opted-out': 'bad' };

export function SessionBadge(props: { status: SessionView['status'] }): JSX.Element {
  return <Badge tone={STATUS_TONE[props.status]} label={props.status} />;
}

interface DraftQuestion {
  id: string;
  type: QuestionType;
  text: string;
  translations: Record<string, string>;
  saveAs: string;
  required: boolean;
  min: string;
  max: string;
  /** One choice per line: `value | label | fr: translated label`. */
  choices: string;
}

interface Draft {
  name: string;
  asksConsent: boolean;
  closingMessage: string;
  closingTranslations: Record<string, string>;
  timeoutMinutes: string;
  reminderMinutes: string;
  questions: DraftQuestion[];
}

const TYPES: QuestionType[] = ['text', 'number', 'choice'];

function blankQuestion(n: number): DraftQuestion {
  return { id: `q${n}`, type: 'text', text: '', translations: {}, saveAs: '', required: true, min: '', max: '', choices: '' };
}

function choicesText(choices: readonly SurveyChoice[] | undefined): string {
  return (choices ?? []).map((c) => [c.value, c.label, ...Object.entries(c.translations ?? {}).map(([l, t]) => `${l}: ${t}`)].join(' | ')).join('\n');
}

function parseChoices(text: string): SurveyChoice[] {
  return text
    .split('\n')
    .map((line) => line.split('|').map((p) => p.trim()))
    .filter((parts) => parts.some((p) => p !== ''))
    .map((parts) => {
      const [value = '', label = value, ...rest] = parts;
      const translations: Record<string, string> = {};
      for (const r of rest) {
        const m = /^([A-Za-z-]{2,12})\s*:\s*(.+)$/.exec(r);
        if (m?.[1] && m[2]) {
          translations[m[1]] = m[2];
        }
      }
      return { value, label: label || value, ...(Object.keys(translations).length ? { translations } : {}) };
    });
}

function draftOf(s: SurveyView | null): Draft {
  if (!s) {
    return { name: '', asksConsent: false, closingMessage: '', closingTranslations: {}, timeoutMinutes: '1440', reminderMinutes: '', questions: [blankQuestion(1)] };
  }
  return {
    name: s.name,
    asksConsent: s.asksConsent,
    closingMessage: s.closingMessage ?? '',
    closingTranslations: { ...s.closingTranslations },
    timeoutMinutes: String(s.timeoutMinutes),
    reminderMinutes: s.reminderMinutes === null ? '' : String(s.reminderMinutes),
    questions: s.questions.map((q) => ({
      id: q.id,
      type: q.type,
      text: q.text ?? '',
      translations: { ...(q.translations ?? {}) },
      saveAs: q.saveAs,
      required: q.required !== false,
      min: q.min === undefined ? '' : String(q.min),
      max: q.max === undefined ? '' : String(q.max),
      choices: choicesText(q.choices),
    })),
  };
}

function otherLanguages(project: Project): string[] {
  return project.languages.filter((l) => l !== project.defaultLanguage);
}

function draftFromForm(body: unknown, project: Project): Draft {
  const count = Math.min(100, Math.max(0, Number(formValue(body, 'count')) || 0));
  const translationsOf = (prefix: string) => Object.fromEntries(otherLanguages(project).flatMap((l) => (formValue(body, `${prefix}.${l}`).trim() ? [[l, formValue(body, `${prefix}.${l}`)]] : [])));
  const questions: DraftQuestion[] = [];
  for (let i = 0; i < count; i++) {
    const type = formValue(body, `q.${i}.type`) as QuestionType;
    questions.push({
      id: formValue(body, `q.${i}.id`).trim(),
      type: TYPES.includes(type) ? type : 'text',
      text: formValue(body, `q.${i}.text`),
      translations: translationsOf(`q.${i}.tr`),
      saveAs: formValue(body, `q.${i}.saveAs`).trim(),
      required: formValue(body, `q.${i}.required`) === '1',
      min: formValue(body, `q.${i}.min`).trim(),
      max: formValue(body, `q.${i}.max`).trim(),
      choices: formValue(body, `q.${i}.choices`),
    });
  }
  return {
    name: formValue(body, 'name'),
    asksConsent: formValue(body, 'asksConsent') === '1',
    closingMessage: formValue(body, 'closingMessage'),
    closingTranslations: translationsOf('closing.tr'),
    timeoutMinutes: formValue(body, 'timeoutMinutes').trim(),
    reminderMinutes: formValue(body, 'reminderMinutes').trim(),
    questions,
  };
}

const numberOrUndefined = (s: string) => (s === '' ? undefined : Number(s));

function inputOf(d: Draft): SurveyInput {
  return {
    name: d.name,
    asksConsent: d.asksConsent,
    closingMessage: d.closingMessage.trim() === '' ? null : d.closingMessage,
    closingTranslations: d.closingTranslations,
    timeoutMinutes: numberOrUndefined(d.timeoutMinutes),
    reminderMinutes: d.reminderMinutes === '' ? null : Number(d.reminderMinutes),
    questions: d.questions.map((q): SurveyQuestion => {
      const min = q.type === 'number' ? numberOrUndefined(q.min) : undefined;
      const max = q.type === 'number' ? numberOrUndefined(q.max) : undefined;
      return {
        id: q.id,
        type: q.type,
        ...(q.text.trim() ? { text: q.text } : {}),
        ...(Object.keys(q.translations).length ? { translations: q.translations } : {}),
        saveAs: q.saveAs,
        required: q.required,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
        ...(q.type === 'choice' ? { choices: parseChoices(q.choices) } : {}),
      };
    }),
  };
}

/** Applies an editor button: add a question, remove one, move one up or down. */
function applyOp(d: Draft, op: string): Draft {
  const m = /^(remove|up|down)-(\d+)$/.exec(op);
  const qs = [...d.questions];
  if (op === 'add') {
    qs.push(blankQuestion(qs.length + 1));
  } else if (m?.[1] && m[2] !== undefined) {
    const i = Number(m[2]);
    if (m[1] === 'remove') {
      qs.splice(i, 1);
    } else {
      const j = m[1] === 'up' ? i - 1 : i + 1;
      const a = qs[i];
      const b = qs[j];
      if (a && b) {
        qs[i] = b;
        qs[j] = a;
      }
    }
  }
  return { ...d, questions: qs };
}

interface Issue {
  field: string;
  message: string;
}

function issuesOf(err: unknown): Issue[] {
  const message = formError(err);
  const details = err instanceof AppError ? (err.details as { issues?: Issue[] } | undefined) : undefined;
  return details?.issues?.length ? details.issues : [{ field: '', message }];
}

function TranslationInputs(props: { project: Project; prefix: string; values: Record<string, string>; label: string; rows?: number }): JSX.Element {
  return (
    <>
      {otherLanguages(props.project).map((l) => {
        const id = `f-${props.prefix}.${l}`.replace(/\./g, '-');
        return (
          <>
            <label for={id} safe>{`${props.label} (${l})`}</label>
            <textarea id={id} name={`${props.prefix}.${l}`} rows={String(props.rows ?? 2)} safe>
              {props.values[l] ?? ''}
            </textarea>
          </>
        );
      })}
    </>
  );
}

function QuestionFields(props: { project: Project; q: DraftQuestion; i: number; last: number }): JSX.Element {
  const { q, i } = props;
  const id = (f: string) => `f-q-${i}-${f}`;
  return (
    <fieldset class="card question" aria-label={`Question ${i + 1}`}>
      <legend safe>{`Question ${i + 1}`}</legend>
      <label for={id('id')}>Question id</label>
      <p class="help">Short and unique in the survey, such as consent or age. Answers are listed under it.</p>
      <input id={id('id')} name={`q.${i}.id`} type="text" value={q.id} />
      <label for={id('type')}>Type</label>
      <select id={id('type')} name={`q.${i}.type`}>
        {TYPES.map((t) => (
          <option value={t} selected={t === q.type}>
            {t === 'text' ? 'Text (any answer)' : t === 'number' ? 'Number' : 'Choice (numbered list)'}
          </option>
        ))}
      </select>
      <label for={id('text')} safe>{`Question text (${props.project.defaultLanguage})`}</label>
      <textarea id={id('text')} name={`q.${i}.text`} rows="2" safe>
        {q.text}
      </textarea>
      <TranslationInputs project={props.project} prefix={`q.${i}.tr`} values={q.translations} label="Question text" />
      <label for={id('saveAs')}>Save the answer to the case property</label>
      <p class="help">Such as age or village; name sets the case name; contact_phone_number_is_verified records SMS consent (1 = yes).</p>
      <input id={id('saveAs')} name={`q.${i}.saveAs`} type="text" value={q.saveAs} />
      <label>
        <input type="checkbox" name={`q.${i}.required`} value="1" checked={q.required} /> Required (an optional question can be skipped by replying SKIP)
      </label>
      <div class="row">
        <div>
          <label for={id('min')}>Smallest number (number questions)</label>
          <input id={id('min')} name={`q.${i}.min`} type="text" value={q.min} />
        </div>
        <div>
          <label for={id('max')}>Largest number (number questions)</label>
          <input id={id('max')} name={`q.${i}.max`} type="text" value={q.max} />
        </div>
      </div>
      <label for={id('choices')}>Choices (choice questions)</label>
      <p class="help">One per line: value | label, optionally | fr: translated label. People answer with the number, the value or the label.</p>
      <textarea id={id('choices')} name={`q.${i}.choices`} rows="3" safe>
        {q.choices}
      </textarea>
      <p class="row">
        <button type="submit" class="secondary" name="op" value={`up-${i}`} disabled={i === 0} aria-label={`Move question ${i + 1} up`}>
          Move up
        </button>
        <button type="submit" class="secondary" name="op" value={`down-${i}`} disabled={i === props.last} aria-label={`Move question ${i + 1} down`}>
          Move down
        </button>
        <button type="submit" class="danger" name="op" value={`remove-${i}`} aria-label={`Remove question ${i + 1}`}>
          Remove
        </button>
      </p>
    </fieldset>
  );
}

function Preview(props: { project: Project; draft: Draft }): JSX.Element {
  const input = inputOf(props.draft);
  const preview = surveyPreview(props.project, {
    name: input.name,
    questions: input.questions,
    closingMessage: input.closingMessage ?? null,
    closingTranslations: input.closingTranslations ?? {},
    asksConsent: input.asksConsent ?? false,
    timeoutMinutes: 1440,
    reminderMinutes: null,
  });
  return (
    <section class="card" aria-labelledby="preview">
      <h2 id="preview">Preview: the SMS texts</h2>
      <p class="muted">Exactly what each contact receives, by language. A wrong answer gets a short hint and the question again.</p>
      {Object.entries(preview).map(([language, p]) => (
        <div class="preview" data-language={language}>
          <h3 safe>{language}</h3>
          <ol>
            {p.questions.map((q) => (
              <li>
                <pre class="sms" safe>
                  {q.text ?? '(no text)'}
                </pre>
              </li>
            ))}
          </ol>
          {p.closingMessage ? (
            <p>
              Closing: <span class="sms" safe>{p.closingMessage}</span>
            </p>
          ) : (
            <p class="muted">No closing message.</p>
          )}
        </div>
      ))}
    </section>
  );
}

function EditorPage(props: { ctx: PageContext; project: Project; surveyId: string | null; draft: Draft; issues: Issue[]; notice: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/surveys`;
  const { draft } = props;
  const title = props.surveyId ? draft.name || 'Survey' : 'New survey';
  return (
    <Layout title={title} ctx={props.ctx}>
      <p>
        <a href={base}>← Surveys</a>
        {props.surveyId ? (
          <>
            {' · '}
            <a href={`${base}/${props.surveyId}/sessions`}>Sessions and answers</a>
          </>
        ) : (
          ''
        )}
      </p>
      <h1 safe>{title}</h1>
      <Notice text={props.notice} />
      {props.issues.length ? (
        <div class="error" role="alert">
          <p>The survey was not saved:</p>
          <ul>
            {props.issues.map((i) => (
              <li safe>{i.field ? `${i.field}: ${i.message}` : i.message}</li>
            ))}
          </ul>
        </div>
      ) : (
        ''
      )}
      <form class="stack" method="post" action={props.surveyId ? `${base}/${props.surveyId}` : base}>
        <Csrf ctx={props.ctx} />
        <input type="hidden" name="count" value={String(draft.questions.length)} />
        {/* The first submit button is the one Enter presses: saving, not a question's button. */}
        <p>
          <button type="submit" name="op" value="save">
            Save survey
          </button>
        </p>
        <div class="card">
          <label for="f-name">Survey name</label>
          <input id="f-name" name="name" type="text" value={draft.name} required />
          <label>
            <input type="checkbox" name="asksConsent" value="1" checked={draft.asksConsent} /> This survey asks for SMS consent (it may go to contacts who have not consented yet)
          </label>
        </div>
        {draft.questions.map((q, i) => (
          <QuestionFields project={props.project} q={q} i={i} last={draft.questions.length - 1} />
        ))}
        <p>
          <button type="submit" class="secondary" name="op" value="add">
            Add a question
          </button>
        </p>
        <div class="card">
          <label for="f-closingMessage" safe>{`Closing message (${props.project.defaultLanguage}, optional)`}</label>
          <textarea id="f-closingMessage" name="closingMessage" rows="2" safe>
            {draft.closingMessage}
          </textarea>
          <TranslationInputs project={props.project} prefix="closing.tr" values={draft.closingTranslations} label="Closing message" />
          <div class="row">
            <div>
              <label for="f-timeoutMinutes">Timeout in minutes</label>
              <p class="help">Without an answer for this long the survey ends (default 1440, 24 hours).</p>
              <input id="f-timeoutMinutes" name="timeoutMinutes" type="text" value={draft.timeoutMinutes} />
            </div>
            <div>
              <label for="f-reminderMinutes">Reminder after minutes (optional)</label>
              <p class="help">The question is sent once more after this long without an answer.</p>
              <input id="f-reminderMinutes" name="reminderMinutes" type="text" value={draft.reminderMinutes} />
            </div>
          </div>
        </div>
        <p>
          <button type="submit" name="op" value="save">
            Save survey
          </button>
        </p>
      </form>
      <Preview project={props.project} draft={draft} />
      {props.surveyId ? (
        <section class="card">
          <h2>Delete the survey</h2>
          <p class="muted">Its sessions are deleted too; answers already saved stay on the cases.</p>
          <form method="post" action={`${base}/${props.surveyId}/delete`} onsubmit="return confirm('Delete this survey and its sessions?')">
            <Csrf ctx={props.ctx} />
            <button type="submit" class="danger">
              Delete survey
            </button>
          </form>
        </section>
      ) : (
        ''
      )}
    </Layout>
  );
}

function ListPage(props: { ctx: PageContext; project: Project; items: SurveyView[]; notice: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/surveys`;
  return (
    <Layout title="Surveys" ctx={props.ctx}>
      <h1>Surveys</h1>
      <Notice text={props.notice} />
      <p>
        <a href={`${base}/new`}>New survey</a>
      </p>
      {props.items.length === 0 ? (
        <div class="empty">No survey yet — create one, then start it from a case page (or make it the welcome survey of self-registration).</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Survey</th>
              <th>Questions</th>
              <th>Consent</th>
              <th>Timeout</th>
              <th>Sessions</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((s) => (
              <tr>
                <td>
                  <a href={`${base}/${s.id}`} safe>
                    {s.name}
                  </a>
                </td>
                <td safe>{String(s.questions.length)}</td>
                <td>{s.asksConsent ? <Badge tone="warn" label="asks consent" /> : <span class="muted">—</span>}</td>
                <td safe>{`${s.timeoutMinutes} min`}</td>
                <td>
                  <a href={`${base}/${s.id}/sessions`}>Sessions</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** The answers of a session, question by question. */
export function Answers(props: { s: SessionView }): JSX.Element {
  const entries = Object.entries(props.s.answers);
  if (entries.length === 0) {
    return <span class="muted">No answers yet.</span>;
  }
  return (
    <dl class="facts answers">
      {entries.map(([id, value]) => (
        <>
          <dt safe>{id}</dt>
          <dd safe>{value ?? '(skipped)'}</dd>
        </>
      ))}
    </dl>
  );
}

function EndReason(props: { s: SessionView }): JSX.Element {
  return props.s.endCode ? (
    <div class="problem">
      <div safe>{props.s.endDescription ?? props.s.endCode}</div>
      <code safe>{props.s.endCode}</code>
    </div>
  ) : (
    ''
  );
}

function SessionsPage(props: { ctx: PageContext; project: Project; survey: SurveyView; items: SessionView[]; next: string | null }): JSX.Element {
  const p = props.project;
  return (
    <Layout title={`Sessions · ${props.survey.name}`} ctx={props.ctx}>
      <p>
        <a href={`/ui/p/${p.name}/surveys/${props.survey.id}`}>← Edit the survey</a>
      </p>
      <h1>
        Sessions of <span safe>{props.survey.name}</span>
      </h1>
      {props.items.length === 0 ? (
        <div class="empty">No session yet — start the survey from a case page.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Started</th>
              <th>Case</th>
              <th>Status</th>
              <th>Answers</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((s) => (
              <tr>
                <td>
                  <Time at={s.startedAt} zone={p.timeZone} />
                </td>
                <td>
                  <a href={`/ui/p/${p.name}/cases/${s.caseId}`} safe>
                    {s.number}
                  </a>
                </td>
                <td>
                  <SessionBadge status={s.status} />
                  {s.status === 'open' && s.currentQuestionId ? <div class="muted" safe>{`waiting for ${s.currentQuestionId}`}</div> : ''}
                  <EndReason s={s} />
                </td>
                <td>
                  <Answers s={s} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <p class="pager">
          <a href={`?cursor=${encodeURIComponent(props.next)}`}>Older sessions →</a>
        </p>
      ) : (
        ''
      )}
    </Layout>
  );
}

/** On the case page: its survey sessions and the "Start survey" form. */
export function CaseSurveys(props: { ctx: PageContext; project: Project; caseId: string; surveys: SurveyView[]; sessions: SessionView[]; error: string | null }): JSX.Element {
  const p = props.project;
  return (
    <section class="card" aria-labelledby="surveys-title">
      <h2 id="surveys-title">Surveys</h2>
      <ErrorBox text={props.error} />
      {props.sessions.length === 0 ? (
        <p class="muted">No survey yet.</p>
      ) : (
        <table>
          <tbody>
            {props.sessions.map((s) => (
              <tr>
                <td>
                  <a href={`/ui/p/${p.name}/surveys/${s.surveyId}/sessions`} safe>
                    {s.surveyName}
                  </a>
                  <div class="muted">
                    <Time at={s.startedAt} zone={p.timeZone} />
                  </div>
                </td>
                <td>
                  <SessionBadge status={s.status} />
                  <EndReason s={s} />
                </td>
                <td>
                  <Answers s={s} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.surveys.length === 0 ? (
        <p class="muted">
          No survey in this project yet — <a href={`/ui/p/${p.name}/surveys/new`}>create one</a>.
        </p>
      ) : (
        <form class="row" method="post" action={`/ui/p/${p.name}/cases/${props.caseId}/surveys`}>
          <Csrf ctx={props.ctx} />
          <div>
            <label for="f-surveyId">Survey</label>
            <select id="f-surveyId" name="surveyId">
              {props.surveys.map((s) => (
                <option value={s.id} safe>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Start survey</button>
        </form>
      )}
    </section>
  );
}

/** On the SMS tester: the survey the number is answering (or answered last), with its answers. */
export function TesterSurvey(props: { project: Project; session: SessionView | null }): JSX.Element {
  const s = props.session;
  if (!s) {
    return '';
  }
  return (
    <section class="card" aria-labelledby="tester-survey">
      <h2 id="tester-survey">
        Survey <span safe>{s.surveyName}</span> <SessionBadge status={s.status} />
      </h2>
      {s.status === 'open' && s.currentQuestionId ? <p class="muted" safe>{`Waiting for the answer to ${s.currentQuestionId}. Reply SKIP to skip an optional question, STOP to opt out.`}</p> : ''}
      <EndReason s={s} />
      <Answers s={s} />
      <p>
        <a href={`/ui/p/${props.project.name}/cases/${s.caseId}`}>Open the case</a>
      </p>
    </section>
  );
}

export function registerSurveyPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  app.get<{ Params: { project: string }; Querystring: { notice?: string } }>('/ui/p/:project/surveys', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const page = await listProjectSurveys(s, project, { limit: 500 });
    return sendHtml(reply, <ListPage ctx={{ actor, project, section: 'surveys' }} project={project} items={page.items} notice={request.query.notice === 'deleted' ? 'Survey deleted.' : null} />);
  });

  app.get<{ Params: { project: string } }>('/ui/p/:project/surveys/new', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    return sendHtml(reply, <EditorPage ctx={{ actor, project, section: 'surveys' }} project={project} surveyId={null} draft={draftOf(null)} issues={[]} notice={null} />);
  });

  app.get<{ Params: { project: string; id: string }; Querystring: { notice?: string } }>('/ui/p/:project/surveys/:id', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const survey = await getSurvey(s, project, request.params.id);
    const notice = request.query.notice === 'saved' ? 'Survey saved.' : null;
    return sendHtml(reply, <EditorPage ctx={{ actor, project, section: 'surveys' }} project={project} surveyId={survey.id} draft={draftOf(survey)} issues={[]} notice={notice} />);
  });

  /** The editor's buttons: save (create or replace), or change the draft and show it again. */
  async function edit(request: FastifyRequest<{ Params: { project: string } }>, reply: FastifyReply, surveyId: string | null) {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    const draft = draftFromForm(request.body, project);
    const op = formValue(request.body, 'op') || 'save';
    const ctx: PageContext = { actor, project, section: 'surveys' };
    if (op !== 'save') {
      return sendHtml(reply, <EditorPage ctx={ctx} project={project} surveyId={surveyId} draft={applyOp(draft, op)} issues={[]} notice={null} />);
    }
    try {
      const saved = surveyId ? await replaceSurvey(s, project, surveyId, inputOf(draft)) : await createSurvey(s, project, inputOf(draft));
      return reply.redirect(`/ui/p/${project.name}/surveys/${saved.id}?notice=saved`);
    } catch (err) {
      return sendHtml(reply, <EditorPage ctx={ctx} project={project} surveyId={surveyId} draft={draft} issues={issuesOf(err)} notice={null} />, 422);
    }
  }

  app.post<{ Params: { project: string } }>('/ui/p/:project/surveys', async (request, reply) => edit(request, reply, null));
  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/surveys/:id', async (request, reply) => edit(request, reply, request.params.id));

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/surveys/:id/delete', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    await removeSurvey(s, project, request.params.id);
    return reply.redirect(`/ui/p/${project.name}/surveys?notice=deleted`);
  });

  app.get<{ Params: { project: string; id: string }; Querystring: { cursor?: string } }>('/ui/p/:project/surveys/:id/sessions', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const survey = await getSurvey(s, project, request.params.id);
    const page = await listSurveySessions(s, project, { surveyId: survey.id, limit: 50, cursor: request.query.cursor || undefined });
    return sendHtml(reply, <SessionsPage ctx={{ actor, project, section: 'surveys' }} project={project} survey={survey} items={page.items} next={page.nextCursor} />);
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/cases/:id/surveys', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const caseUrl = `/ui/p/${project.name}/cases/${encodeURIComponent(request.params.id)}`;
    try {
      await startSession(s, project, formValue(request.body, 'surveyId'), request.params.id, actor.userId);
      return reply.redirect(`${caseUrl}?notice=survey-started#surveys-title`);
    } catch (err) {
      return reply.redirect(`${caseUrl}?surveyError=${encodeURIComponent(formError(err))}#surveys-title`);
    }
  });
}
