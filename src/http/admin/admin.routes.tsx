/**
 * @module http/admin/admin.routes — the server-rendered admin UI under /ui (UI.md): sign-in,
 * projects and settings, cases and the case page, mobile workers and their numbers. Plain forms
 * that work without JavaScript; htmx is served for pages that enhance them.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { AdminDeps } from './admin-deps.ts';
import { PROJECT_PAGE_MODULES } from './project-pages.ts';
import { projectPages } from './project-scope.ts';
import { registerAuthPages } from './auth.pages.tsx';
import { multipartLimits } from '../api/imports.routes.ts';
import { registerImportPages } from './imports.routes.tsx';
import { registerProjectPages } from './projects.pages.tsx';
import { registerTokenPages } from './tokens.routes.tsx';
import { registerAccountPages } from './users.routes.tsx';
import { uiSecurityHeaders } from '../security-headers.ts';
import { ADMIN_SCRIPT } from './admin-script.ts';
import { errorPage, sendHtml } from './ui.tsx';
import { AppError } from '../../errors.ts';

/** A speech bubble with a tick, in the brand's colour. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="4" width="28" height="20" rx="5" fill="#1d4ed8"/><path d="M9 24l-3 6 9-6z" fill="#1d4ed8"/><path d="M10 14l4 4 8-8" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round"/></svg>';

const css = fs.readFileSync(path.join(import.meta.dirname, 'admin.css'), 'utf8');
const htmx = fs.readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'), 'utf8');

export async function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  await app.register(async (ui) => {
    // Content-Security-Policy, framing, nosniff, no-store (security-headers.ts) on every UI answer.
    ui.addHook('onSend', uiSecurityHeaders);
    // UI errors are pages in words, not JSON.
    ui.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const page = errorPage(err);
      if (page.status >= 500) {
        request.log.error({ err }, 'ui request failed');
      }
      return sendHtml(reply, page.html, page.status);
    });
    ui.get('/ui/assets/admin.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css));
    ui.get('/ui/assets/htmx.min.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(htmx));
    ui.get('/ui/assets/admin.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(ADMIN_SCRIPT));
    ui.get('/ui/assets/favicon.svg', async (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON));
    ui.get('/ui', async (_request, reply) => reply.redirect('/ui/projects'));
    ui.get<{ Params: { project: string } }>('/ui/p/:project', async (request, reply) => reply.redirect(`/ui/p/${encodeURIComponent(request.params.project)}/dashboard`));
    registerAuthPages(ui, deps);
    registerProjectPages(ui, deps);
    registerTokenPages(ui, deps);
    registerAccountPages(ui, deps);
    await projectPages(ui, deps, PROJECT_PAGE_MODULES);
    // The upload form is the only UI form sent as multipart.
    await ui.register(async (scope) => {
      await scope.register(fastifyMultipart, multipartLimits(deps.config));
      await projectPages(scope, deps, [registerImportPages]);
    });
  });
  app.get('/', { onSend: uiSecurityHeaders }, async (_request, reply) => reply.redirect('/ui'));
}

/** The answer for a path under /ui that no page has: the HTML "Not found" page, not JSON. */
export async function sendUiNotFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const page = errorPage(new AppError('NOT_FOUND', 'There is no page at this address. Check the link, or start again from your projects.'));
  await uiSecurityHeaders(request, reply, null);
  return sendHtml(reply, page.html, 404);
}
