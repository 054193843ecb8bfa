/**
 * @module http/api/surveys.routes — SMS surveys (API.md "Surveys"): definitions (project admins
 * write, members read), sessions (members start them for a case, list and cancel them).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { Actor } from '../../services/auth.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { requireProject } from '../../services/projects.service.ts';
import { cancelSession, getSession, listSurveySessions, startSession } from '../../services/survey-sessions.service.ts';
import { createSurvey, getSurvey, listProjectSurveys, patchSurvey, removeSurvey, replaceSurvey } from '../../services/surveys.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { listQuery, noBody, nonBlank, projectParams } from './schemas.ts';

const language = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'language codes such as "en" or "fr"');
const smsText = z.string().max(1600);
const translations = z.record(language, smsText);

const choice = z.strictObject({ value: nonBlank(255), label: nonBlank(255), translations: z.record(language, z.string().max(255)).optional() });

const question = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'question ids are 1–64 letters, digits, _ or -'),
  text: smsText.optional(),
  translations: translations.optional(),
  type: z.enum(['text', 'number', 'choice']),
  choices: z.array(choice).max(50).optional(),
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
  saveAs: z.string().max(100),
  required: z.boolean().optional(),
});

const surveyFields = {
  name: z.string().max(255),
  questions: z.array(question).max(100),
  closingMessage: smsText.nullable().optional(),
  closingTranslations: translations.optional(),
  asksConsent: z.boolean().optional(),
  timeoutMinutes: z.number().int().optional(),
  reminderMinutes: z.number().int().nullable().optional(),
};

const surveyBody = z.strictObject(surveyFields);
const surveyPatch = z.strictObject({
  name: surveyFields.name.optional(),
  questions: surveyFields.questions.optional(),
  closingMessage: surveyFields.closingMessage,
  closingTranslations: surveyFields.closingTranslations,
  asksConsent: surveyFields.asksConsent,
  timeoutMinutes: surveyFields.timeoutMinutes,
  reminderMinutes: surveyFields.reminderMinutes,
});

const surveyParams = projectParams.extend({ id: z.string().max(64) });

export function registerSurveyRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['surveys'];

  /**
   * For changes to one survey: a member sees the project's surveys anyway, so an unknown id is
   * NOT_FOUND before the admin role is checked (FORBIDDEN), as for every other `:id` route.
   */
  async function adminProjectOfSurvey(actor: Actor, projectName: string, surveyId: string) {
    await getSurvey(deps, await requireProject(deps, actor, projectName), surveyId);
    return requireProject(deps, actor, projectName, 'admin');
  }

  r.post('/api/v1/projects/:project/surveys', { onRequest: auth, schema: { tags, params: projectParams, body: surveyBody } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    return reply.code(201).send(await createSurvey(deps, project, request.body));
  });

  r.get('/api/v1/projects/:project/surveys', { onRequest: auth, schema: { tags, params: projectParams, querystring: listQuery } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return listProjectSurveys(deps, project, request.query);
  });

  r.get('/api/v1/projects/:project/surveys/:id', { onRequest: auth, schema: { tags, params: surveyParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getSurvey(deps, project, request.params.id);
  });

  r.put('/api/v1/projects/:project/surveys/:id', { onRequest: auth, schema: { tags, params: surveyParams, body: surveyBody } }, async (request) => {
    const project = await adminProjectOfSurvey(actorOf(request), request.params.project, request.params.id);
    return replaceSurvey(deps, project, request.params.id, request.body);
  });

  r.patch('/api/v1/projects/:project/surveys/:id', { onRequest: auth, schema: { tags, params: surveyParams, body: surveyPatch } }, async (request) => {
    const project = await adminProjectOfSurvey(actorOf(request), request.params.project, request.params.id);
    return patchSurvey(deps, project, request.params.id, request.body);
  });

  r.delete('/api/v1/projects/:project/surveys/:id', { onRequest: auth, schema: { tags, params: surveyParams } }, async (request, reply) => {
    const project = await adminProjectOfSurvey(actorOf(request), request.params.project, request.params.id);
    await removeSurvey(deps, project, request.params.id);
    return reply.code(204).send();
  });

  r.post('/api/v1/projects/:project/surveys/:id/sessions', { onRequest: auth, schema: { tags, params: surveyParams, body: z.strictObject({ caseId: z.string().max(64) }) } }, async (request, reply) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project);
    return reply.code(201).send(await startSession(deps, project, request.params.id, request.body.caseId, actor.userId));
  });

  r.get('/api/v1/projects/:project/surveys/:id/sessions', { onRequest: auth, schema: { tags, params: surveyParams, querystring: listQuery } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    await getSurvey(deps, project, request.params.id);
    return listSurveySessions(deps, project, { surveyId: request.params.id, limit: request.query.limit, cursor: request.query.cursor });
  });

  r.get(
    '/api/v1/projects/:project/survey-sessions',
    { onRequest: auth, schema: { tags, params: projectParams, querystring: listQuery.extend({ caseId: z.string().max(64).optional(), surveyId: z.string().max(64).optional() }) } },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return listSurveySessions(deps, project, request.query);
    },
  );

  r.get('/api/v1/projects/:project/survey-sessions/:id', { onRequest: auth, schema: { tags, params: surveyParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getSession(deps, project, request.params.id);
  });

  r.post('/api/v1/projects/:project/survey-sessions/:id/cancel', { onRequest: auth, schema: { tags, params: surveyParams, body: noBody } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return cancelSession(deps, project, request.params.id);
  });
}
