/**
 * Route enumeration for tests that must cover every endpoint: the routes a Fastify app registers,
 * recorded with an onRoute hook that is added the moment the instance is created (Fastify's
 * `fastify.initialization` diagnostics channel), so no route registered later can be missed.
 * Also a tiny JSON-schema sampler that makes a minimal valid body from an OpenAPI request schema.
 */
import diagnostics from 'node:diagnostics_channel';

import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RecordedRoute {
  method: string;
  /** The path as registered, e.g. /api/v1/projects/:project/cases/:id */
  url: string;
  /** Whether the route declares a body schema. */
  hasBody: boolean;
}

/** Runs `build` (which creates one Fastify app) and returns what it built with every route it registered. */
export async function recordRoutes<T>(build: () => Promise<T>): Promise<{ value: T; routes: RecordedRoute[] }> {
  const routes: RecordedRoute[] = [];
  const onInit = (message: unknown): void => {
    const app = (message as { fastify: FastifyInstance }).fastify;
    app.addHook('onRoute', (options: RouteOptions) => {
      for (const method of [options.method].flat()) {
        routes.push({ method: String(method).toUpperCase(), url: options.url, hasBody: Boolean(options.schema?.body) });
      }
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    const value = await build();
    const seen = new Set<string>();
    const unique = routes.filter((r) => {
      const key = `${r.method} ${r.url}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    return { value, routes: unique };
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit);
  }
}

/** /a/:b/c → /a/{b}/c, the OpenAPI spelling. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

type Schema = Record<string, any>;

/** The JSON types a schema accepts (object, array, string, number, boolean, null). */
export function jsonTypes(schema: Schema | undefined): Set<string> {
  if (!schema || Object.keys(schema).length === 0) {
    return new Set(['object', 'array', 'string', 'number', 'boolean', 'null']);
  }
  const out = new Set<string>();
  for (const sub of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    for (const t of jsonTypes(sub)) {
      out.add(t);
    }
  }
  for (const t of [schema.type ?? []].flat()) {
    out.add(t === 'integer' ? 'number' : t);
  }
  if (schema.enum) {
    for (const v of schema.enum) {
      out.add(v === null ? 'null' : typeof v);
    }
  }
  if (schema.nullable) {
    out.add('null');
  }
  return out;
}

/** A minimal value that satisfies a (simple) JSON schema: required properties only. */
export function sampleOf(schema: Schema | undefined): unknown {
  if (!schema) {
    return {};
  }
  if (schema.default !== undefined) {
    return schema.default;
  }
  if (schema.enum) {
    return schema.enum[0];
  }
  const alternative = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (alternative) {
    return sampleOf(alternative);
  }
  const type = [schema.type].flat()[0];
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) {
        out[key] = sampleOf(schema.properties?.[key]);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleOf(schema.items));
    case 'number':
    case 'integer':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}
