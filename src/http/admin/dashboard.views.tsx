/**
 * @module http/admin/dashboard.views — the project dashboard (UI.md Overview): contacts by phone
 * status as counts that open the filtered cases list, messages per day for 30 days as an inline SVG
 * bar chart (a <title> per bar, a legend in words, the same figures as a table), top failure codes
 * in words with a link to the filtered message log, and the recent opt-outs, registrations and
 * imports. No style attributes (CSP): sizes are SVG attributes, colours are classes in admin.css.
 */
import type { DashboardView } from '../../services/dashboard.service.ts';
import { ChartLegend, DayBarChart, type DaySeries, DayTable } from './components/day-chart.tsx';
import { Badge, type BadgeTone, Layout, type PageContext, Time } from './layout.tsx';

function safeCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** The cases list with filters (the cases list's query names). */
export function casesLink(project: string, filter: Record<string, string>): string {
  const q = new URLSearchParams(filter).toString();
  return `/ui/p/${encodeURIComponent(project)}/cases${q ? `?${q}` : ''}`;
}

/** The message log with failed messages of one code. */
export function failuresLink(project: string, code: string): string {
  return `/ui/p/${encodeURIComponent(project)}/messages?${new URLSearchParams({ status: 'failed', errorCode: code }).toString()}`;
}

function Tile(props: { href: string; count: number; label: string; tone: BadgeTone; help: string }): JSX.Element {
  return (
    <a class={`tile tone-${props.tone}`} href={props.href}>
      <span class="tile-count">{safeCount(props.count)}</span>
      <span class="tile-label" safe>
        {props.label}
      </span>
      <span class="tile-help" safe>
        {props.help}
      </span>
    </a>
  );
}

function Contacts(props: { d: DashboardView }): JSX.Element {
  const { d } = props;
  const c = d.contacts;
  const p = d.project;
  if (c.total === 0) {
    return (
      <section class="card" aria-labelledby="h-contacts">
        <h2 id="h-contacts">Contacts</h2>
        <div class="empty">
          No contacts yet — <a href={`/ui/p/${p}/imports`}>import a spreadsheet</a> or <a href={`/ui/p/${p}/cases`}>add a case</a>.
        </div>
      </section>
    );
  }
  return (
    <section class="card" aria-labelledby="h-contacts">
      <h2 id="h-contacts">
        Contacts <span class="muted">· {safeCount(c.total)} cases</span>
      </h2>
      <div class="tiles">
        <Tile href={casesLink(p, { phoneStatus: 'two-way' })} count={c.twoWay} label="Two-way" tone="ok" help="can send and reply" />
        <Tile href={casesLink(p, { phoneStatus: 'one-way' })} count={c.oneWay} label="One-way" tone="warn" help="can be sent to; replies go elsewhere" />
        <Tile href={casesLink(p, { phoneStatus: 'invalid' })} count={c.invalid} label="Invalid number" tone="bad" help="fix the digits" />
        <Tile href={casesLink(p, { phoneStatus: 'none' })} count={c.none} label="No number" tone="none" help="no phone number to send to" />
        <Tile href={casesLink(p, { optedOut: 'yes' })} count={c.optedOut} label="Opted out" tone="bad" help="replied STOP" />
        <Tile href={casesLink(p, { consent: 'no' })} count={c.noConsent} label="No consent" tone="warn" help="no SMS consent recorded" />
      </div>
      {c.caseTypes.length > 1 ? (
        <p class="by-type">
          By case type:{' '}
          {c.caseTypes.slice(0, 10).map((t, i) => (
            <>
              {i > 0 ? ' · ' : ''}
              <a href={casesLink(p, { caseType: t.caseType })} safe>
                {t.caseType}
              </a>{' '}
              {safeCount(t.total)}
            </>
          ))}
        </p>
      ) : (
        ''
      )}
      {c.asOf ? (
        <p class="muted as-of">
          Counted at <Time at={c.asOf} zone={d.timeZone} />; a project this large is counted again every few minutes.
        </p>
      ) : (
        ''
      )}
    </section>
  );
}

const SERIES: ReadonlyArray<DaySeries<'sent' | 'failed' | 'received'>> = [
  { key: 'sent', label: 'sent' },
  { key: 'failed', label: 'failed' },
  { key: 'received', label: 'received' },
];

function Messages(props: { d: DashboardView }): JSX.Element {
  const { d } = props;
  const { days, totals } = d.messages;
  const p = d.project;
  const none = totals.sent + totals.failed + totals.received === 0;
  return (
    <section class="card" aria-labelledby="h-messages">
      <h2 id="h-messages">Messages per day, last {days.length} days</h2>
      {!d.hasGateway ? (
        <div class="empty">
          No gateway yet — <a href={`/ui/p/${p}/gateways`}>add one</a> to start sending.
        </div>
      ) : none ? (
        <div class="empty">
          No messages in the last {days.length} days — send one from a <a href={`/ui/p/${p}/cases`}>case page</a> or start a{' '}
          <a href={`/ui/p/${p}/broadcasts`}>broadcast</a>.
        </div>
      ) : (
        ''
      )}
      {none ? (
        ''
      ) : (
        <>
          <ChartLegend series={SERIES} totals={totals} />
          <DayBarChart
            days={days}
            series={SERIES}
            height={180}
            label={`Messages per day for the last ${days.length} days: ${safeCount(totals.sent)} sent, ${safeCount(totals.failed)} failed, ${safeCount(totals.received)} received.`}
          />
          <p class="muted small">
            Days in <span safe>{d.timeZone}</span> time. Sent includes delivered. <a href={`/ui/p/${p}/messages`}>Open the message log</a>.
          </p>
          <DayTable days={days} series={SERIES} />
        </>
      )}
    </section>
  );
}

function Failures(props: { d: DashboardView }): JSX.Element {
  const { d } = props;
  return (
    <section class="card" aria-labelledby="h-failures">
      <h2 id="h-failures">Top failure reasons, last {d.messages.days.length} days</h2>
      {d.failures.length === 0 ? (
        <div class="empty">No failed messages in the last {d.messages.days.length} days.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col">Messages</th>
              <th scope="col">
                <span class="sr-only">Link</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {d.failures.map((f) => (
              <tr>
                <td>
                  <div safe>{f.description ?? (f.code === '' ? 'Failed without a reason recorded.' : 'A failure the catalogue does not describe.')}</div>
                  <code class="code" safe>
                    {f.code || '—'}
                  </code>
                </td>
                <td>{safeCount(f.count)}</td>
                <td>
                  {f.code ? (
                    <a href={failuresLink(d.project, f.code)} aria-label={`See the failed messages with ${f.code}`}>
                      See messages
                    </a>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const METHOD_WORDS: Record<string, string> = {
  keyword: 'replied with an opt-out word',
  ui: 'in the admin UI',
  api: 'through the API',
  import: 'by an import',
  survey: 'in a survey',
  vendor: 'reported by the gateway',
  gateway: 'reported by the gateway',
  review: 'confirmed from possible opt-outs',
  'self-registration': 'at self-registration',
  verification: 'at verification',
  'email-unsubscribe': 'through the unsubscribe link',
  'case-property': 'by a case property',
};

const IMPORT_TONE: Record<DashboardView['recent']['imports'][number]['status'], BadgeTone> = { uploaded: 'none', running: 'warn', done: 'ok', failed: 'bad' };

function Recent(props: { d: DashboardView }): JSX.Element {
  const { d } = props;
  const p = d.project;
  const z = d.timeZone;
  const contactHref = (type: 'case' | 'mobile-worker', id: string) => `/ui/p/${p}/${type === 'case' ? 'cases' : 'mobile-workers'}/${encodeURIComponent(id)}`;
  return (
    <div class="recent">
      <section class="card" aria-labelledby="h-opt-outs">
        <h2 id="h-opt-outs">Recent opt-outs</h2>
        {d.recent.optOuts.length === 0 ? (
          <p class="muted">No one has opted out. People who reply STOP appear here.</p>
        ) : (
          <ul class="plain">
            {d.recent.optOuts.map((o) => (
              <li>
                {o.contact ? (
                  <a href={contactHref(o.contact.type, o.contact.id)} safe>
                    {o.contact.name}
                  </a>
                ) : o.number ? (
                  <a href={`/ui/p/${p}/numbers/${encodeURIComponent(o.number)}`} safe>
                    {o.number}
                  </a>
                ) : (
                  <span safe>{o.email ?? '—'}</span>
                )}{' '}
                <span class="muted" safe>
                  {METHOD_WORDS[o.method] ?? o.method}
                </span>
                <div class="muted small">
                  <Time at={o.at} zone={z} />
                </div>
              </li>
            ))}
          </ul>
        )}
        <p class="small">
          <a href={`/ui/p/${p}/opt-outs`}>All opt-outs and consent →</a>
        </p>
      </section>
      <section class="card" aria-labelledby="h-registrations">
        <h2 id="h-registrations">Recent registrations</h2>
        {d.recent.registrations.length === 0 ? (
          <p class="muted">
            No one has registered by SMS yet. People join by texting JOIN when self-registration is on in the <a href={`/ui/p/${p}/settings`}>project settings</a>.
          </p>
        ) : (
          <ul class="plain">
            {d.recent.registrations.map((r) => (
              <li>
                {r.contact ? (
                  <a href={contactHref(r.type, r.contact.id)} safe>
                    {r.contact.name}
                  </a>
                ) : (
                  <span class="muted">removed since</span>
                )}{' '}
                <Badge tone="none" label={r.type === 'case' ? 'case' : 'mobile worker'} /> <span class="muted" safe>{r.number ?? ''}</span>
                <div class="muted small">
                  <Time at={r.at} zone={z} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card" aria-labelledby="h-imports">
        <h2 id="h-imports">Recent imports</h2>
        {d.recent.imports.length === 0 ? (
          <p class="muted">
            No imports yet — <a href={`/ui/p/${p}/imports`}>import a spreadsheet</a> of contacts.
          </p>
        ) : (
          <ul class="plain">
            {d.recent.imports.map((i) => (
              <li>
                <a href={`/ui/p/${p}/imports/${encodeURIComponent(i.id)}`} safe>
                  {i.fileName}
                </a>{' '}
                <Badge tone={IMPORT_TONE[i.status]} label={i.status} />
                <div class="muted small">
                  {safeCount(i.rows)} rows: {safeCount(i.created)} created, {safeCount(i.updated)} updated, {safeCount(i.failed)} with problems · <Time at={i.createdAt} zone={z} />
                </div>
              </li>
            ))}
          </ul>
        )}
        <p class="small">
          <a href={`/ui/p/${p}/imports`}>All imports →</a>
        </p>
      </section>
    </div>
  );
}

export function DashboardPage(props: { ctx: PageContext; d: DashboardView }): JSX.Element {
  const { d } = props;
  return (
    <Layout title={`Dashboard · ${d.project}`} ctx={props.ctx}>
      <div class="dashboard">
        <h1>Dashboard</h1>
        <Contacts d={d} />
        <Messages d={d} />
        <Failures d={d} />
        <Recent d={d} />
      </div>
    </Layout>
  );
}
