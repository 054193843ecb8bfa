/**
 * @module http/api/projects.routes — projects, their settings and their web users.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { SYSTEM_TEXTS, type SystemTextKey } from '../../domain/system-texts.ts';
import { getContactReevaluation, restartContactReevaluation } from '../../services/contact-reevaluation.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { addProjectUser, createProject, listProjectUsers, listVisibleProjects, patchProject, requireProject, toProjectView } from '../../services/projects.service.ts';
import { updateProjectUser } from '../../services/web-users.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { noBody, projectParams, roleSchema } from './schemas.ts';

const languages = z.array(z.string().max(35)).min(1).max(50);
const selfRegistration = z.strictObject({
  caseEnabled: z.boolean().optional(),
  caseType: z.string().trim().min(1).max(255).nullable().optional(),
  caseOwnerId: z.string().max(64).nullable().optional(),
  submitterId: z.string().max(64).nullable().optional(),
  workerEnabled: z.boolean().optional(),
  welcomeMessageTo: z.enum(['none', 'cases', 'workers', 'all']).optional(),
  welcomeMessage: z.string().max(1600).nullable().optional(),
  welcomeSurveyId: z.string().max(64).nullable().optional(),
});

export function registerProjectRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);

  r.post(
    '/api/v1/projects',
    {
      onRequest: auth,
      schema: {
        tags: ['projects'],
        body: z.strictObject({
          name: z.string().max(63),
          timeZone: z.string().max(64).optional(),
          defaultCountry: z.string().max(2).nullable().optional(),
          languages: languages.optional(),
          defaultLanguage: z.string().max(35).optional(),
          phoneValidation: z.enum(['strict', 'possible']).optional(),
        }),
      },
    },
    // A new project has never re-checked its numbers: the field is there, as in GET and PATCH.
    async (request, reply) => reply.code(201).send({ ...(await createProject(deps, actorOf(request), request.body)), contactReevaluation: null }),
  );

  r.get('/api/v1/projects', { onRequest: auth, schema: { tags: ['projects'] } }, async (request) => ({
    items: await listVisibleProjects(deps, actorOf(request)),
    nextCursor: null,
  }));

  r.get('/api/v1/projects/:project', { onRequest: auth, schema: { tags: ['projects'], params: projectParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return { ...toProjectView(project), contactReevaluation: await getContactReevaluation(deps, project) };
  });

  r.patch(
    '/api/v1/projects/:project',
    {
      onRequest: auth,
      schema: {
        tags: ['projects'],
        params: projectParams,
        body: z.strictObject({
          timeZone: z.string().max(64).optional(),
          defaultCountry: z.string().max(2).nullable().optional(),
          languages: languages.optional(),
          defaultLanguage: z.string().max(35).optional(),
          phoneValidation: z.enum(['strict', 'possible']).optional(),
          selfRegistration: selfRegistration.optional(),
          helpText: z.string().max(1600).nullable().optional(),
          defaultSmsResponse: z.string().max(1600).nullable().optional(),
          defaultEmailGateway: z.string().max(64).nullable().optional(),
          optOutKeywords: z.array(z.string().max(40)).max(30).optional(),
          optInKeywords: z.array(z.string().max(40)).max(30).optional(),
          systemTexts: z
            .record(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/), z.partialRecord(z.enum(Object.keys(SYSTEM_TEXTS) as [SystemTextKey, ...SystemTextKey[]]), z.string().min(1).max(1600)))
            .optional(),
        }),
      },
    },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
      const view = await patchProject(deps, project, request.body);
      return { ...view, contactReevaluation: await getContactReevaluation(deps, project) };
    },
  );

  // The re-check of the cases' numbers after phoneValidation or defaultCountry changed (null: never).
  r.get('/api/v1/projects/:project/contact-reevaluation', { onRequest: auth, schema: { tags: ['projects'], params: projectParams } }, async (request) =>
    getContactReevaluation(deps, await requireProject(deps, actorOf(request), request.params.project)),
  );

  // Re-checks every case again with the current settings (after a failure, or new phone-number metadata).
  r.post('/api/v1/projects/:project/contact-reevaluation', { onRequest: auth, schema: { tags: ['projects'], params: projectParams, body: noBody } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    return reply.code(202).send(await restartContactReevaluation(deps, project));
  });

  r.post(
    '/api/v1/projects/:project/users',
    {
      onRequest: auth,
      schema: {
        tags: ['projects'],
        params: projectParams,
        body: z.strictObject({ email: z.string().max(254), password: z.string().max(1024), role: roleSchema }),
      },
    },
    async (request, reply) => {
      const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
      return reply.code(201).send(await addProjectUser(deps, project, request.body));
    },
  );

  r.get('/api/v1/projects/:project/users', { onRequest: auth, schema: { tags: ['projects'], params: projectParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return { items: await listProjectUsers(deps, project), nextCursor: null };
  });

  // A member's role, or their access to this project (active: false deactivates the membership only).
  r.patch(
    '/api/v1/projects/:project/users/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['projects'],
        params: projectParams.extend({ id: z.string().max(64) }),
        // Both optional: an empty body changes nothing and answers the user as they are.
        body: z.strictObject({
          role: roleSchema.optional(),
          active: z.boolean().optional().describe('false: the user loses access to this project (their role is kept); true: gets it back.'),
        }),
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const project = await requireProject(deps, actor, request.params.project, 'admin');
      return updateProjectUser(deps, actor, project, request.params.id, request.body);
    },
  );
}
