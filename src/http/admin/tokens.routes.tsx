/**
 * @module http/admin/tokens.routes — /ui/tokens: the signed-in user's own API tokens (any signed-in
 * user; not inside a project). Creating one answers with the page showing the token once; it is never
 * put in a URL and cannot be shown again. Registered in admin.routes.tsx.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

import type { Actor } from '../../services/auth.service.ts';
import { createApiToken, listOwnApiTokens, MAX_TOKEN_NAME, revokeOwnApiToken } from '../../services/api-tokens.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { formFields, parseForm } from './components/form.tsx';
import type { PageContext } from './layout.tsx';
import { TokensPage, type TokensPageProps } from './tokens.views.tsx';
import { requireUi, requireUiPost, sendHtml } from './ui.tsx';

export const createTokenForm = z.object({
  name: z.string({ error: 'Give the token a name.' }).trim().min(1, 'Give the token a name, such as “nightly export”.').max(MAX_TOKEN_NAME, `At most ${MAX_TOKEN_NAME} characters.`),
  expires: z.enum(['7', '30', '90', '365', 'never'], { error: 'Choose when the token expires.' }),
});

const NOTICES: Readonly<Record<string, string>> = { revoked: 'Token revoked: anything still using it is refused from its next request.' };

export function registerTokenPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const ctxOf = (actor: Actor): PageContext => ({ actor, project: null, section: 'tokens' });

  async function render(reply: FastifyReply, actor: Actor, cursor: string | undefined, extra: Partial<TokensPageProps>, status = 200): Promise<FastifyReply> {
    const page = await listOwnApiTokens(s, actor, { limit: 50, cursor });
    return sendHtml(reply, <TokensPage ctx={ctxOf(actor)} tokens={page.items} nextCursor={page.nextCursor} paged={cursor !== undefined} {...extra} />, status);
  }

  app.get<{ Querystring: { cursor?: string; notice?: string } }>('/ui/tokens', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const key = request.query.notice ?? '';
    const cursor = typeof request.query.cursor === 'string' && request.query.cursor !== '' ? request.query.cursor.slice(0, 100) : undefined;
    return render(reply, actor, cursor, { notice: Object.hasOwn(NOTICES, key) ? (NOTICES[key] ?? null) : null });
  });

  app.post('/ui/tokens', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const typed = formFields(request.body);
    const parsed = parseForm(createTokenForm, request.body);
    if (!parsed.ok) {
      return render(reply, actor, undefined, { errors: parsed.errors, form: { name: typed.name ?? '', expires: typed.expires ?? '90' } }, 422);
    }
    const { name, expires } = parsed.value;
    const created = await createApiToken(s, actor.userId, { name, expiresInDays: expires === 'never' ? null : Number(expires) });
    // The secret is on this answer only (no redirect: it must not be in a URL or reachable again).
    return render(reply, actor, undefined, { created }, 201);
  });

  app.post<{ Params: { id: string } }>('/ui/tokens/:id/revoke', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    await revokeOwnApiToken(s, actor, request.params.id);
    return reply.redirect('/ui/tokens?notice=revoked');
  });
}
