/**
 * @module store/migrations/0001-foundation — projects, users, tokens, cases, mobile workers and the
 * phone registry. PostgreSQL 15 SQL only (the embedded engine is newer; CI runs both).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table projects (
      id uuid primary key default gen_random_uuid(),
      name text not null unique,
      time_zone text not null default 'UTC',
      default_country text,
      languages jsonb not null default '["en"]',
      default_language text not null default 'en',
      phone_validation text not null default 'strict' check (phone_validation in ('strict', 'possible')),
      settings jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table users (
      id uuid primary key default gen_random_uuid(),
      email text not null,
      password_hash text not null,
      is_superuser boolean not null default false,
      created_at timestamptz not null default now(),
      disabled_at timestamptz
    );
    create unique index users_email_key on users (lower(email));

    create table memberships (
      project_id uuid not null references projects (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      role text not null check (role in ('admin', 'member')),
      created_at timestamptz not null default now(),
      primary key (project_id, user_id)
    );
    create index memberships_user_idx on memberships (user_id);

    create table auth_tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      kind text not null check (kind in ('api', 'session')),
      token_hash text not null unique,
      csrf_token text,
      label text,
      created_at timestamptz not null default now(),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz
    );
    create index auth_tokens_user_idx on auth_tokens (user_id);

    create table cases (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity unique,
      project_id uuid not null references projects (id) on delete cascade,
      case_type text not null,
      name text not null,
      owner_id text,
      external_id text,
      closed boolean not null default false,
      closed_at timestamptz,
      deleted_at timestamptz,
      properties jsonb not null default '{}',
      phone_number text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index cases_project_seq_idx on cases (project_id, seq) where deleted_at is null;
    create index cases_project_type_seq_idx on cases (project_id, case_type, seq) where deleted_at is null;
    create index cases_external_id_idx on cases (project_id, external_id) where external_id is not null;
    create index cases_phone_idx on cases (project_id, phone_number) where phone_number is not null;

    create table mobile_workers (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity unique,
      project_id uuid not null references projects (id) on delete cascade,
      username text not null,
      password_hash text,
      language text,
      time_zone text,
      email text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deleted_at timestamptz
    );
    create unique index mobile_workers_username_key on mobile_workers (project_id, lower(username)) where deleted_at is null;

    -- The phone registry (DESIGN.md §4). One row per (owner, number).
    create table phone_entries (
      id bigint generated always as identity primary key,
      number text not null,
      project_id uuid not null references projects (id) on delete cascade,
      owner_type text not null check (owner_type in ('case', 'mobile-worker')),
      owner_id uuid not null,
      state text not null default 'one-way' check (state in ('one-way', 'pending', 'two-way')),
      wants_two_way boolean not null default false,
      wanted_at timestamptz,
      pending_expires_at timestamptz,
      verified_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (state <> 'pending' or pending_expires_at is not null)
    );
    create unique index phone_entries_owner_number_key on phone_entries (owner_type, owner_id, number);
    -- At most one contact in the whole server holds a number as two-way or pending.
    create unique index phone_entries_one_holder_key on phone_entries (number) where state in ('two-way', 'pending');
    create index phone_entries_number_idx on phone_entries (number);
    create index phone_entries_owner_idx on phone_entries (owner_id);

    -- Server-wide opt-out state by number (filled by inbound STOP/START processing).
    create table opt_outs (
      number text primary key,
      opted_out boolean not null,
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}
