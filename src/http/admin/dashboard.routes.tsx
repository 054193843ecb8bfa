/**
 * @module http/admin/dashboard.routes — GET /ui/p/:project/dashboard (members): the project's
 * overview (dashboard.views.tsx), from dashboard.service.ts.
 */
import type { FastifyInstance } from 'fastify';

import { getDashboard } from '../../services/dashboard.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { DashboardPage } from './dashboard.views.tsx';
import { scopeOf } from './project-scope.ts';
import { sendHtml } from './ui.tsx';

export function registerDashboardPages(scope: FastifyInstance, deps: AdminDeps): void {
  scope.get('/ui/p/:project/dashboard', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const d = await getDashboard(deps.services, project);
    return sendHtml(reply, <DashboardPage ctx={page('dashboard')} d={d} />);
  });
}
