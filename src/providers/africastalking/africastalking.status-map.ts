/**
 * @module providers/africastalking/africastalking.status-map — Africa's Talking's codes, in two
 * exhaustive tables: the per-recipient statusCode of a send answer, and the status of a delivery
 * report. Codes not listed are never guessed: an unknown send code ≥ 500 is retried, any other is
 * permanent; an unknown delivery status is ignored (logged by the webhook).
 */

export interface SendCode {
  /** The message was accepted (the vendor message id is kept). */
  ok: boolean;
  retryable: boolean;
  /** The recipient refused messages from us at the vendor: recorded as an opt-out. */
  optedOut: boolean;
  /** Why, in plain words, appended to the vendor's own status word. */
  note: string;
}

const ok = (note: string): SendCode => ({ ok: true, retryable: false, optedOut: false, note });
const permanent = (note: string, optedOut = false): SendCode => ({ ok: false, retryable: false, optedOut, note });
const retryable = (note: string): SendCode => ({ ok: false, retryable: true, optedOut: false, note });

/**
 * Recipients[].statusCode of POST /version1/messaging.
 * - 405 InsufficientBalance is permanent: a retry minutes later fails the same way until someone
 *   tops the account up, and the admin should see it at once.
 * - 409 DoNotDisturbRejection is permanent but NOT an opt-out: DND is a network-wide registry for
 *   promotional traffic (e.g. Nigeria), not a refusal of this sender, so it is no consent evidence.
 * - 406 UserInBlacklist means the person blocked the sender (opted out at Africa's Talking).
 */
export const SEND_CODES: Readonly<Record<number, SendCode>> = {
  100: ok('processed'),
  101: ok('sent'),
  102: ok('queued'),
  401: permanent('the account is on risk hold; contact Africa\'s Talking'),
  402: permanent('the sender id is not valid for this account'),
  403: permanent('the phone number is not valid'),
  404: permanent('this number type is not supported'),
  405: permanent('the account balance is too low; top it up'),
  406: permanent('the recipient blocked this sender (opted out at Africa\'s Talking)', true),
  407: permanent('no route to this number'),
  409: permanent('rejected by the network\'s do-not-disturb registry'),
  500: retryable('internal error at Africa\'s Talking'),
  501: retryable('gateway error at Africa\'s Talking'),
  502: permanent('rejected by the mobile network'),
};

/** The classification of a statusCode, with unknown codes sorted by their hundreds. */
export function sendCode(code: number): SendCode {
  return SEND_CODES[code] ?? (code >= 500 ? retryable('unknown error code') : permanent('unknown error code'));
}

/**
 * status of a delivery report → our status, or 'ignored' for intermediate ones.
 * Sent (left Africa's Talking) and Submitted (handed to the mobile network) both mean `sent`;
 * Buffered (queued at the network) changes nothing; the rest are final.
 */
export const DELIVERY_STATUSES: Readonly<Record<string, 'sent' | 'delivered' | 'failed' | 'ignored'>> = {
  Sent: 'sent',
  Submitted: 'sent',
  Buffered: 'ignored',
  Rejected: 'failed',
  Success: 'delivered',
  Failed: 'failed',
  AbsentSubscriber: 'failed',
  Expired: 'failed',
};
