/**
 * @module http/admin/messages.pages — the message log (filters in the URL, failures in words with
 * their code small beside) and the pieces of the case page about messaging: reachability, the
 * conversation and the send form.
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { isRealDate } from '../../domain/schedule.ts';
import { type AppError, describeKnownCode, errorCatalogue, type ErrorCode } from '../../errors.ts';
import { listProjectMessages, type MessageView, type PublicStatus, type Reachability, sendMessage } from '../../services/messages.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { Badge, type BadgeTone, Csrf, Layout, type PageContext, Time } from './layout.tsx';
import { formError, formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

const STATUS_TONE: Record<PublicStatus, BadgeTone> = { scheduled: 'none', queued: 'none', sent: 'ok', delivered: 'ok', failed: 'bad', received: 'ok' };

export function Failure(props: { m: MessageView }): JSX.Element {
  if (!props.m.errorCode) {
    return '';
  }
  return (
    <div class="problem">
      <div safe>{props.m.errorDescription ?? props.m.errorCode}</div>
      {props.m.errorDetail ? <div class="muted" safe>{`Gateway said: ${props.m.errorDetail}`}</div> : ''}
      <code safe>{props.m.errorCode}</code>
    </div>
  );
}

export function MessageRow(props: { m: MessageView; zone: string }): JSX.Element {
  const { m } = props;
  return (
    <tr>
      <td>
        <Time at={m.createdAt} zone={props.zone} />
        {m.status === 'scheduled' && m.scheduledFor ? (
          <div class="muted">
            for <Time at={m.scheduledFor} zone={props.zone} />
          </div>
        ) : (
          ''
        )}
      </td>
      <td>
        {m.direction === 'in' ? 'in' : 'out'}
        {m.viaTester ? <Badge tone="none" label="tester" /> : ''}
      </td>
      <td safe>{m.direction === 'in' ? (m.from ?? '') : (m.to ?? '—')}</td>
      <td>
        <span safe>{m.text ?? ''}</span>
        <Failure m={m} />
      </td>
      <td>
        <Badge tone={STATUS_TONE[m.status]} label={m.status} />
      </td>
      <td safe>{m.gateway ?? '—'}</td>
    </tr>
  );
}

export function ReachabilityBox(props: { r: Reachability }): JSX.Element {
  const { r } = props;
  return (
    <div>
      {r.canSend ? (
        <p>
          <Badge tone="ok" label="yes" /> Can receive SMS{r.gateway ? <span safe>{`, through ${r.gateway}`}</span> : ''}.
        </p>
      ) : (
        <>
          <p>
            <Badge tone="bad" label="no" /> Cannot receive SMS now:
          </p>
          {r.reasons.map((reason) => (
            <div class="problem">
              <div safe>{reason.description}</div>
              <code>{reason.code}</code>
            </div>
          ))}
        </>
      )}
    </div>
  );
}

/** Fields of the send form a refusal may name (?field=…), with their labels. */
const SEND_FIELDS = new Map([
  ['sendAt', 'Send at'],
  ['text', 'Message'],
]);

/**
 * The alert for a refused send (?sendError=CODE&field=NAME on the case page): the catalogue's
 * description of a known code, and the label of a known field; never text taken from the URL.
 */
export function sendErrorText(code: unknown, field: unknown): string | null {
  const description = describeKnownCode(code);
  const label = typeof field === 'string' ? SEND_FIELDS.get(field) : undefined;
  return description === null ? null : label ? `${description} Check “${label}”.` : description;
}

export function SendForm(props: { ctx: PageContext; action: string; error: string | null; text: string; sendAt: string }): JSX.Element {
  return (
    <form class="stack" method="post" action={props.action}>
      <Csrf ctx={props.ctx} />
      {props.error ? (
        <div class="error" role="alert" safe>
          {props.error}
        </div>
      ) : (
        ''
      )}
      <label for="f-text">Message</label>
      <textarea id="f-text" name="text" rows="3" required safe>
        {props.text}
      </textarea>
      <label for="f-sendAt">Send at (optional)</label>
      <p class="help" id="f-sendAt-help">
        Local time in the contact’s time zone, such as 2027-01-15T09:00. Leave blank to send now.
      </p>
      <input id="f-sendAt" name="sendAt" type="text" value={props.sendAt} aria-describedby="f-sendAt-help" />
      <p>
        <button type="submit">Send SMS</button>
      </p>
    </form>
  );
}

function LogPage(props: { ctx: PageContext; project: Project; items: MessageView[]; next: string | null; q: Record<string, string> }): JSX.Element {
  const base = `/ui/p/${props.project.name}/messages`;
  const codes = Object.keys(errorCatalogue) as ErrorCode[];
  return (
    <Layout title="Message log" ctx={props.ctx}>
      <h1>Message log</h1>
      <form class="row card" method="get" action={base} role="search">
        <div>
          <label for="q-direction">Direction</label>
          <select id="q-direction" name="direction">
            <option value="">any</option>
            <option value="out" selected={props.q.direction === 'out'}>
              outgoing
            </option>
            <option value="in" selected={props.q.direction === 'in'}>
              incoming
            </option>
          </select>
        </div>
        <div>
          <label for="q-status">Status</label>
          <select id="q-status" name="status">
            <option value="">any</option>
            {(['scheduled', 'queued', 'sent', 'delivered', 'failed', 'received'] as const).map((s) => (
              <option value={s} selected={props.q.status === s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="q-errorCode">Failure</label>
          <select id="q-errorCode" name="errorCode">
            <option value="">any</option>
            {codes.map((c) => (
              <option value={c} selected={props.q.errorCode === c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="q-from">From (date)</label>
          <input id="q-from" name="from" type="date" value={props.q.from ?? ''} />
        </div>
        <div>
          <label for="q-to">To (date)</label>
          <input id="q-to" name="to" type="date" value={props.q.to ?? ''} />
        </div>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      {props.items.length === 0 ? (
        <div class="empty">No messages match — send one from a case page, or widen the filters.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Direction</th>
              <th>Number</th>
              <th>Text</th>
              <th>Status</th>
              <th>Gateway</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((m) => (
              <MessageRow m={m} zone={props.project.timeZone} />
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <p class="pager">
          <a href={`${base}?${new URLSearchParams({ ...props.q, cursor: props.next }).toString()}`}>Older messages →</a>
        </p>
      ) : (
        ''
      )}
    </Layout>
  );
}

export function registerMessagePages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  type LogQuery = { direction?: string; status?: string; errorCode?: string; from?: string; to?: string; cursor?: string };
  app.get<{ Params: { project: string }; Querystring: LogQuery }>('/ui/p/:project/messages', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const q = request.query;
    const date = (v: string | undefined, endOfDay: boolean) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) && isRealDate(v) ? new Date(`${v}T00:00:00Z`).getTime() + (endOfDay ? 86_400_000 : 0) : undefined);
    const from = date(q.from, false);
    const to = date(q.to, true);
    const page = await listProjectMessages(s, project, {
      direction: q.direction === 'in' || q.direction === 'out' ? q.direction : undefined,
      status: ['scheduled', 'queued', 'sent', 'delivered', 'failed', 'received'].includes(q.status ?? '') ? (q.status as PublicStatus) : undefined,
      errorCode: q.errorCode || undefined,
      from: from === undefined ? undefined : new Date(from),
      to: to === undefined ? undefined : new Date(to),
      limit: 50,
      cursor: q.cursor || undefined,
    });
    const kept = Object.fromEntries(Object.entries({ direction: q.direction, status: q.status, errorCode: q.errorCode, from: q.from, to: q.to }).filter((e): e is [string, string] => Boolean(e[1])));
    return sendHtml(reply, <LogPage ctx={{ actor, project, section: 'messages' }} project={project} items={page.items} next={page.nextCursor} q={kept} />);
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/cases/:id/messages', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const text = formValue(request.body, 'text');
    const sendAt = formValue(request.body, 'sendAt').trim();
    const caseUrl = `/ui/p/${project.name}/cases/${request.params.id}`;
    try {
      const m = await sendMessage(s, project, actor.userId, { recipient: { caseId: request.params.id }, text, ...(sendAt ? { sendAt } : {}) });
      return reply.redirect(`${caseUrl}?notice=${m.status === 'failed' ? 'send-failed' : 'sent'}#conversation`);
    } catch (err) {
      formError(err); // rethrows anything but a refusal the user can fix (an AppError)
      // Only the code (and a known field) go in the URL: the case page shows their words, never URL text.
      const { code, details } = err as AppError;
      const field = (details as { field?: unknown } | undefined)?.field;
      const fieldPart = typeof field === 'string' && SEND_FIELDS.has(field) ? `&field=${field}` : '';
      return reply.redirect(`${caseUrl}?sendError=${code}${fieldPart}&text=${encodeURIComponent(text)}#send`);
    }
  });
}

