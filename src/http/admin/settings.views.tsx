/**
 * @module http/admin/settings.views — a project's settings page: contact defaults (time zone,
 * country, languages, phone validation) as pickers of valid values, the contact re-evaluation card,
 * and replies and self-registration.
 */
import type { ContactReevaluationView } from '../../services/contact-reevaluation.service.ts';
import type { ProjectView } from '../../services/projects.service.ts';
import { type FieldErrors, countryChoices, ErrorSummary, Field, languageChoices, Select, timeZoneChoices } from './components/form.tsx';
import { ContactReevaluationCard } from './contact-reevaluation.views.tsx';
import { Csrf, ErrorBox, Layout, Notice, type PageContext } from './layout.tsx';

export const SETTINGS_LABELS: Readonly<Record<string, string>> = {
  timeZone: 'Time zone',
  defaultCountry: 'Default country',
  languages: 'SMS languages',
  defaultLanguage: 'Default language',
  phoneValidation: 'Phone validation',
};

export interface SettingsPageProps {
  ctx: PageContext;
  project: ProjectView;
  canEdit: boolean;
  errors: FieldErrors | null;
  /** A problem of the replies form (it has one save button of its own). */
  messagingError?: string | null;
  notice: string | null;
  form: Record<string, string>;
  workers: Array<{ id: string; username: string }>;
  surveys: Array<{ id: string; name: string }>;
  reevaluation: ContactReevaluationView | null;
}

export function SettingsPage(props: SettingsPageProps): JSX.Element {
  const f = props.form;
  const e = props.errors ?? {};
  const typedLanguages = (f.languages ?? '').split(',').map((l) => l.trim()).filter(Boolean);
  const languages = typedLanguages.length ? typedLanguages : props.project.languages;
  return (
    <Layout title="Project settings" ctx={props.ctx}>
      <h1>Project settings</h1>
      <Notice text={props.notice} />
      <form class="stack card" method="post" action={`/ui/p/${props.project.name}/settings`} novalidate>
        <Csrf ctx={props.ctx} />
        <ErrorSummary errors={props.errors} labels={SETTINGS_LABELS} />
        <fieldset disabled={!props.canEdit} class="bare">
          <Select label={SETTINGS_LABELS.timeZone ?? ''} name="timeZone" value={f.timeZone} choices={timeZoneChoices(f.timeZone)} error={e.timeZone} help="Used for contacts without their own time_zone." />
          <Select
            label={SETTINGS_LABELS.defaultCountry ?? ''}
            name="defaultCountry"
            value={f.defaultCountry}
            choices={countryChoices()}
            blank="None: numbers must start with their country code"
            error={e.defaultCountry}
            help="Numbers typed without a country code are read as this country's."
          />
          <Field label={SETTINGS_LABELS.languages ?? ''} name="languages" value={f.languages} error={e.languages} help="Language codes separated by commas, such as en, fr, sw." />
          <Select label={SETTINGS_LABELS.defaultLanguage ?? ''} name="defaultLanguage" value={f.defaultLanguage} choices={languageChoices(languages)} error={e.defaultLanguage} help="One of the SMS languages; used when a contact has none." />
          <Select
            label={SETTINGS_LABELS.phoneValidation ?? ''}
            name="phoneValidation"
            value={f.phoneValidation}
            choices={[
              { value: 'strict', label: 'Strict (recommended)' },
              { value: 'possible', label: 'Possible (length only)' },
            ]}
            error={e.phoneValidation}
            help="Strict checks the numbering plan of the country; possible checks only the length (for test numbers)."
          />
          {props.canEdit ? (
            <p>
              <button type="submit">Save settings</button>
            </p>
          ) : (
            <p class="muted">Only project admins can change these settings.</p>
          )}
        </fieldset>
      </form>
      <ContactReevaluationCard ctx={props.ctx} project={props.project} r={props.reevaluation} canEdit={props.canEdit} />
      <MessagingSettings ctx={props.ctx} project={props.project} canEdit={props.canEdit} workers={props.workers} surveys={props.surveys} error={props.messagingError ?? null} />
    </Layout>
  );
}

const WELCOME_TO = [
  { value: 'none', label: 'nobody' },
  { value: 'cases', label: 'cases only' },
  { value: 'workers', label: 'mobile workers only' },
  { value: 'all', label: 'cases and mobile workers' },
];

function MessagingSettings(props: { ctx: PageContext; project: ProjectView; canEdit: boolean; workers: Array<{ id: string; username: string }>; surveys: Array<{ id: string; name: string }>; error: string | null }): JSX.Element {
  const reg = props.project.selfRegistration;
  return (
    <form class="stack card" method="post" action={`/ui/p/${props.project.name}/settings/messaging`} id="messaging">
      <Csrf ctx={props.ctx} />
      <h2>Replies and self-registration</h2>
      <ErrorBox text={props.error} />
      <fieldset disabled={!props.canEdit} class="bare">
        <Field label="Help text" name="helpText" value={props.project.helpText} help="Sent when someone texts HELP or INFO." />
        <Field label="Default SMS response" name="defaultSmsResponse" value={props.project.defaultSmsResponse} help="Sent to a registered (two-way) contact whose message nothing else handled. Blank: no reply." />
        <Field
          label="Extra opt-out words"
          name="optOutKeywords"
          value={props.project.optOutKeywords.join(', ')}
          help="Words people in this program use to stop messages, comma-separated (for example KWISHA). STOP and the words of the project's languages always work."
        />
        <Field label="Extra opt-in words" name="optInKeywords" value={props.project.optInKeywords.join(', ')} help="Words that start messages again, comma-separated. START always works." />
        <label>
          <input type="checkbox" name="caseEnabled" value="1" checked={reg.caseEnabled} /> Case self-registration: texting <code safe>{`join ${props.project.name}`}</code> creates a case
        </label>
        <Field label="Case type for self-registered cases" name="caseType" value={reg.caseType} />
        <Select label="Owner of self-registered cases" name="caseOwnerId" value={reg.caseOwnerId} blank="nobody" choices={props.workers.map((w) => ({ value: w.id, label: w.username }))} />
        <label>
          <input type="checkbox" name="workerEnabled" value="1" checked={reg.workerEnabled} /> Mobile worker self-registration: texting <code safe>{`join ${props.project.name} worker <username>`}</code> adds a mobile worker
        </label>
        <Select label="Send a welcome message to" name="welcomeMessageTo" value={reg.welcomeMessageTo} choices={WELCOME_TO} />
        <Field label="Welcome message" name="welcomeMessage" value={reg.welcomeMessage} help="Blank: a standard thank-you naming the project." />
        <Select
          label="Welcome survey for self-registered cases"
          name="welcomeSurveyId"
          value={reg.welcomeSurveyId}
          blank="none"
          choices={props.surveys.map((sv) => ({ value: sv.id, label: sv.name }))}
          help={`Sent after “join ${props.project.name}”, for example to ask the person’s name (a question saved to name sets the case name).`}
        />
        {props.canEdit ? (
          <p>
            <button type="submit">Save</button>
          </p>
        ) : (
          ''
        )}
      </fieldset>
    </form>
  );
}
