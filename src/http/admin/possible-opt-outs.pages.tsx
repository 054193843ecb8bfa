/**
 * @module http/admin/possible-opt-outs.pages — Possible opt-outs: replies that looked like a request
 * to stop ("please stop texting me") but were not a keyword. Members see them; project admins
 * confirm (the number opts out, method `review`) or dismiss (the project's broadcasts and scheduled
 * messages reach the number again).
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { AppError } from '../../errors.ts';
import { decidePossibleOptOut, listProjectPossibleOptOuts, type PossibleOptOutView, requirePossibleOptOut } from '../../services/possible-opt-outs.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import { findMembershipRole } from '../../store/user.store.ts';
import type { AdminDeps } from './admin-deps.ts';
import { Badge, type BadgeTone, Csrf, Layout, type PageContext, Time } from './layout.tsx';
import { requireUi, requireUiPost, sendHtml } from './ui.tsx';

const TONE: Record<PossibleOptOutView['status'], BadgeTone> = { open: 'warn', confirmed: 'bad', dismissed: 'none' };
const NOTICES: Record<string, string> = { confirm: 'Confirmed: the number is opted out.', dismiss: 'Dismissed: the number gets messages again.' };

function contactLink(project: Project, p: PossibleOptOutView): JSX.Element {
  if (!p.contact) {
    return <span class="muted">not a contact of this project</span>;
  }
  const path = p.contact.type === 'case' ? 'cases' : 'mobile-workers';
  return (
    <a href={`/ui/p/${project.name}/${path}/${p.contact.id}`} safe>
      {p.contact.name ?? (p.contact.type === 'case' ? 'case' : 'mobile worker')}
    </a>
  );
}

function PossibleOptOutsPage(props: { ctx: PageContext; project: Project; items: PossibleOptOutView[]; notice: string | null; isAdmin: boolean }): JSX.Element {
  const { project } = props;
  return (
    <Layout title="Possible opt-outs" ctx={props.ctx}>
      <h1>Possible opt-outs</h1>
      <p class="muted">
        Replies that look like a request to stop messages but are not a keyword such as STOP. Until you decide, the number gets no broadcasts or scheduled messages from this project; replies
        in a conversation still go out.
      </p>
      {props.notice ? (
        <p class="notice" role="status" safe>
          {props.notice}
        </p>
      ) : (
        ''
      )}
      {props.items.length === 0 ? (
        <div class="empty">No possible opt-outs: nobody has written anything that looks like a request to stop.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Received</th>
              <th>Number</th>
              <th>Contact</th>
              <th>What they wrote</th>
              <th>Status</th>
              <th>Decide</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((p) => (
              <tr>
                <td>
                  <Time at={p.createdAt} zone={project.timeZone} />
                </td>
                <td>
                  <a href={`/ui/p/${project.name}/numbers/${encodeURIComponent(p.number)}`} safe>
                    {p.number}
                  </a>
                </td>
                <td>{contactLink(project, p)}</td>
                <td>
                  <q safe>{p.text}</q>
                </td>
                <td>
                  <Badge tone={TONE[p.status]} label={p.status} />
                </td>
                <td>
                  {p.status === 'open' && props.isAdmin ? (
                    <span class="actions">
                      <form method="post" action={`/ui/p/${project.name}/possible-opt-outs/${p.id}/confirm`}>
                        <Csrf ctx={props.ctx} />
                        <button type="submit">Confirm opt-out</button>
                      </form>
                      <form method="post" action={`/ui/p/${project.name}/possible-opt-outs/${p.id}/dismiss`}>
                        <Csrf ctx={props.ctx} />
                        <button type="submit" class="secondary">
                          Dismiss
                        </button>
                      </form>
                    </span>
                  ) : p.status === 'open' ? (
                    <span class="muted">a project admin decides</span>
                  ) : (
                    <Time at={p.decidedAt} zone={project.timeZone} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export function registerPossibleOptOutPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  app.get<{ Params: { project: string }; Querystring: { notice?: string } }>('/ui/p/:project/possible-opt-outs', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const page = await listProjectPossibleOptOuts(s, project, { limit: 200 });
    const isAdmin = actor.isSuperuser || (await findMembershipRole(s.db, project.id, actor.userId)) === 'admin';
    // Only known notices are shown: never text from the URL.
    const notice = Object.hasOwn(NOTICES, request.query.notice ?? '') ? (NOTICES[request.query.notice ?? ''] ?? null) : null;
    return sendHtml(reply, <PossibleOptOutsPage ctx={{ actor, project, role: isAdmin ? 'admin' : 'member', section: 'possible-opt-outs' }} project={project} items={page.items} notice={notice} isAdmin={isAdmin} />);
  });

  for (const decision of ['confirm', 'dismiss'] as const) {
    app.post<{ Params: { project: string; id: string } }>(`/ui/p/:project/possible-opt-outs/:id/${decision}`, async (request, reply) => {
      const actor = await requireUiPost(s, request, reply);
      if (!actor) {
        return reply;
      }
      await requirePossibleOptOut(s, await requireProject(s, actor, request.params.project), request.params.id);
      const project = await requireProject(s, actor, request.params.project, 'admin');
      try {
        await decidePossibleOptOut(s, project, request.params.id, decision, actor.userId);
      } catch (err) {
        if (err instanceof AppError && err.code === 'CONFLICT') {
          return reply.redirect(`/ui/p/${project.name}/possible-opt-outs`);
        }
        throw err;
      }
      return reply.redirect(`/ui/p/${project.name}/possible-opt-outs?notice=${decision}`);
    });
  }
}
