/**
 * @module http/admin/opt-outs.routes — /ui/p/:project/opt-outs (the opted-out numbers, members),
 * the consent ledger as CSV (project admins) and one number's page (members), registered through
 * project-pages.ts. The pages are in opt-outs.views.tsx; the SMS tester is tester.routes.tsx.
 */
import type { FastifyInstance } from 'fastify';

import { numberConsentHistory, projectOptOuts } from '../../services/consent-ledger.service.ts';
import { namesOfContacts } from '../../services/messages.service.ts';
import { lookupPhoneNumber } from '../../services/phone-numbers.service.ts';
import { sendConsentLedger } from '../api/consent.routes.ts';
import type { AdminDeps } from './admin-deps.ts';
import { NumberPage, OptOutsPage } from './opt-outs.views.tsx';
import { scopeOf } from './project-scope.ts';
import { sendHtml } from './ui.tsx';

const admin = { config: { role: 'admin' as const } };

export function registerOptOutPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  app.get('/ui/p/:project/opt-outs', async (request, reply) => {
    const { project, page } = scopeOf(request);
    return sendHtml(reply, <OptOutsPage ctx={page('opt-outs')} project={project} items={await projectOptOuts(s, project)} />);
  });

  // The ledger as GET /api/v1/projects/{project}/consent-events.csv gives it, for a signed-in project admin.
  app.get('/ui/p/:project/consent-events.csv', admin, async (request, reply) => sendConsentLedger(reply, s, scopeOf(request).project));

  app.get<{ Params: { project: string; number: string } }>('/ui/p/:project/numbers/:number', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const [info, history] = await Promise.all([lookupPhoneNumber(s, project, request.params.number), numberConsentHistory(s, project, request.params.number)]);
    // The owners by name, each linked to its case or mobile worker.
    const names = await namesOfContacts(s, project, info.entries.map((e) => ({ type: e.ownerType, id: e.ownerId })));
    return sendHtml(reply, <NumberPage ctx={page('opt-outs')} project={project} info={info} names={names} history={history} />);
  });
}
