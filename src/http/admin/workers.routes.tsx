/**
 * @module http/admin/workers.routes — the mobile workers pages: the list, creating a worker, and the
 * worker page (phone numbers: add, verify, remove; the conversation). Members may do all of it.
 * Registered through project-pages.ts (the project scope resolves the actor, the role and the form
 * token); the components are in workers.views.tsx.
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { numberFacts } from '../../services/cases.service.ts';
import { contactConversation } from '../../services/messages.service.ts';
import { addMobileWorkerNumber, createMobileWorker, getMobileWorker, listProjectMobileWorkers, type MobileWorkerView, removeMobileWorkerNumber } from '../../services/mobile-workers.service.ts';
import { verifyWorkerPhone } from '../../services/verification.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { scopeOf } from './project-scope.ts';
import { formError, formValue, sendHtml } from './ui.tsx';
import { WorkerPage, WorkersPage } from './workers.views.tsx';

const NOTICES: Record<string, string> = {
  added: 'Number added.',
  removed: 'Number removed.',
  started: 'Verification started: an SMS asks the worker to reply 123.',
  resent: 'Verification message resent.',
  already_verified: 'This number is already verified.',
  already_in_use: 'Cannot start verification: the number already receives replies for another contact (possibly in another project). Remove it there first.',
};

export function registerWorkerPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const workerFacts = (project: Project, w: MobileWorkerView) =>
    numberFacts(
      s,
      project,
      w.phoneNumbers.map((n) => n.number),
      w.phoneNumbers.some((n) => n.status === 'already-in-use'),
    );
  /** What the worker page shows besides the worker: the facts about its numbers and its conversation. */
  const workerExtras = async (project: Project, w: MobileWorkerView) => {
    const [facts, conversation] = await Promise.all([workerFacts(project, w), contactConversation(s, project, { type: 'mobile-worker', id: w.id })]);
    return { facts, conversation };
  };

  app.get<{ Params: { project: string }; Querystring: { cursor?: string } }>('/ui/p/:project/mobile-workers', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const list = await listProjectMobileWorkers(s, project, { limit: 50, cursor: request.query.cursor || undefined });
    const facts = await numberFacts(s, project, list.items.flatMap((w) => w.phoneNumbers.map((n) => n.number)), false);
    return sendHtml(reply, <WorkersPage ctx={page('mobile-workers')} project={project} items={list.items} next={list.nextCursor} error={null} form={{}} facts={facts} />);
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/mobile-workers', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const form = { username: formValue(request.body, 'username'), email: formValue(request.body, 'email') };
    try {
      const w = await createMobileWorker(s, project, { username: form.username.trim(), email: form.email.trim() || undefined });
      return reply.redirect(`/ui/p/${project.name}/mobile-workers/${w.id}`);
    } catch (err) {
      const message = formError(err);
      const list = await listProjectMobileWorkers(s, project, { limit: 50 });
      return sendHtml(reply, <WorkersPage ctx={page('mobile-workers')} project={project} items={list.items} next={list.nextCursor} error={message} form={form} />, 422);
    }
  });

  app.get<{ Params: { project: string; id: string }; Querystring: { notice?: string } }>('/ui/p/:project/mobile-workers/:id', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const w = await getMobileWorker(s, project, request.params.id);
    // Query values only select known words (own keys): "constructor" or any text is not shown.
    const notice = Object.hasOwn(NOTICES, request.query.notice ?? '') ? (NOTICES[request.query.notice ?? ''] ?? null) : null;
    const { facts, conversation } = await workerExtras(project, w);
    return sendHtml(reply, <WorkerPage ctx={page('mobile-workers')} project={project} w={w} notice={notice} error={null} typed="" facts={facts} conversation={conversation} />);
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/mobile-workers/:id/phone-numbers', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const typed = formValue(request.body, 'number');
    try {
      await addMobileWorkerNumber(s, project, request.params.id, typed);
      return reply.redirect(`/ui/p/${project.name}/mobile-workers/${request.params.id}?notice=added`);
    } catch (err) {
      const message = formError(err);
      const w = await getMobileWorker(s, project, request.params.id);
      const { facts, conversation } = await workerExtras(project, w);
      return sendHtml(reply, <WorkerPage ctx={page('mobile-workers')} project={project} w={w} notice={null} error={message} typed={typed} facts={facts} conversation={conversation} />, 422);
    }
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/mobile-workers/:id/phone-numbers/verify', async (request, reply) => {
    const { project } = scopeOf(request);
    const { result } = await verifyWorkerPhone(s, project, request.params.id, formValue(request.body, 'number'));
    return reply.redirect(`/ui/p/${project.name}/mobile-workers/${request.params.id}?notice=${result}`);
  });

  app.post<{ Params: { project: string; id: string } }>('/ui/p/:project/mobile-workers/:id/phone-numbers/remove', async (request, reply) => {
    const { project } = scopeOf(request);
    await removeMobileWorkerNumber(s, project, request.params.id, formValue(request.body, 'number'));
    return reply.redirect(`/ui/p/${project.name}/mobile-workers/${request.params.id}?notice=removed`);
  });
}
