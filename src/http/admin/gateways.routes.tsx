/**
 * @module http/admin/gateways.routes — a project's gateways and routes under /ui/p/:project/gateways:
 * the list (members read it; admins see webhook URLs and forms), add, edit, delete, new webhook URLs,
 * routes, "Send test message", and the one-click catch-all route from the no-route warning.
 * Registered through project-pages.ts (the project scope resolves the actor, the role and the form
 * token); the pages are gateways.views.tsx.
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { AppError } from '../../errors.ts';
import { routeAllThrough, unroutedGateways } from '../../services/gateway-reach.service.ts';
import { createGateway, gatewayFormValues, getGateway, getRoutes, listGateways, MANAGER, putRoutes, removeGateway, rotateInboundKey, type RouteView, storedSecretFields, updateGateway } from '../../services/gateways.service.ts';
import { getMessage, type MessageView } from '../../services/messages.service.ts';
import { sendTestMessage } from '../../services/test-message.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { configFromForm, defaultFormValues, storedFormValues, typedFormValues } from './gateway-form.tsx';
import { type AddForm, type EditForm, EditPage, GatewaysPage, type PageData } from './gateways.views.tsx';
import type { PageContext } from './layout.tsx';
import { scopeOf } from './project-scope.ts';
import { formError, formValue, sendHtml } from './ui.tsx';

const admin = { config: { role: 'admin' as const } };

/** The notices a redirect may ask for (?notice=…): fixed words, never text from the URL. */
const NOTICES: Record<string, string> = {
  created: 'Gateway added.',
  saved: 'Gateway saved.',
  deleted: 'Gateway deleted.',
  rotated: "New webhook URLs made: the old ones no longer work. Paste the new ones in the vendor's console.",
  routes: 'Routes saved.',
  'test-sent': 'Test message created.',
  'route-all-added': 'Route added: * (all numbers no longer prefix catches) now goes through the gateway.',
  'route-all-replaced': 'The catch-all route * now goes through the gateway.',
  'route-all-unchanged': 'The catch-all route * already goes through that gateway.',
  'route-all-exists': 'The project already has a catch-all route *: replace it from the warning (it asks first), or edit the routes below.',
};

function routesText(routes: RouteView[]): string {
  return routes.map((r) => `${r.prefix} ${r.gateway}`).join('\n');
}

/** "" → null (no limit); anything else must be a positive number. */
function parseRate(raw: string): number | null {
  if (raw.trim() === '') {
    return null;
  }
  const r = Number(raw);
  if (!(r > 0)) {
    throw new RateError();
  }
  return r;
}

class RateError extends Error {
  constructor() {
    super('Messages per second must be a positive number.');
  }
}

/** The secret fields an update refused to keep because the destination changed (details.secrets). */
function secretsToReenter(err: unknown): string[] {
  const details = err instanceof AppError ? (err.details as { secrets?: unknown } | undefined) : undefined;
  return Array.isArray(details?.secrets) ? details.secrets.filter((k): k is string => typeof k === 'string') : [];
}

export function registerGatewayPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const providers = () => s.providers.types().flatMap((t) => s.providers.get(t) ?? []);
  const emptyAdd = (type: string): AddForm => {
    const known = providers().find((p) => p.type === type) ?? providers().find((p) => p.type === 'test') ?? providers()[0];
    return { type: known?.type ?? type, name: '', ratePerSecond: '', replyToNumber: '', config: defaultFormValues(known?.configFields ?? []) };
  };
  const page = async (ctx: PageContext, project: Project, extra: { error?: string | null; notice?: string | null; add?: AddForm; routes?: string; testMessage?: MessageView | null }) => {
    const role = ctx.role ?? 'member';
    const [gateways, routes, unrouted] = await Promise.all([listGateways(s, project.id, { isSuperuser: ctx.actor.isSuperuser, role }), getRoutes(s, project.id), unroutedGateways(s, project)]);
    const admin = role === 'admin';
    const data: PageData = { gateways, providers: providers(), add: extra.add ?? emptyAdd('test'), routesText: extra.routes ?? routesText(routes), testMessage: extra.testMessage ?? null, admin, unrouted };
    return <GatewaysPage ctx={ctx} project={project} data={data} error={extra.error ?? null} notice={extra.notice ?? null} />;
  };

  app.get<{ Params: { project: string }; Querystring: { notice?: string; type?: string; message?: string } }>('/ui/p/:project/gateways', async (request, reply) => {
    const { project } = scopeOf(request);
    const testMessage = request.query.message ? await getMessage(s, project, request.query.message).catch(() => null) : null;
    const add = emptyAdd(request.query.type ?? 'test');
    return sendHtml(reply, await page(scopeOf(request).page('gateways'), project, { notice: Object.hasOwn(NOTICES, request.query.notice ?? '') ? (NOTICES[request.query.notice ?? ''] ?? null) : null, add, testMessage }));
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/gateways', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    const type = formValue(request.body, 'type');
    const fields = s.providers.get(type)?.configFields ?? [];
    const add: AddForm = {
      type,
      name: formValue(request.body, 'name'),
      ratePerSecond: formValue(request.body, 'ratePerSecond'),
      replyToNumber: formValue(request.body, 'replyToNumber'),
      config: typedFormValues(fields, request.body),
    };
    try {
      await createGateway(s, project.id, { name: add.name, type, config: configFromForm(fields, request.body), ratePerSecond: parseRate(add.ratePerSecond) ?? undefined, replyToNumber: add.replyToNumber || null });
      return reply.redirect(`/ui/p/${project.name}/gateways?notice=created`);
    } catch (err) {
      const message = err instanceof RateError ? err.message : formError(err);
      return sendHtml(reply, await page(scopeOf(request).page('gateways'), project, { error: message, add }), 422);
    }
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/gateways/routes', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    const text = formValue(request.body, 'routes');
    try {
      const routes = text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => {
          const [prefix = '', gateway = ''] = l.split(/\s+/);
          return { prefix, gateway };
        });
      await putRoutes(s, project.id, routes);
      return reply.redirect(`/ui/p/${project.name}/gateways?notice=routes`);
    } catch (err) {
      return sendHtml(reply, await page(scopeOf(request).page('gateways'), project, { error: formError(err), routes: text }), 422);
    }
  });

  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/test-message', admin, async (request, reply) => {
    const { actor, project } = scopeOf(request);
    try {
      const subject = formValue(request.body, 'subject');
      const m = await sendTestMessage(s, project, actor.userId, request.params.name, { to: formValue(request.body, 'to'), text: formValue(request.body, 'text'), subject: subject === '' ? undefined : subject });
      return reply.redirect(`/ui/p/${project.name}/gateways?notice=test-sent&message=${m.id}#test-result`);
    } catch (err) {
      return sendHtml(reply, await page(scopeOf(request).page('gateways'), project, { error: formError(err) }), 422);
    }
  });

  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/delete', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    await removeGateway(s, project.id, request.params.name);
    return reply.redirect(`/ui/p/${project.name}/gateways?notice=deleted`);
  });

  // A leaked webhook URL is replaced: the old key stops at once (as POST …/rotate-inbound-url).
  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/rotate-webhook-urls', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    const g = await rotateInboundKey(s, project.id, request.params.name);
    return reply.redirect(`/ui/p/${project.name}/gateways?notice=rotated#gw-${encodeURIComponent(g.name)}`);
  });

  registerGatewayEditRoutes(app, deps);
}

function registerGatewayEditRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const render = async (ctx: PageContext, project: Project, name: string, form: EditForm | null, error: string | null, reenter: string[] = []) => {
    const g = await getGateway(s, project.id, name, MANAGER);
    const provider = s.providers.get(g.type);
    const fields = provider?.configFields ?? [];
    const initial: EditForm = form ?? {
      ratePerSecond: g.ratePerSecond === null ? '' : String(g.ratePerSecond),
      replyToNumber: g.replyToNumber ?? '',
      config: storedFormValues(fields, await gatewayFormValues(s, project.id, name)),
    };
    return <EditPage ctx={ctx} project={project} g={g} provider={provider} form={initial} storedSecrets={await storedSecretFields(s, project.id, name)} reenter={reenter} error={error} />;
  };

  app.get<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/edit', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    return sendHtml(reply, await render(scopeOf(request).page('gateways'), project, request.params.name, null, null));
  });

  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    const g = await getGateway(s, project.id, request.params.name, MANAGER);
    const fields = s.providers.get(g.type)?.configFields ?? [];
    const form: EditForm = { ratePerSecond: formValue(request.body, 'ratePerSecond'), replyToNumber: formValue(request.body, 'replyToNumber'), config: typedFormValues(fields, request.body) };
    try {
      await updateGateway(s, project.id, g.name, {
        // Providers that describe no fields keep their config as it is (it may have been set through the API).
        ...(fields.length ? { config: configFromForm(fields, request.body) } : {}),
        ratePerSecond: parseRate(form.ratePerSecond),
        replyToNumber: g.channel === 'email' ? g.replyToNumber : form.replyToNumber || null,
      });
      return reply.redirect(`/ui/p/${project.name}/gateways?notice=saved#gw-${g.name}`);
    } catch (err) {
      const message = err instanceof RateError ? err.message : formError(err);
      return sendHtml(reply, await render(scopeOf(request).page('gateways'), project, g.name, form, message, secretsToReenter(err)), 422);
    }
  });

  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/route-all', admin, async (request, reply) => {
    const { project } = scopeOf(request);
    const done = await routeAllThrough(s, project, request.params.name, formValue(request.body, 'replace') === '1');
    const notice = typeof done === 'string' ? `route-all-${done}` : 'route-all-exists';
    return reply.redirect(`/ui/p/${project.name}/gateways?notice=${notice}#routes`);
  });
}
