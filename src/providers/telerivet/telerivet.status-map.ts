/**
 * @module providers/telerivet/telerivet.status-map — every Message status Telerivet documents
 * (REST API, Message.status; "retrying" and "sending" from its send/cancel descriptions) mapped to
 * ours. `ignored` statuses are intermediate (or incoming-only) and change nothing; a status missing
 * from this table is logged by the webhook, never guessed.
 */
export type Mapped = 'sent' | 'delivered' | 'failed' | 'ignored';

export const TELERIVET_STATUSES = {
  // Waiting for the phone or route to send it.
  queued: 'ignored',
  processing: 'ignored',
  sending: 'ignored',
  retrying: 'ignored',
  // Failed once; Telerivet queued it to try again, so a final status follows.
  failed_queued: 'ignored',
  // Sent by the phone or route.
  sent: 'sent',
  // Delivery report from the carrier.
  delivered: 'delivered',
  // Final failures: could not send, carrier says not delivered, cancelled before sending.
  failed: 'failed',
  not_delivered: 'failed',
  cancelled: 'failed',
  // Statuses of incoming messages; they never describe a message we sent.
  received: 'ignored',
  ignored: 'ignored',
} as const satisfies Record<string, Mapped>;

export type TelerivetStatus = keyof typeof TELERIVET_STATUSES;

export function mapTelerivetStatus(status: string): Mapped | undefined {
  return Object.hasOwn(TELERIVET_STATUSES, status) ? TELERIVET_STATUSES[status as TelerivetStatus] : undefined;
}
