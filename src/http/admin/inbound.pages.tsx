/**
 * @module http/admin/inbound.pages — the SMS tester (type a number and a text as if a phone sent it
 * to a test gateway, and see the replies: how a program manager tries STOP, 123, join and surveys
 * before going live), the opt-out list, and one number's page with its consent history.
 */
import type { FastifyInstance } from 'fastify';

import { normaliseLookupNumber } from '../../domain/phone-number.ts';
import type { Project } from '../../domain/project.ts';
import { type ConsentEventView, numberConsentHistory, projectOptOuts } from '../../services/consent-ledger.service.ts';
import { type MessageView, numberConversation } from '../../services/messages.service.ts';
import { lookupPhoneNumber, type PhoneNumberView } from '../../services/phone-numbers.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import { submitTesterMessage, testerGateways } from '../../services/sms-tester.service.ts';
import { AppError } from '../../errors.ts';
import { listSurveySessions, type SessionView } from '../../services/survey-sessions.service.ts';
import { sendConsentLedger } from '../api/consent.routes.ts';
import type { AdminDeps } from './admin-deps.ts';
import { Badge, Csrf, ErrorBox, Layout, type PageContext, Time } from './layout.tsx';
import { MessageRow } from './messages.pages.tsx';
import { TesterSurvey } from './survey-parts.tsx';
import { formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

function TesterPage(props: { ctx: PageContext; project: Project; gateways: ReadonlyArray<{ name: string }>; chosen: string; number: string; conversation: MessageView[]; survey?: SessionView | null; error: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/tester`;
  return (
    <Layout title="SMS tester" ctx={props.ctx}>
      <h1>SMS tester</h1>
      <p class="muted">Pretend to be a phone: the text goes in through one of this project's test gateways and is handled exactly as a real SMS would be (keywords, 123, join, replies); the replies show below. Tester messages are marked as tests in the log, and numbers of another project's contacts are refused.</p>
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
          <input id="f-text" name="text" type="text" value="" autocomplete="off" />
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
          {props.conversation.length === 0 ? (
            <p class="muted">Nothing yet.</p>
          ) : (
            <table>
              <tbody>
                {props.conversation.map((m) => (
                  <MessageRow m={m} zone={props.project.timeZone} />
                ))}
              </tbody>
            </table>
          )}
        </section>
      ) : (
        ''
      )}
      <TesterSurvey project={props.project} session={props.survey ?? null} />
    </Layout>
  );
}

function OptOutsPage(props: { ctx: PageContext; project: Project; items: Array<{ number: string; since: string }> }): JSX.Element {
  return (
    <Layout title="Opt-outs" ctx={props.ctx}>
      <h1>Opted-out numbers</h1>
      <p class="muted">Numbers that replied STOP (or another opt-out word) and concern this project. Nothing is sent to them until they reply START.</p>
      {props.items.length === 0 ? (
        <div class="empty">No opt-outs.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Number</th>
              <th>Opted out</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((o) => (
              <tr>
                <td>
                  <a href={`/ui/p/${props.project.name}/numbers/${encodeURIComponent(o.number)}`} safe>
                    {o.number}
                  </a>
                </td>
                <td>
                  <Time at={o.since} zone={props.project.timeZone} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href={`/ui/p/${props.project.name}/consent-events.csv`}>Export the consent ledger (CSV, project admins)</a>
      </p>
    </Layout>
  );
}

function NumberPage(props: { ctx: PageContext; project: Project; info: PhoneNumberView; history: ConsentEventView[] }): JSX.Element {
  const { info } = props;
  return (
    <Layout title={info.number} ctx={props.ctx}>
      <h1 safe>{info.number}</h1>
      <section class="card">
        <p>{info.optedOut ? <Badge tone="bad" label="opted out" /> : <Badge tone="ok" label="can receive" />} {info.twoWayElsewhere ? <span class="muted">Replies from this number go to a contact in another project.</span> : ''}</p>
        <table>
          <tbody>
            {info.entries.map((e) => (
              <tr>
                <td>
                  <a href={`/ui/p/${props.project.name}/${e.ownerType === 'case' ? 'cases' : 'mobile-workers'}/${e.ownerId}`}>{e.ownerType}</a>
                </td>
                <td>{e.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card" aria-labelledby="consent">
        <h2 id="consent">Consent history</h2>
        {props.history.length === 0 ? (
          <p class="muted">No consent events.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
                <th>How</th>
                <th>Gateway</th>
              </tr>
            </thead>
            <tbody>
              {props.history.map((e) => (
                <tr>
                  <td>
                    <Time at={e.at} zone={props.project.timeZone} />
                  </td>
                  <td>{e.action}</td>
                  <td>{e.method}</td>
                  <td safe>{e.gateway ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}

export function registerInboundPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  // Project admins only, and only through the project's own test gateways (issue 23).
  app.get<{ Params: { project: string }; Querystring: { gateway?: string; number?: string } }>('/ui/p/:project/tester', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    const gateways = await testerGateways(s, project);
    const number = request.query.number ? (normaliseLookupNumber(request.query.number, project.defaultCountry) ?? request.query.number) : '';
    const conversation = number ? await numberConversation(s, project, number) : [];
    // The survey this number is answering (or answered last), so a survey can be tried end to end.
    const survey = number ? ((await listSurveySessions(s, project, { number, limit: 1 })).items[0] ?? null) : null;
    return sendHtml(reply, <TesterPage ctx={{ actor, project, section: 'tester' }} project={project} gateways={gateways} chosen={request.query.gateway ?? gateways[0]?.name ?? ''} number={number} conversation={conversation} survey={survey} error={null} />);
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/tester', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    const input = { gateway: formValue(request.body, 'gateway'), from: formValue(request.body, 'from'), text: formValue(request.body, 'text') };
    try {
      const { gateway, from } = await submitTesterMessage(s, project, input);
      return reply.redirect(`/ui/p/${project.name}/tester?gateway=${encodeURIComponent(gateway.name)}&number=${encodeURIComponent(from)}`);
    } catch (err) {
      if (!(err instanceof AppError)) {
        throw err;
      }
      const gateways = await testerGateways(s, project);
      const chosen = gateways.some((g) => g.name === input.gateway) ? input.gateway : (gateways[0]?.name ?? '');
      return sendHtml(reply, <TesterPage ctx={{ actor, project, section: 'tester' }} project={project} gateways={gateways} chosen={chosen} number={input.from.trim()} conversation={[]} error={err.message} />, 422);
    }
  });

  app.get<{ Params: { project: string } }>('/ui/p/:project/opt-outs', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    return sendHtml(reply, <OptOutsPage ctx={{ actor, project, section: 'opt-outs' }} project={project} items={await projectOptOuts(s, project)} />);
  });

  // The ledger as GET /api/v1/projects/{project}/consent-events.csv gives it, for a signed-in project admin.
  app.get<{ Params: { project: string } }>('/ui/p/:project/consent-events.csv', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    return sendConsentLedger(reply, s, await requireProject(s, actor, request.params.project, 'admin'));
  });

  app.get<{ Params: { project: string; number: string } }>('/ui/p/:project/numbers/:number', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const [info, history] = await Promise.all([lookupPhoneNumber(s, project, request.params.number), numberConsentHistory(s, project, request.params.number)]);
    return sendHtml(reply, <NumberPage ctx={{ actor, project, section: 'opt-outs' }} project={project} info={info} history={history} />);
  });
}
