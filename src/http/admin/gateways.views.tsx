/**
 * @module http/admin/gateways.views — a project's gateways: each with the webhook addresses to paste
 * into the vendor's console (Copy buttons, a line of help each), a warning when no route sends
 * through it (cases would never reach it) with the one-click catch-all route, a "Send test message"
 * form, Edit and Delete; the form to add one (type chosen first with a plain GET ?type=, then that
 * provider's config fields); the routes by number prefix; and the edit page. Routes are in
 * gateways.routes.tsx.
 */
import type { Project } from '../../domain/project.ts';
import { describeProof, type WebhookProof } from '../../domain/webhook-protection.ts';
import type { Provider } from '../../providers/provider.ts';
import type { UnroutedGateway } from '../../services/gateway-reach.service.ts';
import type { GatewayView } from '../../services/gateways.service.ts';
import type { MessageView } from '../../services/messages.service.ts';
import { ConfigInputs, type ConfigFormValues } from './gateway-form.tsx';
import { Badge, type BadgeTone, Csrf, ErrorBox, Field, Layout, Notice, type PageContext } from './layout.tsx';
import { Failure } from './messages.views.tsx';

export interface AddForm {
  type: string;
  name: string;
  ratePerSecond: string;
  replyToNumber: string;
  config: ConfigFormValues;
}

export interface PageData {
  gateways: GatewayView[];
  providers: Provider[];
  add: AddForm;
  routesText: string;
  /** The test message just sent (shown with its status), when the page was reached after one. */
  testMessage: MessageView | null;
  /** A project admin (or superuser): members see the gateways but not their webhook URLs or forms. */
  admin: boolean;
  /** SMS gateways no route sends through, by name (cases never reach them). */
  unrouted: ReadonlyMap<string, UnroutedGateway>;
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

function TestResult(props: { ctx: PageContext; m: MessageView; project: Project; unrouted: UnroutedGateway | null; admin: boolean }): JSX.Element {
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
      {props.unrouted ? (
        <>
          <p class="muted">The test went straight through this gateway; messages to cases use the routes.</p>
          <RouteWarning ctx={props.ctx} projectName={props.project.name} w={props.unrouted} admin={props.admin} />
        </>
      ) : (
        ''
      )}
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

function GatewayCard(props: { ctx: PageContext; base: string; projectName: string; g: GatewayView; i: number; provider: Provider | undefined; admin: boolean; unrouted: UnroutedGateway | null }): JSX.Element {
  const { g, i, provider } = props;
  const help = { ...GENERIC_HELP, ...provider?.webhookHelp };
  return (
    <section class="card" id={`gw-${g.name}`}>
      <h2>
        <span safe>{g.name}</span> <span class="muted" safe>{`· ${providerLabel(provider, g.type)} · ${channelWord(g.channel)}${g.global ? ' · global' : ''}`}</span>
      </h2>
      {props.unrouted ? <RouteWarning ctx={props.ctx} projectName={props.projectName} w={props.unrouted} admin={props.admin} /> : ''}
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

export function GatewaysPage(props: { ctx: PageContext; project: Project; data: PageData; error: string | null; notice: string | null }): JSX.Element {
  const base = `/ui/p/${props.project.name}/gateways`;
  const { data } = props;
  const own = data.gateways.filter((g) => !g.global);
  return (
    <Layout title="Gateways" ctx={props.ctx}>
      <h1>Gateways and routes</h1>
      <Notice text={props.notice} />
      <ErrorBox text={props.error} />
      {data.testMessage ? <TestResult ctx={props.ctx} m={data.testMessage} project={props.project} unrouted={data.unrouted.get(data.testMessage.gateway ?? '') ?? null} admin={data.admin} /> : ''}
      {own.length === 0 ? <div class="empty">No gateway yet — add one to start sending.</div> : ''}
      {data.gateways.map((g, i) => (
        <GatewayCard ctx={props.ctx} base={base} projectName={props.project.name} g={g} i={i} provider={data.providers.find((p) => p.type === g.type)} admin={data.admin} unrouted={data.unrouted.get(g.name) ?? null} />
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

export interface EditForm {
  ratePerSecond: string;
  replyToNumber: string;
  config: ConfigFormValues;
}

export function EditPage(props: { ctx: PageContext; project: Project; g: GatewayView; provider: Provider | undefined; form: EditForm; storedSecrets: string[]; reenter: string[]; error: string | null }): JSX.Element {
  const { g, provider } = props;
  const base = `/ui/p/${props.project.name}/gateways`;
  return (
    <Layout title={`Edit ${g.name}`} ctx={props.ctx}>
      <p>
        <a href={`${base}#gw-${g.name}`}>← Gateways and routes</a>
      </p>
      <h1 safe>{`Edit ${g.name}`}</h1>
      <p class="muted" safe>{`${providerLabel(provider, g.type)} · ${channelWord(g.channel)}. The type cannot change; add a new gateway for another vendor.`}</p>
      <ErrorBox text={props.error} />
      <section class="card">
        <form class="stack" method="post" action={`${base}/${g.name}`}>
          <Csrf ctx={props.ctx} />
          <ConfigInputs fields={provider?.configFields ?? []} values={props.form.config} storedSecrets={props.storedSecrets} reenter={props.reenter} />
          <Field label="Messages per second" name="ratePerSecond" value={props.form.ratePerSecond} help="Optional limit shared by all workers; blank for no limit." />
          {g.channel === 'email' ? '' : <Field label="Reply-to number" name="replyToNumber" value={props.form.replyToNumber} help="Optional: the number people reply to, when it differs from the sender (named in verification messages)." />}
          <p>
            <button type="submit">Save gateway</button>
          </p>
        </form>
      </section>
    </Layout>
  );
}

export function routeAllUrl(projectName: string, gateway: string): string {
  return `/ui/p/${encodeURIComponent(projectName)}/gateways/${encodeURIComponent(gateway)}/route-all`;
}

export function RouteWarning(props: { ctx: PageContext; projectName: string; w: UnroutedGateway; admin: boolean }): JSX.Element {
  const { w } = props;
  return (
    <div class="route-warning" role="note" data-gateway={w.gateway}>
      <p>
        <strong>No route sends through </strong>
        <strong safe>{w.gateway}</strong>
        <span safe>{`: cases will not reach this gateway until you add a route, for example * (all numbers). Now only contacts that name ${w.gateway} in contact_backend_id, and test messages, use it.`}</span>
      </p>
      {!props.admin ? (
        <p class="muted">A project admin can add the route under Routes.</p>
      ) : w.catchAll === null ? (
        <form method="post" action={routeAllUrl(props.projectName, w.gateway)}>
          <Csrf ctx={props.ctx} />
          <button type="submit" safe>{`Route all numbers (*) through ${w.gateway}`}</button>
        </form>
      ) : (
        <form method="post" action={routeAllUrl(props.projectName, w.gateway)} data-confirm={`Send every number that no longer prefix catches through ${w.gateway} instead of ${w.catchAll}?`}>
          <Csrf ctx={props.ctx} />
          <input type="hidden" name="replace" value="1" />
          <p class="muted" safe>{`The catch-all route * sends through ${w.catchAll} now.`}</p>
          <button type="submit" class="secondary" safe>{`Replace * → ${w.catchAll} with * → ${w.gateway}`}</button>
        </form>
      )}
    </div>
  );
}
