/**
 * @module domain/webhook-protection — what proves that a webhook request came from the gateway's
 * vendor, per gateway type and config (issue 23). `signature`: the vendor signs each request and we
 * check it (Twilio). `secret`: the request must carry a shared secret we compare in constant time
 * (Telerivet always; Infobip and the generic http gateway when a webhook secret is set). `url-key`:
 * only the random key in the webhook URL, so anyone who has the URL can post to it — keep it secret
 * and rotate it if it leaks (test gateways, Africa's Talking, http/Infobip without a secret, and
 * Infobip's delivery reports, which cannot carry a header).
 */
export type WebhookProof = 'signature' | 'secret' | 'url-key';

export interface WebhookProtection {
  inbound: WebhookProof;
  status: WebhookProof;
}

function hasSecret(config: Record<string, unknown>): boolean {
  return typeof config.webhookSecret === 'string' && config.webhookSecret !== '';
}

export function webhookProtection(type: string, config: Record<string, unknown>): WebhookProtection {
  switch (type) {
    case 'twilio':
      return { inbound: 'signature', status: 'signature' };
    case 'telerivet':
      return { inbound: 'secret', status: 'secret' };
    case 'http':
      return hasSecret(config) ? { inbound: 'secret', status: 'secret' } : { inbound: 'url-key', status: 'url-key' };
    case 'infobip':
      return { inbound: hasSecret(config) ? 'secret' : 'url-key', status: 'url-key' };
    default:
      return { inbound: 'url-key', status: 'url-key' };
  }
}

/** One sentence for the gateways page and the docs. */
export function describeProof(proof: WebhookProof): string {
  switch (proof) {
    case 'signature':
      return 'Each request is signed by the vendor and the signature is checked.';
    case 'secret':
      return 'Each request must carry the webhook secret, compared in constant time.';
    case 'url-key':
      return 'Not signed: the secret key in this URL is the only proof, so anyone who has the URL can post to it. Keep it private, and rotate it if it may have leaked.';
  }
}
