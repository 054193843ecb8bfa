/**
 * @module http/api/phone-numbers.routes — GET /api/v1/projects/{project}/phone-numbers/{number}.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { ServiceDeps } from '../../services/deps.ts';
import { lookupPhoneNumber } from '../../services/phone-numbers.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { projectParams } from './schemas.ts';

export function registerPhoneNumberRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/projects/:project/phone-numbers/:number',
    { onRequest: requireApiActor(deps), schema: { tags: ['phone numbers'], params: projectParams.extend({ number: z.string().max(64) }) } },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return lookupPhoneNumber(deps, project, request.params.number);
    },
  );
}
