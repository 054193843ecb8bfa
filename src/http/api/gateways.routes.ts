/**
 * @module http/api/gateways.routes — project gateways, global gateways (superuser), routes, outbox.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { AppError } from '../../errors.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { createGateway, gatewayOutbox, MANAGER, rotateInboundKey, getGateway, getRoutes, listGateways, putRoutes, removeGateway, updateGateway } from '../../services/gateways.service.ts';
import { projectRole, requireProject } from '../../services/projects.service.ts';
import { sendTestMessage } from '../../services/test-message.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { noBody, projectParams } from './schemas.ts';

const keywordList = z.array(z.string().max(40)).max(30);
const gatewayBody = z.strictObject({
  name: z.string().max(50),
  type: z.string().max(40),
  config: z.record(z.string().max(100), z.unknown()).optional(),
  replyToNumber: z.string().max(64).nullable().optional(),
  optInKeywords: keywordList.optional(),
  optOutKeywords: keywordList.optional(),
  ratePerSecond: z.number().positive().max(10_000).nullable().optional(),
});
const gatewayPatch = gatewayBody.omit({ name: true, type: true });
const routesBody = z.array(z.strictObject({ prefix: z.string().max(16), gateway: z.string().max(50) })).max(500);

export function registerGatewayRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['gateways'];
  const base = '/api/v1/projects/:project/gateways';
  const named = projectParams.extend({ name: z.string().max(50) });

  r.post(base, { onRequest: auth, schema: { tags, params: projectParams, body: gatewayBody } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    return reply.code(201).send(await createGateway(deps, project.id, request.body));
  });
  r.get(base, { onRequest: auth, schema: { tags, params: projectParams } }, async (request) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project);
    const viewer = { isSuperuser: actor.isSuperuser, role: await projectRole(deps, actor, project) };
    return { items: await listGateways(deps, project.id, viewer), nextCursor: null };
  });
  r.get(`${base}/:name`, { onRequest: auth, schema: { tags, params: named } }, async (request) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project);
    const viewer = { isSuperuser: actor.isSuperuser, role: await projectRole(deps, actor, project) };
    return getGateway(deps, project.id, request.params.name, viewer);
  });
  r.patch(`${base}/:name`, { onRequest: auth, schema: { tags, params: named, body: gatewayPatch } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    return updateGateway(deps, project.id, request.params.name, request.body);
  });
  r.delete(`${base}/:name`, { onRequest: auth, schema: { tags, params: named } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    await removeGateway(deps, project.id, request.params.name);
    return reply.code(204).send();
  });
  r.post(`${base}/:name/rotate-inbound-url`, { onRequest: auth, schema: { tags, params: named, body: noBody } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    return rotateInboundKey(deps, project.id, request.params.name);
  });
  r.get(`${base}/:name/outbox`, { onRequest: auth, schema: { tags, params: named, querystring: z.object({ limit: z.coerce.number().int().min(1).max(5000).default(500) }) } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return gatewayOutbox(deps, project, request.params.name, request.query.limit);
  });
  // One real message through THIS gateway (routes bypassed; opt-out and consent checks apply).
  const testMessageBody = z.strictObject({ to: z.string().min(1).max(320), text: z.string().max(10_000), subject: z.string().max(200).optional() });
  r.post(`${base}/:name/test-message`, { onRequest: auth, schema: { tags, params: named, body: testMessageBody } }, async (request, reply) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project, 'admin');
    return reply.code(201).send(await sendTestMessage(deps, project, actor.userId, request.params.name, request.body));
  });
  r.get('/api/v1/projects/:project/gateway-routes', { onRequest: auth, schema: { tags, params: projectParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getRoutes(deps, project.id);
  });
  r.put('/api/v1/projects/:project/gateway-routes', { onRequest: auth, schema: { tags, params: projectParams, body: routesBody } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    return putRoutes(deps, project.id, request.body);
  });

  // Global gateways and routes: superusers only.
  const superuser = async (request: Parameters<typeof auth>[0], reply: Parameters<typeof auth>[1]) => {
    await auth(request, reply);
    if (!actorOf(request).isSuperuser) {
      throw new AppError('FORBIDDEN', 'Only a superuser can manage global gateways.');
    }
  };
  const globalNamed = z.object({ name: z.string().max(50) });
  r.post('/api/v1/gateways', { onRequest: superuser, schema: { tags, body: gatewayBody } }, async (request, reply) => reply.code(201).send(await createGateway(deps, null, request.body)));
  r.get('/api/v1/gateways', { onRequest: superuser, schema: { tags } }, async () => ({ items: await listGateways(deps, null, MANAGER), nextCursor: null }));
  r.get('/api/v1/gateways/:name', { onRequest: superuser, schema: { tags, params: globalNamed } }, async (request) => getGateway(deps, null, request.params.name, MANAGER));
  r.patch('/api/v1/gateways/:name', { onRequest: superuser, schema: { tags, params: globalNamed, body: gatewayPatch } }, async (request) => updateGateway(deps, null, request.params.name, request.body));
  r.delete('/api/v1/gateways/:name', { onRequest: superuser, schema: { tags, params: globalNamed } }, async (request, reply) => {
    await removeGateway(deps, null, request.params.name);
    return reply.code(204).send();
  });
  r.get('/api/v1/gateway-routes', { onRequest: superuser, schema: { tags } }, async () => getRoutes(deps, null));
  r.put('/api/v1/gateway-routes', { onRequest: superuser, schema: { tags, body: routesBody } }, async (request) => putRoutes(deps, null, request.body));
}
