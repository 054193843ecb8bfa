/**
 * @module http/admin/admin-deps — what every admin page module is given: the services and the
 * server's configuration. Built once in admin.routes.tsx.
 */
import type { Config } from '../../config.ts';
import type { ServiceDeps } from '../../services/deps.ts';

export interface AdminDeps {
  services: ServiceDeps;
  config: Config;
}
