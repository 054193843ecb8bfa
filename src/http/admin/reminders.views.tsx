/**
 * @module http/admin/reminders.views — what reminder rules are doing (issue 25, "Seeing it"): the
 * rule page's live report (cases matching now, those that cannot be reached and why, the
 * evaluation's progress, the next sends, sent/failed/cancelled per day as an inline SVG chart), the
 * preview for one case, and the case page's "Reminders" section. No style attributes (CSP): sizes
 * are SVG attributes, colours are classes in admin.css.
 */
import type { Project } from '../../domain/project.ts';
import { describeKnownCode } from '../../errors.ts';
import type { CasePreview, CaseReminder, NextSend, RuleDay, RuleReport } from '../../services/reminder-report.service.ts';
import { zoneAbbreviation } from './components/time.tsx';
import { ChartLegend, DayBarChart, type DaySeries, DayTable, seriesTotals } from './components/day-chart.tsx';
import { Badge, type BadgeTone } from './layout.tsx';

const safeCount = (n: number): string => n.toLocaleString('en');

/** "2026-12-14 09:00 EAT" on the recipient's clock; the tooltip gives the zone and UTC. */
export function LocalTime(props: { at: string; localTime: string; zone: string }): JSX.Element {
  const at = new Date(props.at);
  const utc = Number.isNaN(at.getTime()) ? props.at : `${at.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  const abbr = Number.isNaN(at.getTime()) ? props.zone : zoneAbbreviation(props.zone, at);
  return (
    <time class="nowrap" datetime={props.at} title={`${props.zone} · ${utc}`} safe>
      {`${props.localTime} ${abbr}`}
    </time>
  );
}

function caseHref(project: Project, caseId: string): string {
  return `/ui/p/${project.name}/cases/${encodeURIComponent(caseId)}`;
}

// ---- the rule's report ----

function Evaluation(props: { e: RuleReport['evaluation'] }): JSX.Element {
  const e = props.e;
  if (!e || e.status !== 'running') {
    return '';
  }
  const pct = e.total > 0 ? Math.floor((e.done / e.total) * 100) : 0;
  return (
    <div class="evaluation">
      <p>
        <Badge tone="warn" label="evaluating" /> <span id="evaluation-progress" safe>{`${safeCount(e.done)} of ${safeCount(e.total)} cases checked (${pct} %)`}</span>
      </p>
      <progress class="progress" max={String(Math.max(1, e.total))} value={String(e.done)} aria-labelledby="evaluation-progress" safe>
        {`${pct} %`}
      </progress>
      <p class="muted">The rule is being checked against its cases; the figures below grow until it is done. This page updates by itself.</p>
    </div>
  );
}

function Problems(props: { problems: RuleReport['problems'] }): JSX.Element {
  if (props.problems.length === 0) {
    return '';
  }
  return (
    <table id="rule-problems">
      <caption class="left">Matching cases that cannot be reached</caption>
      <thead>
        <tr>
          <th>Reason</th>
          <th>Cases</th>
        </tr>
      </thead>
      <tbody>
        {props.problems.map((p) => (
          <tr>
            <td>
              <span safe>{p.description}</span> <code>{p.code}</code>
            </td>
            <td>{safeCount(p.count)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NextSends(props: { project: Project; sends: readonly NextSend[] }): JSX.Element {
  if (props.sends.length === 0) {
    return <div class="empty">Nothing scheduled: no matching case has a send to come.</div>;
  }
  return (
    <table id="next-sends">
      <thead>
        <tr>
          <th>Who</th>
          <th>When (their time)</th>
          <th>Text</th>
        </tr>
      </thead>
      <tbody>
        {props.sends.map((n) => (
          <tr>
            <td>
              <a href={caseHref(props.project, n.caseId)} safe>
                {n.caseName}
              </a>
              {n.recipient === 'owner' ? <div class="muted">to the case’s owner</div> : ''}
            </td>
            <td>
              <LocalTime at={n.at} localTime={n.localTime} zone={n.zone} />
            </td>
            <td>
              {n.text === null ? (
                <span class="muted">the survey’s first question</span>
              ) : (
                <div class="sms" safe>
                  {n.text}
                </div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const SERIES: ReadonlyArray<DaySeries<'sent' | 'failed' | 'cancelled'>> = [
  { key: 'sent', label: 'sent' },
  { key: 'failed', label: 'failed' },
  { key: 'cancelled', label: 'cancelled' },
];

/** Sent, failed and cancelled per day, drawn as the dashboard draws its messages per day. */
export function DayChart(props: { days: readonly RuleDay[] }): JSX.Element {
  const { days } = props;
  if (days.length === 0) {
    return '';
  }
  const totals = seriesTotals(days, SERIES);
  return (
    <>
      <ChartLegend series={SERIES} totals={totals} />
      <DayBarChart
        id="rule-chart"
        days={days}
        series={SERIES}
        height={160}
        label={`Per day for the last ${days.length} days: ${safeCount(totals.sent)} sent, ${safeCount(totals.failed)} failed, ${safeCount(totals.cancelled)} cancelled.`}
      />
      <DayTable days={days} series={SERIES} />
    </>
  );
}

/** The live part of the rule page: polls itself every 2 s while the rule's evaluation runs. */
export function ReportBox(props: { project: Project; ruleId: string; report: RuleReport }): JSX.Element {
  const { report: r, project } = props;
  const live = r.evaluation?.status === 'running';
  const url = `/ui/p/${project.name}/reminder-rules/${props.ruleId}/progress`;
  return (
    <div id="report" aria-live="polite" data-evaluation={r.evaluation?.status ?? 'none'} {...(live ? { 'hx-get': url, 'hx-trigger': 'every 2s', 'hx-swap': 'outerHTML' } : {})}>
      <section class="card" aria-labelledby="now">
        <h2 id="now">Now</h2>
        <Evaluation e={r.evaluation} />
        <div class="stat-row">
          <div class="stat stat-ok">
            <span class="stat-n" id="stat-matching">
              {safeCount(r.matching)}
            </span>
            <span class="stat-label">cases match now</span>
          </div>
          <div class={r.problems.length ? 'stat stat-bad' : 'stat'}>
            <span class="stat-n" id="stat-unreachable">
              {safeCount(r.problems.reduce((a, p) => a + p.count, 0))}
            </span>
            <span class="stat-label">of them cannot be reached</span>
          </div>
        </div>
        <Problems problems={r.problems} />
      </section>
      <section class="card" aria-labelledby="next">
        <h2 id="next">Next sends</h2>
        <NextSends project={project} sends={r.nextSends} />
      </section>
      <section class="card" aria-labelledby="per-day">
        <h2 id="per-day" safe>{`Sent, failed and cancelled per day, last ${r.daily.length} days`}</h2>
        <DayChart days={r.daily} />
        <p class="muted small" safe>{`Days in ${project.timeZone} time.`}</p>
      </section>
    </div>
  );
}

/** "Amina would get: …", or why she gets nothing. */
export function PreviewResult(props: { project: Project; p: CasePreview }): JSX.Element {
  const { p, project } = props;
  const who = (
    <a href={caseHref(project, p.caseId)} safe>
      {p.caseName}
    </a>
  );
  if (p.items.length === 0) {
    return (
      <div id="preview-result" class="problem">
        {who} <span safe>{`gets nothing from this rule: ${p.reason ?? (p.matches ? 'nothing is due to come.' : 'the case does not match.')}`}</span>
      </div>
    );
  }
  return (
    <div id="preview-result">
      <p>
        {who} would get:
      </p>
      {p.reason ? <p class="problem" safe>{p.reason}</p> : ''}
      <ul class="preview-items">
        {p.items.map((i) => (
          <li>
            <LocalTime at={i.at} localTime={i.localTime} zone={i.zone} />
            {i.recipient === 'owner' ? <span class="muted"> (to the case’s owner)</span> : ''} <span class="muted">{i.channel === 'survey' ? '' : i.channel === 'email' ? 'email' : 'SMS'}</span>{' '}
            <span class="sms" safe>
              {i.text}
            </span>
            {i.missing.length ? <div class="muted" safe>{`No value on this case for: ${i.missing.map((m) => `{${m}}`).join(', ')} (left blank)`}</div> : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}

// ---- the case page ----

const STATUS_TONE: Record<CaseReminder['status'], BadgeTone> = { scheduled: 'warn', sent: 'ok', failed: 'bad', cancelled: 'none' };
const RECIPIENT = { case: 'the case', owner: 'its owner' } as const;

/** The case page's "Reminders" section: what is scheduled for the case, and what its rules sent. */
export function CaseReminders(props: { project: Project; caseId: string; reminders: readonly CaseReminder[] }): JSX.Element {
  const { project } = props;
  return (
    <section class="card" id="reminders" aria-labelledby="reminders-title">
      <h2 id="reminders-title">Reminders</h2>
      {props.reminders.length === 0 ? (
        <p class="muted">
          No reminder for this case. <a href={`/ui/p/${project.name}/reminder-rules`}>Reminder rules</a> send them to the cases they match.
        </p>
      ) : (
        <table id="case-reminders">
          <thead>
            <tr>
              <th>Rule</th>
              <th>When (their time)</th>
              <th>To</th>
              <th>Status</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {props.reminders.map((r) => (
              <tr data-status={r.status}>
                <td>
                  <a href={`/ui/p/${project.name}/reminder-rules/${encodeURIComponent(r.ruleId)}`} safe>
                    {r.ruleName}
                  </a>
                </td>
                <td>
                  <LocalTime at={r.at} localTime={r.localTime} zone={r.zone} />
                </td>
                <td>{RECIPIENT[r.recipient]}</td>
                <td>
                  <Badge tone={STATUS_TONE[r.status]} label={r.status} />
                  {r.reason ? (
                    <div class="muted">
                      <span safe>{describeKnownCode(r.reason) ?? r.reason}</span> <code>{r.reason}</code>
                    </div>
                  ) : (
                    ''
                  )}
                </td>
                <td>
                  {r.messageId ? (
                    <a href={`${caseHref(project, props.caseId)}/conversation#msg-${encodeURIComponent(r.messageId)}`}>Open the message</a>
                  ) : (
                    <span class="muted">—</span>
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
