/**
 * @module http/app — builds the Fastify app: parsers, error handler, OpenAPI, API routes, admin UI.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';

import type { Config } from '../config.ts';
import { AppError, errorCatalogue } from '../errors.ts';
import { recordTokenUse } from '../services/auth.service.ts';
import type { ServiceDeps } from '../services/deps.ts';
import type { StorageGuard } from '../store/storage-guard.ts';
import { registerAdminRoutes, sendUiNotFound } from './admin/admin.routes.tsx';
import { registerAuthRoutes } from './api/auth.routes.ts';
import { registerBroadcastRoutes } from './api/broadcasts.routes.ts';
import { registerCaseRoutes } from './api/cases.routes.ts';
import { registerConsentRoutes } from './api/consent.routes.ts';
import { registerDashboardRoutes } from './api/dashboard.routes.ts';
import { registerPossibleOptOutRoutes } from './api/possible-opt-outs.routes.ts';
import { registerGatewayWebhooks } from './webhooks/inbound.routes.ts';
import { registerUnsubscribeRoutes } from './webhooks/unsubscribe.routes.ts';
import { createInboundIntake } from '../services/inbound-intake.service.ts';
import { registerGatewayRoutes } from './api/gateways.routes.ts';
import { registerMessageRoutes } from './api/messages.routes.ts';
import { registerMetricsRoutes } from './api/metrics.routes.ts';
import { registerMobileWorkerRoutes } from './api/mobile-workers.routes.ts';
import { registerPhoneNumberRoutes } from './api/phone-numbers.routes.ts';
import { registerProjectRoutes } from './api/projects.routes.ts';
import { registerReminderRuleRoutes } from './api/reminder-rules.routes.ts';
import { registerReminderReportRoutes } from './api/reminder-reports.routes.ts';
import { registerReminderRuleTransferRoutes } from './api/reminder-rules-transfer.routes.ts';
import { registerSurveyRoutes } from './api/surveys.routes.ts';
import { registerUserRoutes } from './api/users.routes.ts';
import { multipartLimits, registerImportRoutes, registerImportUploadRoute } from './api/imports.routes.ts';
import { errorBody, installErrorHandler } from './error-handler.ts';
import { installJsonParser } from './json-body.ts';
import { limitConnections, serverTimeouts } from './server-limits.ts';

export interface AppDeps {
  config: Config;
  services: ServiceDeps;
  logger: Logger;
  /** Whether the database answers (for /healthz). */
  isReady: () => Promise<boolean>;
  /** The embedded data folder's free-space guard: writes are refused while it is low. */
  storage?: StorageGuard | null;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimit,
    // Per-request info lines would double the cost of a request; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 200 },
    // X-Forwarded-For is believed only from the proxies ROLLCALL_TRUST_PROXY names (request.ip).
    trustProxy: deps.config.trustProxy,
    // Slow and idle clients are cut off; at most ROLLCALL_MAX_CONNECTIONS at once (server-limits.ts).
    ...serverTimeouts(deps.config),
  });
  limitConnections(app, deps.config, deps.logger);
  app.decorateRequest('actor', null);
  // An API token's last use is a request it was allowed to make: answers of 400 and above write nothing.
  app.addHook('onSend', async (request, reply) => {
    if (request.actor?.kind === 'api' && reply.statusCode < 400) {
      await recordTokenUse(deps.services, request.actor);
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installJsonParser(app);
  installErrorHandler(app);
  const storage = deps.storage;
  // Uploads reserve their size against it before they write (api/imports.routes.ts reserveUploadSpace).
  app.decorate('storageGuard', storage ?? null);
  if (storage) {
    app.addHook('onRequest', async (request) => {
      const low = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS' ? null : storage.low();
      if (low) {
        const mb = (bytes: number) => Math.floor(bytes / 1048576);
        throw new AppError(
          'STORAGE_FULL',
          `The data folder's disk is nearly full (${mb(low.freeBytes)} MB free; Rollcall keeps at least ${mb(low.minFreeBytes)} MB so the embedded database is never left half-written). Free space on it, then try again. Nothing was saved.`,
        );
      }
    });
  }
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: deps.config.bodyLimit });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Rollcall API', version: '1', description: 'Register messaging contacts and reach them by SMS and email.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    hideUntagged: true,
  });

  app.get('/healthz', async (_request, reply) => {
    if (await deps.isReady()) {
      return { status: 'ok' };
    }
    return reply.code(503).send(errorBody('SERVICE_UNAVAILABLE'));
  });
  app.get('/openapi.json', async () => app.swagger());
  app.get('/api/v1/errors', async () => Object.entries(errorCatalogue).map(([code, description]) => ({ code, description })));

  registerAuthRoutes(app, deps.services);
  registerProjectRoutes(app, deps.services);
  registerUserRoutes(app, deps.services);
  registerCaseRoutes(app, deps.services);
  registerMobileWorkerRoutes(app, deps.services);
  registerPhoneNumberRoutes(app, deps.services);
  registerGatewayRoutes(app, deps.services);
  registerMessageRoutes(app, deps.services);
  registerBroadcastRoutes(app, deps.services);
  registerConsentRoutes(app, deps.services);
  registerDashboardRoutes(app, deps.services);
  registerPossibleOptOutRoutes(app, deps.services);
  registerMetricsRoutes(app, deps.services, deps.config.metricsToken);
  registerGatewayWebhooks(app, deps.services, createInboundIntake(deps.services, () => deps.services.notifyInbound()), deps.services.messaging.publicUrl);
  registerUnsubscribeRoutes(app, deps.services);
  registerSurveyRoutes(app, deps.services);
  registerReminderRuleRoutes(app, deps.services);
  registerReminderReportRoutes(app, deps.services);
  registerReminderRuleTransferRoutes(app, deps.services);
  registerImportRoutes(app, deps.services);
  // Multipart only where files are uploaded: every other route keeps refusing it (415).
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, multipartLimits(deps.config));
    registerImportUploadRoute(scope, deps.services);
  });
  await registerAdminRoutes(app, { services: deps.services, config: deps.config });

  app.setNotFoundHandler((request, reply) => {
    if (request.url === '/ui' || request.url.startsWith('/ui/')) {
      return sendUiNotFound(request, reply);
    }
    return reply.code(404).type('application/json; charset=utf-8').send(errorBody('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`));
  });
  return app;
}
