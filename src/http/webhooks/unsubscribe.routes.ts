/**
 * @module http/webhooks/unsubscribe.routes — the List-Unsubscribe link of emails (RFC 8058).
 * GET shows a page with a button (mail scanners follow GET links, so GET never unsubscribes);
 * POST (the one-click request mail clients send, or the button) unsubscribes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { ServiceDeps } from '../../services/deps.ts';
import { UI_CONTENT_SECURITY_POLICY } from '../security-headers.ts';
import { readUnsubscribeToken, unsubscribe } from '../../services/unsubscribe.service.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head><body><main>${body}</main></body></html>`;
}

export function registerUnsubscribeRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  // The admin UI's headers: no script, no framing (a framed button could be clicked unseen), no caching.
  const pageHeaders = {
    onRequest: async (_request: FastifyRequest, reply: FastifyReply) => {
      void reply.header('content-security-policy', UI_CONTENT_SECURITY_POLICY).header('x-frame-options', 'DENY').header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
    },
  };
  app.get<{ Params: { token: string } }>('/unsubscribe/:token', pageHeaders, async (request, reply) => {
    const { e } = readUnsubscribeToken(deps, request.params.token);
    const html = page(
      'Unsubscribe',
      `<h1>Unsubscribe</h1><p>Stop emails to <strong>${escapeHtml(e)}</strong>?</p><form method="post"><button type="submit">Unsubscribe</button></form>`,
    );
    return reply.type('text/html; charset=utf-8').send(html);
  });
  app.post<{ Params: { token: string } }>('/unsubscribe/:token', pageHeaders, async (request, reply) => {
    const email = await unsubscribe(deps, request.params.token);
    return reply.type('text/html; charset=utf-8').send(page('Unsubscribed', `<h1>Unsubscribed</h1><p>No more emails will be sent to <strong>${escapeHtml(email)}</strong>.</p>`));
  });
}
