/**
 * @module http/webhooks/inbound.routes — POST /webhooks/{key}/inbound: a gateway delivers messages.
 * The key in the URL (random, rotatable) identifies and authenticates the gateway; the provider
 * parses (and, for signing vendors, verifies) the request. The answer is 200 only once the messages
 * are committed; a repeated vendor message id is acknowledged and stored once.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { AppError } from '../../errors.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import type { InboundIntake } from '../../services/inbound-intake.service.ts';
import { findGatewayByInboundKey } from '../../store/gateway.store.ts';
import { errorBody } from '../error-handler.ts';

const params = z.object({ key: z.string().min(10).max(100) });

export function registerInboundWebhook(app: FastifyInstance, deps: ServiceDeps, intake: InboundIntake, publicUrl: string): void {
  app.post('/webhooks/:key/inbound', async (request, reply) => {
    const parsedParams = params.safeParse(request.params);
    const gateway = parsedParams.success ? await findGatewayByInboundKey(deps.db, parsedParams.data.key) : null;
    if (!gateway) {
      throw new AppError('NOT_FOUND', 'No gateway has this webhook address (it may have been rotated).');
    }
    const provider = deps.providers.get(gateway.type);
    if (!provider?.parseInbound) {
      throw new AppError('NOT_FOUND', `Gateways of type ${gateway.type} do not receive messages.`);
    }
    const config = JSON.parse(deps.secrets.open(gateway.configSealed)) as Record<string, unknown>;
    const result = provider.parseInbound(
      { id: gateway.id, name: gateway.name, type: gateway.type, config, replyToNumber: gateway.replyToNumber },
      { headers: request.headers, body: request.body, url: publicUrl + request.url },
    );
    if (!result.ok) {
      // Logged without the request's content: it may hold people's messages or forged data.
      request.log.warn({ gateway: gateway.name, status: result.status }, 'inbound webhook refused');
      return reply.code(result.status).send(errorBody(result.status === 403 ? 'FORBIDDEN' : 'VALIDATION_ERROR', result.reason));
    }
    await intake.submit(gateway, result.messages);
    return reply.code(200).send({ status: 'ok', received: result.messages.length });
  });
}
