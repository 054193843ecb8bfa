/**
 * @module http/admin/projects.pages — the project list (and creating one, for superusers) and a
 * project's settings: time zone, default country, SMS languages, phone validation.
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { AppError } from '../../errors.ts';
import type { Actor } from '../../services/auth.service.ts';
import { type ContactReevaluationView, getContactReevaluation } from '../../services/contact-reevaluation.service.ts';
import { listProjectMobileWorkers } from '../../services/mobile-workers.service.ts';
import { listProjectSurveys } from '../../services/surveys.service.ts';
import { createProject, listVisibleProjects, patchProject, requireProject, toProjectView, type ProjectView } from '../../services/projects.service.ts';
import { findMembershipRole } from '../../store/user.store.ts';
import type { AdminDeps } from './admin-deps.ts';
import { ContactReevaluationCard, registerContactReevaluationPages } from './contact-reevaluation.pages.tsx';
import { Csrf, ErrorBox, Field, Layout, Notice, type PageContext } from './layout.tsx';
import { formError, formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

function ProjectsPage(props: { ctx: PageContext; projects: ProjectView[]; error: string | null; form: Record<string, string> }): JSX.Element {
  return (
    <Layout title="Projects" ctx={props.ctx}>
      <h1>Projects</h1>
      {props.projects.length === 0 ? (
        <div class="empty">{props.ctx.actor.isSuperuser ? 'No project yet — create the first one below.' : 'You are not a member of any project yet — ask a project admin to add you.'}</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Time zone</th>
              <th>Default country</th>
              <th>Languages</th>
            </tr>
          </thead>
          <tbody>
            {props.projects.map((p) => (
              <tr>
                <td>
                  <a href={`/ui/p/${p.name}/cases`} safe>
                    {p.name}
                  </a>
                </td>
                <td safe>{p.timeZone}</td>
                <td safe>{p.defaultCountry ?? '—'}</td>
                <td safe>{p.languages.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.ctx.actor.isSuperuser ? (
        <div class="card mt-1">
          <h2>New project</h2>
          <ErrorBox text={props.error} />
          <form class="stack" method="post" action="/ui/projects">
            <Csrf ctx={props.ctx} />
            <Field label="Name" name="name" value={props.form.name} required help="2–63 characters of a-z, 0-9 and -, starting with a letter. People text it in “join <name>”." />
            <Field label="Time zone" name="timeZone" value={props.form.timeZone ?? 'UTC'} help="An IANA name such as Africa/Nairobi." />
            <Field label="Default country" name="defaultCountry" value={props.form.defaultCountry} help="Two letters, such as KE: numbers typed without a country code are read as this country's." />
            <p>
              <button type="submit">Create project</button>
            </p>
          </form>
        </div>
      ) : (
        ''
      )}
    </Layout>
  );
}

function SettingsPage(props: {
  ctx: PageContext;
  project: ProjectView;
  canEdit: boolean;
  error: string | null;
  notice: string | null;
  form: Record<string, string>;
  workers: Array<{ id: string; username: string }>;
  surveys?: Array<{ id: string; name: string }>;
  reevaluation?: ContactReevaluationView | null;
}): JSX.Element {
  const f = props.form;
  return (
    <Layout title="Project settings" ctx={props.ctx}>
      <h1>Project settings</h1>
      <Notice text={props.notice} />
      <ErrorBox text={props.error} />
      <form class="stack card" method="post" action={`/ui/p/${props.project.name}/settings`}>
        <Csrf ctx={props.ctx} />
        <fieldset disabled={!props.canEdit} class="bare">
          <Field label="Time zone" name="timeZone" value={f.timeZone} help="Used for contacts without their own time_zone. An IANA name such as Africa/Nairobi." />
          <Field label="Default country" name="defaultCountry" value={f.defaultCountry} help="Two letters (KE, IN, US). Numbers without a country code are read as this country's; leave blank to require the country code." />
          <Field label="SMS languages" name="languages" value={f.languages} help="Language codes separated by commas, such as en, fr, sw." />
          <Field label="Default language" name="defaultLanguage" value={f.defaultLanguage} help="One of the SMS languages; used when a contact has none." />
          <label for="f-phoneValidation">Phone validation</label>
          <p class="help">Strict checks the numbering plan of the country; possible checks only the length (for test numbers).</p>
          <select id="f-phoneValidation" name="phoneValidation">
            <option value="strict" selected={f.phoneValidation === 'strict'}>
              Strict (recommended)
            </option>
            <option value="possible" selected={f.phoneValidation === 'possible'}>
              Possible (length only)
            </option>
          </select>
          {props.canEdit ? (
            <p>
              <button type="submit">Save settings</button>
            </p>
          ) : (
            <p class="muted">Only project admins can change these settings.</p>
          )}
        </fieldset>
      </form>
      <ContactReevaluationCard ctx={props.ctx} project={props.project} r={props.reevaluation ?? null} canEdit={props.canEdit} />
      <MessagingSettings ctx={props.ctx} project={props.project} canEdit={props.canEdit} workers={props.workers} surveys={props.surveys ?? []} />
    </Layout>
  );
}

const WELCOME_TO = [
  ['none', 'nobody'],
  ['cases', 'cases only'],
  ['workers', 'mobile workers only'],
  ['all', 'cases and mobile workers'],
] as const;

function MessagingSettings(props: { ctx: PageContext; project: ProjectView; canEdit: boolean; workers: Array<{ id: string; username: string }>; surveys: Array<{ id: string; name: string }> }): JSX.Element {
  const reg = props.project.selfRegistration;
  return (
    <form class="stack card" method="post" action={`/ui/p/${props.project.name}/settings/messaging`}>
      <Csrf ctx={props.ctx} />
      <h2>Replies and self-registration</h2>
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
        <label for="f-caseOwnerId">Owner of self-registered cases</label>
        <select id="f-caseOwnerId" name="caseOwnerId">
          <option value="">nobody</option>
          {props.workers.map((w) => (
            <option value={w.id} selected={reg.caseOwnerId === w.id} safe>
              {w.username}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" name="workerEnabled" value="1" checked={reg.workerEnabled} /> Mobile worker self-registration: texting <code safe>{`join ${props.project.name} worker <username>`}</code> adds a mobile worker
        </label>
        <label for="f-welcomeMessageTo">Send a welcome message to</label>
        <select id="f-welcomeMessageTo" name="welcomeMessageTo">
          {WELCOME_TO.map(([v, label]) => (
            <option value={v} selected={reg.welcomeMessageTo === v}>
              {label}
            </option>
          ))}
        </select>
        <Field label="Welcome message" name="welcomeMessage" value={reg.welcomeMessage} help="Blank: a standard thank-you naming the project." />
        <label for="f-welcomeSurveyId">Welcome survey for self-registered cases</label>
        <p class="help" id="f-welcomeSurveyId-help">
          Sent after <code safe>{`join ${props.project.name}`}</code>, for example to ask the person’s name (a question saved to name sets the case name).
        </p>
        <select id="f-welcomeSurveyId" name="welcomeSurveyId" aria-describedby="f-welcomeSurveyId-help">
          <option value="">none</option>
          {props.surveys.map((sv) => (
            <option value={sv.id} selected={reg.welcomeSurveyId === sv.id} safe>
              {sv.name}
            </option>
          ))}
        </select>
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

function settingsForm(p: ProjectView): Record<string, string> {
  return { timeZone: p.timeZone, defaultCountry: p.defaultCountry ?? '', languages: p.languages.join(', '), defaultLanguage: p.defaultLanguage, phoneValidation: p.phoneValidation };
}

async function canAdmin(deps: AdminDeps, actor: Actor, projectId: string): Promise<boolean> {
  return actor.isSuperuser || (await findMembershipRole(deps.services.db, projectId, actor.userId)) === 'admin';
}

export function registerProjectPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const workerChoices = async (project: Project) => (await listProjectMobileWorkers(s, project, { limit: 500 })).items.map((w) => ({ id: w.id, username: w.username }));
  const surveyChoices = async (project: Project) => (await listProjectSurveys(s, project, { limit: 500 })).items.map((sv) => ({ id: sv.id, name: sv.name }));
  registerContactReevaluationPages(app, deps);
  app.get('/ui/projects', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    return sendHtml(reply, <ProjectsPage ctx={{ actor, section: 'projects' }} projects={await listVisibleProjects(s, actor)} error={null} form={{}} />);
  });

  app.post('/ui/projects', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const form = { name: formValue(request.body, 'name'), timeZone: formValue(request.body, 'timeZone'), defaultCountry: formValue(request.body, 'defaultCountry') };
    try {
      const p = await createProject(s, actor, { name: form.name.trim(), timeZone: form.timeZone.trim() || undefined, defaultCountry: form.defaultCountry.trim() || null });
      return reply.redirect(`/ui/p/${p.name}/cases`);
    } catch (err) {
      return sendHtml(reply, <ProjectsPage ctx={{ actor, section: 'projects' }} projects={await listVisibleProjects(s, actor)} error={formError(err)} form={form} />, 422);
    }
  });

  app.get<{ Params: { project: string }; Querystring: { notice?: string } }>('/ui/p/:project/settings', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const view = toProjectView(project);
    return sendHtml(
      reply,
      <SettingsPage
        ctx={{ actor, project, section: 'settings' }}
        project={view}
        canEdit={await canAdmin(deps, actor, project.id)}
        error={null}
        notice={request.query.notice === 'saved' ? 'Settings saved.' : null}
        form={settingsForm(view)}
        workers={await workerChoices(project)}
        surveys={await surveyChoices(project)}
        reevaluation={await getContactReevaluation(s, project)}
      />,
    );
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/settings', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    const form = {
      timeZone: formValue(request.body, 'timeZone'),
      defaultCountry: formValue(request.body, 'defaultCountry'),
      languages: formValue(request.body, 'languages'),
      defaultLanguage: formValue(request.body, 'defaultLanguage'),
      phoneValidation: formValue(request.body, 'phoneValidation'),
    };
    try {
      await patchProject(s, project, {
        timeZone: form.timeZone.trim(),
        defaultCountry: form.defaultCountry.trim() || null,
        languages: form.languages.split(',').map((l) => l.trim()).filter(Boolean),
        defaultLanguage: form.defaultLanguage.trim(),
        phoneValidation: form.phoneValidation === 'possible' ? 'possible' : 'strict',
      });
      return reply.redirect(`/ui/p/${project.name}/settings?notice=saved`);
    } catch (err) {
      return sendHtml(reply, <SettingsPage ctx={{ actor, project, section: 'settings' }} project={toProjectView(project)} canEdit error={formError(err)} notice={null} form={form} workers={await workerChoices(project)} surveys={await surveyChoices(project)} reevaluation={await getContactReevaluation(s, project)} />, 422);
    }
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/settings/messaging', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    const v = (name: string) => formValue(request.body, name).trim();
    const to = v('welcomeMessageTo');
    try {
      // Only this project's workers may own its self-registered cases (the service does not check yet).
      const owner = v('caseOwnerId');
      if (owner && !(await workerChoices(project)).some((w) => w.id === owner)) {
        throw new AppError('VALIDATION_ERROR', 'The owner must be one of this project’s mobile workers.', { details: { field: 'caseOwnerId' } });
      }
      await patchProject(s, project, {
        helpText: v('helpText') || null,
        defaultSmsResponse: v('defaultSmsResponse') || null,
        optOutKeywords: v('optOutKeywords').split(','),
        optInKeywords: v('optInKeywords').split(','),
        selfRegistration: {
          caseEnabled: v('caseEnabled') === '1',
          caseType: v('caseType') || null,
          caseOwnerId: v('caseOwnerId') || null,
          workerEnabled: v('workerEnabled') === '1',
          welcomeMessageTo: to === 'cases' || to === 'workers' || to === 'all' ? to : 'none',
          welcomeMessage: v('welcomeMessage') || null,
          welcomeSurveyId: v('welcomeSurveyId') || null,
        },
      });
      return reply.redirect(`/ui/p/${project.name}/settings?notice=saved`);
    } catch (err) {
      const view = toProjectView(project);
      return sendHtml(reply, <SettingsPage ctx={{ actor, project, section: 'settings' }} project={view} canEdit error={formError(err)} notice={null} form={settingsForm(view)} workers={await workerChoices(project)} surveys={await surveyChoices(project)} reevaluation={await getContactReevaluation(s, project)} />, 422);
    }
  });
}
