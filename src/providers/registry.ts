/**
 * @module providers/registry — the only place that imports concrete providers.
 */
import type { Provider, ProviderDeps, ProviderFactory, ProviderRegistry } from './provider.ts';

export type { ProviderRegistry } from './provider.ts';
import { createTestEmailProvider, createTestSmsProvider } from './test/test.provider.ts';
import { createTwilioProvider } from './twilio/twilio.provider.ts';
import { createTelerivetProvider } from './telerivet/telerivet.provider.ts';
import { createSmtpProvider } from './smtp/smtp.provider.ts';
import { createAfricasTalkingProvider } from './africastalking/africastalking.provider.ts';
import { createInfobipProvider } from './infobip/infobip.provider.ts';
import { createHttpProvider } from './http/http.provider.ts';

const factories: Record<string, ProviderFactory> = {
  test: createTestSmsProvider,
  'test-email': createTestEmailProvider,
  twilio: createTwilioProvider,
  telerivet: createTelerivetProvider,
  smtp: createSmtpProvider,
  africastalking: createAfricasTalkingProvider,
  infobip: createInfobipProvider,
  http: createHttpProvider,
};

export function createProviderRegistry(deps: ProviderDeps, extra: Record<string, ProviderFactory> = {}): ProviderRegistry {
  const providers = new Map<string, Provider>();
  for (const [type, factory] of Object.entries({ ...factories, ...extra })) {
    providers.set(type, factory(deps));
  }
  return {
    get: (type) => providers.get(type),
    types: () => [...providers.keys()].sort(),
    async close() {
      await Promise.all([...providers.values()].map((p) => p.close?.()));
    },
  };
}
