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

/*
 * The shape of a rule for /openapi.json. Types, enums and lengths are documented as the domain checks
 * them (domain/reminder-rule.ts), but only the types are enforced here: enums, time formats and the
 * rules between fields are left to the service, whose errors name the field
 * (`schedule.offsets[0].time`, `conditions[1].op`). Inner objects let unknown keys through to it for
 * the same reason (it refuses them, naming them); the OpenAPI document says they are not allowed.
 */
const TIME = '^([01]\\d|2[0-3]):[0-5]\\d$';
/** A string documented as one of `values` (checked by the service). */
const oneOf = (values: readonly string[], description?: string) => z.string().max(100).meta({ enum: [...values], ...(description === undefined ? {} : { description }) });
const timeOfDay = z.string().meta({ pattern: TIME, description: 'local time HH:MM, 00:00–23:59', examples: ['09:00'] });
/** An object documented with additionalProperties: false; unknown keys reach the service, which names them. */
const closed = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape).meta({ additionalProperties: false });

export const conditionSchema = closed({
  property: z.string().max(100).describe('a case property'),
  op: oneOf(CONDITION_OPS, 'eq, ne: equal or not (as numbers when both are numbers); set, empty: has a value or not; lt, gt: numbers or dates; withinDays: a date within the next N days (negative N: the last N days)'),
  value: z.union([z.string().max(500), z.number()]).optional().describe('required except for set and empty; withinDays takes a whole number of days'),
}).describe('a condition on a case property');

export const contentSchema = closed({
  surveyId: z.string().max(64).optional().describe('send this survey of the project (instead of text)'),
  channel: oneOf(['sms', 'email']).optional().describe('sms (default) or email'),
  text: z.string().max(5000).optional().describe('the text; {name} and {property_name} are replaced'),
  translations: z.record(z.string().max(35), z.string().max(5000)).optional().describe('text per language code, e.g. {"en": "…", "sw": "…"}'),
  subject: z.string().max(200).optional().describe('the email subject'),
}).describe('what is sent: text and/or translations (with channel and subject), or a surveyId; not both');

export const scheduleSchema = closed({
  type: oneOf(['once', 'daily', 'weekly', 'offsets'], 'once: when the case starts to match (or, with startProperty, at one offset from that date); daily, weekly: at times; offsets: at offsets from the date in startProperty'),
  startProperty: z.string().max(100).optional().describe('the case property holding the date (or date-time) offsets count from'),
  offsets: z.array(closed({ days: z.number().meta({ type: 'integer', minimum: -3650, maximum: 3650 }).describe('whole days from the date (negative: before it)'), time: timeOfDay })).max(50).optional(),
  times: z.array(timeOfDay).max(24).optional().describe('local times of daily and weekly sends'),
  weekdays: z.array(oneOf(WEEKDAYS)).max(7).optional().describe('days of weekly sends'),
  repeat: z.number().meta({ type: 'integer', minimum: 1, maximum: 1000 }).optional().describe('daily/weekly: stop after this many sends'),
  stopWhen: z.array(conditionSchema).max(50).optional().describe('no more sends once all of these conditions hold'),
  spreadMinutes: z.number().meta({ type: 'integer', minimum: 1, maximum: 1440 }).optional().describe('spread load: each send moves by a fixed 0 … spreadMinutes−1 minutes'),
}).describe('when to send; times are local to the contact (else the project)');

export const windowSchema = closed({ from: timeOfDay, to: timeOfDay }).describe('sends are moved into this local window (from earlier than to; it cannot span midnight)');

const ruleFields = {
  name: z.string().max(200),
  caseType: z.string().max(100),
  conditions: z.array(conditionSchema).max(50).describe('every condition must hold (none: every open case of the type)'),
  recipients: z.enum(['case', 'owner', 'both']),
  content: contentSchema,
  schedule: scheduleSchema,
  window: windowSchema.nullable().describe('{"from": "08:00", "to": "20:00"}: sends are moved into this local window; null removes it'),
  active: z.boolean(),
};

/** A rule as POST …/reminder-rules takes it (and as rules are exported). */
export const ruleBody = z.strictObject({
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
