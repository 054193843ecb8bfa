/**
 * @module http/admin/messages.routes — the message log, a contact's conversation (a page, and the
 * fragment its live thread reloads). Sending from the case page is in cases.routes.tsx. Registered
 * through project-pages.ts (the project scope resolves the actor, the project and the form token).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { isRealDate } from '../../domain/schedule.ts';
import { getCase } from '../../services/cases.service.ts';
import { type ContactRef, contactConversation, listProjectMessages, messageContactNames, type PublicStatus, waitingInbound } from '../../services/messages.service.ts';
import { getMobileWorker } from '../../services/mobile-workers.service.ts';
import { SEARCH_WINDOW } from '../../store/message.store.ts';
import type { AdminDeps } from './admin-deps.ts';
import { ContactConversation, ConversationPage, LogPage, type LogQuery, PUBLIC_STATUSES } from './messages.views.tsx';
import { scopeOf } from './project-scope.ts';
import { sendHtml } from './ui.tsx';

/** An htmx request (the live thread reloading itself) gets the fragment, a browser the page. */
function wantsFragment(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true';
}

export function registerMessagePages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;

  app.get<{ Params: { project: string }; Querystring: LogQuery & { cursor?: string } }>('/ui/p/:project/messages', async (request, reply) => {
    const { project, page } = scopeOf(request);
    const q = request.query;
    const date = (v: string | undefined, endOfDay: boolean) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) && isRealDate(v) ? new Date(`${v}T00:00:00Z`).getTime() + (endOfDay ? 86_400_000 : 0) : undefined);
    const from = date(q.from, false);
    const to = date(q.to, true);
    const status = PUBLIC_STATUSES.find((x) => x === q.status);
    const search = typeof q.q === 'string' ? q.q.slice(0, 200) : '';
    const list = await listProjectMessages(s, project, {
      direction: q.direction === 'in' || q.direction === 'out' ? q.direction : undefined,
      status: status as PublicStatus | undefined,
      errorCode: q.errorCode || undefined,
      q: search || undefined,
      from: from === undefined ? undefined : new Date(from),
      to: to === undefined ? undefined : new Date(to),
      limit: 50,
      cursor: q.cursor || undefined,
    });
    const [names, waiting] = await Promise.all([messageContactNames(s, project, list.items), waitingInbound(s, project)]);
    const kept: LogQuery = { q: search, direction: q.direction, status: q.status, errorCode: q.errorCode, from: q.from, to: q.to };
    return sendHtml(reply, <LogPage ctx={page('messages')} project={project} items={list.items} names={names} next={list.nextCursor} q={kept} searchWindow={SEARCH_WINDOW} waiting={waiting} />);
  });

  // A contact's conversation: oldest first, `before` goes to earlier messages; htmx reloads the newest page.
  const conversation = (type: ContactRef['type']) => async (request: FastifyRequest<{ Params: { project: string; id: string }; Querystring: { before?: string } }>) => {
    const { project, page } = scopeOf(request);
    const contact: ContactRef = { type, id: request.params.id };
    // The contact must be this project's (NOT_FOUND otherwise), and its name heads the page.
    const name = type === 'case' ? (await getCase(s, project, contact.id)).name : (await getMobileWorker(s, project, contact.id)).username;
    const before = typeof request.query.before === 'string' && request.query.before !== '' ? request.query.before : null;
    const thread = await contactConversation(s, project, contact, { before: before ?? undefined });
    return { project, page, contact, name, before, thread };
  };
  for (const [type, collection] of [
    ['case', 'cases'],
    ['mobile-worker', 'mobile-workers'],
  ] as const) {
    app.get<{ Params: { project: string; id: string }; Querystring: { before?: string } }>(`/ui/p/:project/${collection}/:id/conversation`, async (request, reply) => {
      const c = await conversation(type)(request);
      if (wantsFragment(request)) {
        return sendHtml(reply, <ContactConversation project={c.project} contact={c.contact} conversation={c.thread} before={c.before} />);
      }
      return sendHtml(reply, <ConversationPage ctx={c.page(collection)} project={c.project} contact={c.contact} name={c.name} conversation={c.thread} before={c.before} />);
    });
  }
}
