/**
 * @module services/inbound-intake.service — stores webhook messages with group commit (DESIGN.md
 * §9): requests arriving together are written in one transaction with one multi-row insert, and
 * each request is answered once its group has committed. One flush runs at a time; requests that
 * arrive meanwhile form the next group. The flush is deferred with setImmediate so that, on PGlite
 * (which runs on this thread), concurrent requests get the chance to gather.
 */
import { parsePhoneNumber } from '../domain/phone-number.ts';
import type { InboundMessage } from '../providers/provider.ts';
import type { GatewayRecord } from '../store/gateway.store.ts';
import { insertArrivals, type NewInbound } from '../store/inbound.store.ts';
import type { ServiceDeps } from './deps.ts';

interface Pending {
  rows: NewInbound[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface InboundIntake {
  /** Resolves once the messages are committed (a repeated gateway message id is stored once). */
  submit(gateway: GatewayRecord, messages: readonly InboundMessage[]): Promise<void>;
}

/** Sender numbers are kept in E.164 when they parse; short codes and alphanumeric ids as given. */
export function normaliseSender(raw: string): string {
  const parsed = parsePhoneNumber(raw, { validation: 'possible' });
  return parsed.kind === 'valid' ? parsed.e164 : raw.trim();
}

export function createInboundIntake(deps: ServiceDeps, onStored: () => void, maxGroup = 500): InboundIntake {
  const queue: Pending[] = [];
  let flushing = false;
  let scheduled = false;

  const flush = async (): Promise<void> => {
    scheduled = false;
    if (flushing || queue.length === 0) {
      return;
    }
    flushing = true;
    const group = queue.splice(0, maxGroup);
    try {
      await deps.db.transaction().execute((trx) => insertArrivals(trx, group.flatMap((p) => p.rows)));
      for (const p of group) {
        p.resolve();
      }
      onStored();
    } catch (err) {
      for (const p of group) {
        p.reject(err);
      }
    } finally {
      flushing = false;
      if (queue.length > 0) {
        schedule();
      }
    }
  };

  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => void flush());
    }
  };

  return {
    submit(gateway, messages) {
      const rows: NewInbound[] = messages.map((m) => ({
        projectId: gateway.projectId,
        channel: gateway.channel,
        from: normaliseSender(m.from),
        to: gateway.replyToNumber,
        text: m.text,
        gatewayId: gateway.id,
        gatewayName: gateway.name,
        gatewayMessageId: m.gatewayMessageId,
      }));
      return new Promise<void>((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        schedule();
      });
    },
  };
}
