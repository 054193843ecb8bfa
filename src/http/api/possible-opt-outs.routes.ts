/**
 * @module http/api/possible-opt-outs.routes — replies held as possible opt-outs: list (members),
 * confirm or dismiss (project admins).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { ServiceDeps } from '../../services/deps.ts';
import { decidePossibleOptOut, listProjectPossibleOptOuts, requirePossibleOptOut } from '../../services/possible-opt-outs.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { listQuery, noBody, projectParams } from './schemas.ts';

export function registerPossibleOptOutRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['phone numbers'];
  const itemParams = projectParams.extend({ id: z.string().max(64) });

  r.get(
    '/api/v1/projects/:project/possible-opt-outs',
    { onRequest: auth, schema: { tags, params: projectParams, querystring: listQuery.extend({ status: z.enum(['open', 'confirmed', 'dismissed']).optional() }) } },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return listProjectPossibleOptOuts(deps, project, request.query);
    },
  );

  for (const decision of ['confirm', 'dismiss'] as const) {
    r.post(`/api/v1/projects/:project/possible-opt-outs/:id/${decision}`, { onRequest: auth, schema: { tags, params: itemParams, body: noBody } }, async (request) => {
      const actor = actorOf(request);
      await requirePossibleOptOut(deps, await requireProject(deps, actor, request.params.project), request.params.id);
      const project = await requireProject(deps, actor, request.params.project, 'admin');
      return decidePossibleOptOut(deps, project, request.params.id, decision, actor.userId);
    });
  }
}
