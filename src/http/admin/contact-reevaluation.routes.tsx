/**
 * @module http/admin/contact-reevaluation.routes — the settings page's card of the numbers' re-check:
 * the card alone (members; htmx reloads it while the re-check runs) and starting the re-check again
 * (project admins). Registered through project-pages.ts; the card is in
 * contact-reevaluation.views.tsx.
 */
import type { FastifyInstance } from 'fastify';

import { getContactReevaluation, restartContactReevaluation } from '../../services/contact-reevaluation.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { ContactReevaluationCard } from './contact-reevaluation.views.tsx';
import { scopeOf } from './project-scope.ts';
import { sendHtml } from './ui.tsx';

const admin = { config: { role: 'admin' as const } };

export function registerContactReevaluationPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  app.get('/ui/p/:project/settings/contact-reevaluation', async (request, reply) => {
    const { project, role, page } = scopeOf(request);
    return sendHtml(reply, <ContactReevaluationCard ctx={page('settings')} project={project} r={await getContactReevaluation(s, project)} canEdit={role === 'admin'} />);
  });

  app.post('/ui/p/:project/settings/contact-reevaluation', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    await restartContactReevaluation(s, project);
    return reply.redirect(`/ui/p/${project.name}/settings`);
  });
}
