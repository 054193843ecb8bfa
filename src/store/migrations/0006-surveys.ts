/**
 * @module store/migrations/0006-surveys — SMS surveys (issue 7): survey definitions per project, and
 * sessions (one person answering one survey over SMS). A number has at most one open session, held
 * by a partial unique index so two starts at once cannot both open one.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table surveys (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity,
      project_id uuid not null references projects (id) on delete cascade,
      name text not null,
      questions jsonb not null,
      closing_message text,
      closing_translations jsonb not null default '{}',
      asks_consent boolean not null default false,
      timeout_minutes integer not null default 1440,
      reminder_minutes integer,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index surveys_project_idx on surveys (project_id, seq);

    create table survey_sessions (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity,
      project_id uuid not null references projects (id) on delete cascade,
      survey_id uuid not null references surveys (id) on delete cascade,
      case_id uuid not null references cases (id) on delete cascade,
      number text not null,
      -- The survey as it was when the session started: editing a survey never shifts the questions
      -- under someone who is answering it.
      definition jsonb not null,
      status text not null check (status in ('open', 'completed', 'incomplete', 'timed-out', 'cancelled', 'opted-out')),
      question_index integer not null default 0,
      invalid_attempts integer not null default 0,
      answers jsonb not null default '{}',
      -- The gateway of the last exchange: replies and reminders go back the way the person writes.
      gateway_id uuid,
      end_code text,
      started_at timestamptz not null,
      updated_at timestamptz not null,
      expires_at timestamptz not null,
      remind_at timestamptz,
      reminded_at timestamptz,
      ended_at timestamptz
    );
    create unique index survey_sessions_one_open_per_number on survey_sessions (number) where status = 'open';
    create index survey_sessions_survey_idx on survey_sessions (survey_id, seq);
    create index survey_sessions_case_idx on survey_sessions (case_id, seq);
    create index survey_sessions_due_idx on survey_sessions (expires_at) where status = 'open';
    create index survey_sessions_remind_idx on survey_sessions (remind_at) where status = 'open' and remind_at is not null;
  `.execute(db);
}
