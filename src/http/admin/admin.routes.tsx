/**
 * @module http/admin/admin.routes — the server-rendered admin UI (filled in by the UI work).
 */
import type { FastifyInstance } from 'fastify';

import type { Config } from '../../config.ts';
import type { ServiceDeps } from '../../services/deps.ts';

export interface AdminDeps {
  services: ServiceDeps;
  config: Config;
}

export async function registerAdminRoutes(app: FastifyInstance, _deps: AdminDeps): Promise<void> {
  app.get('/', async (_request, reply) => reply.redirect('/ui'));
}
