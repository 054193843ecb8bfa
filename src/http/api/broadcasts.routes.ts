/**
 * @module http/api/broadcasts.routes — POST …/broadcasts (202, expanded in the background), GET one.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { createBroadcast, getBroadcast } from '../../services/broadcasts.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { contentFields } from './messages.routes.ts';
import { PROPERTY_NAME, projectParams } from './schemas.ts';

const recipients = z.union([
  z.strictObject({ caseType: z.string().trim().min(1).max(255), where: z.record(z.string().regex(PROPERTY_NAME), z.union([z.string().max(10_000), z.number(), z.boolean()])).optional() }),
  z.strictObject({ caseIds: z.array(z.string().max(64)).min(1).max(100_000) }),
  z.strictObject({ mobileWorkerIds: z.array(z.string().max(64)).min(1).max(100_000) }),
]);

export function registerBroadcastRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['messages'];
  r.post('/api/v1/projects/:project/broadcasts', { onRequest: auth, schema: { tags, params: projectParams, body: z.strictObject({ recipients, ...contentFields }) } }, async (request, reply) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project);
    return reply.code(202).send(await createBroadcast(deps, project, actor.userId, request.body));
  });
  r.get('/api/v1/projects/:project/broadcasts/:id', { onRequest: auth, schema: { tags, params: projectParams.extend({ id: z.string().max(64) }) } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getBroadcast(deps, project, request.params.id);
  });
}
