/**
 * @module http/admin/surveys.views — Messaging → Surveys (UI.md): the list, the editor (add, reorder
 * and remove questions; type, choices, translations; the exact SMS texts as a preview), the sessions
 * of a survey with their answers (pieces shown elsewhere are in survey-parts.tsx). Plain forms: the
 * editor's buttons post the whole draft, and the server answers with the changed draft (nothing is
 * saved until "Save survey"), so it works without JavaScript and keeps what was typed.
 */
import type { Project } from '../../domain/project.ts';
import type { SessionView } from '../../services/survey-sessions.service.ts';
import { surveyPreview, type SurveyView } from '../../services/surveys.service.ts';
import { Badge, Csrf, Layout, Notice, type PageContext, Time } from './layout.tsx';
import { type Draft, type DraftQuestion, inputOf, otherLanguages, TYPES } from './survey-draft.ts';
import { Answers, EndReason, SessionBadge } from './survey-parts.tsx';

export interface Issue {
  field: string;
  message: string;
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

export function EditorPage(props: { ctx: PageContext; project: Project; surveyId: string | null; draft: Draft; issues: Issue[]; notice: string | null }): JSX.Element {
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
          <form method="post" action={`${base}/${props.surveyId}/delete`} data-confirm="Delete this survey and its sessions?">
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

export function ListPage(props: { ctx: PageContext; project: Project; items: SurveyView[]; notice: string | null }): JSX.Element {
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

export function SessionsPage(props: { ctx: PageContext; project: Project; survey: SurveyView; items: SessionView[]; next: string | null }): JSX.Element {
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
