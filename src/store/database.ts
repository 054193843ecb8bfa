/**
 * @module store/database — the Kysely table types. Row types stay inside store/.
 */
import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ProjectTable {
  id: Generated<string>;
  name: string;
  time_zone: string;
  default_country: string | null;
  languages: Json<string[]>;
  default_language: string;
  phone_validation: 'strict' | 'possible';
  settings: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface UserTable {
  id: Generated<string>;
  email: string;
  password_hash: string;
  is_superuser: boolean;
  created_at: CreatedAt;
  disabled_at: Date | null;
}

export interface MembershipTable {
  project_id: string;
  user_id: string;
  role: 'admin' | 'member';
  created_at: CreatedAt;
}

export interface AuthTokenTable {
  id: Generated<string>;
  user_id: string;
  kind: 'api' | 'session';
  token_hash: string;
  csrf_token: string | null;
  label: string | null;
  created_at: CreatedAt;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface CaseTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string;
  case_type: string;
  name: string;
  owner_id: string | null;
  external_id: string | null;
  closed: Generated<boolean>;
  closed_at: Date | null;
  deleted_at: Date | null;
  properties: Json<Record<string, string>>;
  phone_number: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface MobileWorkerTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string;
  username: string;
  password_hash: string | null;
  language: string | null;
  time_zone: string | null;
  email: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Date | null;
}

export interface PhoneEntryTable {
  id: Generated<string>;
  number: string;
  project_id: string;
  owner_type: 'case' | 'mobile-worker';
  owner_id: string;
  state: 'one-way' | 'pending' | 'two-way';
  wants_two_way: boolean;
  wanted_at: Date | null;
  pending_expires_at: Date | null;
  verified_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OptOutTable {
  number: string;
  opted_out: boolean;
  updated_at: UpdatedAt;
}

export interface PossibleOptOutTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string;
  number: string;
  message_id: string;
  text: string;
  contact_type: 'case' | 'mobile-worker' | null;
  contact_id: string | null;
  status: 'open' | 'confirmed' | 'dismissed';
  created_at: CreatedAt;
  decided_at: Date | null;
  decided_by: string | null;
}

export interface GatewayTable {
  id: Generated<string>;
  project_id: string | null;
  name: string;
  type: string;
  channel: 'sms' | 'email';
  config_encrypted: string;
  reply_to_number: string | null;
  opt_in_keywords: Json<string[]>;
  opt_out_keywords: Json<string[]>;
  rate_per_second: number | null;
  inbound_key: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface GatewayRouteTable {
  id: Generated<string>;
  project_id: string | null;
  prefix: string;
  gateway_id: string;
}

export interface GatewayRateTable {
  gateway_id: string;
  tokens: number;
  refilled_at: Date;
}

export interface BroadcastTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string;
  status: 'pending' | 'expanding' | 'done' | 'failed';
  request: Json<Record<string, unknown>>;
  total: Generated<number>;
  missing: Generated<number>;
  cursor: string | null;
  created_by: string | null;
  error: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type MessageStatus = 'scheduled' | 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'received';

export interface MessageTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string | null;
  direction: 'out' | 'in';
  channel: 'sms' | 'email';
  status: MessageStatus;
  to_address: string | null;
  from_address: string | null;
  text: string | null;
  subject: string | null;
  language: string | null;
  gateway_id: string | null;
  gateway_name: string | null;
  provider_message_id: string | null;
  error_code: string | null;
  error_detail: string | null;
  contact_type: 'case' | 'mobile-worker' | null;
  contact_id: string | null;
  broadcast_id: string | null;
  due_at: Date | null;
  scheduled_local: string | null;
  scheduled_zone: string | null;
  attempts: Generated<number>;
  lease_until: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  sent_at: Date | null;
  gateway_message_id: string | null;
  processed_at: Date | null;
  handling: string | null;
  bypass_opt_out: Generated<boolean>;
  in_reply_to: string | null;
  consent_exempt: Generated<boolean>;
  via_tester: Generated<boolean>;
  /** The reminder rule that sent it (migration 0020). */
  reminder_rule_id: string | null;
}

export type ConsentAction = 'opt-in' | 'opt-out' | 'consent-granted' | 'consent-withdrawn';
/** Where a consent change came from. `case-property` and `gateway` only on rows written before 0010 (now `api`/`ui` and `vendor`). */
export type ConsentMethod = 'ui' | 'api' | 'import' | 'survey' | 'keyword' | 'vendor' | 'review' | 'self-registration' | 'verification' | 'email-unsubscribe' | 'case-property' | 'gateway';

export interface ConsentEventTable {
  id: Generated<string>;
  at: CreatedAt;
  number: string | null;
  email: string | null;
  project_id: string | null;
  contact_type: 'case' | 'mobile-worker' | null;
  contact_id: string | null;
  action: ConsentAction;
  method: ConsentMethod;
  source: Json<Record<string, unknown>>;
  gateway_id: string | null;
  gateway_name: string | null;
}

export interface TestOutboxTable {
  message_id: string;
  gateway_id: string;
  seq: Generated<string>;
  to_address: string;
  text: string;
  subject: string | null;
  provider_message_id: string;
  at: CreatedAt;
}

export interface SurveyTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string;
  name: string;
  questions: Json<unknown[]>;
  closing_message: string | null;
  closing_translations: Json<Record<string, string>>;
  asks_consent: boolean;
  timeout_minutes: number;
  reminder_minutes: number | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type SurveySessionStatus = 'open' | 'completed' | 'incomplete' | 'timed-out' | 'cancelled' | 'opted-out' | 'declined';

export interface SurveySessionTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string;
  survey_id: string;
  case_id: string;
  number: string;
  definition: Json<Record<string, unknown>>;
  status: SurveySessionStatus;
  question_index: number;
  invalid_attempts: number;
  answers: Json<Record<string, string | null>>;
  gateway_id: string | null;
  end_code: string | null;
  started_at: Date;
  updated_at: Date;
  expires_at: Date;
  remind_at: Date | null;
  reminded_at: Date | null;
  ended_at: Date | null;
}

export interface ImportTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string;
  file_name: string;
  file_type: 'xlsx' | 'xls' | 'csv';
  sheet: string | null;
  has_headers: boolean;
  columns: Json<string[]>;
  row_count: number;
  sample: Json<string[][]>;
  options: Json<Record<string, unknown> | null>;
  status: 'uploaded' | 'running' | 'done' | 'failed';
  cursor: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  skipped: Generated<number>;
  failed: Generated<number>;
  error: string | null;
  /** The catalogue code of what stopped a failed import (migration 0008). */
  error_code: Generated<string | null>;
  /** Take-overs in a row at the same cursor, and the cursor of the last one (migration 0009). */
  stalled_resumes: Generated<number>;
  resumed_at_cursor: Generated<number | null>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface ImportFilePartTable {
  import_id: string;
  part: number;
  project_id: string;
  bytes: Buffer;
  created_at: CreatedAt;
}

export interface ImportErrorTable {
  id: Generated<string>;
  import_id: string;
  row_number: number;
  column_name: string | null;
  code: string;
  message: string;
}

/** The latest re-check of a project's case numbers after a settings change (one row per project). */
export interface ContactReevaluationTable {
  project_id: string;
  id: string;
  status: 'running' | 'done' | 'failed';
  settings: Json<{ defaultCountry: string | null; phoneValidation: 'strict' | 'possible' }>;
  done: number;
  total: number;
  /** bigint: read as text. */
  cursor: string | null;
  last_seq: string | null;
  error: string | null;
  error_code: string | null;
  started_at: Date;
  finished_at: Date | null;
  updated_at: Date;
}

export type ReminderRecipients = 'case' | 'owner' | 'both';

/** Progress of a rule's evaluation over its cases (docs/reminders.md). */
export interface ReminderEvaluation {
  status: 'running' | 'done' | 'paused';
  done: number;
  total: number;
  /** The last case seq evaluated (null: from the start). */
  cursor: string | null;
  /** The rule version this evaluation is for. */
  version: number;
  /** A rule evaluated for the first time: nothing of it exists yet to reschedule or cancel. */
  fresh?: boolean | undefined;
  startedAt: string;
  finishedAt?: string | undefined;
}

export interface ReminderRuleTable {
  id: Generated<string>;
  seq: Generated<string>;
  project_id: string;
  name: string;
  case_type: string;
  conditions: Json<unknown[]>;
  recipients: ReminderRecipients;
  content: Json<Record<string, unknown>>;
  schedule: Json<Record<string, unknown>>;
  send_window: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  active: Generated<boolean>;
  version: Generated<number>;
  evaluation: ColumnType<ReminderEvaluation | null, string | null | undefined, string | null>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type ReminderOccurrenceStatus = 'scheduled' | 'queued' | 'cancelled';

export interface ReminderOccurrenceTable {
  project_id: string;
  rule_id: string;
  case_id: string;
  recipient: 'case' | 'owner';
  occurrence_key: string;
  due_at: Date;
  local_time: string;
  zone: string;
  status: ReminderOccurrenceStatus;
  reason: string | null;
  message_id: string | null;
  rule_version: number;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ReminderMatchTable {
  case_id: string;
  rule_id: string;
  project_id: string;
  problem: string | null;
}

export interface ReminderDirtyCaseTable {
  case_id: string;
  project_id: string;
  marked_at: Generated<Date>;
  is_new: Generated<boolean>;
}

/** One row per stored inbound message with a gateway message id: the duplicate guard (migration 0023). */
export interface InboundKeyTable {
  gateway_id: string;
  gateway_message_id: string;
  created_at: Generated<Date>;
}

/** An inbound message waiting to be handled (migration 0025): moved into messages once handled. */
export interface InboundArrivalTable {
  seq: Generated<string>;
  id: Generated<string>;
  /** The gateway's project at arrival (none for a global gateway); handling decides the message's. */
  project_id: string | null;
  channel: 'sms' | 'email';
  from_address: string;
  to_address: string | null;
  text: string;
  gateway_id: string | null;
  gateway_name: string | null;
  gateway_message_id: string | null;
  via_tester: Generated<boolean>;
  attempts: Generated<number>;
  created_at: Generated<Date>;
}

export interface Database {
  projects: ProjectTable;
  users: UserTable;
  memberships: MembershipTable;
  auth_tokens: AuthTokenTable;
  cases: CaseTable;
  mobile_workers: MobileWorkerTable;
  phone_entries: PhoneEntryTable;
  opt_outs: OptOutTable;
  possible_opt_outs: PossibleOptOutTable;
  gateways: GatewayTable;
  gateway_routes: GatewayRouteTable;
  gateway_rate: GatewayRateTable;
  broadcasts: BroadcastTable;
  messages: MessageTable;
  inbound_keys: InboundKeyTable;
  inbound_arrivals: InboundArrivalTable;
  test_outbox: TestOutboxTable;
  consent_events: ConsentEventTable;
  surveys: SurveyTable;
  survey_sessions: SurveySessionTable;
  imports: ImportTable;
  import_errors: ImportErrorTable;
  import_file_parts: ImportFilePartTable;
  contact_reevaluations: ContactReevaluationTable;
  reminder_rules: ReminderRuleTable;
  reminder_occurrences: ReminderOccurrenceTable;
  reminder_matches: ReminderMatchTable;
  reminder_dirty_cases: ReminderDirtyCaseTable;
}

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
