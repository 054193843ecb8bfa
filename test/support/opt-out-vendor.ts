/**
 * A vendor that refuses every message as sent to an unsubscribed recipient (Twilio's 21610 words),
 * for tests of vendor-reported opt-outs.
 */
import type { Provider } from '../../src/providers/provider.ts';

export const optOutVendor = (): Provider => ({
  type: 'refuses-opted-out',
  channel: 'sms',
  idempotent: false,
  validateConfig: (c) => c,
  send: async (_g, ms) => ms.map(() => ({ ok: false, retryable: false, reason: '21610: Attempt to send to unsubscribed recipient', optedOut: true })),
});
