/**
 * @module http/admin/gateways.pages — a project's gateways (create, edit rate and reply-to, delete),
 * the webhook addresses to paste into the vendor's console, and the routes by number prefix.
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { createGateway, type GatewayView, getRoutes, listGateways, putRoutes, removeGateway, type RouteView, updateGateway } from '../../services/gateways.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import type { AdminDeps } from './admin.routes.tsx';
import { Csrf, ErrorBox, Field, Layout, Notice, type PageContext } from './layout.tsx';
import { formError, formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

interface PageData {
  gateways: GatewayView[];
  routes: RouteView[];
  types: string[];
}

function CopyField(props: { label: string; value: string; id: string }): JSX.Element {
  return (
    <div class="row">
      <label for={props.id} class="muted" safe>
        {props.label}
      </label>
      <input id={props.id} type="text" readonly value={props.value} style="max-width:36rem" />
      <button type="button" class="secondary" onclick={`navigator.clipboard.writeText(document.getElementById('${props.id}').value)`}>
        Copy
      </button>
    </div>
  );
}

function GatewaysPage(props: { ctx: PageContext; project: Project; data: PageData; error: string | null; notice: string | null; form: Record<string, string>; routesText: string }): JSX.Element {
  const base = `/ui/p/${props.project.name}/gateways`;
  const own = props.data.gateways.filter((g) => !g.global);
  return (
    <Layout title="Gateways" ctx={props.ctx}>
      <h1>Gateways and routes</h1>
      <Notice text={props.notice} />
      <ErrorBox text={props.error} />
      {own.length === 0 ? <div class="empty">No gateway yet — add one to start sending.</div> : ''}
      {props.data.gateways.map((g, i) => (
        <section class="card">
          <h2>
            <span safe>{g.name}</span> <span class="muted" safe>{`· ${g.type} (${g.channel})${g.global ? ' · global' : ''}`}</span>
          </h2>
          <CopyField label="Inbound messages URL" value={g.inboundUrl} id={`in-${i}`} />
          <CopyField label="Delivery reports URL" value={g.statusUrl} id={`st-${i}`} />
          <p class="muted" safe>{`Rate: ${g.ratePerSecond ? `${g.ratePerSecond} messages/s` : 'unlimited'} · Reply-to: ${g.replyToNumber ?? 'none'} · Extra opt-out words: ${g.optOutKeywords.join(', ') || 'none'} (STOP always works)`}</p>
          {g.global ? (
            ''
          ) : (
            <div class="row">
              <form class="row" method="post" action={`${base}/${g.name}`}>
                <Csrf ctx={props.ctx} />
                <div>
                  <label for={`rate-${i}`}>Messages per second</label>
                  <input id={`rate-${i}`} name="ratePerSecond" type="text" value={g.ratePerSecond === null ? '' : String(g.ratePerSecond)} />
                </div>
                <div>
                  <label for={`reply-${i}`}>Reply-to number</label>
                  <input id={`reply-${i}`} name="replyToNumber" type="text" value={g.replyToNumber ?? ''} />
                </div>
                <button type="submit" class="secondary">
                  Save
                </button>
              </form>
              <form method="post" action={`${base}/${g.name}/delete`} onsubmit="return confirm('Delete this gateway? Messages routed to it will fail.')">
                <Csrf ctx={props.ctx} />
                <button type="submit" class="danger">
                  Delete
                </button>
              </form>
            </div>
          )}
        </section>
      ))}
      <section class="card">
        <h2>Add a gateway</h2>
        <form class="stack" method="post" action={base}>
          <Csrf ctx={props.ctx} />
          <Field label="Name" name="name" value={props.form.name} required help="Letters, digits, _ or -; stored in capitals (contacts name it in contact_backend_id)." />
          <label for="f-type">Type</label>
          <select id="f-type" name="type">
            {props.data.types.map((t) => (
              <option value={t} selected={props.form.type === t} safe>
                {t}
              </option>
            ))}
          </select>
          <Field label="Messages per second" name="ratePerSecond" value={props.form.ratePerSecond} help="Optional limit shared by all workers." />
          <Field label="Reply-to number" name="replyToNumber" value={props.form.replyToNumber} help="Optional: the number people reply to, when it differs from the sender (named in verification messages)." />
          <p>
            <button type="submit">Add gateway</button>
          </p>
        </form>
      </section>
      <section class="card">
        <h2>Routes</h2>
        <p class="muted">One route per line: a number prefix (country code or longer, digits only) or *, then the gateway name. The longest matching prefix wins; * catches the rest.</p>
        <form class="stack" method="post" action={`${base}/routes`}>
          <Csrf ctx={props.ctx} />
          <label for="f-routes">Routes</label>
          <textarea id="f-routes" name="routes" rows="5" safe>
            {props.routesText}
          </textarea>
          <p>
            <button type="submit">Save routes</button>
          </p>
        </form>
      </section>
    </Layout>
  );
}

function routesText(routes: RouteView[]): string {
  return routes.map((r) => `${r.prefix} ${r.gateway}`).join('\n');
}

export function registerGatewayPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const data = async (project: Project): Promise<PageData> => ({ gateways: await listGateways(s, project.id), routes: await getRoutes(s, project.id), types: s.providers.types() });
  const page = async (ctx: PageContext, project: Project, extra: { error?: string | null; notice?: string | null; form?: Record<string, string>; routes?: string }) => {
    const d = await data(project);
    return <GatewaysPage ctx={ctx} project={project} data={d} error={extra.error ?? null} notice={extra.notice ?? null} form={extra.form ?? { type: 'test' }} routesText={extra.routes ?? routesText(d.routes)} />;
  };
  const rate = (raw: string) => (raw.trim() === '' ? null : Number(raw));

  app.get<{ Params: { project: string }; Querystring: { notice?: string } }>('/ui/p/:project/gateways', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const notices: Record<string, string> = { created: 'Gateway added.', saved: 'Gateway saved.', deleted: 'Gateway deleted.', routes: 'Routes saved.' };
    return sendHtml(reply, await page({ actor, project, section: 'gateways' }, project, { notice: notices[request.query.notice ?? ''] ?? null }));
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/gateways', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    const form = { name: formValue(request.body, 'name'), type: formValue(request.body, 'type'), ratePerSecond: formValue(request.body, 'ratePerSecond'), replyToNumber: formValue(request.body, 'replyToNumber') };
    try {
      const r = rate(form.ratePerSecond);
      if (r !== null && !(r > 0)) {
        throw new Error('rate');
      }
      await createGateway(s, project.id, { name: form.name, type: form.type, ratePerSecond: r, replyToNumber: form.replyToNumber || null });
      return reply.redirect(`/ui/p/${project.name}/gateways?notice=created`);
    } catch (err) {
      const message = err instanceof Error && err.message === 'rate' ? 'Messages per second must be a positive number.' : formError(err);
      return sendHtml(reply, await page({ actor, project, section: 'gateways' }, project, { error: message, form }), 422);
    }
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/gateways/routes', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
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
      return sendHtml(reply, await page({ actor, project, section: 'gateways' }, project, { error: formError(err), routes: text }), 422);
    }
  });

  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    try {
      const r = rate(formValue(request.body, 'ratePerSecond'));
      if (r !== null && !(r > 0)) {
        throw new Error('rate');
      }
      await updateGateway(s, project.id, request.params.name, { ratePerSecond: r, replyToNumber: formValue(request.body, 'replyToNumber') || null });
      return reply.redirect(`/ui/p/${project.name}/gateways?notice=saved`);
    } catch (err) {
      const message = err instanceof Error && err.message === 'rate' ? 'Messages per second must be a positive number.' : formError(err);
      return sendHtml(reply, await page({ actor, project, section: 'gateways' }, project, { error: message }), 422);
    }
  });

  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/delete', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    await removeGateway(s, project.id, request.params.name);
    return reply.redirect(`/ui/p/${project.name}/gateways?notice=deleted`);
  });
}
