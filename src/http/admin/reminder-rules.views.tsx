/**
 * @module http/admin/reminder-rules.views — Messaging → Reminder rules (issue 25): the list, the
 * form a program manager fills in without writing JSON (conditions, offsets and stop conditions as
 * rows; a text per project language or a survey; the schedule; the send window), and the rule's
 * page (what it does, its live report from reminders.views.tsx, the preview for one case).
 */
import { CONDITION_OPS, WEEKDAYS } from '../../domain/reminder-rule.ts';
import type { Project } from '../../domain/project.ts';
import type { CasePreview, RuleReport } from '../../services/reminder-report.service.ts';
import type { ReminderRuleView } from '../../services/reminder-rules.service.ts';
import type { SurveyView } from '../../services/surveys.service.ts';
import { languageLabel, projectLanguages } from './broadcasts.views.tsx';
import { type Choice, ErrorSummary, Field, type FieldErrors, Select } from './components/form.tsx';
import { Badge, Csrf, ErrorBox, Layout, Notice, type PageContext } from './layout.tsx';
import { PreviewResult, ReportBox } from './reminders.views.tsx';

export interface ConditionRow {
  property: string;
  op: string;
  value: string;
}

export interface OffsetRow {
  days: string;
  time: string;
}

/** Everything the form holds, as typed (kept when the form is refused). */
export interface RuleFormState {
  name: string;
  caseType: string;
  conditions: ConditionRow[];
  recipients: string;
  contentKind: 'text' | 'survey';
  channel: string;
  /** Text per language code. */
  texts: Record<string, string>;
  subject: string;
  surveyId: string;
  scheduleType: string;
  startProperty: string;
  offsets: OffsetRow[];
  /** Comma-separated HH:MM. */
  times: string;
  weekdays: string[];
  repeat: string;
  stopWhen: ConditionRow[];
  spreadMinutes: string;
  windowFrom: string;
  windowTo: string;
  active: boolean;
}

/** Rows the form shows at least (blank rows are ignored). */
export const ROWS = { conditions: 5, offsets: 5, stopWhen: 3 } as const;

export const OP_LABELS: Record<(typeof CONDITION_OPS)[number], string> = {
  eq: 'equals',
  ne: 'does not equal',
  set: 'has a value',
  empty: 'is empty',
  lt: 'is less than / before',
  gt: 'is more than / after',
  withinDays: 'is a date within N days',
};
const OP_SYMBOLS: Record<string, string> = { eq: '=', ne: '≠', lt: '<', gt: '>' };
const WEEKDAY_LABELS: Record<string, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
const RECIPIENT_LABELS: Record<string, string> = { case: 'The case (its contact)', owner: 'Its owner (mobile worker)', both: 'Both the case and its owner' };
const SCHEDULE_LABELS: Record<string, string> = {
  offsets: 'Days before or after a date on the case',
  once: 'Once',
  daily: 'Every day',
  weekly: 'Every week',
};

export function emptyRuleForm(): RuleFormState {
  return {
    name: '',
    caseType: '',
    conditions: [],
    recipients: 'case',
    contentKind: 'text',
    channel: 'sms',
    texts: {},
    subject: '',
    surveyId: '',
    scheduleType: 'offsets',
    startProperty: '',
    offsets: [],
    times: '',
    weekdays: [],
    repeat: '',
    stopWhen: [],
    spreadMinutes: '',
    windowFrom: '',
    windowTo: '',
    active: true,
  };
}

const conditionRows = (list: ReminderRuleView['conditions']): ConditionRow[] => list.map((c) => ({ property: c.property, op: c.op, value: c.value === undefined ? '' : String(c.value) }));

/** The form's values for a saved rule. */
export function ruleFormOf(project: Project, r: ReminderRuleView): RuleFormState {
  const texts: Record<string, string> = { ...(r.content.translations ?? {}) };
  if (r.content.text !== undefined && texts[project.defaultLanguage] === undefined) {
    texts[project.defaultLanguage] = r.content.text;
  }
  const s = r.schedule;
  return {
    name: r.name,
    caseType: r.caseType,
    conditions: conditionRows(r.conditions),
    recipients: r.recipients,
    contentKind: r.content.surveyId !== undefined ? 'survey' : 'text',
    channel: r.content.channel ?? 'sms',
    texts,
    subject: r.content.subject ?? '',
    surveyId: r.content.surveyId ?? '',
    scheduleType: s.type,
    startProperty: s.startProperty ?? '',
    offsets: (s.offsets ?? []).map((o) => ({ days: String(o.days), time: o.time })),
    times: (s.times ?? []).join(', '),
    weekdays: [...(s.weekdays ?? [])],
    repeat: s.repeat === undefined ? '' : String(s.repeat),
    stopWhen: conditionRows(s.stopWhen ?? []),
    spreadMinutes: s.spreadMinutes === undefined ? '' : String(s.spreadMinutes),
    windowFrom: r.window?.from ?? '',
    windowTo: r.window?.to ?? '',
    active: r.active,
  };
}

/** The languages the form offers a text for: the project's, then any other the rule has. */
export function formLanguages(project: Project, texts: Record<string, string>): string[] {
  const own = projectLanguages(project);
  return [...own, ...Object.keys(texts).filter((l) => !own.includes(l))];
}

export const textField = (language: string): string => `text-${language}`;

/** Labels of every field, for the error summary. */
export function ruleFormLabels(project: Project, state: RuleFormState): Record<string, string> {
  const labels: Record<string, string> = {
    name: 'Rule name',
    caseType: 'Case type',
    recipients: 'Send to',
    contentKind: 'What to send',
    channel: 'Channel',
    subject: 'Email subject',
    surveyId: 'Survey',
    scheduleType: 'Schedule',
    startProperty: 'Date property',
    times: 'Times of day',
    weekdays: 'Weekdays',
    repeat: 'Repeat at most',
    spreadMinutes: 'Spread over minutes',
    windowFrom: 'Not before',
    windowTo: 'Not after',
    active: 'Active',
    conditions: 'Conditions',
    offsets: 'Days before or after the date',
    stopWhen: 'Stop when',
  };
  for (const l of formLanguages(project, state.texts)) {
    labels[textField(l)] = `Message in ${languageLabel(project, l)}`;
  }
  const rowLabels = (prefix: string, title: string, n: number) => {
    for (let i = 0; i < n; i++) {
      labels[`${prefix}-${i}-property`] = `${title} ${i + 1}: property`;
      labels[`${prefix}-${i}-op`] = `${title} ${i + 1}: test`;
      labels[`${prefix}-${i}-value`] = `${title} ${i + 1}: value`;
    }
  };
  rowLabels('cond', 'Condition', rowCount(state.conditions, ROWS.conditions));
  rowLabels('stop', 'Stop condition', rowCount(state.stopWhen, ROWS.stopWhen));
  for (let i = 0; i < rowCount(state.offsets, ROWS.offsets); i++) {
    labels[`off-${i}-days`] = `Send ${i + 1}: days from the date`;
    labels[`off-${i}-time`] = `Send ${i + 1}: time`;
  }
  return labels;
}

/** Rows to show: at least `least`, and one blank row after the last one in use. */
function rowCount(rows: ReadonlyArray<ConditionRow | OffsetRow>, least: number): number {
  const used = rows.reduce((n, r, i) => (Object.values(r).some((v) => v.trim() !== '' && v !== 'eq') ? i + 1 : n), 0);
  return Math.min(50, Math.max(least, used + 1));
}

// ---- words ----

function signedDays(days: number): string {
  return days < 0 ? `−${-days} d` : days > 0 ? `+${days} d` : '0 d';
}

/** "next_visit_date = 2026-12-14", "visit_done has a value", "edd within 30 days". */
export function conditionText(c: { property: string; op: string; value?: string | number | undefined }): string {
  const value = c.value === undefined ? '' : String(c.value);
  if (c.op === 'set' || c.op === 'empty') {
    return `${c.property} ${OP_LABELS[c.op]}`;
  }
  if (c.op === 'withinDays') {
    return Number(value) < 0 ? `${c.property} within the last ${-Number(value)} days` : `${c.property} within the next ${value} days`;
  }
  return `${c.property} ${OP_SYMBOLS[c.op] ?? c.op} ${value}`;
}

/** "−7 d, −1 d at 09:00 from next_visit_date", "daily at 08:00", "weekly on Mon, Thu at 08:00". */
export function scheduleSummary(s: ReminderRuleView['schedule']): string {
  const parts: string[] = [];
  const offsets = s.offsets ?? [];
  const times = s.times ?? [];
  const fromDate = () => {
    const sameTime = offsets.every((o) => o.time === offsets[0]?.time);
    const list = sameTime ? `${offsets.map((o) => signedDays(o.days)).join(', ')} at ${offsets[0]?.time ?? ''}` : offsets.map((o) => `${signedDays(o.days)} at ${o.time}`).join(', ');
    return `${list} from ${s.startProperty ?? '(no date property)'}`;
  };
  if (s.type === 'offsets') {
    parts.push(fromDate());
  } else if (s.type === 'once') {
    parts.push(s.startProperty !== undefined && offsets.length ? `once, ${fromDate()}` : 'once, when a case starts to match');
  } else if (s.type === 'daily') {
    parts.push(`daily at ${times.join(', ')}`);
  } else {
    parts.push(`weekly on ${(s.weekdays ?? []).map((d) => WEEKDAY_LABELS[d] ?? d).join(', ')} at ${times.join(', ')}`);
  }
  if (s.repeat !== undefined) {
    parts.push(`at most ${s.repeat} ${s.repeat === 1 ? 'time' : 'times'}`);
  }
  if (s.stopWhen?.length) {
    parts.push(`until ${s.stopWhen.map(conditionText).join(' and ')}`);
  }
  if (s.spreadMinutes !== undefined) {
    parts.push(`spread over ${s.spreadMinutes} min`);
  }
  return parts.join('; ');
}

// ---- the list ----

export interface RuleListItem {
  rule: ReminderRuleView;
  /** Cases matching now. */
  matching: number;
}

function ActiveBadge(props: { active: boolean }): JSX.Element {
  return props.active ? <Badge tone="ok" label="active" /> : <Badge tone="none" label="paused" />;
}

export function RuleListPage(props: { ctx: PageContext; project: Project; items: readonly RuleListItem[]; notice: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/reminder-rules`;
  const admin = props.ctx.role !== 'member';
  return (
    <Layout title="Reminder rules" ctx={props.ctx}>
      <div class="row between">
        <h1>Reminder rules</h1>
        {admin ? (
          <a class="button" href={`${base}/new`}>
            New rule
          </a>
        ) : (
          ''
        )}
      </div>
      <Notice text={props.notice} />
      <p class="muted">Messages that follow each contact’s own dates: for example 7 and 1 days before the next visit, at 09:00 in the contact’s time.</p>
      {props.items.length === 0 ? (
        <div class="empty">{admin ? <>No reminder rule yet — <a href={`${base}/new`}>create one</a>.</> : 'No reminder rule yet — a project admin can create one.'}</div>
      ) : (
        <table id="rules">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Case type</th>
              <th>Schedule</th>
              <th>Status</th>
              <th>Matching cases</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map(({ rule, matching }) => (
              <tr>
                <td>
                  <a href={`${base}/${rule.id}`} safe>
                    {rule.name}
                  </a>
                </td>
                <td safe>{rule.caseType}</td>
                <td safe>{scheduleSummary(rule.schedule)}</td>
                <td>
                  <ActiveBadge active={rule.active} />
                </td>
                <td safe>{matching.toLocaleString('en')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

// ---- the form ----

function FieldError(props: { id: string; error: string | undefined }): JSX.Element {
  return props.error ? (
    <p class="help field-error" id={`${props.id}-error`} safe>
      {props.error}
    </p>
  ) : (
    ''
  );
}

/** One cell of a row: a label only screen readers read (the table header names the column for the eye). */
function CellInput(props: { name: string; label: string; value: string; error: string | undefined; placeholder?: string }): JSX.Element {
  const id = `f-${props.name}`;
  return (
    <td>
      <label class="sr-only" for={id} safe>
        {props.label}
      </label>
      <input id={id} name={props.name} type="text" value={props.value} placeholder={props.placeholder} aria-invalid={props.error ? 'true' : undefined} aria-describedby={props.error ? `${id}-error` : undefined} />
      <FieldError id={id} error={props.error} />
    </td>
  );
}

function ConditionRows(props: { prefix: string; title: string; rows: ConditionRow[]; least: number; errors: FieldErrors }): JSX.Element {
  const n = rowCount(props.rows, props.least);
  const rows = Array.from({ length: n }, (_, i) => props.rows[i] ?? { property: '', op: 'eq', value: '' });
  return (
    <table class="form-rows">
      <thead>
        <tr>
          <th>Property</th>
          <th>Test</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => {
          const name = (f: string) => `${props.prefix}-${i}-${f}`;
          const opId = `f-${name('op')}`;
          const opError = props.errors[name('op')];
          return (
            <tr>
              <CellInput name={name('property')} label={`${props.title} ${i + 1}: property`} value={r.property} error={props.errors[name('property')]} placeholder={i === 0 ? 'e.g. next_visit_date' : undefined} />
              <td>
                <label class="sr-only" for={opId} safe>
                  {`${props.title} ${i + 1}: test`}
                </label>
                <select id={opId} name={name('op')} aria-invalid={opError ? 'true' : undefined} aria-describedby={opError ? `${opId}-error` : undefined}>
                  {CONDITION_OPS.map((op) => (
                    <option value={op} selected={op === r.op} safe>
                      {OP_LABELS[op]}
                    </option>
                  ))}
                </select>
                <FieldError id={opId} error={opError} />
              </td>
              <CellInput name={name('value')} label={`${props.title} ${i + 1}: value`} value={r.value} error={props.errors[name('value')]} />
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function OffsetRows(props: { rows: OffsetRow[]; errors: FieldErrors }): JSX.Element {
  const n = rowCount(props.rows, ROWS.offsets);
  const rows = Array.from({ length: n }, (_, i) => props.rows[i] ?? { days: '', time: '' });
  return (
    <table class="form-rows">
      <thead>
        <tr>
          <th>Days from the date (−7 = a week before)</th>
          <th>Time (HH:MM, the contact’s time)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr>
            <CellInput name={`off-${i}-days`} label={`Send ${i + 1}: days from the date`} value={r.days} error={props.errors[`off-${i}-days`]} placeholder={i === 0 ? '-7' : undefined} />
            <CellInput name={`off-${i}-time`} label={`Send ${i + 1}: time`} value={r.time} error={props.errors[`off-${i}-time`]} placeholder={i === 0 ? '09:00' : undefined} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function choices(labels: Record<string, string>): Choice[] {
  return Object.entries(labels).map(([value, label]) => ({ value, label }));
}

export function RuleFormPage(props: {
  ctx: PageContext;
  project: Project;
  ruleId: string | null;
  state: RuleFormState;
  errors: FieldErrors | null;
  caseTypes: readonly string[];
  surveys: readonly SurveyView[];
}): JSX.Element {
  const { project, state, ctx } = props;
  const errors = props.errors ?? {};
  const base = `/ui/p/${project.name}/reminder-rules`;
  const title = props.ruleId ? `Edit ${state.name || 'rule'}` : 'New reminder rule';
  const surveyChoices = props.surveys.map((s) => ({ value: s.id, label: s.name }));
  return (
    <Layout title={title} ctx={ctx}>
      <p>
        <a href={props.ruleId ? `${base}/${props.ruleId}` : base}>{props.ruleId ? '← The rule' : '← Reminder rules'}</a>
      </p>
      <h1 safe>{title}</h1>
      <ErrorSummary errors={props.errors} labels={ruleFormLabels(project, state)} />
      <form class="stack rule-form" method="post" action={props.ruleId ? `${base}/${props.ruleId}` : base}>
        <Csrf ctx={ctx} />
        <fieldset class="card">
          <legend>Rule</legend>
          <Field label="Rule name" name="name" value={state.name} required error={errors.name} help="Such as “ANC visit reminder”." />
          <Field label="Case type" name="caseType" value={state.caseType} required list="case-types" error={errors.caseType} help="The rule looks at open cases of this type." />
          <datalist id="case-types">
            {props.caseTypes.map((t) => (
              <option value={t} />
            ))}
          </datalist>
          <Select label="Send to" name="recipients" value={state.recipients} choices={choices(RECIPIENT_LABELS)} error={errors.recipients} />
          <div class="choice">
            <input type="checkbox" id="f-active" name="active" value="1" checked={state.active} />
            <label class="inline" for="f-active">
              Active (a paused rule sends nothing)
            </label>
          </div>
        </fieldset>

        <fieldset class="card" id="f-conditions" tabindex="-1">
          <legend>Which cases</legend>
          <p class="help">Every condition must hold. Leave a row blank to ignore it; no condition means every open case of the type. Dates are written YYYY-MM-DD.</p>
          <FieldError id="f-conditions" error={errors.conditions} />
          <ConditionRows prefix="cond" title="Condition" rows={state.conditions} least={ROWS.conditions} errors={errors} />
        </fieldset>

        <fieldset class="card">
          <legend>What to send</legend>
          <div class="choice">
            <input type="radio" id="f-contentKind" name="contentKind" value="text" checked={state.contentKind === 'text'} />
            <label class="inline" for="f-contentKind">
              A message
            </label>
          </div>
          <div class="indent">
            <Select label="Channel" name="channel" value={state.channel} choices={[{ value: 'sms', label: 'SMS' }, { value: 'email', label: 'Email' }]} error={errors.channel} />
            <p class="help" id="placeholders-help">
              Write <code>{'{name}'}</code> for the contact’s name and <code>{'{property}'}</code> for any case property, such as <code>{'{next_visit_date}'}</code> (dates are written in the
              contact’s language). Each contact gets the text in their language, else the default language’s.
            </p>
            {formLanguages(project, state.texts).map((l) => {
              const name = textField(l);
              const id = `f-${name}`;
              const err = errors[name];
              return (
                <div>
                  <label for={id} safe>
                    {languageLabel(project, l)}
                  </label>
                  <textarea id={id} name={name} rows="3" aria-describedby={err ? `placeholders-help ${id}-error` : 'placeholders-help'} aria-invalid={err ? 'true' : undefined} safe>
                    {state.texts[l] ?? ''}
                  </textarea>
                  <FieldError id={id} error={err} />
                </div>
              );
            })}
            <Field label="Email subject" name="subject" value={state.subject} error={errors.subject} help="For email only." />
          </div>
          <div class="choice">
            <input type="radio" id="f-contentKind-survey" name="contentKind" value="survey" checked={state.contentKind === 'survey'} />
            <label class="inline" for="f-contentKind-survey">
              A survey
            </label>
          </div>
          <div class="indent">
            {surveyChoices.length ? (
              <Select label="Survey" name="surveyId" value={state.surveyId} choices={surveyChoices} blank="— choose a survey —" error={errors.surveyId} />
            ) : (
              <>
                <p class="muted">No survey in this project yet.</p>
                <FieldError id="f-surveyId" error={errors.surveyId} />
              </>
            )}
          </div>
        </fieldset>

        <fieldset class="card">
          <legend>When</legend>
          <Select label="Schedule" name="scheduleType" value={state.scheduleType} choices={choices(SCHEDULE_LABELS)} error={errors.scheduleType} />
          <Field
            label="Date property"
            name="startProperty"
            value={state.startProperty}
            error={errors.startProperty}
            help="The case property holding the date the sends count from, such as next_visit_date. For “once”: leave blank to send as soon as a case matches."
          />
          <div id="f-offsets" tabindex="-1">
            <p class="help">Days before or after the date, and at what time (for “once” with a date property: one row).</p>
            <FieldError id="f-offsets" error={errors.offsets} />
            <OffsetRows rows={state.offsets} errors={errors} />
          </div>
          <Field label="Times of day" name="times" value={state.times} error={errors.times} placeholder="08:00, 18:00" help="For every day or every week: HH:MM, separated by commas, in the contact’s time." />
          <fieldset class="bare" aria-describedby={errors.weekdays ? 'f-weekdays-error' : undefined}>
            <legend>Weekdays (every week)</legend>
            <div class="row">
              {WEEKDAYS.map((d, i) => (
                <span>
                  <input type="checkbox" id={i === 0 ? 'f-weekdays' : `f-weekdays-${d}`} name="weekdays" value={d} checked={state.weekdays.includes(d)} aria-invalid={errors.weekdays ? 'true' : undefined} />
                  <label class="inline" for={i === 0 ? 'f-weekdays' : `f-weekdays-${d}`} safe>
                    {WEEKDAY_LABELS[d] ?? d}
                  </label>
                </span>
              ))}
            </div>
            <FieldError id="f-weekdays" error={errors.weekdays} />
          </fieldset>
          <Field label="Repeat at most" name="repeat" value={state.repeat} error={errors.repeat} help="How many sends at most per case (blank: no limit)." />
          <div id="f-stopWhen" tabindex="-1">
            <h3>Stop when</h3>
            <p class="help">Once all these hold, the case gets no more sends from this rule (such as visit_done equals yes).</p>
            <FieldError id="f-stopWhen" error={errors.stopWhen} />
            <ConditionRows prefix="stop" title="Stop condition" rows={state.stopWhen} least={ROWS.stopWhen} errors={errors} />
          </div>
          <Field label="Spread over minutes" name="spreadMinutes" value={state.spreadMinutes} error={errors.spreadMinutes} help="Optional: move each send by up to this many minutes, so thousands do not go in the same minute." />
          <div class="row">
            <Field label="Not before" name="windowFrom" value={state.windowFrom} error={errors.windowFrom} placeholder="08:00" />
            <Field label="Not after" name="windowTo" value={state.windowTo} error={errors.windowTo} placeholder="20:00" />
          </div>
          <p class="help">Send window (optional, the contact’s time): a send outside it moves to the next opening; none is dropped.</p>
        </fieldset>
        <ErrorBox text={errors._form} />
        <p>
          <button type="submit">{props.ruleId ? 'Save rule' : 'Create rule'}</button>
        </p>
      </form>
    </Layout>
  );
}

// ---- the rule's page ----

function contentText(project: Project, r: ReminderRuleView, surveys: readonly SurveyView[]): JSX.Element {
  if (r.content.surveyId !== undefined) {
    const s = surveys.find((x) => x.id === r.content.surveyId);
    return <span safe>{`Survey: ${s?.name ?? '(deleted survey)'}`}</span>;
  }
  const texts = ruleFormOf(project, r).texts;
  return (
    <dl class="facts">
      {r.content.channel === 'email' ? (
        <>
          <dt>Channel</dt>
          <dd>
            Email{r.content.subject ? <span safe>{` — subject “${r.content.subject}”`}</span> : ''}
          </dd>
        </>
      ) : (
        ''
      )}
      {formLanguages(project, texts)
        .filter((l) => texts[l] !== undefined)
        .map((l) => (
          <>
            <dt safe>{languageLabel(project, l)}</dt>
            <dd>
              <div class="sms" safe>
                {texts[l] ?? ''}
              </div>
            </dd>
          </>
        ))}
    </dl>
  );
}

export function RulePage(props: {
  ctx: PageContext;
  project: Project;
  rule: ReminderRuleView;
  report: RuleReport;
  surveys: readonly SurveyView[];
  preview: { caseId: string; result: CasePreview | null; error: string | null };
  notice: string | null;
}): JSX.Element {
  const { project, rule: r, ctx } = props;
  const base = `/ui/p/${project.name}/reminder-rules`;
  const admin = ctx.role !== 'member';
  return (
    <Layout title={r.name} ctx={ctx}>
      <p>
        <a href={base}>← Reminder rules</a>
      </p>
      <h1>
        <span safe>{r.name}</span> <ActiveBadge active={r.active} />
      </h1>
      <Notice text={props.notice} />
      <section class="card" aria-labelledby="what">
        <h2 id="what">What it does</h2>
        <dl class="facts">
          <dt>Cases</dt>
          <dd>
            <span safe>{`Open cases of type ${r.caseType}`}</span>
            {r.conditions.length ? <span safe>{` where ${r.conditions.map(conditionText).join(' and ')}`}</span> : ''}
          </dd>
          <dt>Send to</dt>
          <dd safe>{RECIPIENT_LABELS[r.recipients] ?? r.recipients}</dd>
          <dt>When</dt>
          <dd>
            <span safe>{scheduleSummary(r.schedule)}</span>
            {r.window ? <div class="muted" safe>{`Not before ${r.window.from} or after ${r.window.to} (the contact’s time)`}</div> : ''}
          </dd>
          <dt>Content</dt>
          <dd>{contentText(project, r, props.surveys)}</dd>
        </dl>
        {admin ? (
          <div class="row mt-08">
            <a class="button" href={`${base}/${r.id}/edit`}>
              Edit
            </a>
            <form method="post" action={`${base}/${r.id}/${r.active ? 'pause' : 'resume'}`}>
              <Csrf ctx={ctx} />
              <button type="submit" class="secondary">
                {r.active ? 'Pause' : 'Resume'}
              </button>
            </form>
            <form method="post" action={`${base}/${r.id}/delete`} data-confirm="Delete this rule? Its scheduled sends are cancelled; messages already sent stay in the log.">
              <Csrf ctx={ctx} />
              <button type="submit" class="danger">
                Delete rule
              </button>
            </form>
          </div>
        ) : (
          ''
        )}
      </section>
      <ReportBox project={project} ruleId={r.id} report={props.report} />
      <section class="card" aria-labelledby="preview-title">
        <h2 id="preview-title">Preview for one case</h2>
        <form method="get" action={`${base}/${r.id}#preview-title`} class="row">
          <Field label="Case id or name" name="caseId" value={props.preview.caseId} help="A case id (from its page or an export), or the start of its name." />
          <button type="submit">Preview</button>
        </form>
        <ErrorBox text={props.preview.error} />
        {props.preview.result ? <PreviewResult project={project} p={props.preview.result} /> : ''}
      </section>
    </Layout>
  );
}
