/**
 * @module http/api/dashboard.routes — GET /api/v1/projects/:project/dashboard (members): the
 * figures of the admin UI's dashboard (services/dashboard.service.ts), so integrators read the
 * same numbers.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { getDashboard } from '../../services/dashboard.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { projectParams } from './schemas.ts';

const count = z.number().int();
const contactRef = z.object({ type: z.enum(['case', 'mobile-worker']), id: z.string(), name: z.string() });

export const dashboardSchema = z.object({
  project: z.string(),
  timeZone: z.string(),
  generatedAt: z.string(),
  contacts: z.object({
    total: count,
    twoWay: count,
    oneWay: count,
    invalid: count,
    none: count,
    optedOut: count,
    noConsent: count,
    caseTypes: z.array(z.object({ caseType: z.string(), total: count })),
    asOf: z.string().nullable(),
  }),
  messages: z.object({
    days: z.array(z.object({ day: z.string(), sent: count, failed: count, received: count })),
    totals: z.object({ sent: count, failed: count, received: count }),
  }),
  failures: z.array(z.object({ code: z.string(), description: z.string().nullable(), count })),
  recent: z.object({
    optOuts: z.array(z.object({ at: z.string(), number: z.string().nullable(), email: z.string().nullable(), method: z.string(), gateway: z.string().nullable(), contact: contactRef.nullable() })),
    registrations: z.array(z.object({ at: z.string(), type: z.enum(['case', 'mobile-worker']), number: z.string().nullable(), contact: z.object({ id: z.string(), name: z.string() }).nullable() })),
    imports: z.array(
      z.object({
        id: z.string(),
        fileName: z.string(),
        status: z.enum(['uploaded', 'running', 'done', 'failed']),
        rows: count,
        created: count,
        updated: count,
        skipped: count,
        failed: count,
        createdAt: z.string(),
        finishedAt: z.string().nullable(),
      }),
    ),
  }),
  hasGateway: z.boolean(),
});

export function registerDashboardRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/projects/:project/dashboard',
    { onRequest: requireApiActor(deps), schema: { tags: ['projects'], params: projectParams, response: { 200: dashboardSchema } } },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return getDashboard(deps, project);
    },
  );
}
