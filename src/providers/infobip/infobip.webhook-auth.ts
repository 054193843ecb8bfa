/**
 * @module providers/infobip/infobip.webhook-auth — Infobip does not sign webhooks; it can send
 * Basic auth or a fixed header you configure on the forwarding / subscription. When the gateway has
 * a webhookSecret, the configured header (Default: Authorization) must carry it — as the raw value,
 * as `App <secret>` / `Bearer <secret>`, or as the password of `Basic base64(user:password)` —
 * compared in constant time. Without a secret, the random key in the webhook URL authenticates.
 * Delivery reports go to the notifyUrl we give per message, which cannot carry a header, so for
 * them the secret is checked only when the header is present (a wrong one is still refused).
 */
import { secretsEqual } from '../vendor-text.ts';
import { headerValue } from '../vendor-webhook.ts';
import type { WebhookRequest } from '../provider.ts';

/** The values a header may carry the secret as. */
function candidates(value: string): string[] {
  const out = [value];
  const m = /^(Basic|App|Bearer)\s+(.+)$/i.exec(value.trim());
  if (m?.[1] && m[2]) {
    if (m[1].toLowerCase() === 'basic') {
      const decoded = Buffer.from(m[2], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      out.push(colon >= 0 ? decoded.slice(colon + 1) : decoded);
    } else {
      out.push(m[2]);
    }
  }
  return out;
}

export function checkInfobipWebhook(
  cfg: { webhookSecret?: string | undefined; webhookSecretHeader: string },
  request: WebhookRequest,
  headerRequired: boolean,
): { ok: false; status: 403; reason: string } | null {
  if (!cfg.webhookSecret) {
    return null;
  }
  const value = headerValue(request.headers, cfg.webhookSecretHeader);
  if (value === undefined && !headerRequired) {
    return null;
  }
  // Every candidate is compared (no early exit), so timing says nothing about which one was close.
  const matches = value ? candidates(value).map((c) => secretsEqual(c, cfg.webhookSecret as string)) : [];
  if (matches.includes(true)) {
    return null;
  }
  return { ok: false, status: 403, reason: `The ${cfg.webhookSecretHeader} header does not carry this gateway's webhook secret.` };
}
