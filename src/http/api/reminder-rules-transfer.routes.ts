/**
 * @module http/api/reminder-rules-transfer.routes — moving reminder rules between projects (issue 25,
 * point 6; services/reminder-rules-transfer.service.ts): members export a project's rules as one
 * JSON document, admins import such a document into a project, all rules or none.
 *
 * The import's admin check runs before the body is read or validated, so a member always gets 403
 * (and a stranger to the project 404), whatever they send. Every field inside a rule is checked by
 * the service, whose errors name it (`rules[2].schedule.offsets[0].time`) in details.field.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { ServiceDeps } from '../../services/deps.ts';
import { requireProject } from '../../services/projects.service.ts';
import { exportReminderRules, importReminderRules, MAX_TRANSFER_RULES, TRANSFER_FORMAT, TRANSFER_VERSION } from '../../services/reminder-rules-transfer.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { ruleBody } from './reminder-rules.routes.ts';
import { projectParams } from './schemas.ts';

const documentFields = {
  format: z.literal(TRANSFER_FORMAT),
  version: z.literal(TRANSFER_VERSION),
  surveys: z.record(z.string().max(64), z.string().max(200)).describe('the name of each survey a rule sends, by its id in content.surveyId; on import the target project\'s survey of that name is used'),
};

/** The document an import takes: rules as POST …/reminder-rules takes them. */
const importDocument = z
  .strictObject({
    ...documentFields,
    rules: z.array(ruleBody).max(MAX_TRANSFER_RULES).describe(`rules as POST …/reminder-rules takes them; at most ${MAX_TRANSFER_RULES}`),
    surveys: documentFields.surveys.optional(),
  })
  .describe('reminder rules written by GET …/reminder-rules/export (or rollcall rules export)');

/** The document an export gives: every field of every rule spelled out. */
const exportDocument = z
  .strictObject({
    ...documentFields,
    rules: z.array(ruleBody.required({ conditions: true, recipients: true, active: true })).describe('every rule of the project, in creation order'),
  })
  .describe('the project\'s reminder rules, for POST …/reminder-rules/import into another project');

const importQuery = z.object({
  skipExisting: z.enum(['true', 'false']).optional().describe('true: rules whose name the project already has are left out (and listed in "skipped") instead of refusing the import'),
});

const importResult = z.object({
  created: z.array(z.object({ id: z.string(), name: z.string() })),
  skipped: z.array(z.string()).describe('names of the rules left out because the project already has a rule of that name'),
});

export function registerReminderRuleTransferRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['reminder rules'];
  /** Admins only, decided before the body is parsed or validated. */
  const adminOnly = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    await requireProject(deps, actorOf(request), (request.params as { project?: string }).project ?? '', 'admin');
  };

  r.get(
    '/api/v1/projects/:project/reminder-rules/export',
    { onRequest: auth, schema: { tags, summary: 'The project\'s reminder rules as one document', params: projectParams, response: { 200: exportDocument } } },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return exportReminderRules(deps, project);
    },
  );

  r.post(
    '/api/v1/projects/:project/reminder-rules/import',
    {
      onRequest: [auth, adminOnly],
      schema: { tags, summary: 'Create the rules of an exported document, all or none', params: projectParams, querystring: importQuery, body: importDocument, response: { 201: importResult } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const project = await requireProject(deps, actor, request.params.project, 'admin');
      const result = await importReminderRules(deps, project, request.body, { skipExisting: request.query.skipExisting === 'true', createdBy: actor.userId });
      return reply.code(201).send(result);
    },
  );
}
