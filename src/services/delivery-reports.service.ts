/**
 * @module services/delivery-reports.service — applies a gateway's delivery reports. A report that
 * says the person opted out at the vendor (Twilio 21610 on an undelivered message) also opts the
 * number out here, as a vendor error at send time does (method `gateway`).
 */
import type { StatusUpdate } from '../providers/provider.ts';
import type { GatewayRecord } from '../store/gateway.store.ts';
import { applyDeliveryUpdates, findOutboundByProviderIds } from '../store/message.store.ts';
import type { ServiceDeps } from './deps.ts';
import { recordVendorOptOuts } from './dispatch.service.ts';

/** Returns how many messages the reports matched. */
export async function applyDeliveryReports(deps: ServiceDeps, gateway: GatewayRecord, updates: readonly StatusUpdate[]): Promise<number> {
  const matched = await applyDeliveryUpdates(deps.db, gateway.id, updates);
  const optOuts = updates.filter((u) => u.optedOut);
  if (optOuts.length > 0) {
    const messages = await findOutboundByProviderIds(deps.db, gateway.id, optOuts.map((u) => u.providerMessageId));
    const reasons = new Map(optOuts.map((u) => [u.providerMessageId, u.reason ?? `${u.vendorStatus}: the person opted out at the gateway`]));
    await recordVendorOptOuts(
      deps,
      messages.filter((m) => m.to).map((m) => ({ message: m, gateway, reason: reasons.get(m.providerMessageId ?? '') ?? 'opted out at the gateway' })),
    );
  }
  return matched;
}
