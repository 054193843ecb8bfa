/**
 * @module http/admin/gateway-edit.pages — editing one gateway: its provider's config fields (stored
 * values shown, secrets never: blank keeps the stored one), rate and reply-to number.
 */
import type { FastifyInstance } from 'fastify';

import type { Project } from '../../domain/project.ts';
import { AppError } from '../../errors.ts';
import type { Provider } from '../../providers/provider.ts';
import { gatewayFormValues, getGateway, type GatewayView, MANAGER, storedSecretFields, updateGateway } from '../../services/gateways.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { ConfigInputs, configFromForm, type ConfigFormValues, storedFormValues, typedFormValues } from './gateway-form.tsx';
import { channelWord, parseRate, providerLabel, RateError } from './gateways.pages.tsx';
import { Csrf, ErrorBox, Field, Layout, type PageContext } from './layout.tsx';
import { formError, formValue, requireUi, requireUiPost, sendHtml } from './ui.tsx';

interface EditForm {
  ratePerSecond: string;
  replyToNumber: string;
  config: ConfigFormValues;
}

/** The secret fields an update refused to keep because the destination changed (details.secrets). */
function secretsToReenter(err: unknown): string[] {
  const details = err instanceof AppError ? (err.details as { secrets?: unknown } | undefined) : undefined;
  return Array.isArray(details?.secrets) ? details.secrets.filter((k): k is string => typeof k === 'string') : [];
}

function EditPage(props: { ctx: PageContext; project: Project; g: GatewayView; provider: Provider | undefined; form: EditForm; storedSecrets: string[]; reenter: string[]; error: string | null }): JSX.Element {
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

export function registerGatewayEditPages(app: FastifyInstance, deps: AdminDeps): void {
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

  app.get<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name/edit', async (request, reply) => {
    const actor = await requireUi(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
    return sendHtml(reply, await render({ actor, project, section: 'gateways' }, project, request.params.name, null, null));
  });

  app.post<{ Params: { project: string; name: string } }>('/ui/p/:project/gateways/:name', async (request, reply) => {
    const actor = await requireUiPost(s, request, reply);
    if (!actor) {
      return reply;
    }
    const project = await requireProject(s, actor, request.params.project, 'admin');
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
      return sendHtml(reply, await render({ actor, project, section: 'gateways' }, project, g.name, form, message, secretsToReenter(err)), 422);
    }
  });
}
