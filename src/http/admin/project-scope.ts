/**
 * @module http/admin/project-scope — the one opening every page inside a project shares. Routes
 * registered through `projectPages` get, before their handler runs: the signed-in actor (or a
 * redirect to sign in), the form token checked on every POST, the project resolved with the role the
 * route needs (`config: { role: 'admin' }`; members by default), and the actor's role in it — all on
 * `request.ui`. Handlers then only read, call a service and render.
 *
 * A multipart route checks the form token itself, after reading the parts
 * (`config: { csrf: 'in-handler' }`), since its fields are not parsed before the handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { AppError } from '../../errors.ts';
import type { Actor } from '../../services/auth.service.ts';
import { projectRole, requireProject } from '../../services/projects.service.ts';
import type { ProjectRole } from '../../store/user.store.ts';
import type { AdminDeps } from './admin-deps.ts';
import type { PageContext } from './layout.tsx';
import { checkCsrf, uiActor } from './session.ts';

export interface ProjectScope {
  actor: Actor;
  project: Project;
  /** The actor's role in the project; a superuser counts as an admin. */
  role: ProjectRole;
  /** The page context for the layout, with the navigation entry that is current. */
  page(section: PageContext['section']): PageContext;
}

declare module 'fastify' {
  interface FastifyRequest {
    projectScope?: ProjectScope;
  }
  interface FastifyContextConfig {
    /** The least project role a route under projectPages needs (default member). */
    role?: ProjectRole;
    /** 'in-handler': a multipart route checks the form token itself once its fields are read. */
    csrf?: 'in-handler';
  }
}

/** The scope the preHandler resolved; throws if a route was registered outside projectPages. */
export function scopeOf(request: FastifyRequest): ProjectScope {
  const scope = request.projectScope;
  if (!scope) {
    throw new AppError('INTERNAL_ERROR', 'This page was registered outside the project scope.');
  }
  return scope;
}

function resolveScope(deps: AdminDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const actor = await uiActor(deps.services, request);
    if (!actor) {
      await reply.redirect(`/ui/sign-in?next=${encodeURIComponent(request.url)}`);
      return;
    }
    const config = request.routeOptions.config;
    if (request.method !== 'GET' && request.method !== 'HEAD' && config.csrf !== 'in-handler') {
      checkCsrf(actor, request.body);
    }
    const name = (request.params as { project?: string }).project ?? '';
    const project = await requireProject(deps.services, actor, name, config.role ?? 'member');
    const role = (await projectRole(deps.services, actor, project)) ?? 'member';
    request.projectScope = { actor, project, role, page: (section) => ({ actor, project, role, section }) };
  };
}

/**
 * Registers page modules whose routes live under /ui/p/:project/…; each gets the shared preHandler.
 * `register` receives a child instance: routes added to it are scoped, routes elsewhere are not.
 */
export async function projectPages(app: FastifyInstance, deps: AdminDeps, modules: ReadonlyArray<(scope: FastifyInstance, deps: AdminDeps) => void | Promise<void>>): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('preHandler', resolveScope(deps));
    for (const register of modules) {
      await register(scope, deps);
    }
  });
}
