/**
 * @module http/api/metrics.routes — GET /metrics in the Prometheus text format: database gauges
 * (queue depth, oldest due message, unhandled inbound, opted-out numbers) and this process's
 * counters (dispatch results by status and code, webhook requests and latency). Readable with a
 * superuser's API token, or with ROLLCALL_METRICS_TOKEN as a bearer token (for the scraper).
 * `renderMetrics` is also what `rollcall worker` serves on its status port (http/worker-status.ts).
 */
import { timingSafeEqual } from 'node:crypto';

import type { FastifyInstance, FastifyRequest } from 'fastify';

import { AppError } from '../../errors.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { readQueueGauges } from '../../store/metrics.store.ts';
import { actorOf, requireApiActor } from '../auth.ts';

/** The content type of the Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function gauge(name: string, help: string, value: number, labels = ''): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels} ${value}`];
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearer(request: FastifyRequest): string | null {
  const m = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
  return m?.[1] ?? null;
}

/** Compares two secrets in constant time (for equal lengths). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The whole /metrics answer of this process: the database gauges read now, then its own counters. */
export async function renderMetrics(deps: Pick<ServiceDeps, 'db' | 'metrics'>): Promise<string> {
  const g = await readQueueGauges(deps.db);
  const lines = [
    ...gauge('rollcall_messages_waiting', 'Outbound messages waiting to be sent, by status.', g.queued, '{status="queued"}'),
    `rollcall_messages_waiting{status="scheduled"} ${g.scheduled}`,
    ...gauge('rollcall_messages_sending', 'Outbound messages a worker has claimed and is sending now.', g.sending),
    ...gauge('rollcall_messages_oldest_due_seconds', 'Seconds since the oldest queued message became due (0 when none waits).', g.oldestDueSeconds),
    ...gauge('rollcall_inbound_unhandled', 'Inbound messages stored but not yet handled.', g.inboundUnhandled),
    ...gauge('rollcall_opted_out_numbers', 'Numbers currently opted out.', g.optedOutNumbers),
    ...gauge('rollcall_reminder_cases_waiting', 'Cases changed since their reminder rules were last evaluated.', g.reminderCasesWaiting),
    ...deps.metrics.render(),
  ];
  return lines.join('\n') + '\n';
}

export function registerMetricsRoutes(app: FastifyInstance, deps: ServiceDeps, metricsToken: string | undefined): void {
  const asUser = requireApiActor(deps);
  app.get('/metrics', {
    onRequest: async (request, reply) => {
      const token = bearer(request);
      if (metricsToken && token && sameSecret(token, metricsToken)) {
        return;
      }
      await asUser(request, reply);
      if (!actorOf(request).isSuperuser) {
        throw new AppError('FORBIDDEN', 'Metrics are for superusers or the metrics token.');
      }
    },
  }, async (_request, reply) => reply.type(METRICS_CONTENT_TYPE).send(await renderMetrics(deps)));
}
