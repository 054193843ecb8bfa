/**
 * @module store/migrations/0020-reminder-rules — reminder rules (issue 25; docs/reminders.md):
 * the rules of a project, their planned sends (occurrences, one row per rule × case × recipient ×
 * key, so no evaluation ever schedules one twice), and the rule a message was sent for.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table reminder_rules (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity,
      project_id uuid not null references projects (id) on delete cascade,
      name text not null,
      case_type text not null,
      conditions jsonb not null default '[]',
      recipients text not null check (recipients in ('case', 'owner', 'both')),
      content jsonb not null,
      schedule jsonb not null,
      send_window jsonb,
      active boolean not null default true,
      version integer not null default 1,
      -- The progress of the rule's evaluation over its cases: {status, done, total, cursor}.
      evaluation jsonb,
      created_by uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index reminder_rules_project_idx on reminder_rules (project_id, seq);

    create table reminder_occurrences (
      id bigint generated always as identity primary key,
      project_id uuid not null,
      rule_id uuid not null references reminder_rules (id) on delete cascade,
      case_id uuid not null references cases (id) on delete cascade,
      recipient text not null check (recipient in ('case', 'owner')),
      occurrence_key text not null,
      due_at timestamptz not null,
      local_time text not null,
      zone text not null,
      status text not null check (status in ('scheduled', 'queued', 'cancelled')),
      reason text,
      message_id uuid,
      rule_version integer not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (rule_id, case_id, recipient, occurrence_key)
    );
    create index reminder_occurrences_due_idx on reminder_occurrences (due_at) where status = 'scheduled';
    create index reminder_occurrences_case_idx on reminder_occurrences (case_id);

    alter table messages add column reminder_rule_id uuid;
  `.execute(db);
}
