/**
 * @module http/admin/projects.pages — the project list, and creating a project (superusers; the
 * form parsed with zod, every problem shown at once beside its field). A project's settings are in
 * settings.routes.tsx.
 */
import type { FastifyInstance } from 'fastify';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';

import { PROJECT_NAME } from '../../domain/project.ts';
import { canonicalTimeZone } from '../../domain/time-zone.ts';
import { AppError } from '../../errors.ts';
import { assertMayCreateProjects, createProject, listVisibleProjects, type ProjectView } from '../../services/projects.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { countryChoices, ErrorSummary, Field, type FieldErrors, formFields, parseForm, Select, timeZoneChoices } from './components/form.tsx';
import { Csrf, Layout, type PageContext } from './layout.tsx';
import { formError, requireUi, requireUiPost, sendHtml } from './ui.tsx';

const LABELS: Readonly<Record<string, string>> = { name: 'Name', timeZone: 'Time zone', defaultCountry: 'Default country' };

const newProjectForm = z.object({
  name: z
    .string()
    .default('')
    .transform((v) => v.trim())
    .refine((v) => PROJECT_NAME.test(v), '2–63 characters of a-z, 0-9 and -, starting with a letter.'),
  timeZone: z
    .string()
    .default('UTC')
    .transform((v) => canonicalTimeZone(v) ?? '')
    .refine((v) => v !== '', 'Choose a time zone from the list.'),
  defaultCountry: z
    .string()
    .default('')
    .transform((v) => v.trim().toUpperCase())
    .refine((v) => v === '' || isSupportedCountry(v), 'Choose a country from the list, or none.'),
});

function ProjectsPage(props: { ctx: PageContext; projects: ProjectView[]; errors: FieldErrors | null; form: Record<string, string> }): JSX.Element {
  const e = props.errors ?? {};
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
                  <a href={`/ui/p/${p.name}/dashboard`} safe>
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
          <form class="stack" method="post" action="/ui/projects" novalidate>
            <Csrf ctx={props.ctx} />
            <ErrorSummary errors={props.errors} labels={LABELS} />
            <Field label="Name" name="name" value={props.form.name} required error={e.name} help="2–63 characters of a-z, 0-9 and -, starting with a letter. People text it in “join <name>”." />
            <Select label="Time zone" name="timeZone" value={props.form.timeZone ?? 'UTC'} choices={timeZoneChoices(props.form.timeZone)} error={e.timeZone} help="Used for contacts without their own time zone." />
            <Select
              label="Default country"
              name="defaultCountry"
              value={props.form.defaultCountry}
              choices={countryChoices()}
              blank="None: numbers must start with their country code"
              error={e.defaultCountry}
              help="Numbers typed without a country code are read as this country's."
            />
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

export function registerProjectPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  app.get('/ui/projects', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    return sendHtml(reply, <ProjectsPage ctx={{ actor, section: 'projects' }} projects={await listVisibleProjects(s, actor)} errors={null} form={{}} />);
  });

  app.post('/ui/projects', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    assertMayCreateProjects(actor);
    const parsed = parseForm(newProjectForm, request.body);
    let errors: FieldErrors;
    if (parsed.ok) {
      try {
        const p = await createProject(s, actor, { name: parsed.value.name, timeZone: parsed.value.timeZone, defaultCountry: parsed.value.defaultCountry || null });
        return reply.redirect(`/ui/p/${p.name}/dashboard`);
      } catch (err) {
        const message = formError(err);
        errors = { [err instanceof AppError && err.code === 'CONFLICT' ? 'name' : '_form']: message };
      }
    } else {
      errors = parsed.errors;
    }
    return sendHtml(reply, <ProjectsPage ctx={{ actor, section: 'projects' }} projects={await listVisibleProjects(s, actor)} errors={errors} form={formFields(request.body)} />, 422);
  });
}
