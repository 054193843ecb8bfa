/**
 * @module http/admin/possible-opt-outs.views — Possible opt-outs: replies that looked like a request
 * to stop ("please stop texting me") but were not a keyword, with the contact they came from and,
 * for project admins, the buttons to confirm or dismiss each. Components only: the routes are in
 * possible-opt-outs.routes.tsx.
 */
import type { Project } from '../../domain/project.ts';
import type { PossibleOptOutView } from '../../services/possible-opt-outs.service.ts';
import { Badge, type BadgeTone, Csrf, Layout, type PageContext, Time } from './layout.tsx';

const TONE: Record<PossibleOptOutView['status'], BadgeTone> = { open: 'warn', confirmed: 'bad', dismissed: 'none' };

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

export function PossibleOptOutsPage(props: { ctx: PageContext; project: Project; items: PossibleOptOutView[]; notice: string | null; isAdmin: boolean }): JSX.Element {
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
