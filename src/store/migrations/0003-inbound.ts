/**
 * @module store/migrations/0003-inbound — inbound messages (stored once per gateway message id,
 * processed in arrival order per number), the append-only consent ledger, and the opt-out bypass
 * for the one confirmation a STOP gets.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Inbound through a global gateway from an unknown number belongs to no project.
    alter table messages alter column project_id drop not null;
    alter table messages add column gateway_message_id text;
    alter table messages add column processed_at timestamptz;
    alter table messages add column handling text;
    alter table messages add column bypass_opt_out boolean not null default false;
    alter table messages add column in_reply_to uuid;
    create unique index messages_inbound_dedupe_key on messages (gateway_id, gateway_message_id)
      where direction = 'in' and gateway_message_id is not null;
    create index messages_inbound_pending_idx on messages (seq) where direction = 'in' and processed_at is null;
    create index messages_from_idx on messages (from_address, seq) where direction = 'in';

    create table consent_events (
      id bigint generated always as identity primary key,
      at timestamptz not null default now(),
      number text,
      email text,
      project_id uuid references projects (id) on delete set null,
      contact_type text check (contact_type in ('case', 'mobile-worker')),
      contact_id uuid,
      action text not null check (action in ('opt-in', 'opt-out', 'consent-granted', 'consent-withdrawn')),
      method text not null check (method in ('keyword', 'case-property', 'survey', 'import', 'api', 'verification', 'self-registration', 'gateway', 'email-unsubscribe')),
      source jsonb not null default '{}',
      gateway_id uuid,
      gateway_name text
    );
    create index consent_events_number_idx on consent_events (number, id);
    create index consent_events_project_idx on consent_events (project_id, id);

    -- The ledger is evidence: rows are never changed or removed in place.
    create function consent_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'consent_events is append-only';
    end;
    $$;
    create trigger consent_events_no_update before update or delete on consent_events
      for each row execute function consent_events_append_only();
  `.execute(db);
}
