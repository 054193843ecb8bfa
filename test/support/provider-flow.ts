/**
 * Shared steps of the provider end-to-end tests: a captured logger, a case that holds a number
 * two-way, one message sent through dispatch, vendor webhooks posted as the vendor would (form,
 * JSON or query string), and the check that no credential shows in logs or API output.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';

import { type Logger, pino } from 'pino';

import { dispatchOnce } from '../../src/services/dispatch.service.ts';
import { processInbound } from '../../src/services/inbound.service.ts';
import type { TestApp } from './test-app.ts';

type Json = Record<string, any>;

/** A pino logger at trace level whose output the test can read back. */
export function captureLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => chunks.join('') };
}

export async function createGateway(t: TestApp, project: string, body: Json): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/${project}/gateways`, { body });
  assert.equal(res.statusCode, 201, res.body);
  const routes = await t.request('PUT', `/api/v1/projects/${project}/gateway-routes`, { body: [{ prefix: '*', gateway: res.json().name }] });
  assert.equal(routes.statusCode, 200, routes.body);
  return res.json();
}

/** A case whose number is verified, so it holds the number two-way and replies are logged against it. */
export async function createCase(t: TestApp, project: string, phone: string): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/${project}/cases`, { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: phone, contact_phone_number_is_verified: '1' } } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

/** Creates a message to the case, runs dispatch once, returns the message as GET shows it. */
export async function sendToCase(t: TestApp, project: string, caseId: string, text: string): Promise<Json> {
  const created = await t.request('POST', `/api/v1/projects/${project}/messages`, { body: { recipient: { caseId }, text } });
  assert.equal(created.statusCode, 201, created.body);
  await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });
  return getMessage(t, project, created.json().id);
}

export async function getMessage(t: TestApp, project: string, id: string): Promise<Json> {
  return (await t.request('GET', `/api/v1/projects/${project}/messages/${id}`)).json();
}

/** Posts to a webhook URL as a vendor would: a form, JSON, or a GET with a query string. */
export async function callWebhook(t: TestApp, url: string, kind: 'form' | 'json' | 'query', fields: Json, headers: Record<string, string> = {}) {
  const u = new URL(url);
  if (kind === 'query') {
    return t.request('GET', `${u.pathname}?${new URLSearchParams(fields).toString()}`, { token: null, headers });
  }
  if (kind === 'form') {
    return t.request('POST', u.pathname + u.search, { token: null, body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  }
  return t.request('POST', u.pathname + u.search, { token: null, body: fields, headers });
}

/** Runs inbound handling until nothing is left. */
export async function settleInbound(t: TestApp): Promise<void> {
  while ((await processInbound(t.deps, 50)) > 0) {
    // keep going
  }
}

/** No secret appears in the logs, the gateway's API output, or any message of the case. */
export async function assertNoSecrets(t: TestApp, project: string, gatewayName: string, caseId: string, logs: string, secrets: readonly string[]): Promise<void> {
  const outputs = [
    logs,
    (await t.request('GET', `/api/v1/projects/${project}/gateways`)).body,
    (await t.request('GET', `/api/v1/projects/${project}/gateways/${gatewayName}`)).body,
    (await t.request('GET', `/api/v1/projects/${project}/messages?caseId=${caseId}`)).body,
  ];
  assert.ok(logs.length > 0, 'something was logged');
  for (const secret of secrets) {
    for (const out of outputs) {
      assert.ok(!out.includes(secret) && !out.includes(encodeURIComponent(secret)), `"${secret.slice(0, 4)}…" must not appear`);
    }
  }
}
