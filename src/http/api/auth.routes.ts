/**
 * @module http/api/auth.routes — POST /api/v1/auth/tokens (email + password → bearer token).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { issueApiToken, revokeActorToken } from '../../services/auth.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { signInAddress } from '../client-address.ts';

export function registerAuthRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/api/v1/auth/tokens',
    { schema: { tags: ['auth'], body: z.strictObject({ email: z.string().max(254), password: z.string().max(1024), label: z.string().max(200).optional() }) } },
    async (request, reply) => {
      const token = await issueApiToken(deps, request.body.email, request.body.password, request.body.label ?? null, signInAddress(request));
      return reply.code(201).send({ token });
    },
  );
  r.delete('/api/v1/auth/tokens/current', { schema: { tags: ['auth'] }, onRequest: requireApiActor(deps) }, async (request, reply) => {
    await revokeActorToken(deps, actorOf(request));
    return reply.code(204).send();
  });
  r.get('/api/v1/auth/me', { schema: { tags: ['auth'] }, onRequest: requireApiActor(deps) }, async (request) => {
    const a = actorOf(request);
    return { id: a.userId, email: a.email, isSuperuser: a.isSuperuser };
  });
}
