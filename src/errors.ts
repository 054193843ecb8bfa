/**
 * @module errors — AppError and the error catalogue. Every user-visible failure has a code here with
 * a plain description. HTTP statuses live in http/error-handler.ts, not here.
 */

export const errorCatalogue = {
  // Request and access
  VALIDATION_ERROR: 'The request is not valid: a field is missing, has the wrong type, or is too long.',
  NOT_FOUND: 'No such resource, or you cannot see it.',
  FORBIDDEN: 'You do not have permission to do this.',
  UNAUTHORIZED: 'Sign in first: the request has no valid token or session.',
  CONFLICT: 'This conflicts with something that already exists (for example a name already in use).',
  PAYLOAD_TOO_LARGE: 'The request body is larger than the server accepts.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body has a content type the server does not accept.',
  RATE_LIMITED: 'Too many requests; wait a moment and try again.',
  INTERNAL_ERROR: 'The server hit an unexpected problem; the details are in its log.',
  SERVICE_UNAVAILABLE: 'The server is starting or its database is unreachable; try again shortly.',
  // Contact problems
  INVALID_PHONE_NUMBER: 'The phone number is not a valid number: check the digits and the country code.',
  PHONE_NUMBER_IN_USE:
    'Another contact (in this or another project) already receives replies from this number, so this contact can only be sent to (one-way).',
  INVALID_TIME_ZONE: 'The time zone is not a known IANA time zone name (such as Africa/Nairobi); the project time zone is used instead.',
  UNKNOWN_LANGUAGE: "The language code is not one of the project's SMS languages; the project default language is used instead.",
  INVALID_EMAIL_ADDRESS: 'The email address is not valid.',
  // Message failures (some used by later features)
  NO_PHONE_NUMBER: 'The contact has no phone number.',
  NO_TWO_WAY_PHONE_NUMBER: 'The contact has no two-way (verified) phone number, which this message needs.',
  PHONE_NUMBER_OPTED_OUT: 'The person replied STOP (or another opt-out word) to this number; they must reply START before messages can go out again.',
  EMAIL_OPTED_OUT: 'The person unsubscribed this email address (the unsubscribe link in an earlier email).',
  NO_SMS_CONSENT:
    "The contact's country requires recorded consent before SMS (for a case, contact_phone_number_is_verified = 1; for a mobile worker, a verified number).",
  GATEWAY_NOT_FOUND: "The gateway named in the contact's contact_backend_id does not exist in this project or globally.",
  NO_SUITABLE_GATEWAY: 'No gateway is set up for this number: add a gateway and a route for its country prefix (or *).',
  GATEWAY_ERROR: 'The gateway did not accept the message (it refused it, or kept failing after all retries); its reason is shown.',
  DELIVERY_FAILED: 'The gateway accepted the message but reported that it could not be delivered to the phone; its reason is shown.',
  NO_EMAIL_ADDRESS: 'The contact has no email address.',
  NO_MESSAGE: "There is no text for the contact's language or for the project default language.",
  CONTACT_IS_INACTIVE: 'The contact is closed or deleted.',
  MESSAGE_TOO_LONG: 'The message is longer than the gateway accepts.',
  MESSAGE_BLANK: 'The message has no text.',
  MESSAGE_IS_STALE: 'The message waited longer than the staleness limit and was not sent.',
  TESTER_NUMBER_IN_OTHER_PROJECT: "This number belongs to a contact of another project, so the SMS tester cannot send as it (a test must never change another project's contact or consent); use a number of this project's own contacts or an unregistered one.",
  PHONE_NUMBER_CHANGED: "The contact's phone number changed after the message was queued, so it was not sent to the old number; send it again to reach the new one.",
  EMAIL_ADDRESS_CHANGED: "The contact's email address changed after the message was queued, so it was not sent to the old address; send it again to reach the new one.",
  POSSIBLE_OPT_OUT_HELD:
    'The person sent a reply that looks like a request to stop messages; broadcasts and scheduled messages to the number wait until an admin confirms or dismisses it under Possible opt-outs.',
  BROADCAST_CANCELLED: 'A user cancelled the scheduled broadcast before this message was due, so it was not sent.',
  NO_OWNER_MOBILE_WORKER: "The reminder is for the case's owner, but the case has no owner (owner_id) that is a mobile worker of this project.",
  // Reminder rules: why a planned reminder was cancelled, or why a matching case gets none
  REMINDER_NO_LONGER_MATCHES: "The case no longer meets the rule (its case type or a condition changed), so this planned reminder was cancelled.",
  REMINDER_STOP_CONDITION: "The case met the rule's stop condition (for example visit_done = yes), so the remaining reminders were cancelled.",
  REMINDER_RESCHEDULED: "The case's date changed or the rule was edited, so this planned reminder was replaced by one at the new time.",
  REMINDER_RULE_PAUSED: 'The rule was paused, so its planned reminders were cancelled; they are planned again when the rule is made active.',
  REMINDER_DATE_NOT_READABLE: 'The case property the schedule counts from is empty or not a date (write it as YYYY-MM-DD), so no reminder can be planned for this case.',
  // Server operations
  DATA_DIR_LOCKED: 'Another Rollcall process is using this data folder; stop it first (or talk to it over HTTP).',
  STORAGE_FULL: 'The database disk is full, so nothing more can be saved; free space on it (the data folder or the PostgreSQL server), then try again. Nothing was half-saved.',
  BACKUP_FILE_INVALID:
    'The file is not a backup of the embedded database (a gzip-compressed tar of its data folder holding PG_VERSION, as `rollcall backup` writes): it may be damaged, cut short or another kind of file. Nothing was changed.',
  BACKUP_NEEDS_EMBEDDED:
    '`rollcall backup` and `rollcall restore` work on the embedded database only. With DATABASE_URL (PostgreSQL) use pg_dump and pg_restore, or your provider\'s base backups and point-in-time recovery (docs/operations.md, Backups and restore).',
  BACKUP_SERVER_UNREACHABLE:
    'A Rollcall process holds the data folder but did not answer on its control socket (DATA_DIR/rollcall.sock), so it could not be asked for a backup. A `rollcall worker` or an older server has no socket: stop it and run the backup again.',
  // SMS surveys: why a session ended without being completed
  SURVEY_REPLACED: 'Another survey was started for this phone number, which ended this one (a number answers one survey at a time).',
  SURVEY_TIMED_OUT: 'The person did not answer within the survey timeout, so the survey ended.',
  SURVEY_TOO_MANY_INVALID_ANSWERS: 'The person gave three answers in a row that did not fit the question, so the survey ended incomplete.',
  SURVEY_CANCELLED: 'A user cancelled the survey before it was finished.',
  SURVEY_CONSENT_DECLINED: 'The person answered No to the consent question (or their consent was withdrawn), so the survey ended with its closing message for No.',
  // Imports (spreadsheet files and their rows)
  IMPORT_UNSUPPORTED_TYPE: 'Only Excel (.xlsx, .xls) and CSV (.csv) files can be imported.',
  IMPORT_FILE_TOO_LARGE: 'The file is larger than the server accepts for imports; split it into smaller files.',
  IMPORT_FILE_UNREADABLE: 'The file could not be read as a spreadsheet: it may be damaged, or not the type its name says. Save it again from Excel (CSV as "CSV UTF-8") and retry.',
  IMPORT_FILE_ENCRYPTED: 'The file is protected by a password. Remove the password in Excel (File → Info → Protect Workbook) and upload it again.',
  IMPORT_FILE_EMPTY: 'The file has no rows to import.',
  IMPORT_TOO_MANY_ROWS: 'The file has more than 100,000 rows; split it into several files.',
  IMPORT_TOO_MANY_COLUMNS: 'The file has more than 300 columns; remove the columns you do not need.',
  EXPORT_TOO_MANY_ROWS: 'A spreadsheet export holds at most 100,000 cases (as many as an import reads); narrow the filters, or export as CSV, which has no limit.',
  IMPORT_EMPTY_HEADER: 'A column has data but no name in the header row; give every column a name (or say the file has no header row).',
  IMPORT_DUPLICATE_HEADER: 'Two columns have the same name in the header row; rename one of them.',
  IMPORT_SHEET_NOT_FOUND: 'The workbook has no sheet with that name.',
  IMPORT_DUPLICATE_ROW: 'Another row of the file has the same case id or external id; only the first of them is imported.',
  IMPORT_CASE_NOT_FOUND: 'No case of this case type has this case id in the project; clear the case id cell to create a new case.',
  IMPORT_NAME_MISSING: 'A new record needs a name (for a mobile worker, a username), and this row has none.',
  IMPORT_ROW_FAILED: 'This row could not be saved; the reason is shown. Fix it in the annotated file and import that row again.',
  IMPORT_CONSENT_VALUE:
    'The consent column (contact_phone_number_is_verified) holds a value other than 1, 0, true or false; only 1 and true mean consent, so the row is saved without consent. Write 1 or 0, or confirm the yes/no words in the dry run.',
  IMPORT_INTERRUPTED:
    'The import was stopped: the server or worker running it died at the same row several times (often for lack of memory), so it was not started again. The rows before that point are imported; look in the server log for the cause, then import the remaining rows from a new file.',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof errorCatalogue;

/**
 * The codes a message itself can carry (messages.error_code): the contact checks when it is planned
 * and again at send time (domain/recipient.ts, services/send-time-checks.ts), the choice of gateway
 * (domain/gateway.ts), its content (domain/message-content.ts), dispatch and the providers
 * (services/dispatch.service.ts) and delivery reports. The message log's failure filter lists these.
 */
export const MESSAGE_FAILURE_CODES = [
  'NO_PHONE_NUMBER',
  'NO_TWO_WAY_PHONE_NUMBER',
  'INVALID_PHONE_NUMBER',
  'PHONE_NUMBER_OPTED_OUT',
  'PHONE_NUMBER_CHANGED',
  'POSSIBLE_OPT_OUT_HELD',
  'NO_SMS_CONSENT',
  'NO_EMAIL_ADDRESS',
  'INVALID_EMAIL_ADDRESS',
  'EMAIL_OPTED_OUT',
  'EMAIL_ADDRESS_CHANGED',
  'CONTACT_IS_INACTIVE',
  'GATEWAY_NOT_FOUND',
  'NO_SUITABLE_GATEWAY',
  'GATEWAY_ERROR',
  'DELIVERY_FAILED',
  'NO_MESSAGE',
  'MESSAGE_BLANK',
  'MESSAGE_TOO_LONG',
  'MESSAGE_IS_STALE',
  'BROADCAST_CANCELLED',
  'NO_OWNER_MOBILE_WORKER',
] as const satisfies readonly ErrorCode[];

export function describeError(code: ErrorCode): string {
  return errorCatalogue[code];
}

/** Whether `value` is a code of the catalogue (an own key: "constructor" or "toString" is not). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}

/** The description of a catalogue code given as text (say, in a URL); null for anything else. */
export function describeKnownCode(value: unknown): string | null {
  return isErrorCode(value) ? errorCatalogue[value] : null;
}

/** An expected failure with a catalogue code. `message` is safe to show to the caller. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: unknown }) {
    super(message ?? errorCatalogue[code], { cause: options?.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }
}

/** Turns anything thrown into an Error, keeping the original as the cause. */
export function coerceError(raw: unknown): Error {
  if (raw instanceof Error) {
    return raw;
  }
  return new Error(typeof raw === 'string' ? raw : 'Non-error thrown', { cause: raw });
}
