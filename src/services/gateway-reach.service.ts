/**
 * @module services/gateway-reach.service — which of a project's SMS gateways no route sends through
 * (so cases never reach them), and the one-click fix: a catch-all `*` route through a gateway.
 */
import { catchAllRoute, routesReaching } from '../domain/gateway-reach.ts';
import type { Project } from '../domain/project.ts';
import type { ServiceDeps } from './deps.ts';
import { getRoutes, putRoutes } from './gateways.service.ts';
import { loadRouting } from './message-plan.ts';

/** An SMS gateway the project's routes never choose; `catchAll` names the gateway its `*` route uses, if any. */
export interface UnroutedGateway {
  gateway: string;
  catchAll: string | null;
}

/** The project's (and usable global) SMS gateways that no route of the project, nor a global route it falls back on, reaches: by name. */
export async function unroutedGateways(deps: ServiceDeps, project: Project): Promise<Map<string, UnroutedGateway>> {
  const routing = await loadRouting(deps.db, project);
  const names = new Map(routing.gateways.map((g) => [g.id, g.name]));
  const star = catchAllRoute(routing.projectRoutes);
  const catchAll = star ? (names.get(star.gatewayId) ?? null) : null;
  const out = new Map<string, UnroutedGateway>();
  // A project's own gateway hides a global one of the same name (as routing and putRoutes do).
  const own = new Set(routing.gateways.filter((g) => g.projectId !== null).map((g) => g.name));
  for (const g of routing.gateways) {
    if (g.channel !== 'sms' || (g.projectId === null && own.has(g.name))) {
      continue;
    }
    const reach = routesReaching(g.id, routing.projectRoutes, routing.globalRoutes);
    if (reach.project.length === 0 && reach.global.length === 0) {
      out.set(g.name, { gateway: g.name, catchAll });
    }
  }
  return out;
}

/**
 * Sends every number no longer prefix catches through `gateway`: adds `* gateway` to the project's
 * routes, or, with `replace`, puts it in place of the current `*` route. Returns what was done.
 */
export async function routeAllThrough(deps: ServiceDeps, project: Project, gateway: string, replace: boolean): Promise<'added' | 'replaced' | 'unchanged' | { catchAll: string }> {
  const routes = await getRoutes(deps, project.id);
  const name = gateway.trim().toUpperCase();
  const star = routes.find((r) => r.prefix === '*');
  if (star?.gateway === name) {
    return 'unchanged';
  }
  if (star && !replace) {
    return { catchAll: star.gateway };
  }
  const next = star ? routes.map((r) => (r.prefix === '*' ? { prefix: '*', gateway: name } : r)) : [...routes, { prefix: '*', gateway: name }];
  await putRoutes(deps, project.id, next);
  return star ? 'replaced' : 'added';
}
