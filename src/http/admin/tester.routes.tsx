/**
 * @module http/admin/tester.routes — the SMS tester (project admins only, through the project's own
 * test gateways: issue 23) and the fragment its live thread reloads. Registered through
 * project-pages.ts.
 */
import type { FastifyInstance } from 'fastify';

import { normaliseLookupNumber } from '../../domain/phone-number.ts';
import type { Project } from '../../domain/project.ts';
import { AppError } from '../../errors.ts';
import { numberConversation } from '../../services/messages.service.ts';
import { submitTesterMessage, testerGateways } from '../../services/sms-tester.service.ts';
import { listSurveySessions } from '../../services/survey-sessions.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { scopeOf } from './project-scope.ts';
import { TesterPage, TesterThread } from './tester.views.tsx';
import { formValue, sendHtml } from './ui.tsx';

const admin = { config: { role: 'admin' as const } };

export function registerTesterPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const numberOf = (project: Project, raw: string | undefined) => (raw ? (normaliseLookupNumber(raw, project.defaultCountry) ?? raw.slice(0, 64)) : '');

  app.get<{ Params: { project: string }; Querystring: { gateway?: string; number?: string } }>('/ui/p/:project/tester', admin, async (request, reply) => {
    const { project, page } = scopeOf(request);
    const gateways = await testerGateways(s, project);
    const number = numberOf(project, request.query.number);
    const conversation = number ? await numberConversation(s, project, number) : [];
    // The survey this number is answering (or answered last), so a survey can be tried end to end.
    const survey = number ? ((await listSurveySessions(s, project, { number, limit: 1 })).items[0] ?? null) : null;
    const chosen = request.query.gateway ?? gateways[0]?.name ?? '';
    return sendHtml(reply, <TesterPage ctx={page('tester')} project={project} gateways={gateways} chosen={chosen} number={number} conversation={conversation} survey={survey} error={null} />);
  });

  // What the live thread reloads: the conversation with one number, oldest first.
  app.get<{ Params: { project: string }; Querystring: { number?: string } }>('/ui/p/:project/tester/messages', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    const number = numberOf(project, request.query.number);
    const conversation = number ? await numberConversation(s, project, number) : [];
    return sendHtml(reply, <TesterThread project={project} number={number} conversation={conversation} />);
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/tester', admin, async (request, reply) => {
    const { project, page } = scopeOf(request);
    const input = { gateway: formValue(request.body, 'gateway'), from: formValue(request.body, 'from'), text: formValue(request.body, 'text') };
    try {
      const { gateway, from } = await submitTesterMessage(s, project, input);
      return reply.redirect(`/ui/p/${project.name}/tester?gateway=${encodeURIComponent(gateway.name)}&number=${encodeURIComponent(from)}`);
    } catch (err) {
      if (!(err instanceof AppError)) {
        throw err;
      }
      const gateways = await testerGateways(s, project);
      const chosen = gateways.some((g) => g.name === input.gateway) ? input.gateway : (gateways[0]?.name ?? '');
      return sendHtml(reply, <TesterPage ctx={page('tester')} project={project} gateways={gateways} chosen={chosen} number={input.from.trim()} text={input.text} conversation={[]} error={err.message} />, 422);
    }
  });
}
