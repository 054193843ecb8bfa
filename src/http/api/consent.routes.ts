/**
 * @module http/api/consent.routes — a number's consent history, the project's ledger as CSV, and
 * starting a mobile worker's phone verification.
 */
import { Readable } from 'node:stream';

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { Project } from '../../domain/project.ts';
import { numberConsentHistory, projectConsentCsv, projectOptOuts } from '../../services/consent-ledger.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { requireProject } from '../../services/projects.service.ts';
import { verifyWorkerPhone } from '../../services/verification.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { noBody, projectParams } from './schemas.ts';

/** The project's consent ledger as a CSV download, streamed (also the admin UI's export). */
export function sendConsentLedger(reply: FastifyReply, deps: ServiceDeps, project: Project): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${project.name}-consent.csv"`)
    .send(Readable.from(projectConsentCsv(deps, project)));
}

export function registerConsentRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);

  r.get(
    '/api/v1/projects/:project/phone-numbers/:number/consent',
    { onRequest: auth, schema: { tags: ['phone numbers'], params: projectParams.extend({ number: z.string().max(64) }) } },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return numberConsentHistory(deps, project, request.params.number);
    },
  );

  r.get('/api/v1/projects/:project/opt-outs', { onRequest: auth, schema: { tags: ['phone numbers'], params: projectParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return { items: await projectOptOuts(deps, project), nextCursor: null };
  });

  r.get('/api/v1/projects/:project/consent-events.csv', { onRequest: auth, schema: { tags: ['phone numbers'], params: projectParams } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    return sendConsentLedger(reply, deps, project);
  });

  r.post(
    '/api/v1/projects/:project/mobile-workers/:id/phone-numbers/:number/verify',
    { onRequest: auth, schema: { tags: ['mobile workers'], params: projectParams.extend({ id: z.string().max(64), number: z.string().max(64) }), body: noBody } },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      const { result, message } = await verifyWorkerPhone(deps, project, request.params.id, request.params.number);
      return { result, messageId: message?.id ?? null, messageStatus: message?.status ?? null, errorCode: message?.errorCode ?? null };
    },
  );
}
