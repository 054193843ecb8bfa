/**
 * @module http/webhooks/inbound.routes — the gateway webhooks:
 * POST /webhooks/{key}/inbound (messages) and POST /webhooks/{key}/status (delivery reports).
 * Both also answer GET, because Kannel and many local aggregators call back with a query string
 * (the provider reads the fields from request.url; providers that expect a body refuse it with 400).
 * The key in the URL (random, rotatable) identifies the gateway; the provider parses the request
 * and, for vendors that sign requests, verifies it (a failure is 403, logged without the content).
 * Inbound is answered 200 only once the messages are committed; a repeated vendor message id is
 * acknowledged and stored once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { AppError } from '../../errors.ts';
import { applyDeliveryReports } from '../../services/delivery-reports.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import type { InboundIntake } from '../../services/inbound-intake.service.ts';
import { errorBody } from '../error-handler.ts';
import { answer, webhookTarget } from './webhook-gateway.ts';

export function registerGatewayWebhooks(app: FastifyInstance, deps: ServiceDeps, intake: InboundIntake, publicUrl: string): void {
  const measured = (kind: 'inbound' | 'status') => ({
    onResponse: async (_request: FastifyRequest, reply: FastifyReply) => {
      deps.metrics.webhookRequests.inc({ kind, status: String(reply.statusCode) });
      deps.metrics.webhookSeconds.observe(reply.elapsedTime / 1000, { kind });
    },
  });
  app.route({ method: ['GET', 'POST'], url: '/webhooks/:key/inbound', ...measured('inbound'), handler: async (request, reply) => {
    const target = await webhookTarget(deps, request, publicUrl);
    if (!target.provider.parseInbound) {
      throw new AppError('NOT_FOUND', `Gateways of type ${target.gateway.type} do not receive messages.`);
    }
    const result = target.provider.parseInbound(target.runtime, target.request);
    if (!result.ok) {
      // Logged without the request's content: it may hold people's messages or forged data.
      request.log.warn({ gateway: target.gateway.name, status: result.status }, 'inbound webhook refused');
      return reply.code(result.status).send(errorBody(result.status === 403 ? 'FORBIDDEN' : 'VALIDATION_ERROR', result.reason));
    }
    await intake.submit(target.gateway, result.messages);
    return answer(reply, target.provider, { status: 'ok', received: result.messages.length });
  } });

  app.route({ method: ['GET', 'POST'], url: '/webhooks/:key/status', ...measured('status'), handler: async (request, reply) => {
    const target = await webhookTarget(deps, request, publicUrl);
    if (!target.provider.parseStatus) {
      throw new AppError('NOT_FOUND', `Gateways of type ${target.gateway.type} send no delivery reports.`);
    }
    const result = target.provider.parseStatus(target.runtime, target.request);
    if (!result.ok) {
      request.log.warn({ gateway: target.gateway.name, status: result.status }, 'status webhook refused');
      return reply.code(result.status).send(errorBody(result.status === 403 ? 'FORBIDDEN' : 'VALIDATION_ERROR', result.reason));
    }
    if (result.ignored.length) {
      request.log.info({ gateway: target.gateway.name, vendorStatuses: result.ignored }, 'delivery report statuses not mapped; left unchanged');
    }
    const matched = await applyDeliveryReports(deps, target.gateway, result.updates);
    return answer(reply, target.provider, { status: 'ok', updated: matched });
  } });
}
