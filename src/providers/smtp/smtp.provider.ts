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

import type { Socket } from 'node:net';

import nodemailer from 'nodemailer';

import { connectChecked, HostRefusedError, type HostPolicy } from '../outbound-hosts.ts';
import type { GatewayRuntime, OutboundMessage, Provider, ProviderDeps, SendOutcome } from '../provider.ts';
import { checkDestination } from '../vendor-config.ts';
import { addressIn, readSmtpConfig, type SmtpConfig, smtpConfigFields } from './smtp.config.ts';
import { classifySmtpError } from './smtp.failure.ts';

type Transporter = ReturnType<typeof createSmtpTransporter>;

/**
 * A transporter whose connections are opened under the host policy: the relay's name is resolved
 * and every address checked, and the socket goes to a checked address (TLS still verifies the name).
 */
export function createSmtpTransporter(cfg: SmtpConfig, hosts: HostPolicy) {
  return nodemailer.createTransport({
    pool: true,
    getSocket(_options: unknown, callback: (err: Error | null, socketOptions?: { connection: Socket } | false) => void) {
      connectChecked(hosts, cfg.host, cfg.port, cfg.connectionTimeoutMs).then(
        (connection) => callback(null, { connection }),
        (err: Error) => callback(err, false),
      );
    },
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
function storedConfig(hosts: HostPolicy, config: Record<string, unknown>): Record<string, unknown> {
  const cfg = readSmtpConfig(config);
  checkDestination(hosts, 'host', cfg.host);
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

export function createSmtpProvider(deps: ProviderDeps): Provider & { close(): Promise<void> } {
  // gateway id → its pooled transporter and the hash of the config it was made from.
  const pools = new Map<string, { hash: string; transporter: Transporter }>();

  function transporterFor(gatewayId: string, cfg: SmtpConfig): Transporter {
    const hash = createHash('sha256').update(JSON.stringify(cfg)).digest('hex');
    const current = pools.get(gatewayId);
    if (current?.hash === hash) {
      return current.transporter;
    }
    current?.transporter.close();
    const transporter = createSmtpTransporter(cfg, deps.hosts);
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
      if (err instanceof HostRefusedError) {
        return { ok: false, retryable: false, reason: err.message };
      }
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
    destination(config) {
      const cfg = readSmtpConfig(config);
      return `smtp://${cfg.host}:${cfg.port}`;
    },
    validateConfig: (config) => storedConfig(deps.hosts, config),
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
