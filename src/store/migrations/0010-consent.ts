/**
 * @module store/migrations/0010-consent — consent decided when a message leaves (issue 22).
 * - `messages.consent_exempt`: the message may reach a number without recorded consent because it is
 *   how consent is asked for (a mobile worker's verification SMS, the questions and closing texts of
 *   a survey with `asksConsent`). Every other message to a contact needs consent at send time
 *   where the consent rule applies.
 * - The consent ledger's `method` says where a change came from: `ui` and `vendor` join the labels
 *   (`case-property` and `gateway` stay valid for rows written before; the ledger is append-only, so
 *   old rows keep their words).
 * - A survey session may end `declined`: the person answered No to the consent question, or consent
 *   was withdrawn another way while the session was open.
 * - `possible_opt_outs`: replies that look like an opt-out but are not a keyword, held for an admin
 *   to confirm (an opt-out with method `review`) or dismiss; while one is open the number gets no
 *   broadcasts or scheduled messages from that project.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table messages add column consent_exempt boolean not null default false;

    alter table consent_events drop constraint consent_events_method_check;
    alter table consent_events add constraint consent_events_method_check check (method in (
      'ui', 'api', 'import', 'survey', 'keyword', 'vendor', 'review', 'self-registration', 'verification', 'email-unsubscribe',
      'case-property', 'gateway'));

    alter table survey_sessions drop constraint survey_sessions_status_check;
    alter table survey_sessions add constraint survey_sessions_status_check
      check (status in ('open', 'completed', 'incomplete', 'timed-out', 'cancelled', 'opted-out', 'declined'));

    create table possible_opt_outs (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity,
      project_id uuid not null references projects (id) on delete cascade,
      number text not null,
      message_id uuid not null,
      text text not null,
      contact_type text check (contact_type in ('case', 'mobile-worker')),
      contact_id uuid,
      status text not null default 'open' check (status in ('open', 'confirmed', 'dismissed')),
      created_at timestamptz not null default now(),
      decided_at timestamptz,
      decided_by uuid
    );
    create unique index possible_opt_outs_message_key on possible_opt_outs (message_id);
    create index possible_opt_outs_open_idx on possible_opt_outs (project_id, number) where status = 'open';
    create index possible_opt_outs_project_idx on possible_opt_outs (project_id, seq);
  `.execute(db);
}
