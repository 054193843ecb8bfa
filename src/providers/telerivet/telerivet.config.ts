/**
 * @module providers/telerivet/telerivet.config — the `telerivet` gateway's config: what is
 * required, what each value looks like, and the form fields the admin UI shows for it.
 */
import type { ConfigField } from '../provider.ts';
import { ConfigReader } from '../vendor-config.ts';
import { DEFAULT_TIMEOUT_MS } from '../vendor-http.ts';

/** Telerivet's REST API host (Default for baseUrl); the API paths start with /v1. */
export const TELERIVET_API = 'https://api.telerivet.com';

export interface TelerivetConfig {
  apiKey: string;
  projectId: string;
  /** The phone or route to send from (Default: the project's default sender). */
  routeId?: string | undefined;
  /** The Webhook Secret of the Telerivet webhook service; also sent as status_secret. */
  webhookSecret: string;
  baseUrl: string;
  timeoutMs: number;
}

const ID = /^[A-Za-z0-9_]{2,64}$/;

/** Reads and checks a config; throws a message saying what to fix. */
export function readTelerivetConfig(config: Record<string, unknown>): TelerivetConfig {
  const r = new ConfigReader(config, 'Telerivet');
  const apiKey = r.text('apiKey', { required: true, pattern: /^[A-Za-z0-9_-]{16,128}$/, hint: 'an API key from Account › Developer API' }) as string;
  const projectId = r.text('projectId', { required: true, pattern: ID, hint: 'the project ID shown on the Developer API page, such as PJ…' }) as string;
  const routeId = r.text('routeId', { required: false, pattern: ID, hint: 'the ID of a phone (PN…) or route (RT…)' });
  const webhookSecret = r.text('webhookSecret', { required: true, pattern: /^[\x21-\x7e]{8,200}$/, hint: 'the Webhook Secret of your Webhook API service, 8 or more characters without spaces' }) as string;
  const baseUrl = r.url('baseUrl', TELERIVET_API);
  const timeoutMs = r.integer('timeoutMs', { min: 1000, max: 120_000, fallback: DEFAULT_TIMEOUT_MS });
  r.refuseUnknown();
  return { apiKey, projectId, routeId, webhookSecret, baseUrl, timeoutMs };
}

/** What is stored: the values given, normalised (defaults are applied when read, so they can change). */
export function normaliseTelerivetConfig(config: Record<string, unknown>): Record<string, unknown> {
  const c = readTelerivetConfig(config);
  const out: Record<string, unknown> = { apiKey: c.apiKey, projectId: c.projectId, webhookSecret: c.webhookSecret };
  if (c.routeId !== undefined) {
    out.routeId = c.routeId;
  }
  if (c.baseUrl !== TELERIVET_API) {
    out.baseUrl = c.baseUrl;
  }
  if (c.timeoutMs !== DEFAULT_TIMEOUT_MS) {
    out.timeoutMs = c.timeoutMs;
  }
  return out;
}

export const TELERIVET_CONFIG_FIELDS: readonly ConfigField[] = [
  { key: 'apiKey', label: 'API key', help: 'Telerivet › Account › Developer API › Generate API key (the key is shown once).', required: true, secret: true, kind: 'text' },
  { key: 'projectId', label: 'Project ID', help: 'On the same Developer API page, next to your project name; it starts with PJ.', required: true, secret: false, kind: 'text', placeholder: 'PJ…' },
  { key: 'routeId', label: 'Phone or route ID', help: "Optional: the phone (PN…) or route (RT…) to send from, listed on the Developer API page; blank uses the project's default sender.", required: false, secret: false, kind: 'text', placeholder: 'PN…' },
  { key: 'webhookSecret', label: 'Webhook secret', help: 'The Webhook Secret you set in Services › Webhook API; Telerivet sends it with every webhook so Rollcall can check it.', required: true, secret: true, kind: 'text' },
  { key: 'baseUrl', label: 'API base URL', help: `Leave blank for ${TELERIVET_API}; set only for a test server or a proxy in front of Telerivet.`, required: false, secret: false, kind: 'url', placeholder: TELERIVET_API },
  { key: 'timeoutMs', label: 'Timeout (ms)', help: `How long to wait for Telerivet to answer before retrying later (default ${DEFAULT_TIMEOUT_MS}).`, required: false, secret: false, kind: 'number', placeholder: String(DEFAULT_TIMEOUT_MS) },
];
