/**
 * @module http/api/users.routes — accounts server-wide (superusers): PATCH /api/v1/users/:id
 * `{active}` deactivates an account (it cannot sign in; its sessions and API tokens are revoked at
 * once) or reactivates it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { ServiceDeps } from '../../services/deps.ts';
import { setAccountActive } from '../../services/web-users.service.ts';
import { actorOf, requireApiActor } from '../auth.ts';

export function registerUserRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.patch(
    '/api/v1/users/:id',
    {
      onRequest: requireApiActor(deps),
      schema: {
        tags: ['users'],
        params: z.object({ id: z.string().max(64) }),
        body: z.strictObject({ active: z.boolean().describe('false: the account cannot sign in and its sessions and API tokens stop working at once; true: it can sign in again.') }),
      },
    },
    async (request) => setAccountActive(deps, actorOf(request), request.params.id, request.body.active),
  );
}
