/**
 * @module providers/test/test.provider — the `test` (SMS) and `test-email` providers. They "send" by
 * recording each message through the outbox port (the test_outbox table), readable through GET …/gateways/{name}/outbox,
 * and can be told to fail so retries are testable:
 *   config.failure = { mode: 'transient' | 'permanent', times?: number, reason?: string }
 *   (transient: the first `times` attempts of each message fail, default every attempt)
 *   config.delayMs = wait before answering (to test slow gateways and crashes mid-batch).
 * A message id already in the outbox is not recorded again: these providers are idempotent.
 */
import { randomUUID } from 'node:crypto';

import type { Channel } from '../../domain/gateway.ts';
import type { ConfigField, GatewayRuntime, InboundParse, OutboundMessage, Provider, ProviderDeps, SendOutcome, StatusParse, WebhookRequest } from '../provider.ts';

/** Inbound for test gateways: JSON {"from": "+…", "text": "…", "messageId"?: "…"}. */
export function parseTestInbound(_gateway: GatewayRuntime, request: WebhookRequest): InboundParse {
  const body = request.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, status: 400, reason: 'Send a JSON object {"from", "text", "messageId"?}.' };
  }
  const { from, text, messageId } = body;
  if (typeof from !== 'string' || from.trim() === '' || from.length > 64) {
    return { ok: false, status: 400, reason: '"from" must be the sender number (text, up to 64 characters).' };
  }
  if (typeof text !== 'string' || text.length > 10_000) {
    return { ok: false, status: 400, reason: '"text" must be text of up to 10,000 characters.' };
  }
  if (messageId !== undefined && messageId !== null && (typeof messageId !== 'string' || messageId.length > 200)) {
    return { ok: false, status: 400, reason: '"messageId" must be text of up to 200 characters.' };
  }
  const unknown = Object.keys(body).filter((k) => !['from', 'text', 'messageId'].includes(k));
  if (unknown.length) {
    return { ok: false, status: 400, reason: `Unknown fields: ${unknown.join(', ')}.` };
  }
  return { ok: true, messages: [{ from: from.trim(), text, gatewayMessageId: typeof messageId === 'string' ? messageId : null }] };
}

interface TestConfig {
  failure?: { mode: 'transient' | 'permanent'; times?: number; reason?: string };
  delayMs?: number;
}

function readConfig(config: Record<string, unknown>): TestConfig {
  const out: TestConfig = {};
  const f = config.failure as Record<string, unknown> | undefined | null;
  if (f !== undefined && f !== null) {
    if (typeof f !== 'object' || (f.mode !== 'transient' && f.mode !== 'permanent')) {
      throw new Error('config.failure.mode must be "transient" or "permanent".');
    }
    if (f.times !== undefined && (!Number.isInteger(f.times) || (f.times as number) < 0)) {
      throw new Error('config.failure.times must be a whole number.');
    }
    if (f.reason !== undefined && typeof f.reason !== 'string') {
      throw new Error('config.failure.reason must be text.');
    }
    out.failure = { mode: f.mode, ...(f.times === undefined ? {} : { times: f.times as number }), ...(f.reason === undefined ? {} : { reason: f.reason as string }) };
  }
  if (config.delayMs !== undefined) {
    if (!Number.isInteger(config.delayMs) || (config.delayMs as number) < 0 || (config.delayMs as number) > 60_000) {
      throw new Error('config.delayMs must be a whole number of milliseconds up to 60000.');
    }
    out.delayMs = config.delayMs as number;
  }
  const unknown = Object.keys(config).filter((k) => k !== 'failure' && k !== 'delayMs');
  if (unknown.length) {
    throw new Error(`Unknown config field for a test gateway: ${unknown.join(', ')}.`);
  }
  return out;
}

const TEST_STATUSES: Record<string, 'sent' | 'delivered' | 'failed'> = { sent: 'sent', delivered: 'delivered', failed: 'failed', undelivered: 'failed' };

/** Delivery reports for test gateways: JSON {"providerMessageId", "status", "reason"?}. */
export function parseTestStatus(_gateway: GatewayRuntime, request: WebhookRequest): StatusParse {
  const body = request.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || typeof body.providerMessageId !== 'string' || typeof body.status !== 'string') {
    return { ok: false, status: 400, reason: 'Send a JSON object {"providerMessageId", "status", "reason"?}.' };
  }
  const status = TEST_STATUSES[body.status];
  if (!status) {
    return { ok: true, updates: [], ignored: [body.status] };
  }
  const reason = typeof body.reason === 'string' ? body.reason : null;
  return { ok: true, updates: [{ providerMessageId: body.providerMessageId, status, reason, vendorStatus: body.status }], ignored: [] };
}

function failureFor(cfg: TestConfig, m: OutboundMessage): SendOutcome | null {
  const f = cfg.failure;
  if (!f) {
    return null;
  }
  if (f.mode === 'permanent') {
    return { ok: false, retryable: false, reason: f.reason ?? 'The test gateway refused the message (permanent failure).' };
  }
  if (f.times === undefined || m.attempt <= f.times) {
    return { ok: false, retryable: true, reason: f.reason ?? 'The test gateway is temporarily unavailable (transient failure).' };
  }
  return null;
}

/** The optional failure and delay settings, as the gateway form shows them (all blank: always succeeds). */
export const testConfigFields: readonly ConfigField[] = [
  {
    key: 'failure.mode',
    label: 'Simulate failures',
    help: 'Blank: every message is accepted. transient: attempts fail and are retried; permanent: every message is refused.',
    required: false,
    secret: false,
    kind: 'select',
    options: ['transient', 'permanent'],
  },
  { key: 'failure.times', label: 'Failing attempts', help: 'For transient failures: how many attempts of each message fail before one succeeds (blank: all of them).', required: false, secret: false, kind: 'number' },
  { key: 'failure.reason', label: 'Failure reason', help: 'Optional words the simulated failure gives, shown in the message log.', required: false, secret: false, kind: 'text' },
  { key: 'delayMs', label: 'Delay (ms)', help: 'Optional wait before each batch is answered, up to 60000, to try a slow gateway.', required: false, secret: false, kind: 'number' },
];

const TEST_WEBHOOK_HELP = {
  inbound: 'Simulate a reply: POST JSON {"from": "+…", "text": "…"} to this URL, or use the SMS tester page.',
  status: 'Simulate a delivery report: POST JSON {"providerMessageId": "…", "status": "delivered"} to this URL.',
};

function createTestProvider(type: string, channel: Channel, label: string) {
  return (deps: ProviderDeps): Provider => ({
    type,
    label,
    configFields: testConfigFields,
    webhookHelp: TEST_WEBHOOK_HELP,
    channel,
    idempotent: true,
    validateConfig: (config) => readConfig(config) as Record<string, unknown>,
    parseInbound: parseTestInbound,
    parseStatus: parseTestStatus,
    async send(gateway: GatewayRuntime, messages: readonly OutboundMessage[]): Promise<SendOutcome[]> {
      const cfg = readConfig(gateway.config);
      if (cfg.delayMs) {
        await new Promise((resolve) => setTimeout(resolve, cfg.delayMs));
      }
      const outcomes: SendOutcome[] = messages.map((m) => failureFor(cfg, m) ?? { ok: true, providerMessageId: `test-${randomUUID()}` });
      const accepted = messages.flatMap((m, i) => {
        const o = outcomes[i];
        return o?.ok ? [{ m, providerMessageId: o.providerMessageId }] : [];
      });
      if (accepted.length === 0) {
        return outcomes;
      }
      // A message already recorded keeps its first provider id.
      const ids = await deps.outbox.record(
        gateway.id,
        accepted.map((a) => ({ messageId: a.m.id, to: a.m.to, text: a.m.text, subject: a.m.subject, providerMessageId: a.providerMessageId })),
      );
      return messages.map((m, i) => {
        const o = outcomes[i] as SendOutcome;
        return o.ok ? { ok: true, providerMessageId: ids.get(m.id) ?? o.providerMessageId } : o;
      });
    },
  });
}

export const createTestSmsProvider = createTestProvider('test', 'sms', 'Test SMS (records messages, sends nothing)');
export const createTestEmailProvider = createTestProvider('test-email', 'email', 'Test email (records messages, sends nothing)');
