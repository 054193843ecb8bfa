/**
 * @module http/admin/messages.views — the message log (filters and search in the URL, each message
 * with its contact's name, failures in words with their code small beside, inbound messages with
 * what was done with them) and the messaging pieces of the case and worker pages: reachability, the
 * conversation (oldest first, "Earlier messages" to go back, refreshed by htmx while open) and the
 * send form. Routes are in messages.routes.tsx.
 */
import { type ErrorCode, errorCatalogue, MESSAGE_FAILURE_CODES } from '../../errors.ts';
import type { ContactRef, Conversation, MessageView, PublicStatus, Reachability } from '../../services/messages.service.ts';
import { DateTimeField, ErrorSummary, type FieldErrors, TextArea } from './components/form.tsx';
import { Badge, type BadgeTone, Csrf, Layout, type PageContext, Time } from './layout.tsx';

const STATUS_TONE: Record<PublicStatus, BadgeTone> = { scheduled: 'none', queued: 'none', sent: 'ok', delivered: 'ok', failed: 'bad', received: 'ok' };
export const PUBLIC_STATUSES: readonly PublicStatus[] = ['scheduled', 'queued', 'sent', 'delivered', 'failed', 'received'];

/** Where a contact's page is: /ui/p/:project/cases/:id or /ui/p/:project/mobile-workers/:id. */
export function contactHref(projectName: string, contact: ContactRef): string {
  return `/ui/p/${encodeURIComponent(projectName)}/${contact.type === 'case' ? 'cases' : 'mobile-workers'}/${encodeURIComponent(contact.id)}`;
}

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

/** What was done with an inbound message, in words (why nothing answered it, for one). */
export function Handling(props: { m: MessageView }): JSX.Element {
  const { m } = props;
  if (m.direction !== 'in' || !m.handlingDescription) {
    return '';
  }
  const unhandled = m.handling === null || m.handling === 'unrecognised' || m.handling.startsWith('join-') || m.handling.startsWith('failed') || m.handling.startsWith('tester:');
  return (
    <div class={unhandled ? 'handling handling-unhandled' : 'handling muted'}>
      <span safe>{m.handlingDescription}</span> {m.handling ? <code class="code" safe>{m.handling}</code> : ''}
    </div>
  );
}

/**
 * One message as a table row. With `contact` (the log), a Contact column names the contact and links
 * to its page; `contact: null` there says the number belongs to no contact.
 */
export function MessageRow(props: { m: MessageView; zone: string; contact?: { name: string; href: string } | null }): JSX.Element {
  const { m } = props;
  return (
    <tr id={`msg-${m.id}`} data-status={m.status}>
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
      {props.contact === undefined ? (
        ''
      ) : (
        <td>
          {props.contact ? (
            <a href={props.contact.href} safe>
              {props.contact.name}
            </a>
          ) : (
            <span class="muted">no contact</span>
          )}
        </td>
      )}
      <td>
        {m.direction === 'in' ? 'in' : 'out'}
        {m.viaTester ? (
          <>
            {' '}
            <Badge tone="none" label="tester" />
          </>
        ) : (
          ''
        )}
      </td>
      <td safe>{m.direction === 'in' ? (m.from ?? '') : (m.to ?? '—')}</td>
      <td>
        <span safe>{m.text ?? ''}</span>
        <Failure m={m} />
        <Handling m={m} />
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

/** Fields of the send form a refusal may name, with their labels. */
export const SEND_LABELS: Readonly<Record<string, string>> = { text: 'Message', sendAt: 'Send at' };

/**
 * A contact's send form. A refused send is answered with this form again (422): every error by
 * its field's label, the field marked aria-invalid, and what was typed kept (never in the URL).
 */
export function SendForm(props: { ctx: PageContext; action: string; errors: FieldErrors | null; text: string; sendAt: string }): JSX.Element {
  const errors = props.errors ?? {};
  return (
    <form class="stack" method="post" action={props.action} novalidate>
      <Csrf ctx={props.ctx} />
      <ErrorSummary errors={props.errors} labels={SEND_LABELS} />
      <TextArea label="Message" name="text" value={props.text} required error={errors.text} />
      <DateTimeField label="Send at (optional)" name="sendAt" value={props.sendAt} help="In the contact’s time zone. Leave blank to send now." error={errors.sendAt} />
      <p>
        <button type="submit">Send SMS</button>
      </p>
    </form>
  );
}

/** How often open conversations and the tester ask for what changed (htmx `every …`). */
export const LIVE_EVERY = 'every 2s';

/** The address of a contact's conversation (a page of its own, and the fragment the live thread reloads). */
export function conversationUrl(projectName: string, contact: ContactRef, before?: string | null): string {
  return `${contactHref(projectName, contact)}/conversation${before ? `?before=${encodeURIComponent(before)}` : ''}`;
}

/**
 * A contact's conversation, oldest first like a phone's thread. The newest page reloads itself
 * every 2 s (htmx; statuses change as the dispatcher sends and replies arrive); "Earlier messages"
 * goes to the page before. Its element id is `conversation-thread`.
 */
export function ContactConversation(props: { project: { name: string; timeZone: string }; contact: ContactRef; conversation: Conversation; before?: string | null }): JSX.Element {
  const { conversation } = props;
  const live = !props.before;
  const url = conversationUrl(props.project.name, props.contact);
  return (
    <div id="conversation-thread" hx-get={live ? url : undefined} hx-trigger={live ? LIVE_EVERY : undefined} hx-swap={live ? 'outerHTML' : undefined}>
      {conversation.earlier ? (
        <p class="pager">
          <a href={conversationUrl(props.project.name, props.contact, conversation.earlier)}>← Earlier messages</a>
        </p>
      ) : (
        ''
      )}
      {conversation.items.length === 0 ? (
        <p class="muted">No messages yet.</p>
      ) : (
        <table class="conversation">
          <tbody>
            {conversation.items.map((m) => (
              <MessageRow m={m} zone={props.project.timeZone} />
            ))}
          </tbody>
        </table>
      )}
      {props.before ? (
        <p class="pager">
          <a href={contactHref(props.project.name, props.contact)}>Latest messages →</a>
        </p>
      ) : (
        ''
      )}
    </div>
  );
}

/** A contact's conversation as a page of its own (where "Earlier messages" leads). */
export function ConversationPage(props: { ctx: PageContext; project: { name: string; timeZone: string }; contact: ContactRef; name: string; conversation: Conversation; before: string | null }): JSX.Element {
  return (
    <Layout title={`Conversation with ${props.name}`} ctx={props.ctx}>
      <p>
        <a href={contactHref(props.project.name, props.contact)} safe>{`← ${props.name}`}</a>
      </p>
      <h1 safe>{`Conversation with ${props.name}`}</h1>
      <section class="card" id="conversation">
        <ContactConversation project={props.project} contact={props.contact} conversation={props.conversation} before={props.before} />
      </section>
    </Layout>
  );
}

/** A failure code's description cut to its first clause, for a filter's option. */
function shortDescription(code: ErrorCode): string {
  const text = errorCatalogue[code];
  const cut = text.search(/[:;(]|\. /);
  const first = (cut > 0 ? text.slice(0, cut) : text).replace(/\.$/, '');
  return first.length > 80 ? `${first.slice(0, 79)}…` : first;
}

export interface LogQuery {
  q?: string;
  direction?: string;
  status?: string;
  errorCode?: string;
  from?: string;
  to?: string;
}

export function LogPage(props: {
  ctx: PageContext;
  project: { name: string; timeZone: string };
  items: MessageView[];
  names: ReadonlyMap<string, string>;
  next: string | null;
  q: LogQuery;
  searchWindow: number;
  /** Received through the project's gateways, not handled yet (they enter the log once handled). */
  waiting: { count: number; oldest: Date | null };
}): JSX.Element {
  const base = `/ui/p/${props.project.name}/messages`;
  const kept = Object.fromEntries(Object.entries(props.q).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
  const contactOf = (m: MessageView) => {
    if (!m.contact) {
      return null;
    }
    const name = props.names.get(`${m.contact.type}:${m.contact.id}`);
    return name === undefined ? null : { name, href: contactHref(props.project.name, m.contact) };
  };
  return (
    <Layout title="Message log" ctx={props.ctx}>
      <h1>Message log</h1>
      {props.waiting.count > 0 ? (
        <p class="notice" role="status" id="inbound-waiting">
          <span safe>{`${props.waiting.count.toLocaleString('en')} received ${props.waiting.count === 1 ? 'message is' : 'messages are'} waiting to be handled`}</span>
          {props.waiting.oldest ? (
            <>
              {' (the oldest arrived '}
              <Time at={props.waiting.oldest.toISOString()} zone={props.project.timeZone} />
              {')'}
            </>
          ) : (
            ''
          )}
          . They appear here once handled, usually within a second; if this stays, check that a worker is running (docs/operations.md, Health).
        </p>
      ) : (
        ''
      )}
      <form class="row card" method="get" action={base} role="search">
        <div>
          <label for="q-q">Search number or text</label>
          <input id="q-q" name="q" type="search" value={props.q.q ?? ''} maxlength="200" aria-describedby="q-q-help" />
          <p class="help muted" id="q-q-help" safe>{`A phone number (any format) or words in the message; searches the newest ${props.searchWindow.toLocaleString('en')} messages.`}</p>
        </div>
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
            {PUBLIC_STATUSES.map((s) => (
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
            {MESSAGE_FAILURE_CODES.map((c) => (
              <option value={c} selected={props.q.errorCode === c} safe>
                {`${shortDescription(c)} (${c})`}
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
        {Object.keys(kept).length ? <a href={base}>Clear filters</a> : ''}
      </form>
      {props.items.length === 0 ? (
        <div class="empty">{Object.keys(kept).length ? 'No messages match — widen the filters or clear them.' : 'No messages yet — send one from a case page, or try the SMS tester.'}</div>
      ) : (
        <table id="message-log">
          <thead>
            <tr>
              <th>When</th>
              <th>Contact</th>
              <th>Direction</th>
              <th>Number</th>
              <th>Text</th>
              <th>Status</th>
              <th>Gateway</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((m) => (
              <MessageRow m={m} zone={props.project.timeZone} contact={contactOf(m)} />
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <p class="pager">
          <a href={`${base}?${new URLSearchParams({ ...kept, cursor: props.next }).toString()}`}>Older messages →</a>
        </p>
      ) : (
        ''
      )}
    </Layout>
  );
}
