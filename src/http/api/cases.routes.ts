/**
 * @module http/api/cases.routes — cases: create, read, list, merge-update, close, delete.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { closeCase, createCase, deleteCase, getCase, listProjectCases, updateCase } from '../../services/cases.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { normaliseLookupNumber } from '../../domain/phone-number.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { listQuery, noBody, nonBlank, projectParams, properties } from './schemas.ts';

const caseParams = projectParams.extend({ id: z.string().max(64) });

export function registerCaseRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['cases'];

  r.post(
    '/api/v1/projects/:project/cases',
    {
      onRequest: auth,
      schema: {
        tags,
        params: projectParams,
        body: z.strictObject({
          caseType: nonBlank(255),
          name: nonBlank(255),
          ownerId: z.string().max(64).nullable().optional(),
          externalId: z.string().max(255).nullable().optional(),
          properties: properties.optional(),
        }),
      },
    },
    async (request, reply) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return reply.code(201).send(await createCase(deps, project, request.body));
    },
  );

  r.get(
    '/api/v1/projects/:project/cases',
    {
      onRequest: auth,
      schema: {
        tags,
        params: projectParams,
        querystring: listQuery.extend({
          caseType: z.string().max(255).optional(),
          search: z.string().max(255).optional(),
          phoneNumber: z.string().max(64).optional(),
          closed: z.enum(['true', 'false']).optional(),
        }),
      },
    },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      const q = request.query;
      const phoneNumber = q.phoneNumber === undefined ? undefined : (normaliseLookupNumber(q.phoneNumber, project.defaultCountry) ?? q.phoneNumber);
      return listProjectCases(deps, project, {
        caseType: q.caseType,
        search: q.search,
        phoneNumber,
        closed: q.closed === undefined ? undefined : q.closed === 'true',
        limit: q.limit,
        cursor: q.cursor,
      });
    },
  );

  r.get('/api/v1/projects/:project/cases/:id', { onRequest: auth, schema: { tags, params: caseParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getCase(deps, project, request.params.id);
  });

  r.patch(
    '/api/v1/projects/:project/cases/:id',
    {
      onRequest: auth,
      schema: { tags, params: caseParams, body: z.strictObject({ name: nonBlank(255).optional(), properties: properties.optional() }) },
    },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return updateCase(deps, project, request.params.id, request.body);
    },
  );

  r.post('/api/v1/projects/:project/cases/:id/close', { onRequest: auth, schema: { tags, params: caseParams, body: noBody } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return closeCase(deps, project, request.params.id);
  });

  r.delete('/api/v1/projects/:project/cases/:id', { onRequest: auth, schema: { tags, params: caseParams } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    await deleteCase(deps, project, request.params.id);
    return reply.code(204).send();
  });
}
