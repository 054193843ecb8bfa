/**
 * @module services/gateways.service — gateways of a project (or global ones, project null), their
 * routes, and the test gateways' outbox. Credentials are sealed with the server key and never
 * returned.
 */
import { randomBytes } from 'node:crypto';

import { type Channel, normaliseGatewayNameInput, type Route, routeProblem } from '../domain/gateway.ts';
import { normaliseLookupNumber } from '../domain/phone-number.ts';
import type { Project } from '../domain/project.ts';
import { AppError } from '../errors.ts';
import { configValue, withConfigValue } from '../providers/config-fields.ts';
import type { Provider } from '../providers/provider.ts';
import {
  deleteGatewayRow,
  findGatewayByName,
  type GatewayRecord,
  insertGateway,
  listOutbox,
  listRoutes,
  listUsableGateways,
  replaceRoutes,
  setInboundKey,
  updateGatewayRow,
} from '../store/gateway.store.ts';
import type { ProjectRole } from '../store/user.store.ts';
import { type WebhookProtection, webhookProtection } from '../domain/webhook-protection.ts';
import type { ServiceDeps } from './deps.ts';

export interface GatewayInput {
  name: string;
  type: string;
  config?: Record<string, unknown> | undefined;
  replyToNumber?: string | null | undefined;
  optInKeywords?: string[] | undefined;
  optOutKeywords?: string[] | undefined;
  ratePerSecond?: number | null | undefined;
}

export type GatewayPatch = Omit<Partial<GatewayInput>, 'name' | 'type'>;

export interface GatewayView {
  id: string;
  name: string;
  type: string;
  channel: Channel;
  global: boolean;
  /** Webhook URLs carry the gateway's secret key: only admins of the gateway's owner (superusers for a global gateway) see them. */
  inboundUrl?: string;
  statusUrl?: string;
  /** What proves a webhook request came from the vendor (domain/webhook-protection.ts). */
  webhookProtection: WebhookProtection;
  replyToNumber: string | null;
  optInKeywords: string[];
  optOutKeywords: string[];
  ratePerSecond: number | null;
  createdAt: string;
  updatedAt: string;
}

/** Who is looking at a gateway: a superuser, or a user with a role in the project (null for none). */
export interface GatewayViewer {
  isSuperuser: boolean;
  role: ProjectRole | null;
}

/** The full view, webhook URLs included, for whoever manages the gateway. */
export const MANAGER: GatewayViewer = { isSuperuser: true, role: 'admin' };

/** Whether the viewer may see (and so post to) a gateway's webhook URLs. */
export function seesWebhooks(viewer: GatewayViewer, g: Pick<GatewayRecord, 'projectId'>): boolean {
  return viewer.isSuperuser || (g.projectId !== null && viewer.role === 'admin');
}

function openConfig(deps: ServiceDeps, g: GatewayRecord): Record<string, unknown> {
  try {
    return JSON.parse(deps.secrets.open(g.configSealed)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function toGatewayView(deps: ServiceDeps, g: GatewayRecord, viewer: GatewayViewer = MANAGER): GatewayView {
  const view = fullView(deps, g);
  if (!seesWebhooks(viewer, g)) {
    delete view.inboundUrl;
    delete view.statusUrl;
  }
  return view;
}

function fullView(deps: ServiceDeps, g: GatewayRecord): GatewayView {
  return {
    id: g.id,
    name: g.name,
    type: g.type,
    channel: g.channel,
    global: g.projectId === null,
    inboundUrl: `${deps.messaging.publicUrl}/webhooks/${g.inboundKey}/inbound`,
    statusUrl: `${deps.messaging.publicUrl}/webhooks/${g.inboundKey}/status`,
    webhookProtection: webhookProtection(g.type, openConfig(deps, g)),
    replyToNumber: g.replyToNumber,
    optInKeywords: g.optInKeywords,
    optOutKeywords: g.optOutKeywords,
    ratePerSecond: g.ratePerSecond,
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
  };
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_ERROR', message, { details: { field } });
}

function provider(deps: ServiceDeps, type: string): Provider {
  const p = deps.providers.get(type);
  if (!p) {
    throw invalid('type', `Unknown gateway type "${type}". Known types: ${deps.providers.types().join(', ')}.`);
  }
  return p;
}

function keywords(field: string, words: string[] | undefined): string[] {
  const out = [...new Set((words ?? []).map((w) => w.trim().replace(/\s+/g, ' ').toUpperCase()))];
  if (out.length > 30 || out.some((w) => w.length < 1 || w.length > 40)) {
    throw invalid(field, `${field}: up to 30 words of 1–40 characters.`);
  }
  return out;
}

function validateConfig(p: Provider, config: Record<string, unknown>): Record<string, unknown> {
  try {
    return p.validateConfig(config);
  } catch (err) {
    throw invalid('config', (err as Error).message);
  }
}

function replyTo(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null || raw.trim() === '') {
    return null;
  }
  const n = normaliseLookupNumber(raw);
  if (!n) {
    throw new AppError('INVALID_PHONE_NUMBER', `replyToNumber "${raw}" is not a phone number; give it with the country code.`, { details: { field: 'replyToNumber' } });
  }
  return n;
}

export async function createGateway(deps: ServiceDeps, projectId: string | null, input: GatewayInput): Promise<GatewayView> {
  const name = normaliseGatewayNameInput(input.name);
  if (!name) {
    throw invalid('name', 'name must be 1–50 letters, digits, _ or - (no spaces); it is stored upper-cased.');
  }
  const p = provider(deps, input.type);
  const config = validateConfig(p, input.config ?? {});
  const created = await insertGateway(
    deps.db,
    projectId,
    {
      name,
      type: p.type,
      channel: p.channel,
      configSealed: deps.secrets.seal(JSON.stringify(config)),
      replyToNumber: replyTo(input.replyToNumber),
      optInKeywords: keywords('optInKeywords', input.optInKeywords),
      optOutKeywords: keywords('optOutKeywords', input.optOutKeywords),
      ratePerSecond: input.ratePerSecond ?? p.defaultRatePerSecond ?? null,
    },
    randomBytes(24).toString('base64url'),
  );
  if (!created) {
    throw new AppError('CONFLICT', `A gateway named ${name} already exists${projectId ? ' in this project' : ' among the global gateways'}.`, { details: { field: 'name' } });
  }
  deps.caches.routing.clear();
  return toGatewayView(deps, created);
}

async function requireGateway(deps: ServiceDeps, projectId: string | null, rawName: string): Promise<GatewayRecord> {
  const name = normaliseGatewayNameInput(rawName);
  const g = name ? await findGatewayByName(deps.db, projectId, name) : null;
  if (!g) {
    throw new AppError('NOT_FOUND', `No gateway named ${rawName}${projectId ? ' in this project' : ' among the global gateways'}.`);
  }
  return g;
}

/** A gateway this project may use: its own by that name, else the global one (as routing does). */
export async function requireUsableGateway(deps: ServiceDeps, projectId: string, rawName: string): Promise<GatewayRecord> {
  return requireGateway(deps, projectId, rawName).catch(async () => requireGateway(deps, null, rawName));
}

export async function getGateway(deps: ServiceDeps, projectId: string | null, name: string, viewer: GatewayViewer): Promise<GatewayView> {
  return toGatewayView(deps, await requireGateway(deps, projectId, name), viewer);
}

/**
 * Secret fields are write-only: an edit that leaves one out (or blank) keeps the stored value, so
 * nobody has to type a password again to change a port. Other fields are replaced as given.
 */
function keepStoredSecrets(p: Provider, stored: Record<string, unknown>, incoming: Record<string, unknown>): Record<string, unknown> {
  let out = { ...incoming };
  for (const field of p.configFields ?? []) {
    const given = configValue(incoming, field.key);
    const kept = configValue(stored, field.key);
    if (field.secret && (given === undefined || given === null || given === '') && kept !== undefined) {
      out = withConfigValue(out, field.key, kept);
    }
  }
  return out;
}

/** Where the provider sends with this config ('' when it cannot tell, e.g. the stored config no longer reads). */
function destinationOf(p: Provider, config: Record<string, unknown>): string {
  try {
    return p.destination?.(config) ?? '';
  } catch {
    return '';
  }
}

/**
 * A stored secret is only kept while requests keep going where they went: an edit that changes the
 * destination (a baseUrl, URL or SMTP host and port) must enter the secrets again, or the stored
 * token would be sent to the new host. Refused with VALIDATION_ERROR naming the secret fields.
 */
function refuseKeptSecretsOnNewDestination(p: Provider, stored: Record<string, unknown>, incoming: Record<string, unknown>, next: Record<string, unknown>): void {
  const before = destinationOf(p, stored);
  if (before === destinationOf(p, next)) {
    return;
  }
  const missing = (p.configFields ?? [])
    .filter((f) => f.secret && configValue(stored, f.key) !== undefined)
    .filter((f) => {
      const given = configValue(incoming, f.key);
      return given === undefined || given === null || given === '';
    })
    .map((f) => f.key);
  if (missing.length > 0) {
    throw new AppError('VALIDATION_ERROR', `This change sends the gateway's requests to another host, so its secrets must be entered again: ${missing.join(', ')}.`, {
      details: { field: `config.${missing[0]}`, secrets: missing },
    });
  }
}

/**
 * The stored values of a gateway's non-secret config fields, for the edit form (the API never
 * returns config; secrets are never read back at all).
 */
export async function gatewayFormValues(deps: ServiceDeps, projectId: string | null, name: string): Promise<Record<string, unknown>> {
  const g = await requireGateway(deps, projectId, name);
  const p = provider(deps, g.type);
  const stored = JSON.parse(deps.secrets.open(g.configSealed)) as Record<string, unknown>;
  let out: Record<string, unknown> = {};
  for (const field of p.configFields ?? []) {
    const v = configValue(stored, field.key);
    if (!field.secret && v !== undefined) {
      out = withConfigValue(out, field.key, v);
    }
  }
  return out;
}

/** Which secret fields have a stored value (the form says "stored — leave blank to keep"). */
export async function storedSecretFields(deps: ServiceDeps, projectId: string | null, name: string): Promise<string[]> {
  const g = await requireGateway(deps, projectId, name);
  const p = provider(deps, g.type);
  const stored = JSON.parse(deps.secrets.open(g.configSealed)) as Record<string, unknown>;
  return (p.configFields ?? []).filter((f) => f.secret && configValue(stored, f.key) !== undefined).map((f) => f.key);
}

export async function updateGateway(deps: ServiceDeps, projectId: string | null, name: string, patch: GatewayPatch): Promise<GatewayView> {
  const g = await requireGateway(deps, projectId, name);
  const p = provider(deps, g.type);
  const stored = JSON.parse(deps.secrets.open(g.configSealed)) as Record<string, unknown>;
  const config = patch.config === undefined ? stored : validateConfig(p, keepStoredSecrets(p, stored, patch.config));
  if (patch.config !== undefined) {
    refuseKeptSecretsOnNewDestination(p, stored, patch.config, config);
  }
  const updated = await updateGatewayRow(deps.db, g.id, {
    configSealed: deps.secrets.seal(JSON.stringify(config)),
    replyToNumber: patch.replyToNumber === undefined ? g.replyToNumber : replyTo(patch.replyToNumber),
    optInKeywords: patch.optInKeywords === undefined ? g.optInKeywords : keywords('optInKeywords', patch.optInKeywords),
    optOutKeywords: patch.optOutKeywords === undefined ? g.optOutKeywords : keywords('optOutKeywords', patch.optOutKeywords),
    ratePerSecond: patch.ratePerSecond === undefined ? g.ratePerSecond : patch.ratePerSecond,
  });
  deps.caches.routing.clear();
  return toGatewayView(deps, updated);
}

/** Gives the gateway a new webhook address; the old one stops working at once. */
export async function rotateInboundKey(deps: ServiceDeps, projectId: string | null, name: string): Promise<GatewayView> {
  const g = await requireGateway(deps, projectId, name);
  return toGatewayView(deps, await setInboundKey(deps.db, g.id, randomBytes(24).toString('base64url')));
}

export async function removeGateway(deps: ServiceDeps, projectId: string | null, name: string): Promise<void> {
  const g = await requireGateway(deps, projectId, name);
  await deleteGatewayRow(deps.db, g.id);
  deps.caches.routing.clear();
}

/** The project's gateways and the global ones (global only when projectId is null). */
export async function listGateways(deps: ServiceDeps, projectId: string | null, viewer: GatewayViewer): Promise<GatewayView[]> {
  return (await listUsableGateways(deps.db, projectId)).map((g) => toGatewayView(deps, g, viewer));
}

export interface RouteView {
  prefix: string;
  gateway: string;
}

export async function getRoutes(deps: ServiceDeps, projectId: string | null): Promise<RouteView[]> {
  const [routes, gateways] = await Promise.all([listRoutes(deps.db, projectId), listUsableGateways(deps.db, projectId)]);
  const names = new Map(gateways.map((g) => [g.id, g.name]));
  return routes.map((r) => ({ prefix: r.prefix, gateway: names.get(r.gatewayId) ?? '?' }));
}

/** Replaces the routes: prefixes are digits or `*`, no duplicates, each naming an SMS gateway usable here. */
export async function putRoutes(deps: ServiceDeps, projectId: string | null, input: readonly RouteView[]): Promise<RouteView[]> {
  const problem = routeProblem(input);
  if (problem) {
    throw invalid('prefix', problem);
  }
  const gateways = await listUsableGateways(deps.db, projectId);
  const routes: Route[] = input.map((r) => {
    const name = normaliseGatewayNameInput(r.gateway);
    const own = gateways.find((g) => g.projectId !== null && g.name === name) ?? gateways.find((g) => g.projectId === null && g.name === name);
    if (!own) {
      throw new AppError('GATEWAY_NOT_FOUND', `Route ${r.prefix}: no gateway named ${r.gateway}.`, { details: { field: 'gateway' } });
    }
    if (own.channel !== 'sms') {
      throw invalid('gateway', `Route ${r.prefix}: ${own.name} is an email gateway; routes choose SMS gateways.`);
    }
    return { prefix: r.prefix, gatewayId: own.id };
  });
  await deps.db.transaction().execute((trx) => replaceRoutes(trx, projectId, routes));
  deps.caches.routing.clear();
  return getRoutes(deps, projectId);
}

export interface OutboxEntry {
  to: string;
  text: string;
  subject?: string;
  messageId: string;
  providerMessageId: string;
  at: string;
}

export async function gatewayOutbox(deps: ServiceDeps, project: Project, name: string, limit = 500): Promise<OutboxEntry[]> {
  const g = await requireGateway(deps, project.id, name).catch(async () => requireGateway(deps, null, name));
  if (g.type !== 'test' && g.type !== 'test-email') {
    throw invalid('name', `${g.name} is a ${g.type} gateway; only test gateways keep an outbox.`);
  }
  const items = await listOutbox(deps.db, g.id, project.id, limit);
  return items.map((i) => ({ to: i.to, text: i.text, ...(i.subject === null ? {} : { subject: i.subject }), messageId: i.messageId, providerMessageId: i.providerMessageId, at: i.at.toISOString() }));
}
