/**
 * @module http/admin/surveys.routes — the survey pages' routes (views in surveys.views.tsx): list,
 * editor (each button posts the whole draft; "save" creates or replaces), delete, sessions, and
 * "Start survey" on the case page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { AppError } from '../../errors.ts';
import { listSurveySessions, startSession } from '../../services/survey-sessions.service.ts';
import { createSurvey, getSurvey, listProjectSurveys, removeSurvey, replaceSurvey } from '../../services/surveys.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { scopeOf } from './project-scope.ts';
import { applyOp, draftFromForm, draftOf, inputOf } from './survey-draft.ts';
import { EditorPage, type Issue, ListPage, SessionsPage } from './surveys.views.tsx';
import { formError, formValue, sendHtml } from './ui.tsx';

function issuesOf(err: unknown): Issue[] {
  const message = formError(err);
  const details = err instanceof AppError ? (err.details as { issues?: Issue[] } | undefined) : undefined;
  return details?.issues?.length ? details.issues : [{ field: '', message }];
}

export function registerSurveyPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  app.get<{ Querystring: { notice?: string } }>('/ui/p/:project/surveys', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const list = await listProjectSurveys(s, project, { limit: 500 });
    return sendHtml(reply, <ListPage ctx={page('surveys')} project={project} items={list.items} notice={request.query.notice === 'deleted' ? 'Survey deleted.' : null} />);
  });

  app.get('/ui/p/:project/surveys/new', { config: { role: 'admin' } }, async (request, reply) => {
    const { project, page } = scopeOf(request);
    return sendHtml(reply, <EditorPage ctx={page('surveys')} project={project} surveyId={null} draft={draftOf(null)} issues={[]} notice={null} />);
  });

  app.get<{ Params: { id: string }; Querystring: { notice?: string } }>('/ui/p/:project/surveys/:id', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const survey = await getSurvey(s, project, request.params.id);
    const notice = request.query.notice === 'saved' ? 'Survey saved.' : null;
    return sendHtml(reply, <EditorPage ctx={page('surveys')} project={project} surveyId={survey.id} draft={draftOf(survey)} issues={[]} notice={notice} />);
  });

  /** The editor's buttons: save (create or replace), or change the draft and show it again. */
  async function edit(request: FastifyRequest, reply: FastifyReply, surveyId: string | null) {
    const { project, page } = scopeOf(request);
    const draft = draftFromForm(request.body, project);
    const op = formValue(request.body, 'op') || 'save';
    if (op !== 'save') {
      return sendHtml(reply, <EditorPage ctx={page('surveys')} project={project} surveyId={surveyId} draft={applyOp(draft, op)} issues={[]} notice={null} />);
    }
    try {
      const saved = surveyId ? await replaceSurvey(s, project, surveyId, inputOf(draft)) : await createSurvey(s, project, inputOf(draft));
      return reply.redirect(`/ui/p/${project.name}/surveys/${saved.id}?notice=saved`);
    } catch (err) {
      return sendHtml(reply, <EditorPage ctx={page('surveys')} project={project} surveyId={surveyId} draft={draft} issues={issuesOf(err)} notice={null} />, 422);
    }
  }

  app.post('/ui/p/:project/surveys', { config: { role: 'admin' } }, async (request, reply) => edit(request, reply, null));
  app.post<{ Params: { id: string } }>('/ui/p/:project/surveys/:id', { config: { role: 'admin' } }, async (request, reply) => edit(request, reply, request.params.id));

  app.post<{ Params: { id: string } }>('/ui/p/:project/surveys/:id/delete', { config: { role: 'admin' } }, async (request, reply) => {
    const { project } = scopeOf(request);
    await removeSurvey(s, project, request.params.id);
    return reply.redirect(`/ui/p/${project.name}/surveys?notice=deleted`);
  });

  app.get<{ Params: { id: string }; Querystring: { cursor?: string } }>('/ui/p/:project/surveys/:id/sessions', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const survey = await getSurvey(s, project, request.params.id);
    const list = await listSurveySessions(s, project, { surveyId: survey.id, limit: 50, cursor: request.query.cursor || undefined });
    return sendHtml(reply, <SessionsPage ctx={page('surveys')} project={project} survey={survey} items={list.items} next={list.nextCursor} />);
  });

  /** On the case page: "Start survey". */
  app.post<{ Params: { id: string } }>('/ui/p/:project/cases/:id/surveys', async (request, reply) => {
    const { project, actor } = scopeOf(request);
    const caseUrl = `/ui/p/${project.name}/cases/${encodeURIComponent(request.params.id)}`;
    try {
      await startSession(s, project, formValue(request.body, 'surveyId'), request.params.id, actor.userId);
      return reply.redirect(`${caseUrl}?notice=survey-started#surveys-title`);
    } catch (err) {
      formError(err); // rethrows anything but a refusal the user can fix; the case page shows the code's words
      return reply.redirect(`${caseUrl}?surveyError=${(err as AppError).code}#surveys-title`);
    }
  });
}
