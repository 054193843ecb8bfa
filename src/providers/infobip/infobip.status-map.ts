/**
 * @module providers/infobip/infobip.status-map — Infobip's status groups (status.groupName), the
 * same in send answers and delivery reports, mapped exhaustively. Infobip documents the group as the
 * stable part; the status name inside a group (e.g. PENDING_ENROUTE, REJECTED_PREFIX_MISSING) is
 * kept as the vendor's words. An unknown group is never guessed: ignored in reports, and in a send
 * answer with a messageId it counts as accepted (the message left us; a report will say more).
 */

export type InfobipGroup = 'ACCEPTED' | 'PENDING' | 'UNDELIVERABLE' | 'DELIVERED' | 'EXPIRED' | 'REJECTED';

/** Delivery report groupName → our status ('ignored' for intermediate groups). */
export const REPORT_GROUPS: Readonly<Record<InfobipGroup, 'sent' | 'delivered' | 'failed' | 'ignored'>> = {
  ACCEPTED: 'ignored',
  PENDING: 'ignored',
  DELIVERED: 'delivered',
  UNDELIVERABLE: 'failed',
  EXPIRED: 'failed',
  REJECTED: 'failed',
};

/**
 * Send answer groupName → accepted or refused. REJECTED (e.g. REJECTED_NOT_ENOUGH_CREDITS,
 * REJECTED_DESTINATION, REJECTED_DND) is permanent: a retry gets the same answer. Infobip documents
 * no status meaning "this person opted out from you" (REJECTED_DND is a network-wide registry), so
 * no Infobip answer records an opt-out.
 */
export const SEND_GROUPS: Readonly<Record<InfobipGroup, 'accepted' | 'refused'>> = {
  ACCEPTED: 'accepted',
  PENDING: 'accepted',
  DELIVERED: 'accepted',
  UNDELIVERABLE: 'refused',
  EXPIRED: 'refused',
  REJECTED: 'refused',
};

export function isInfobipGroup(value: unknown): value is InfobipGroup {
  return typeof value === 'string' && Object.hasOwn(REPORT_GROUPS, value);
}
