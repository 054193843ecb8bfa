/**
 * @module http/admin/users.routes — /ui/p/:project/users: the project's web users (members see the
 * list; admins add users, change roles, deactivate and reactivate), registered through
 * project-pages.ts; and a superuser's server-wide deactivation of an account (registerAccountPages).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { isEmailAddress } from '../../domain/email.ts';
import { PROJECT_NAME } from '../../domain/project.ts';
import { AppError } from '../../errors.ts';
import { MIN_PASSWORD } from '../../services/auth.service.ts';
import { generatePassword } from '../../lib/passwords.ts';
import { addProjectUser, listProjectUsers } from '../../services/projects.service.ts';
import { setAccountActive, updateProjectUser, type ProjectUserPatch } from '../../services/web-users.service.ts';
import { httpStatus } from '../error-handler.ts';
import type { AdminDeps } from './admin-deps.ts';
import { type FieldErrors, formFields, parseForm } from './components/form.tsx';
import { scopeOf } from './project-scope.ts';
import { formError, formValue, requireUiPost, sendHtml } from './ui.tsx';
import { USER_FORM_LABELS, UsersPage, type UsersPageProps } from './users.views.tsx';

const admin = { config: { role: 'admin' as const } };

export const addUserForm = z.object({
  email: z
    .string({ error: 'Type their email address.' })
    .trim()
    .min(1, 'Type their email address.')
    .max(254, 'At most 254 characters.')
    .refine(isEmailAddress, 'This is not an email address: it looks like name@example.org.'),
  role: z.enum(['admin', 'member'], { error: 'Choose member or admin.' }),
  password: z
    .string()
    .default('')
    .refine((p) => p === '' || p.length >= MIN_PASSWORD, `At least ${MIN_PASSWORD} characters, or leave it blank for a one-time password.`)
    .refine((p) => p.length <= 1024, 'At most 1024 characters.'),
});

const NOTICES: Readonly<Record<string, string>> = {
  added: 'User added: they can sign in with the password you set.',
  role: 'Role changed.',
  deactivated: 'User deactivated: they no longer have access to this project.',
  reactivated: 'User reactivated: they have access to this project again, with the role shown.',
  'account-off': 'Account deactivated: they cannot sign in, and their sessions and API tokens were revoked.',
  'account-on': 'Account reactivated: they can sign in again (their old sessions and tokens stay revoked).',
};

type Params = { Params: { project: string; id: string } };

export function registerUsersPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  async function render(request: FastifyRequest, reply: FastifyReply, extra: Partial<UsersPageProps>, status = 200): Promise<FastifyReply> {
    const { project, page } = scopeOf(request);
    const members = await listProjectUsers(s, project);
    return sendHtml(reply, <UsersPage ctx={page('users')} project={project} members={members} {...extra} />, status);
  }

  /** A refused change: the page again with the reason and its code (FORBIDDEN and server faults go to the error page). */
  function refused(request: FastifyRequest, reply: FastifyReply, err: unknown): Promise<FastifyReply> {
    const message = formError(err);
    const code = err instanceof AppError ? err.code : 'VALIDATION_ERROR';
    return render(request, reply, { refusal: { message, code } }, httpStatus(code));
  }

  app.get<{ Params: { project: string }; Querystring: { notice?: string } }>('/ui/p/:project/users', async (request, reply) => {
    const key = request.query.notice ?? '';
    return render(request, reply, { notice: Object.hasOwn(NOTICES, key) ? (NOTICES[key] ?? null) : null });
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/users', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    const typed = formFields(request.body);
    const form = { email: typed.email ?? '', role: typed.role ?? 'member' };
    const parsed = parseForm(addUserForm, request.body);
    if (!parsed.ok) {
      return render(request, reply, { errors: parsed.errors, form }, 422);
    }
    const generated = parsed.value.password === '' ? generatePassword() : null;
    try {
      const added = await addProjectUser(s, project, { email: parsed.value.email, password: generated ?? parsed.value.password, role: parsed.value.role });
      if (generated) {
        // Shown on this answer only: never in a URL, never stored in clear.
        return await render(request, reply, { created: { email: added.email, password: generated } });
      }
      return reply.redirect(`/ui/p/${project.name}/users?notice=added`);
    } catch (err) {
      const message = formError(err);
      const field = err instanceof AppError ? (err.details as { field?: unknown } | undefined)?.field : undefined;
      const errors: FieldErrors = { [typeof field === 'string' && field in USER_FORM_LABELS ? field : '_form']: message };
      return render(request, reply, { errors, form }, err instanceof AppError ? httpStatus(err.code) : 422);
    }
  });

  const change = (path: string, patchOf: (body: unknown) => ProjectUserPatch, notice: string) =>
    app.post<Params>(`/ui/p/:project/users/:id/${path}`, admin, async (request, reply) => {
      const { actor, project } = scopeOf(request);
      try {
        await updateProjectUser(s, actor, project, request.params.id, patchOf(request.body));
      } catch (err) {
        return refused(request, reply, err);
      }
      return reply.redirect(`/ui/p/${project.name}/users?notice=${notice}`);
    });

  change(
    'role',
    (body) => {
      const role = formValue(body, 'role');
      if (role !== 'admin' && role !== 'member') {
        throw new AppError('VALIDATION_ERROR', 'Choose member or admin.', { details: { field: 'role' } });
      }
      return { role };
    },
    'role',
  );
  change('deactivate', () => ({ active: false }), 'deactivated');
  change('reactivate', () => ({ active: true }), 'reactivated');
}

/**
 * POST /ui/users/:id/account: a superuser deactivates (or reactivates) an account server-wide, from
 * a project's users page. Not inside the project scope: it is a server-wide act, refused to anyone
 * but a superuser whatever their projects. Registered in admin.routes.tsx.
 */
export function registerAccountPages(app: FastifyInstance, deps: AdminDeps): void {
  app.post<{ Params: { id: string } }>('/ui/users/:id/account', async (request, reply) => {
    const actor = await requireUiPost(deps.services, request, reply);
    if (!actor) {
      return reply;
    }
    const active = formValue(request.body, 'active') === 'true';
    // Refusals (not a superuser, yourself, no such user) are the error page with the reason and code.
    await setAccountActive(deps.services, actor, request.params.id, active);
    const project = formValue(request.body, 'project');
    const back = PROJECT_NAME.test(project) ? `/ui/p/${project}/users?notice=${active ? 'account-on' : 'account-off'}` : '/ui/projects';
    return reply.redirect(back);
  });
}
