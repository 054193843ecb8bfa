/**
 * @module providers/twilio/twilio.status-map — every Message status Twilio documents
 * (Messages resource, "Message Status values") mapped to ours, and the words for the error codes a
 * status callback carries. `ignored` statuses are intermediate (or inbound-only) and change nothing;
 * a status missing from this table is logged by the webhook, never guessed.
 */
export type Mapped = 'sent' | 'delivered' | 'failed' | 'ignored';

export const TWILIO_STATUSES = {
  // Before Twilio hands the message to the carrier.
  accepted: 'ignored',
  scheduled: 'ignored',
  queued: 'ignored',
  sending: 'ignored',
  // Handed to the carrier.
  sent: 'sent',
  // The carrier confirmed delivery; `read` (WhatsApp, RCS) implies it.
  delivered: 'delivered',
  read: 'delivered',
  // Some segments' receipts are still missing; a final delivered/undelivered may follow.
  partially_delivered: 'ignored',
  // Not delivered: the carrier said so, Twilio could not send it, or it was canceled before sending.
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
  // Statuses of inbound messages; they never describe a message we sent.
  receiving: 'ignored',
  received: 'ignored',
} as const satisfies Record<string, Mapped>;

export type TwilioStatus = keyof typeof TWILIO_STATUSES;

export function mapTwilioStatus(status: string): Mapped | undefined {
  return Object.hasOwn(TWILIO_STATUSES, status) ? TWILIO_STATUSES[status as TwilioStatus] : undefined;
}

/** Twilio's titles for the delivery error codes (twilio.com/docs/api/errors/<code>). */
export const TWILIO_ERROR_TITLES: Readonly<Record<string, string>> = {
  '21610': 'Attempt to send to unsubscribed recipient',
  '21211': "Invalid 'To' phone number",
  '21408': 'Permission to send an SMS has not been enabled for the region indicated by the To number',
  '21612': "The 'To' phone number is not currently reachable via SMS",
  '21614': "'To' number is not a valid mobile number",
  '30001': 'Queue overflow',
  '30002': 'Account suspended',
  '30003': 'Unreachable destination handset',
  '30004': 'Message blocked',
  '30005': 'Unknown destination handset',
  '30006': 'Landline or unreachable carrier',
  '30007': 'Message filtered (carrier violation)',
  '30008': 'Unknown error',
  '30009': 'Missing segment',
  '30010': 'Message price exceeds max price',
  '30034': 'Message from an unregistered US A2P 10DLC number',
};

/** "Twilio 30007: Message filtered (carrier violation)" — the code and its words. */
export function twilioErrorReason(code: string | undefined, message: string | undefined, status: string): string {
  if (!code) {
    return message ? `Twilio: ${message} (status ${status})` : `Twilio reported the message ${status}.`;
  }
  const words = message || TWILIO_ERROR_TITLES[code] || 'see twilio.com/docs/api/errors/' + code;
  return `Twilio ${code}: ${words}`;
}
