/**
 * @module http/api/reminder-rules.routes — reminder rules (API.md "Reminder rules"): project admins
 * create, change and delete them, members read them. The body's top level is checked here; every
 * field inside it by the service (domain/reminder-rule.ts), whose errors name the field
 * (`schedule.offsets[0].time`) in details.field.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { CONDITION_OPS, WEEKDAYS } from '../../domain/reminder-rule.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { requireProject } from '../../services/projects.service.ts';
import { createReminderRule, getReminderRule, listProjectReminderRules, patchReminderRule, removeReminderRule } from '../../services/reminder-rules.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { listQuery, projectParams } from './schemas.ts';

const object = z.record(z.string(), z.unknown());

const ruleFields = {
  name: z.string().max(200),
  caseType: z.string().max(100),
  conditions: z.array(object).max(50).describe(`[{"property","op": ${CONDITION_OPS.join('|')},"value"?}]: every condition must hold`),
  recipients: z.enum(['case', 'owner', 'both']),
  content: object.describe('{"channel"?: "sms"|"email", "text"?, "translations"?: {"en": "…"}, "subject"?} or {"surveyId"}'),
  schedule: object.describe(`{"type": "once"|"daily"|"weekly"|"offsets", "startProperty"?, "offsets"?: [{"days": -7, "time": "09:00"}], "times"?: ["08:00"], "weekdays"?: [${WEEKDAYS.join('|')}], "repeat"?, "stopWhen"?: [conditions], "spreadMinutes"?}`),
  window: object.nullable().describe('{"from": "08:00", "to": "20:00"}: sends are moved into this local window; null removes it'),
  active: z.boolean(),
};

const ruleBody = z.strictObject({
  name: ruleFields.name,
  caseType: ruleFields.caseType,
  conditions: ruleFields.conditions.optional(),
  recipients: ruleFields.recipients.optional(),
  content: ruleFields.content,
  schedule: ruleFields.schedule,
  window: ruleFields.window.optional(),
  active: ruleFields.active.optional(),
});

const rulePatch = z.strictObject({
  name: ruleFields.name.optional(),
  caseType: ruleFields.caseType.optional(),
  conditions: ruleFields.conditions.optional(),
  recipients: ruleFields.recipients.optional(),
  content: ruleFields.content.optional(),
  schedule: ruleFields.schedule.optional(),
  window: ruleFields.window.optional(),
  active: ruleFields.active.optional(),
});

const ruleParams = projectParams.extend({ id: z.string().max(64) });

export function registerReminderRuleRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['reminder rules'];

  r.post('/api/v1/projects/:project/reminder-rules', { onRequest: auth, schema: { tags, params: projectParams, body: ruleBody } }, async (request, reply) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project, 'admin');
    return reply.code(201).send(await createReminderRule(deps, project, request.body, actor.userId));
  });

  r.get('/api/v1/projects/:project/reminder-rules', { onRequest: auth, schema: { tags, params: projectParams, querystring: listQuery } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return listProjectReminderRules(deps, project, request.query);
  });

  r.get('/api/v1/projects/:project/reminder-rules/:id', { onRequest: auth, schema: { tags, params: ruleParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getReminderRule(deps, project, request.params.id);
  });

  r.patch('/api/v1/projects/:project/reminder-rules/:id', { onRequest: auth, schema: { tags, params: ruleParams, body: rulePatch } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    return patchReminderRule(deps, project, request.params.id, request.body);
  });

  r.delete('/api/v1/projects/:project/reminder-rules/:id', { onRequest: auth, schema: { tags, params: ruleParams } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project, 'admin');
    await removeReminderRule(deps, project, request.params.id);
    return reply.code(204).send();
  });
}
