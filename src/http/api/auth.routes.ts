/**
 * @module http/api/auth.routes — API tokens: POST /api/v1/auth/tokens (email + password → bearer
 * token, with an optional name and expiry), the signed-in user's own tokens listed (never their
 * secret) and revoked one by one, and who the token belongs to.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { issueNamedApiToken, listOwnApiTokens, MAX_TOKEN_DAYS, MAX_TOKEN_NAME, revokeOwnApiToken } from '../../services/api-tokens.service.ts';
import { revokeActorToken } from '../../services/auth.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { signInAddress } from '../client-address.ts';
import { listQuery } from './schemas.ts';

const newTokenBody = z.strictObject({
  email: z.string().max(254),
  password: z.string().max(1024),
  name: z.string().max(MAX_TOKEN_NAME).optional().describe('What the token is for ("nightly export"); shown in the list of tokens.'),
  label: z.string().max(MAX_TOKEN_NAME).optional().describe('The older name of `name` (used when `name` is absent).'),
  expiresInDays: z
    .number()
    .int()
    .min(1)
    .max(MAX_TOKEN_DAYS)
    .nullable()
    .optional()
    .describe(`Days until the token stops working (1–${MAX_TOKEN_DAYS}); absent or null: it does not expire.`),
});

const newTokenReply = z.object({
  token: z.string().describe('The secret: shown only in this answer, never again.'),
  id: z.string(),
  name: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

const tokenItem = z.object({
  id: z.string(),
  name: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  expired: z.boolean(),
  lastUsedAt: z.string().nullable().describe('Recorded at most once a minute; null: never used.'),
  current: z.boolean().describe('This is the token the request was made with.'),
});

export function registerAuthRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  r.post('/api/v1/auth/tokens', { schema: { tags: ['auth'], body: newTokenBody, response: { 201: newTokenReply } } }, async (request, reply) => {
    const { email, password, name, label, expiresInDays } = request.body;
    const created = await issueNamedApiToken(deps, { email, password, name: name ?? label ?? null, expiresInDays: expiresInDays ?? null }, signInAddress(request));
    return reply.code(201).send(created);
  });
  r.get('/api/v1/auth/tokens', { schema: { tags: ['auth'], querystring: listQuery, response: { 200: z.object({ items: z.array(tokenItem), nextCursor: z.string().nullable() }) } }, onRequest: auth }, async (request) =>
    listOwnApiTokens(deps, actorOf(request), request.query),
  );
  r.delete('/api/v1/auth/tokens/current', { schema: { tags: ['auth'] }, onRequest: auth }, async (request, reply) => {
    await revokeActorToken(deps, actorOf(request));
    return reply.code(204).send();
  });
  r.delete('/api/v1/auth/tokens/:id', { schema: { tags: ['auth'], params: z.object({ id: z.string().max(64) }) }, onRequest: auth }, async (request, reply) => {
    await revokeOwnApiToken(deps, actorOf(request), request.params.id);
    return reply.code(204).send();
  });
  r.get('/api/v1/auth/me', { schema: { tags: ['auth'] }, onRequest: auth }, async (request) => {
    const a = actorOf(request);
    return { id: a.userId, email: a.email, isSuperuser: a.isSuperuser };
  });
}
