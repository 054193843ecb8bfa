/**
 * @module http/admin/possible-opt-outs.routes — /ui/p/:project/possible-opt-outs: members see the
 * replies held as possible opt-outs; project admins confirm (the number opts out, method `review`)
 * or dismiss (the project's broadcasts and scheduled messages reach the number again). Registered
 * through project-pages.ts; the page is in possible-opt-outs.views.tsx.
 */
import type { FastifyInstance } from 'fastify';

import { AppError } from '../../errors.ts';
import { decidePossibleOptOut, listProjectPossibleOptOuts, requirePossibleOptOut } from '../../services/possible-opt-outs.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { PossibleOptOutsPage } from './possible-opt-outs.views.tsx';
import { scopeOf } from './project-scope.ts';
import { sendHtml } from './ui.tsx';

const admin = { config: { role: 'admin' as const } };

const NOTICES: Record<string, string> = { confirm: 'Confirmed: the number is opted out.', dismiss: 'Dismissed: the number gets messages again.' };

export function registerPossibleOptOutPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  app.get<{ Querystring: { notice?: string } }>('/ui/p/:project/possible-opt-outs', async (request, reply) => {
    const { project, role, page } = scopeOf(request);
    const list = await listProjectPossibleOptOuts(s, project, { limit: 200 });
    // Only known notices are shown: never text from the URL.
    const notice = Object.hasOwn(NOTICES, request.query.notice ?? '') ? (NOTICES[request.query.notice ?? ''] ?? null) : null;
    return sendHtml(reply, <PossibleOptOutsPage ctx={page('possible-opt-outs')} project={project} items={list.items} notice={notice} isAdmin={role === 'admin'} />);
  });

  for (const decision of ['confirm', 'dismiss'] as const) {
    app.post<{ Params: { project: string; id: string } }>(`/ui/p/:project/possible-opt-outs/:id/${decision}`, admin, async (request, reply) => {
      const { actor, project } = scopeOf(request);
      await requirePossibleOptOut(s, project, request.params.id);
      try {
        await decidePossibleOptOut(s, project, request.params.id, decision, actor.userId);
      } catch (err) {
        if (err instanceof AppError && err.code === 'CONFLICT') {
          return reply.redirect(`/ui/p/${project.name}/possible-opt-outs`);
        }
        throw err;
      }
      return reply.redirect(`/ui/p/${project.name}/possible-opt-outs?notice=${decision}`);
    });
  }
}
