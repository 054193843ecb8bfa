/**
 * @module store/migrations/0002-messaging — gateways, routes, rate buckets, the messages table
 * (which is also the outbound queue), broadcasts and the test gateways' outbox.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table gateways (
      id uuid primary key default gen_random_uuid(),
      project_id uuid references projects (id) on delete cascade,
      name text not null,
      type text not null,
      channel text not null check (channel in ('sms', 'email')),
      config_encrypted text not null,
      reply_to_number text,
      opt_in_keywords jsonb not null default '[]',
      opt_out_keywords jsonb not null default '[]',
      rate_per_second double precision check (rate_per_second is null or rate_per_second > 0),
      inbound_key text not null unique,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    -- Names are unique in a project, and among global gateways.
    create unique index gateways_name_key on gateways (coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

    create table gateway_routes (
      id bigint generated always as identity primary key,
      project_id uuid references projects (id) on delete cascade,
      prefix text not null check (prefix = '*' or prefix ~ '^[0-9]{1,15}$'),
      gateway_id uuid not null references gateways (id) on delete cascade
    );
    create unique index gateway_routes_prefix_key on gateway_routes (coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid), prefix);

    -- Token bucket per gateway, shared by every worker process (rate per second, burst = rate).
    create table gateway_rate (
      gateway_id uuid primary key references gateways (id) on delete cascade,
      tokens double precision not null,
      refilled_at timestamptz not null
    );

    create table broadcasts (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity unique,
      project_id uuid not null references projects (id) on delete cascade,
      status text not null check (status in ('pending', 'expanding', 'done', 'failed')),
      request jsonb not null,
      total integer not null default 0,
      -- Recipients asked for that do not exist (unknown or deleted ids).
      missing integer not null default 0,
      -- Where expansion got to: resumes here after a crash, never inserting a chunk twice.
      cursor text,
      created_by uuid,
      error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index broadcasts_project_idx on broadcasts (project_id, seq);

    -- Every inbound and outbound message. Outbound rows are the queue: status queued/scheduled with
    -- a due time; workers claim them with FOR UPDATE SKIP LOCKED and lease them while sending.
    create table messages (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity unique,
      project_id uuid not null references projects (id) on delete cascade,
      direction text not null check (direction in ('out', 'in')),
      channel text not null check (channel in ('sms', 'email')),
      status text not null check (status in ('scheduled', 'queued', 'sending', 'sent', 'delivered', 'failed', 'received')),
      to_address text,
      from_address text,
      text text,
      subject text,
      language text,
      gateway_id uuid references gateways (id) on delete set null,
      gateway_name text,
      provider_message_id text,
      error_code text,
      error_detail text,
      contact_type text check (contact_type in ('case', 'mobile-worker')),
      contact_id uuid,
      broadcast_id uuid references broadcasts (id) on delete set null,
      due_at timestamptz,
      scheduled_local text,
      scheduled_zone text,
      attempts integer not null default 0,
      lease_until timestamptz,
      created_by uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      sent_at timestamptz
    );
    create index messages_due_idx on messages (due_at) where status in ('queued', 'scheduled');
    create index messages_lease_idx on messages (lease_until) where status = 'sending';
    create index messages_project_seq_idx on messages (project_id, seq);
    create index messages_contact_idx on messages (contact_id, seq) where contact_id is not null;
    create index messages_broadcast_idx on messages (broadcast_id) where broadcast_id is not null;
    create index messages_to_pending_idx on messages (to_address) where status in ('queued', 'scheduled');

    -- What test and test-email gateways "sent". One row per message: a resend of the same message
    -- is recognised, which makes these providers idempotent.
    create table test_outbox (
      message_id uuid primary key,
      gateway_id uuid not null references gateways (id) on delete cascade,
      seq bigint generated always as identity,
      to_address text not null,
      text text not null,
      subject text,
      provider_message_id text not null,
      at timestamptz not null default now()
    );
    create index test_outbox_gateway_idx on test_outbox (gateway_id, seq);
  `.execute(db);
}
