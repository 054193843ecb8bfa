/**
 * @module http/api/messages.routes — send a message, read the log, reachability of a contact.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { ServiceDeps } from '../../services/deps.ts';
import { getMessage, listProjectMessages, reachability, sendMessage } from '../../services/messages.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { dateQuery, listQuery, projectParams } from './schemas.ts';

const recipient = z.union([
  z.strictObject({ caseId: z.string().max(64) }),
  z.strictObject({ mobileWorkerId: z.string().max(64) }),
  z.strictObject({ phoneNumber: z.union([z.string().max(64), z.number()]).transform(String) }),
]);

export const contentFields = {
  channel: z.enum(['sms', 'email']).optional(),
  text: z.string().max(100_000).optional(),
  translations: z.record(z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'language codes such as "en" or "fr"'), z.string().max(100_000)).optional(),
  subject: z.string().max(998).optional(),
  sendAt: z.string().max(40).optional(),
};

export function registerMessageRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['messages'];

  r.post('/api/v1/projects/:project/messages', { onRequest: auth, schema: { tags, params: projectParams, body: z.strictObject({ recipient, ...contentFields }) } }, async (request, reply) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project);
    return reply.code(201).send(await sendMessage(deps, project, actor.userId, request.body));
  });

  r.get(
    '/api/v1/projects/:project/messages',
    {
      onRequest: auth,
      schema: {
        tags,
        params: projectParams,
        querystring: listQuery.extend({
          direction: z.enum(['in', 'out']).optional(),
          caseId: z.string().max(64).optional(),
          mobileWorkerId: z.string().max(64).optional(),
          status: z.enum(['scheduled', 'queued', 'sent', 'delivered', 'failed', 'received']).optional(),
          errorCode: z.string().max(64).optional(),
          /** Text in the message, or its number (read as a phone number in the project's default country too). */
          q: z.string().max(200).optional(),
          from: dateQuery.optional(),
          to: dateQuery.optional(),
        }),
      },
    },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return listProjectMessages(deps, project, request.query);
    },
  );

  r.get('/api/v1/projects/:project/messages/:id', { onRequest: auth, schema: { tags, params: projectParams.extend({ id: z.string().max(64) }) } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getMessage(deps, project, request.params.id);
  });

  const channelQuery = z.object({ channel: z.enum(['sms', 'email']).default('sms') });
  r.get('/api/v1/projects/:project/cases/:id/reachability', { onRequest: auth, schema: { tags: ['cases'], params: projectParams.extend({ id: z.string().max(64) }), querystring: channelQuery } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return reachability(deps, project, { caseId: request.params.id }, request.query.channel);
  });
  r.get(
    '/api/v1/projects/:project/mobile-workers/:id/reachability',
    { onRequest: auth, schema: { tags: ['mobile workers'], params: projectParams.extend({ id: z.string().max(64) }), querystring: channelQuery } },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return reachability(deps, project, { mobileWorkerId: request.params.id }, request.query.channel);
    },
  );
}
