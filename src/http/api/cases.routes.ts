/**
 * @module http/api/cases.routes — cases: create, read, list, merge-update, close, delete.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { Project } from '../../domain/project.ts';
import { closeCase, CONTACT_SORTS, type ContactFilter, createCase, deleteCase, getCase, searchAndCountProjectCases, searchProjectCases, updateCase } from '../../services/cases.service.ts';
import { CSV_TYPE, exportCsv, exportFileName, exportXlsx, XLSX_TYPE } from '../../services/contacts-export.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { normaliseLookupNumber } from '../../domain/phone-number.ts';
import { requireProject } from '../../services/projects.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { listQuery, noBody, nonBlank, projectParams, properties } from './schemas.ts';

const caseParams = projectParams.extend({ id: z.string().max(64) });

const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const yesNo = z.enum(['yes', 'no']);

/** The contacts list's filters, with the names the UI's list uses (UI.md: contacts list). */
export const contactFilterQuery = z.object({
  caseType: z.string().max(255).optional(),
  phoneStatus: z.enum(['two-way', 'one-way', 'invalid', 'none']).optional(),
  consent: yesNo.optional(),
  optedOut: yesNo.optional(),
  problems: z.enum(['yes']).optional(),
  owner: z.string().max(64).optional(),
  createdFrom: DATE.optional(),
  createdTo: DATE.optional(),
  search: z.string().max(255).optional(),
  phoneNumber: z.string().max(64).optional(),
  closed: z.enum(['true', 'false']).optional(),
});

export function contactFilterOf(project: Project, q: z.infer<typeof contactFilterQuery>): ContactFilter {
  return {
    caseType: q.caseType,
    phoneStatus: q.phoneStatus,
    consent: q.consent === undefined ? undefined : q.consent === 'yes',
    optedOut: q.optedOut === undefined ? undefined : q.optedOut === 'yes',
    problems: q.problems === 'yes' ? true : undefined,
    ownerId: q.owner,
    createdFrom: q.createdFrom,
    createdTo: q.createdTo,
    search: q.search,
    phoneNumber: q.phoneNumber === undefined ? undefined : (normaliseLookupNumber(q.phoneNumber, project.defaultCountry) ?? q.phoneNumber),
    closed: q.closed === undefined ? undefined : q.closed === 'true',
  };
}

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
        querystring: listQuery.extend({ cursor: z.string().max(600).optional(), ...contactFilterQuery.shape, sort: z.enum(CONTACT_SORTS).optional(), count: z.enum(['true', 'false']).optional() }),
      },
    },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      const q = request.query;
      const f = contactFilterOf(project, q);
      // The API's order stays oldest first unless asked (the UI shows the newest first).
      const page = { sort: q.sort ?? 'oldest', limit: q.limit, cursor: q.cursor };
      if (q.count === 'true') {
        const both = await searchAndCountProjectCases(deps, project, f, page);
        return { ...both.page, total: both.total };
      }
      return searchProjectCases(deps, project, f, page);
    },
  );

  r.get(
    '/api/v1/projects/:project/cases/export',
    {
      onRequest: auth,
      schema: { tags, params: projectParams, querystring: z.object({ ...contactFilterQuery.shape, format: z.enum(['csv', 'xlsx']).default('csv') }) },
    },
    async (request, reply) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      const q = request.query;
      const f = contactFilterOf(project, q);
      const name = exportFileName(project, f, q.format, deps.clock());
      reply.header('content-disposition', `attachment; filename="${name}"`);
      if (q.format === 'xlsx') {
        return reply.type(XLSX_TYPE).send(await exportXlsx(deps, project, f));
      }
      return reply.type(CSV_TYPE).send(await exportCsv(deps, project, f));
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
