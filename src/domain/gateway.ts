/**
 * @module domain/gateway — gateway names, types, routes and the choice of gateway for a number
 * (DESIGN.md §9): the contact's override → the project's routes (longest digit prefix, then `*`)
 * → the global routes → none.
 */

export type Channel = 'sms' | 'email';

export const GATEWAY_NAME = /^[A-Z0-9][A-Z0-9_-]{0,49}$/;

/** ' test2 ' → 'TEST2'; null when the result is not a valid name. */
export function normaliseGatewayNameInput(raw: string): string | null {
  const name = raw.trim().toUpperCase();
  return GATEWAY_NAME.test(name) ? name : null;
}

export interface GatewayRef {
  id: string;
  name: string;
  projectId: string | null;
  channel: Channel;
}

export interface Route {
  prefix: string;
  gatewayId: string;
}

/** The route whose prefix is the longest one the digits start with; `*` matches anything, last. */
export function matchRoute(digits: string, routes: readonly Route[]): Route | null {
  let best: Route | null = null;
  for (const r of routes) {
    if (r.prefix === '*') {
      if (!best) {
        best = r;
      }
      continue;
    }
    if (digits.startsWith(r.prefix) && (!best || best.prefix === '*' || r.prefix.length > best.prefix.length)) {
      best = r;
    }
  }
  return best;
}

export type GatewayChoice = { ok: true; gatewayId: string; via: 'contact' | 'project-route' | 'global-route' } | { ok: false; code: 'GATEWAY_NOT_FOUND' | 'NO_SUITABLE_GATEWAY' };

/**
 * Chooses the SMS gateway for an E.164 number. `override` is the contact's contact_backend_id
 * (already upper-cased); it is looked up among the project's gateways, then the global ones.
 */
export function chooseSmsGateway(
  e164: string,
  override: string | null,
  gateways: readonly GatewayRef[],
  projectRoutes: readonly Route[],
  globalRoutes: readonly Route[],
): GatewayChoice {
  const sms = gateways.filter((g) => g.channel === 'sms');
  if (override) {
    const own = sms.find((g) => g.projectId !== null && g.name === override) ?? sms.find((g) => g.projectId === null && g.name === override);
    return own ? { ok: true, gatewayId: own.id, via: 'contact' } : { ok: false, code: 'GATEWAY_NOT_FOUND' };
  }
  const digits = e164.replace(/^\+/, '');
  const projectRoute = matchRoute(digits, projectRoutes);
  if (projectRoute) {
    return { ok: true, gatewayId: projectRoute.gatewayId, via: 'project-route' };
  }
  const globalRoute = matchRoute(digits, globalRoutes);
  if (globalRoute) {
    return { ok: true, gatewayId: globalRoute.gatewayId, via: 'global-route' };
  }
  return { ok: false, code: 'NO_SUITABLE_GATEWAY' };
}

/** Email: the project's defaultEmailGateway, else its only email gateway, else the only global one. */
export function chooseEmailGateway(defaultName: string | null, gateways: readonly GatewayRef[]): GatewayChoice {
  const email = gateways.filter((g) => g.channel === 'email');
  if (defaultName) {
    const named = email.find((g) => g.projectId !== null && g.name === defaultName) ?? email.find((g) => g.projectId === null && g.name === defaultName);
    return named ? { ok: true, gatewayId: named.id, via: 'project-route' } : { ok: false, code: 'GATEWAY_NOT_FOUND' };
  }
  const own = email.filter((g) => g.projectId !== null);
  if (own.length === 1 && own[0]) {
    return { ok: true, gatewayId: own[0].id, via: 'project-route' };
  }
  const global = email.filter((g) => g.projectId === null);
  if (own.length === 0 && global.length === 1 && global[0]) {
    return { ok: true, gatewayId: global[0].id, via: 'global-route' };
  }
  return { ok: false, code: 'NO_SUITABLE_GATEWAY' };
}

/** Validates route prefixes: digits (1–15) or `*`, no duplicates. Returns an error sentence or null. */
export function routeProblem(routes: readonly { prefix: string }[]): string | null {
  const seen = new Set<string>();
  for (const r of routes) {
    if (r.prefix !== '*' && !/^[0-9]{1,15}$/.test(r.prefix)) {
      return `Route prefix "${r.prefix}" must be digits (a country code or longer, without +) or *.`;
    }
    if (seen.has(r.prefix)) {
      return `Route prefix "${r.prefix}" appears twice.`;
    }
    seen.add(r.prefix);
  }
  return null;
}
