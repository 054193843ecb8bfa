/**
 * @module http/admin/ui — what every UI route needs: the signed-in actor (or a redirect to sign in),
 * HTML replies, and error pages in words.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

import { AppError } from '../../errors.ts';
import type { Actor } from '../../services/auth.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { classifyError, httpStatus } from '../error-handler.ts';
import { Layout } from './layout.tsx';
import { checkCsrf, uiActor } from './session.ts';

export function sendHtml(reply: FastifyReply, html: JSX.Element, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** The actor, or null after answering with a redirect to the sign-in page. */
export async function requireUi(deps: ServiceDeps, request: FastifyRequest, reply: FastifyReply): Promise<Actor | null> {
  const actor = await uiActor(deps, request);
  if (!actor) {
    await reply.redirect(`/ui/sign-in?next=${encodeURIComponent(request.url)}`);
    return null;
  }
  return actor;
}

/** For POSTs: the actor with a checked CSRF token, or null after a redirect. */
export async function requireUiPost(deps: ServiceDeps, request: FastifyRequest, reply: FastifyReply): Promise<Actor | null> {
  const actor = await requireUi(deps, request, reply);
  if (actor) {
    checkCsrf(actor, request.body);
  }
  return actor;
}

export function formValue(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | null)?.[name];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
}

/**
 * The message of an expected error, for showing next to a form; rethrows anything else. A refusal
 * (FORBIDDEN: no permission, or a missing or wrong form token) is not a mistake in the form: it is
 * rethrown, so the page is the 403 "Not allowed" page.
 */
export function formError(err: unknown): string {
  if (err instanceof AppError && err.code !== 'FORBIDDEN' && httpStatus(err.code) < 500) {
    return err.message;
  }
  throw err;
}

export function errorPage(err: unknown): { status: number; html: JSX.Element } {
  const { code, message } = classifyError(err);
  const status = httpStatus(code);
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong';
  return {
    status,
    html: (
      <Layout title={title} ctx={null}>
        <h1>{title}</h1>
        <p safe>{message}</p>
        <p class="code">{code}</p>
        <p>
          <a href="/ui/projects">Back to projects</a>
        </p>
      </Layout>
    ),
  };
}
