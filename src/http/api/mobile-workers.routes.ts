/**
 * @module http/api/mobile-workers.routes — mobile workers and their phone numbers.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { ServiceDeps } from '../../services/deps.ts';
import {
  addMobileWorkerNumber,
  createMobileWorker,
  deleteMobileWorker,
  getMobileWorker,
  listProjectMobileWorkers,
  removeMobileWorkerNumber,
} from '../../services/mobile-workers.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { listQuery, projectParams } from './schemas.ts';

const workerParams = projectParams.extend({ id: z.string().max(64) });
const numberParams = workerParams.extend({ number: z.string().max(64) });

export function registerMobileWorkerRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['mobile workers'];
  const base = '/api/v1/projects/:project/mobile-workers';

  r.post(
    base,
    {
      onRequest: auth,
      schema: {
        tags,
        params: projectParams,
        body: z.strictObject({
          username: z.string().max(80),
          password: z.string().min(4).max(1024).optional(),
          language: z.string().max(35).optional(),
          timeZone: z.string().max(64).optional(),
          email: z.string().max(254).optional(),
        }),
      },
    },
    async (request, reply) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return reply.code(201).send(await createMobileWorker(deps, project, request.body));
    },
  );

  r.get(base, { onRequest: auth, schema: { tags, params: projectParams, querystring: listQuery.extend({ search: z.string().max(80).optional() }) } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return listProjectMobileWorkers(deps, project, request.query);
  });

  r.get(`${base}/:id`, { onRequest: auth, schema: { tags, params: workerParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getMobileWorker(deps, project, request.params.id);
  });

  r.delete(`${base}/:id`, { onRequest: auth, schema: { tags, params: workerParams } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    await deleteMobileWorker(deps, project, request.params.id);
    return reply.code(204).send();
  });

  r.post(
    `${base}/:id/phone-numbers`,
    { onRequest: auth, schema: { tags, params: workerParams, body: z.strictObject({ number: z.union([z.string().max(64), z.number()]) }) } },
    async (request, reply) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return reply.code(201).send(await addMobileWorkerNumber(deps, project, request.params.id, String(request.body.number)));
    },
  );

  r.delete(`${base}/:id/phone-numbers/:number`, { onRequest: auth, schema: { tags, params: numberParams } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    await removeMobileWorkerNumber(deps, project, request.params.id, request.params.number);
    return reply.code(204).send();
  });
}
