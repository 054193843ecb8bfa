/**
 * @module http/admin/tester.views — the SMS tester: type a number and a text as if a phone sent it
 * to one of the project's test gateways, and see the conversation (replies, and for each incoming
 * text what was done with it, or why nothing was) refresh by itself while the page is open.
 */
import type { Project } from '../../domain/project.ts';
import type { MessageView } from '../../services/messages.service.ts';
import type { SessionView } from '../../services/survey-sessions.service.ts';
import { Csrf, ErrorBox, Layout, type PageContext } from './layout.tsx';
import { LIVE_EVERY, MessageRow } from './messages.views.tsx';
import { TesterSurvey } from './survey-parts.tsx';

/** The fragment the live thread reloads: GET /ui/p/:project/tester/messages?number=… */
export function testerThreadUrl(projectName: string, number: string): string {
  return `/ui/p/${encodeURIComponent(projectName)}/tester/messages?number=${encodeURIComponent(number)}`;
}

/** The conversation with the tested number, oldest first; reloads itself every 2 s (htmx). */
export function TesterThread(props: { project: { name: string; timeZone: string }; number: string; conversation: MessageView[] }): JSX.Element {
  return (
    <div id="tester-thread" hx-get={testerThreadUrl(props.project.name, props.number)} hx-trigger={LIVE_EVERY} hx-swap="outerHTML">
      {props.conversation.length === 0 ? (
        <p class="muted">Nothing yet — send a text above; the replies appear here by themselves.</p>
      ) : (
        <table class="conversation">
          <tbody>
            {props.conversation.map((m) => (
              <MessageRow m={m} zone={props.project.timeZone} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function TesterPage(props: { ctx: PageContext; project: Project; gateways: ReadonlyArray<{ name: string }>; chosen: string; number: string; text?: string; conversation: MessageView[]; survey?: SessionView | null; error: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/tester`;
  return (
    <Layout title="SMS tester" ctx={props.ctx}>
      <h1>SMS tester</h1>
      <p class="muted">Pretend to be a phone: the text goes in through one of this project's test gateways and is handled exactly as a real SMS would be (keywords, 123, join, replies); the replies show below as they are sent. Tester messages are marked as tests in the log, and numbers of another project's contacts are refused.</p>
      {props.gateways.length === 0 ? (
        <div class="empty">No test gateway in this project yet — add one of type “test” under Gateways and routes (global gateways cannot be used here).</div>
      ) : (
        <form class="stack card" method="post" action={base}>
          <Csrf ctx={props.ctx} />
          <ErrorBox text={props.error} />
          <label for="f-gateway">Test gateway</label>
          <select id="f-gateway" name="gateway">
            {props.gateways.map((g) => (
              <option value={g.name} selected={g.name === props.chosen} safe>
                {g.name}
              </option>
            ))}
          </select>
          <label for="f-from">From number</label>
          <input id="f-from" name="from" type="text" value={props.number} required />
          <label for="f-text">Text</label>
          <input id="f-text" name="text" type="text" value={props.text ?? ''} autocomplete="off" />
          <p>
            <button type="submit">Send as this phone</button>{' '}
            <a href={`${base}?gateway=${encodeURIComponent(props.chosen)}&number=${encodeURIComponent(props.number)}`}>Refresh</a>
          </p>
        </form>
      )}
      {props.number ? (
        <section class="card" aria-labelledby="thread">
          <h2 id="thread">
            Conversation with <span safe>{props.number}</span>
          </h2>
          <TesterThread project={props.project} number={props.number} conversation={props.conversation} />
        </section>
      ) : (
        ''
      )}
      <TesterSurvey project={props.project} session={props.survey ?? null} />
    </Layout>
  );
}
