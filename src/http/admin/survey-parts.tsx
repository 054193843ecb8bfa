/**
 * @module http/admin/survey-parts — survey pieces shown on several pages: a session's status badge,
 * its answers and why it ended; the surveys card of the case page (with "Start survey"); the survey
 * state on the SMS tester.
 */
import type { Project } from '../../domain/project.ts';
import type { SessionView } from '../../services/survey-sessions.service.ts';
import type { SurveyView } from '../../services/surveys.service.ts';
import { Badge, type BadgeTone, Csrf, ErrorBox, type PageContext, Time } from './layout.tsx';

const STATUS_TONE: Record<SessionView['status'], BadgeTone> = { open: 'warn', completed: 'ok', incomplete: 'bad', 'timed-out': 'bad', cancelled: 'none', 'opted-out': 'bad', declined: 'bad' };

export function SessionBadge(props: { status: SessionView['status'] }): JSX.Element {
  return <Badge tone={STATUS_TONE[props.status]} label={props.status} />;
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

/** Why a session ended without completing, in words with the code. */
export function EndReason(props: { s: SessionView }): JSX.Element {
  return props.s.endCode ? (
    <div class="problem">
      <div safe>{props.s.endDescription ?? props.s.endCode}</div>
      <code safe>{props.s.endCode}</code>
    </div>
  ) : (
    ''
  );
}

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
