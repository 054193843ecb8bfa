/**
 * @module http/admin/workers.views — mobile workers: the list with the new-worker form, and the
 * worker page with phone numbers and their status (unverified, pending, verified, already in use,
 * opted out), adding, verifying and removing numbers, and the worker's conversation.
 * Components only: the routes are in workers.routes.tsx.
 */
import type { Project } from '../../domain/project.ts';
import type { NumberFacts } from '../../services/cases.service.ts';
import type { Conversation } from '../../services/messages.service.ts';
import type { MobileWorkerView, WorkerNumberStatus } from '../../services/mobile-workers.service.ts';
import { HolderLink } from './cases.views.tsx';
import { Badge, type BadgeTone, Csrf, ErrorBox, Field, Layout, Notice, type PageContext, Time } from './layout.tsx';
import { ContactConversation } from './messages.views.tsx';

const STATUS: Record<WorkerNumberStatus, { tone: BadgeTone; label: string }> = {
  unverified: { tone: 'none', label: 'unverified' },
  pending: { tone: 'warn', label: 'pending' },
  verified: { tone: 'ok', label: 'verified' },
  'already-in-use': { tone: 'bad', label: 'already in use' },
};

const NO_FACTS: NumberFacts = { optedOut: new Set(), holders: new Map() };

/** A number's status; `opted out` wins (the number sent STOP: nothing is sent to it, verified or not). */
function NumberBadges(props: { number: string; status: WorkerNumberStatus; facts: NumberFacts }): JSX.Element {
  return (
    <>
      <Badge tone={STATUS[props.status].tone} label={STATUS[props.status].label} />
      {props.facts.optedOut.has(props.number) ? (
        <>
          {' '}
          <Badge tone="bad" label="opted out" />
        </>
      ) : (
        ''
      )}
    </>
  );
}

export function WorkersPage(props: { ctx: PageContext; project: Project; items: MobileWorkerView[]; next: string | null; error: string | null; form: Record<string, string>; facts?: NumberFacts }): JSX.Element {
  const facts = props.facts ?? NO_FACTS;
  const base = `/ui/p/${props.project.name}/mobile-workers`;
  return (
    <Layout title="Mobile workers" ctx={props.ctx}>
      <h1>Mobile workers</h1>
      {props.items.length === 0 ? (
        <div class="empty">No mobile workers yet — add the first one below.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Username</th>
              <th>Phone numbers</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((w) => (
              <tr>
                <td>
                  <a href={`${base}/${w.id}`} safe>
                    {w.username}
                  </a>
                </td>
                <td>
                  {w.phoneNumbers.map((n) => (
                    <div>
                      <span safe>{n.number}</span> <NumberBadges number={n.number} status={n.status} facts={facts} />
                    </div>
                  ))}
                </td>
                <td>
                  <Time at={w.createdAt} zone={props.project.timeZone} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <p class="pager">
          <a href={`${base}?cursor=${encodeURIComponent(props.next)}`}>Next page →</a>
        </p>
      ) : (
        ''
      )}
      <div class="card mt-1">
        <h2>New mobile worker</h2>
        <ErrorBox text={props.error} />
        <form class="stack" method="post" action={base}>
          <Csrf ctx={props.ctx} />
          <Field label="Username" name="username" value={props.form.username} required help="Letters, digits, dots, dashes or underscores." />
          <Field label="Email" name="email" value={props.form.email} help="Optional." />
          <p>
            <button type="submit">Add mobile worker</button>
          </p>
        </form>
      </div>
    </Layout>
  );
}

export function WorkerPage(props: {
  ctx: PageContext;
  project: Project;
  w: MobileWorkerView;
  notice: string | null;
  error: string | null;
  typed: string;
  facts?: NumberFacts;
  conversation: Conversation;
}): JSX.Element {
  const facts = props.facts ?? NO_FACTS;
  const base = `/ui/p/${props.project.name}/mobile-workers/${props.w.id}`;
  return (
    <Layout title={props.w.username} ctx={props.ctx}>
      <p>
        <a href={`/ui/p/${props.project.name}/mobile-workers`}>← Mobile workers</a>
      </p>
      <h1 safe>{props.w.username}</h1>
      <Notice text={props.notice} />
      <section class="card" aria-labelledby="numbers">
        <h2 id="numbers">Phone numbers</h2>
        {props.w.phoneNumbers.length === 0 ? <p class="muted">No phone number yet — add one below.</p> : ''}
        <table>
          <tbody>
            {props.w.phoneNumbers.map((n) => (
              <tr>
                <td safe>{n.number}</td>
                <td>
                  <NumberBadges number={n.number} status={n.status} facts={facts} />
                  {facts.optedOut.has(n.number) ? <div class="muted">The number opted out (replied STOP): nothing is sent to it until it replies START.</div> : ''}
                  {n.status === 'pending' ? (
                    <div class="muted">
                      Verification SMS sent at <Time at={n.pendingSince} zone={props.project.timeZone} />; the worker must reply 123.
                    </div>
                  ) : (
                    ''
                  )}
                  {n.status !== 'verified' && n.status !== 'already-in-use' ? (
                    <form method="post" action={`${base}/phone-numbers/verify`}>
                      <Csrf ctx={props.ctx} />
                      <input type="hidden" name="number" value={n.number} />
                      <button type="submit" class="secondary" aria-label={`${n.status === 'pending' ? 'Resend' : 'Verify'} ${n.number}`}>
                        {n.status === 'pending' ? 'Resend' : 'Verify'}
                      </button>
                    </form>
                  ) : (
                    ''
                  )}
                  {n.status === 'already-in-use' ? (
                    <div class="problem">
                      {(() => {
                        const holder = facts.holders.get(n.number);
                        return holder && !(holder.type === 'mobile-worker' && holder.id === props.w.id) ? (
                          <>
                            This number already receives replies for <HolderLink project={props.project} holder={holder} />.
                          </>
                        ) : (
                          'This number already receives replies for another contact, possibly in another project.'
                        );
                      })()}{' '}
                      Messages can still be sent to it. To use it for replies here, remove it from the other mobile worker or close the case that uses it first.
                      <code> PHONE_NUMBER_IN_USE</code>
                    </div>
                  ) : (
                    ''
                  )}
                  {n.status === 'unverified' ? <div class="muted">Messages can be sent to it (one-way); replies need verification.</div> : ''}
                </td>
                <td>
                  <form method="post" action={`${base}/phone-numbers/remove`} data-confirm="Remove this number?">
                    <Csrf ctx={props.ctx} />
                    <input type="hidden" name="number" value={n.number} />
                    <button type="submit" class="danger" aria-label={`Remove ${n.number}`}>
                      Remove
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form class="stack" method="post" action={`${base}/phone-numbers`}>
          <Csrf ctx={props.ctx} />
          <ErrorBox text={props.error} />
          <Field label="Add a number" name="number" value={props.typed} required help="International format, country code first (for example 254712345678)." error={props.error} />
          <p>
            <button type="submit">Add Number</button>
          </p>
        </form>
      </section>
      <section class="card" id="conversation" aria-labelledby="conversation-title">
        <h2 id="conversation-title">Conversation</h2>
        <ContactConversation project={props.project} contact={{ type: 'mobile-worker', id: props.w.id }} conversation={props.conversation} />
      </section>
    </Layout>
  );
}
