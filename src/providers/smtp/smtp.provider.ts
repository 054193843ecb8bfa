/**
 * @module providers/smtp/smtp.provider — the `smtp` email gateway, sending through any SMTP relay
 * with nodemailer. Plain-text email with the message's subject; when the message carries an
 * unsubscribe URL, the RFC 8058 one-click headers (List-Unsubscribe + List-Unsubscribe-Post) are
 * added, so mail clients show an "Unsubscribe" button that opts the address out.
 *
 * One pooled transporter per gateway, kept while its config is unchanged (a changed config closes
 * the old pool). The vendor message id is the email's Message-ID, made from our message id, so a
 * retry of the same message carries the same Message-ID. SMTP cannot tell whether a dropped
 * connection delivered the message, so this provider is not idempotent.
 */
import { createHash } from 'node:crypto';

import nodemailer from 'nodemailer';

import type { GatewayRuntime, OutboundMessage, Provider, SendOutcome } from '../provider.ts';
import { addressIn, readSmtpConfig, type SmtpConfig, smtpConfigFields } from './smtp.config.ts';
import { classifySmtpError } from './smtp.failure.ts';

type Transporter = ReturnType<typeof createSmtpTransporter>;

export function createSmtpTransporter(cfg: SmtpConfig) {
  return nodemailer.createTransport({
    pool: true,
    // Two connections per gateway: enough for a batch, gentle on relays that limit connections.
    maxConnections: 2,
    host: cfg.host,
    port: cfg.port,
    secure: cfg.tls === 'implicit',
    requireTLS: cfg.tls === 'starttls',
    ignoreTLS: cfg.tls === 'none',
    ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password ?? '' } } : {}),
    tls: { rejectUnauthorized: cfg.rejectUnauthorized, ...(cfg.caCertificate ? { ca: cfg.caCertificate } : {}) },
    connectionTimeout: cfg.connectionTimeoutMs,
    greetingTimeout: cfg.greetingTimeoutMs,
    socketTimeout: cfg.socketTimeoutMs,
    // Never log: nodemailer's debug output would include the AUTH exchange.
    logger: false,
    debug: false,
  });
}

/** Only the fields that were given, trimmed; defaults are applied when sending, so they can change. */
function storedConfig(config: Record<string, unknown>): Record<string, unknown> {
  readSmtpConfig(config);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      continue;
    }
    out[key] = typeof value === 'string' && key !== 'caCertificate' && key !== 'password' ? value.trim() : value;
  }
  return out;
}

function messageIdFor(m: OutboundMessage, cfg: SmtpConfig): string {
  const domain = addressIn(cfg.from)?.split('@')[1] ?? 'rollcall.invalid';
  return `<${m.id}@${domain}>`;
}

export function createSmtpProvider(): Provider & { close(): Promise<void> } {
  // gateway id → its pooled transporter and the hash of the config it was made from.
  const pools = new Map<string, { hash: string; transporter: Transporter }>();

  function transporterFor(gatewayId: string, cfg: SmtpConfig): Transporter {
    const hash = createHash('sha256').update(JSON.stringify(cfg)).digest('hex');
    const current = pools.get(gatewayId);
    if (current?.hash === hash) {
      return current.transporter;
    }
    current?.transporter.close();
    const transporter = createSmtpTransporter(cfg);
    pools.set(gatewayId, { hash, transporter });
    return transporter;
  }

  async function sendOne(transporter: Transporter, cfg: SmtpConfig, m: OutboundMessage): Promise<SendOutcome> {
    const headers: Record<string, string> = {};
    if (m.unsubscribeUrl) {
      headers['List-Unsubscribe'] = `<${m.unsubscribeUrl}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    try {
      const info = await transporter.sendMail({
        from: cfg.from,
        to: m.to,
        ...(cfg.replyTo ? { replyTo: cfg.replyTo } : {}),
        subject: m.subject ?? '',
        text: m.text,
        messageId: messageIdFor(m, cfg),
        headers,
      });
      return { ok: true, providerMessageId: info.messageId };
    } catch (err) {
      const failure = classifySmtpError(err, cfg.password ? [cfg.password] : []);
      return { ok: false, retryable: failure.retryable, reason: failure.reason };
    }
  }

  return {
    type: 'smtp',
    label: 'SMTP email',
    channel: 'email',
    idempotent: false,
    // Default 5 emails/s: below what common relays allow per account; set the gateway's own rate
    // to your relay's limit (for example 14/s on Amazon SES, 0.5/s for Microsoft 365 mailboxes).
    defaultRatePerSecond: 5,
    configFields: smtpConfigFields,
    validateConfig: storedConfig,
    async send(gateway: GatewayRuntime, messages: readonly OutboundMessage[]): Promise<SendOutcome[]> {
      let cfg: SmtpConfig;
      try {
        cfg = readSmtpConfig(gateway.config);
      } catch (err) {
        return messages.map(() => ({ ok: false, retryable: false, reason: `The smtp gateway config is not valid: ${(err as Error).message}` }));
      }
      const transporter = transporterFor(gateway.id, cfg);
      return Promise.all(messages.map((m) => sendOne(transporter, cfg, m)));
    },
    async close() {
      for (const { transporter } of pools.values()) {
        transporter.close();
      }
      pools.clear();
    },
  };
}
