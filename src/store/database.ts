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

export interface Database {
  projects: ProjectTable;
  users: UserTable;
  memberships: MembershipTable;
  auth_tokens: AuthTokenTable;
  cases: CaseTable;
  mobile_workers: MobileWorkerTable;
  phone_entries: PhoneEntryTable;
  opt_outs: OptOutTable;
}

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
