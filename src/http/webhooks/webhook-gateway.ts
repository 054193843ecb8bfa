/**
 * @module http/webhooks/webhook-gateway — finds the gateway a webhook URL names (its random key)
 * and builds what the provider needs to read the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { AppError } from '../../errors.ts';
import type { GatewayRuntime, Provider, WebhookRequest } from '../../providers/provider.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { findGatewayByInboundKey, type GatewayRecord } from '../../store/gateway.store.ts';

const params = z.object({ key: z.string().min(10).max(100) });

export interface WebhookTarget {
  gateway: GatewayRecord;
  provider: Provider;
  runtime: GatewayRuntime;
  request: WebhookRequest;
}

export async function webhookTarget(deps: ServiceDeps, request: FastifyRequest, publicUrl: string): Promise<WebhookTarget> {
  const parsed = params.safeParse(request.params);
  const gateway = parsed.success ? await findGatewayByInboundKey(deps.db, parsed.data.key) : null;
  const provider = gateway ? deps.providers.get(gateway.type) : undefined;
  if (!gateway || !provider) {
    throw new AppError('NOT_FOUND', 'No gateway has this webhook address (it may have been rotated).');
  }
  const config = JSON.parse(deps.secrets.open(gateway.configSealed)) as Record<string, unknown>;
  return {
    gateway,
    provider,
    runtime: { id: gateway.id, name: gateway.name, type: gateway.type, config, replyToNumber: gateway.replyToNumber },
    request: { headers: request.headers, body: request.body, url: publicUrl + request.url },
  };
}

/** Answers the vendor the way it expects (Twilio: empty TwiML), else JSON. */
export function answer(reply: FastifyReply, provider: Provider, json: Record<string, unknown>): FastifyReply {
  if (provider.webhookAnswer) {
    return reply.code(200).type(provider.webhookAnswer.contentType).send(provider.webhookAnswer.body);
  }
  return reply.code(200).send(json);
}
