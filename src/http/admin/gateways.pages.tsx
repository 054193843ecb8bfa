/**
 * @module http/admin/gateways.pages — a project's gateways: each with the webhook addresses to paste
 * into the vendor's console (Copy buttons, a line of help each), a "Send test message" form, Edit and
 * Delete; the form to add one (type chosen first with a plain GET ?type=, then that provider's
 * config fields); and the routes by number prefix. The edit page is gateway-edit.pages.tsx.
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import type { Provider } from '../../providers/provider.ts';
import { createGateway, type GatewayView, getRoutes, listGateways, putRoutes, removeGateway, rotateInboundKey, type RouteView } from '../../services/gateways.service.ts';
import { getMessage, type MessageView } from '../../services/messages.service.ts';
import { projectRole, requireProject } from '../../services/projects.service.ts';
import { describeProof, type WebhookProof } from '../../domain/webhook-protection.ts';
import { sendTestMessage } from '../../services/test-message.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { registerGatewayEditPages } from './gateway-edit.pages.tsx';
import { ConfigInputs, configFromForm, type ConfigFormValues, defaultFormValues, typedFormValues } from './gateway-form.tsx';
import { Badge, type BadgeTone, Csrf, ErrorBox, Field, Layout, Notice, type PageContext } from './layout.tsx';
import { Failure } from './messages.pages.tsx';
import { formError, formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

export interface AddForm {
  type: string;
  name: string;
  ratePerSecond: string;
  replyToNumber: string;
  config: ConfigFormValues;
}

interface PageData {
  gateways: GatewayView[];
  providers: Provider[];
  add: AddForm;
  routesText: string;
  /** The test message just sent (shown with its status), when the page was reached after one. */
  testMessage: MessageView | null;
  /** A project admin (or superuser): members see the gateways but not their webhook URLs or forms. */
  admin: boolean;
}

const GENERIC_HELP = {
  inbound: "Paste this in the vendor's console where it asks for the URL of incoming messages (the inbound or receive webhook).",
  status: "Paste this where the vendor asks for a delivery report (status callback) URL; where the vendor allows it, Rollcall also sends it with each message.",
};

const STATUS_TONE: Record<string, BadgeTone> = { scheduled: 'none', queued: 'none', sent: 'ok', delivered: 'ok', failed: 'bad', received: 'ok' };

function CopyField(props: { label: string; value: string; id: string; help: string }): JSX.Element {
  return (
    <div>
      <div class="row">
        <label for={props.id} class="muted" safe>
          {props.label}
        </label>
        <input id={props.id} type="text" readonly value={props.value} class="wide" aria-describedby={`${props.id}-help`} />
        <button type="button" class="secondary" data-copy={props.id}>
          Copy
        </button>
      </div>
      <p class="help muted" id={`${props.id}-help`} safe>
        {props.help}
      </p>
    </div>
  );
}

export function channelWord(channel: 'sms' | 'email'): string {
  return channel === 'sms' ? 'SMS' : 'email';
}

export function providerLabel(p: Provider | undefined, type: string): string {
  return p?.label ?? type;
}

function TestMessageForm(props: { ctx: PageContext; action: string; g: GatewayView; i: number }): JSX.Element {
  const email = props.g.channel === 'email';
  return (
    <form class="row" method="post" action={props.action}>
      <Csrf ctx={props.ctx} />
      <div>
        <label for={`tm-to-${props.i}`}>{email ? 'To address' : 'To number'}</label>
        <input id={`tm-to-${props.i}`} name="to" type="text" required placeholder={email ? 'you@example.org' : '+254712345678'} />
      </div>
      {email ? (
        <div>
          <label for={`tm-subject-${props.i}`}>Subject</label>
          <input id={`tm-subject-${props.i}`} name="subject" type="text" placeholder="Rollcall test message" />
        </div>
      ) : (
        ''
      )}
      <div>
        <label for={`tm-text-${props.i}`}>Text</label>
        <input id={`tm-text-${props.i}`} name="text" type="text" required value="Test message from Rollcall" />
      </div>
      <button type="submit" class="secondary">
        Send test message
      </button>
    </form>
  );
}

function TestResult(props: { m: MessageView; project: Project }): JSX.Element {
  const { m } = props;
  const log = `/ui/p/${props.project.name}/messages?direction=out`;
  return (
    <div class="card" id="test-result" role="status">
      <p>
        <span safe>{`Test message to ${m.to ?? '—'} through ${m.gateway ?? '—'}: `}</span>
        <Badge tone={STATUS_TONE[m.status] ?? 'none'} label={m.status} />
        {m.status === 'queued' ? (
          <span class="muted">
            {' '}
            — waiting for the dispatcher; <a href="">refresh</a> in a moment.
          </span>
        ) : (
          ''
        )}
      </p>
      <Failure m={m} />
      <p>
        <a href={log}>See it in the message log</a>
      </p>
    </div>
  );
}

/** A webhook URL, or why it is not shown; with what proves a request came from the vendor. */
function WebhookUrl(props: { label: string; url: string | undefined; id: string; help: string; proof: WebhookProof; g: GatewayView }): JSX.Element {
  if (props.url === undefined) {
    const who = props.g.global ? 'a superuser sees' : "this project's admins see";
    return <p class="muted" safe>{`${props.label}: only ${who} it (it works as a password for this gateway).`}</p>;
  }
  return (
    <>
      <CopyField label={props.label} value={props.url} id={props.id} help={props.help} />
      <p class={props.proof === 'url-key' ? 'problem' : 'muted'} safe>
        {describeProof(props.proof)}
      </p>
    </>
  );
}

function GatewayCard(props: { ctx: PageContext; base: string; g: GatewayView; i: number; provider: Provider | undefined; admin: boolean }): JSX.Element {
  const { g, i, provider } = props;
  const help = { ...GENERIC_HELP, ...provider?.webhookHelp };
  return (
    <section class="card" id={`gw-${g.name}`}>
      <h2>
        <span safe>{g.name}</span> <span class="muted" safe>{`· ${providerLabel(provider, g.type)} · ${channelWord(g.channel)}${g.global ? ' · global' : ''}`}</span>
      </h2>
      {provider?.parseInbound ? (
        <WebhookUrl label="Inbound messages URL" url={g.inboundUrl} id={`in-${i}`} help={help.inbound} proof={g.webhookProtection.inbound} g={g} />
      ) : (
        <p class="muted">This gateway type receives no messages: there is no inbound URL to paste.</p>
      )}
      {provider?.parseStatus ? <WebhookUrl label="Delivery reports URL" url={g.statusUrl} id={`st-${i}`} help={help.status} proof={g.webhookProtection.status} g={g} /> : ''}
      <p class="muted" safe>{`Rate: ${g.ratePerSecond ? `${g.ratePerSecond} messages/s` : 'unlimited'} · Reply-to: ${g.replyToNumber ?? 'none'} · Extra opt-out words: ${g.optOutKeywords.join(', ') || 'none'} (STOP always works)`}</p>
      {props.admin ? (
        <>
          <h3>Send a test message</h3>
          <TestMessageForm ctx={props.ctx} action={`${props.base}/${g.name}/test-message`} g={g} i={i} />
        </>
      ) : (
        ''
      )}
      {!props.admin ? (
        ''
      ) : g.global ? (
        <p class="muted">A global gateway: a superuser manages it.</p>
      ) : (
        <div class="row mt-08">
          <a href={`${props.base}/${g.name}/edit`} safe>
            {`Edit ${g.name}`}
          </a>
          {g.inboundUrl !== undefined && (provider?.parseInbound || provider?.parseStatus) ? (
            <form method="post" action={`${props.base}/${g.name}/rotate-webhook-urls`} data-confirm="Give this gateway new webhook URLs? The old ones stop working at once: paste the new ones in the vendor's console.">
              <Csrf ctx={props.ctx} />
              <button type="submit" class="secondary">
                New webhook URLs
              </button>
            </form>
          ) : (
            ''
          )}
          <form method="post" action={`${props.base}/${g.name}/delete`} data-confirm="Delete this gateway? Messages routed to it will fail.">
            <Csrf ctx={props.ctx} />
            <button type="submit" class="danger">
              Delete
            </button>
          </form>
        </div>
      )}
    </section>
  );
}

function AddGateway(props: { ctx: PageContext; base: string; providers: Provider[]; add: AddForm }): JSX.Element {
  const chosen = props.providers.find((p) => p.type === props.add.type);
  return (
    <section class="card" id="add" aria-labelledby="add-title">
      <h2 id="add-title">Add a gateway</h2>
      {/* The type comes first: a plain GET (?type=) shows its fields, so this works without JavaScript. */}
      <form class="row" method="get" action={`${props.base}#add`}>
        <div>
          <label for="f-type">Type</label>
          <select id="f-type" name="type" data-current={props.add.type} data-autosubmit="true">
            {props.providers.map((p) => (
              <option value={p.type} selected={props.add.type === p.type} safe>
                {providerLabel(p, p.type)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="secondary">
          Show the fields for this type
        </button>
      </form>
      <form class="stack" method="post" action={props.base}>
        <Csrf ctx={props.ctx} />
        <input type="hidden" name="type" value={props.add.type} />
        <p class="muted" safe>{`New gateway: ${providerLabel(chosen, props.add.type)} · ${chosen ? channelWord(chosen.channel) : '?'}.`}</p>
        <Field label="Name" name="name" value={props.add.name} required help="Letters, digits, _ or -; stored in capitals (contacts name it in contact_backend_id)." />
        <ConfigInputs fields={chosen?.configFields ?? []} values={props.add.config} />
        <Field label="Messages per second" name="ratePerSecond" value={props.add.ratePerSecond} help={`Optional limit shared by all workers${chosen?.defaultRatePerSecond ? ` (default for this type: ${chosen.defaultRatePerSecond}/s)` : ''}.`} />
        {chosen?.channel === 'email' ? '' : <Field label="Reply-to number" name="replyToNumber" value={props.add.replyToNumber} help="Optional: the number people reply to, when it differs from the sender (named in verification messages)." />}
        <p>
          <button type="submit">Add gateway</button>
        </p>
      </form>
    </section>
  );
}

function GatewaysPage(props: { ctx: PageContext; project: Project; data: PageData; error: string | null; notice: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/gateways`;
  const { data } = props;
  const own = data.gateways.filter((g) => !g.global);
  return (
    <Layout title="Gateways" ctx={props.ctx}>
      <h1>Gateways and routes</h1>
      <Notice text={props.notice} />
      <ErrorBox text={props.error} />
      {data.testMessage ? <TestResult m={data.testMessage} project={props.project} /> : ''}
      {own.length === 0 ? <div class="empty">No gateway yet — add one to start sending.</div> : ''}
      {data.gateways.map((g, i) => (
        <GatewayCard ctx={props.ctx} base={base} g={g} i={i} provider={data.providers.find((p) => p.type === g.type)} admin={data.admin} />
      ))}
      {data.admin ? <AddGateway ctx={props.ctx} base={base} providers={data.providers} add={data.add} /> : <p class="muted">Only a project admin can add or change gateways and routes.</p>}
      {data.admin ? <RoutesForm ctx={props.ctx} base={base} routesText={data.routesText} /> : <RoutesList routesText={data.routesText} />}
    </Layout>
  );
}

function RoutesList(props: { routesText: string }): JSX.Element {
  return (
    <section class="card">
      <h2>Routes</h2>
      <pre safe>{props.routesText || 'No routes yet.'}</pre>
    </section>
  );
}

function RoutesForm(props: { ctx: PageContext; base: string; routesText: string }): JSX.Element {
  const { base, ctx } = props;
  const data = { routesText: props.routesText };
  return (
    <>
      <section class="card" id="routes">
        <h2>Routes</h2>
        <p class="muted">One route per line: a number prefix (country code or longer, digits only) or *, then the gateway name. The longest matching prefix wins; * catches the rest.</p>
        <form class="stack" method="post" action={`${base}/routes`}>
          <Csrf ctx={ctx} />
          <label for="f-routes">Routes</label>
          <textarea id="f-routes" name="routes" rows="5" safe>
            {data.routesText}
          </textarea>
          <p>
            <button type="submit">Save routes</button>
          </p>
        </form>
      </section>
    </>
  );
}

function routesText(routes: RouteView[]): string {
  return routes.map((r) => `${r.prefix} ${r.gateway}`).join('\n');
}

/** "" → null (no limit); anything else must be a positive number. */
export function parseRate(raw: string): number | null {
  if (raw.trim() === '') {
    return null;
  }
  const r = Number(raw);
  if (!(r > 0)) {
    throw new RateError();
  }
  return r;
}

export class RateError extends Error {
  constructor() {
    super('Messages per second must be a positive number.');
  }
}

export function registerGatewayPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const providers = () => s.providers.types().flatMap((t) => s.providers.get(t) ?? []);
  const emptyAdd = (type: string): AddForm => {
    const known = providers().find((p) => p.type === type) ?? providers().find((p) => p.type === 'test') ?? providers()[0];
    return { type: known?.type ?? type, name: '', ratePerSecond: '', replyToNumber: '', config: defaultFormValues(known?.configFields ?? []) };
  };
  const page = async (ctx: PageContext, project: Project, extra: { error?: string | null; notice?: string | null; add?: AddForm; routes?: string; testMessage?: MessageView | null }) => {
    const role = await projectRole(s, ctx.actor, project);
    const [gateways, routes] = await Promise.all([listGateways(s, project.id, { isSuperuser: ctx.actor.isSuperuser, role }), getRoutes(s, project.id)]);
    const admin = role === 'admin';
    const data: PageData = { gateways, providers: providers(), add: extra.add ?? emptyAdd('test'), routesText: extra.routes ?? routesText(routes), testMessage: extra.testMessage ?? null, admin };
    return <GatewaysPage ctx={ctx} project={project} data={data} error={extra.error ?? null} notice={extra.notice ?? null} />;
  };

  app.get<{ Params: { project: string }; Querystring: { notice?: string; type?: string; message?: string } }>('/ui/p/:project/gateways', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project);
    const notices: Record<string, string> = { created: 'Gateway added.', saved: 'Gateway saved.', deleted: 'Gateway deleted.', rotated: 'New webhook URLs made: the old ones no longer work. Paste the new ones in the vendor\'s console.', routes: 'Routes saved.', 'test-sent': 'Test message created.' };
    const testMessage = request.query.message ? await getMessage(s, project, request.query.message).catch(() => null) : null;
    const add = emptyAdd(request.query.type ?? 'test');
    return sendHtml(reply, await page({ actor, project, section: 'gateways' }, project, { notice: Object.hasOwn(notices, request.query.notice ?? '') ? (notices[request.query.notice ?? ''] ?? null) : null, add, testMessage }));
  });

  app.post<{ Params: { project: string } }>('/ui/p/:project/gateways', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
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
      return sendHtml(reply, await page({ actor, project, section: 'gateways' }, project, { error: message, add }), 422);
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

  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/test-message', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    try {
      const subject = formValue(request.body, 'subject');
      const m = await sendTestMessage(s, project, actor.userId, request.params.name, { to: formValue(request.body, 'to'), text: formValue(request.body, 'text'), subject: subject === '' ? undefined : subject });
      return reply.redirect(`/ui/p/${project.name}/gateways?notice=test-sent&message=${m.id}#test-result`);
    } catch (err) {
      return sendHtml(reply, await page({ actor, project, section: 'gateways' }, project, { error: formError(err) }), 422);
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

  // A leaked webhook URL is replaced: the old key stops at once (as POST …/rotate-inbound-url).
  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/rotate-webhook-urls', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    const g = await rotateInboundKey(s, project.id, request.params.name);
    return reply.redirect(`/ui/p/${project.name}/gateways?notice=rotated#gw-${encodeURIComponent(g.name)}`);
  });

  registerGatewayEditPages(app, deps);
}
