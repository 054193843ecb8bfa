/**
 * @module http/api/reminder-reports.routes — what reminder rules do for cases (API.md "Reminder
 * rules"): the preview of a rule for one case, and a case's reminders. Members read both.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { ServiceDeps } from '../../services/deps.ts';
import { requireProject } from '../../services/projects.service.ts';
import { caseReminders, previewRuleForCase } from '../../services/reminder-report.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { projectParams } from './schemas.ts';

const ruleParams = projectParams.extend({ id: z.string().max(64) });
const caseParams = projectParams.extend({ id: z.string().max(64) });

export function registerReminderReportRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);

  r.get(
    '/api/v1/projects/:project/reminder-rules/:id/preview',
    {
      onRequest: auth,
      schema: {
        tags: ['reminder rules'],
        description: 'What one case would get from this rule now: [{at (UTC), localTime, zone, recipient, channel, text, missing}], empty when it gets nothing (the header X-Rollcall-Reason says why).',
        params: ruleParams,
        querystring: z.strictObject({ caseId: z.string().max(64).optional().describe('required: the case to preview') }),
      },
    },
    async (request, reply) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      const preview = await previewRuleForCase(deps, project, request.params.id, request.query.caseId ?? '');
      if (preview.reason !== null) {
        void reply.header('x-rollcall-reason', encodeURIComponent(preview.reason));
      }
      return preview.items;
    },
  );

  r.get(
    '/api/v1/projects/:project/cases/:id/reminders',
    {
      onRequest: auth,
      schema: {
        tags: ['reminder rules', 'cases'],
        description: "The case's reminders: scheduled ones soonest first, then sent, failed and cancelled ones newest first.",
        params: caseParams,
      },
    },
    async (request) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      return caseReminders(deps, project, request.params.id);
    },
  );
}
