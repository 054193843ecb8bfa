/**
 * @module domain/gateway-reach — whether a project's messages can reach an SMS gateway through the
 * routes, as chooseSmsGateway (domain/gateway.ts) picks one: the project's routes first (any
 * project route that matches a number wins over every global route), then the global routes. A
 * gateway no route reaches is only used by contacts that name it (contact_backend_id) and by
 * "Send test message", which is why the gateways page warns about it.
 */
import type { Route } from './gateway.ts';

/** A global route whose numbers some project route always catches first is never used by this project. */
function shadowed(globalRoute: Route, projectRoutes: readonly Route[]): boolean {
  return projectRoutes.some((r) => r.prefix === '*' || (globalRoute.prefix !== '*' && globalRoute.prefix.startsWith(r.prefix)));
}

/** The routes through which the project's messages reach `gatewayId` (project routes, then global ones it falls back on). */
export function routesReaching(gatewayId: string, projectRoutes: readonly Route[], globalRoutes: readonly Route[]): { project: Route[]; global: Route[] } {
  return {
    project: projectRoutes.filter((r) => r.gatewayId === gatewayId),
    global: globalRoutes.filter((r) => r.gatewayId === gatewayId && !shadowed(r, projectRoutes)),
  };
}

/** The project's catch-all route (`*`), if it has one. */
export function catchAllRoute(projectRoutes: readonly Route[]): Route | null {
  return projectRoutes.find((r) => r.prefix === '*') ?? null;
}
