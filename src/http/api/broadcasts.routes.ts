/**
 * @module http/api/broadcasts.routes — POST …/broadcasts (202, expanded in the background), the
 * list (newest first), GET one, the preview of who would be reached before sending, and cancel a
 * scheduled broadcast.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { previewBroadcast } from '../../services/broadcast-preview.service.ts';
import { cancelBroadcast, createBroadcast, getBroadcast, listProjectBroadcasts } from '../../services/broadcasts.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { contentFields } from './messages.routes.ts';
import { listQuery, noBody, PROPERTY_NAME, projectParams } from './schemas.ts';

export const broadcastRecipients = z.union([
  z.strictObject({ caseType: z.string().trim().min(1).max(255), where: z.record(z.string().regex(PROPERTY_NAME), z.union([z.string().max(10_000), z.number(), z.boolean()])).optional() }),
  z.strictObject({ caseIds: z.array(z.string().max(64)).min(1).max(100_000) }),
  z.strictObject({ mobileWorkerIds: z.array(z.string().max(64)).min(1).max(100_000) }),
]);

/** The preview's answer (documented in the OpenAPI description). */
export const broadcastPreviewSchema = z.object({
  total: z.number().int().describe('Recipients a message would be recorded for.'),
  reachable: z.number().int().describe('Of them, those whose message would go out now.'),
  missing: z.number().int().describe('Ids asked for that are not a live case or worker of the project.'),
  unreachable: z.array(z.object({ code: z.string(), description: z.string(), count: z.number().int() })).describe('Every reason the others cannot be reached, most first: the code their message would be recorded with.'),
  byLanguage: z.array(z.object({ language: z.string(), count: z.number().int(), textLanguage: z.string().nullable() })).describe('Reachable recipients by language; textLanguage is the language of the text they get (the default when theirs has none).'),
});

export function registerBroadcastRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['messages'];
  const idParams = projectParams.extend({ id: z.string().max(64) });
  r.post('/api/v1/projects/:project/broadcasts', { onRequest: auth, schema: { tags, params: projectParams, body: z.strictObject({ recipients: broadcastRecipients, ...contentFields }) } }, async (request, reply) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project);
    return reply.code(202).send(await createBroadcast(deps, project, actor.userId, request.body));
  });
  r.post(
    '/api/v1/projects/:project/broadcasts/preview',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Who a broadcast would reach, before sending',
        description: 'The same body as a broadcast (text optional). Nothing is sent or stored.',
        params: projectParams,
        body: z.strictObject({ recipients: broadcastRecipients, ...contentFields }),
        response: { 200: broadcastPreviewSchema },
      },
    },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return previewBroadcast(deps, project, request.body);
    },
  );
  r.get('/api/v1/projects/:project/broadcasts', { onRequest: auth, schema: { tags, summary: 'Broadcasts, newest first', params: projectParams, querystring: listQuery } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return listProjectBroadcasts(deps, project, request.query);
  });
  r.get('/api/v1/projects/:project/broadcasts/:id', { onRequest: auth, schema: { tags, params: idParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getBroadcast(deps, project, request.params.id);
  });
  r.post(
    '/api/v1/projects/:project/broadcasts/:id/cancel',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Cancel a scheduled broadcast',
        description: 'Its messages still scheduled fail with BROADCAST_CANCELLED. 409 CONFLICT when it was sent at once or has started sending.',
        params: idParams,
        body: noBody,
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const project = await requireProject(deps, actor, request.params.project);
      return cancelBroadcast(deps, project, request.params.id, actor.userId);
    },
  );
}
