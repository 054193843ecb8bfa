/**
 * @module http/admin/opt-outs.views — the opt-out list, and one number's page: opted out or not, who
 * holds it (by name, linked to the case or mobile worker), and its consent history. Components
 * only: the routes are in opt-outs.routes.tsx.
 */
import type { Project } from '../../domain/project.ts';
import type { ConsentEventView } from '../../services/consent-ledger.service.ts';
import type { PhoneNumberView } from '../../services/phone-numbers.service.ts';
import { Badge, type BadgeTone, Layout, type PageContext, Time } from './layout.tsx';
import { contactHref } from './messages.views.tsx';

export function OptOutsPage(props: { ctx: PageContext; project: Project; items: Array<{ number: string; since: string }> }): JSX.Element {
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

const STATE_BADGE: Record<PhoneNumberView['entries'][number]['state'], { tone: BadgeTone; label: string }> = {
  'two-way': { tone: 'ok', label: 'two-way' },
  pending: { tone: 'warn', label: 'pending' },
  'one-way': { tone: 'none', label: 'one-way' },
};

export function NumberPage(props: { ctx: PageContext; project: Project; info: PhoneNumberView; names: ReadonlyMap<string, string>; history: ConsentEventView[] }): JSX.Element {
  const { info } = props;
  const owners = info.entries.length + (info.twoWayElsewhere ? 1 : 0);
  return (
    <Layout title={info.number} ctx={props.ctx}>
      <h1 safe>{info.number}</h1>
      <section class="card" aria-labelledby="number-status">
        <h2 id="number-status">Status</h2>
        <p id="number-badge">
          {info.optedOut ? <Badge tone="bad" label="opted out" /> : <Badge tone="ok" label="can receive" />}{' '}
          {info.optedOut ? <span class="muted">This number replied STOP (or another opt-out word): nothing is sent to it until it replies START.</span> : ''}
        </p>
        <h2 id="number-owners">Who has this number</h2>
        {owners === 0 ? (
          <p class="muted">No contact has this number — add it to a case or a mobile worker to send to it.</p>
        ) : (
          <table aria-labelledby="number-owners">
            <thead>
              <tr>
                <th>Contact</th>
                <th>Kind</th>
                <th>Replies</th>
              </tr>
            </thead>
            <tbody>
              {info.entries.map((e) => {
                const contact = { type: e.ownerType, id: e.ownerId };
                const name = props.names.get(`${e.ownerType}:${e.ownerId}`) ?? (e.ownerType === 'case' ? 'a case' : 'a mobile worker');
                return (
                  <tr>
                    <td>
                      <a href={contactHref(props.project.name, contact)} safe>
                        {name}
                      </a>
                    </td>
                    <td>{e.ownerType === 'case' ? 'case' : 'mobile worker'}</td>
                    <td>
                      <Badge tone={STATE_BADGE[e.state].tone} label={STATE_BADGE[e.state].label} />
                    </td>
                  </tr>
                );
              })}
              {info.twoWayElsewhere ? (
                <tr>
                  <td>a contact in another project</td>
                  <td class="muted">—</td>
                  <td>
                    <Badge tone="ok" label="two-way" /> <span class="muted">replies from this number go there</span>
                  </td>
                </tr>
              ) : (
                ''
              )}
            </tbody>
          </table>
        )}
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
