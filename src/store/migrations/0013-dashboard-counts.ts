/**
 * @module store/migrations/0013-dashboard-counts — what the project dashboard reads instead of
 * counting scans (issue 24; docs/architecture.md "Dashboard figures").
 * - `dashboard_message_counts`: messages per project, 15-minute bucket (every time zone's offset is
 *   a multiple of 15 minutes, so buckets fold exactly into local days), kind (`sent` = sent or
 *   delivered, `failed`, `received`) and failure code ('' for the other kinds).
 * - `dashboard_message_deltas`: what changed since the last fold, appended by three statement-level
 *   triggers on messages (one row per statement and group, never per message; append-only, so
 *   concurrent writers never wait on one another's counter row). The dashboard reads counts plus
 *   deltas; a background loop folds the deltas into the counts.
 * - `dashboard_contact_counts`: each project's contacts by phone status, as of `computed_at`,
 *   refreshed in the background (counting a million cases takes seconds).
 * - Two small partial indexes for the dashboard's "recent" lists: opt-outs in the consent ledger,
 *   and self-registrations among messages.
 * The counts are filled from the messages already stored.
 */
import { type Kysely, sql } from 'kysely';

/**
 * A message's dashboard key (project, 15-minute bucket, kind, code) for each counted message of
 * `rows` (a transition table or the messages table), and `n` when given: the one expression the
 * triggers and the fill below share. Inbound counts when it arrived, outbound when it was sent,
 * else when it was due, else when it was created.
 */
function keyed(rows: 'new_rows' | 'old_rows' | 'messages', n?: '1' | '-1') {
  return sql.raw(`select m.project_id,
         date_bin('15 minutes', case when m.direction = 'in' then m.created_at else coalesce(m.sent_at, m.due_at, m.created_at) end, timestamptz '2000-01-01 00:00:00+00') as bucket,
         case when m.status in ('sent', 'delivered') then 'sent' when m.status = 'failed' then 'failed' when m.status = 'received' then 'received' end as kind,
         case when m.status = 'failed' then coalesce(m.error_code, '') else '' end as error_code${n ? `,\n         ${n} as n` : ''}
    from ${rows} m
   where m.project_id is not null and m.status in ('sent', 'delivered', 'failed', 'received')`);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table dashboard_message_counts (
      project_id uuid not null references projects (id) on delete cascade,
      bucket timestamptz not null,
      kind text not null check (kind in ('sent', 'failed', 'received')),
      error_code text not null default '',
      n bigint not null,
      primary key (project_id, bucket, kind, error_code)
    );

    -- No key, no index, no foreign key: an insert costs the writer as little as possible.
    create table dashboard_message_deltas (
      project_id uuid not null,
      bucket timestamptz not null,
      kind text not null,
      error_code text not null,
      n bigint not null
    );

    -- A message's kind, bucket and code (the triggers and the fill below share these expressions):
    -- inbound counts when it arrived, outbound when it was sent, else when it was due, else created.
    create function dashboard_message_delta() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into dashboard_message_deltas (project_id, bucket, kind, error_code, n)
        select project_id, bucket, kind, error_code, count(*) from (
          ${keyed('new_rows')}
        ) d group by 1, 2, 3, 4;
      elsif tg_op = 'DELETE' then
        insert into dashboard_message_deltas (project_id, bucket, kind, error_code, n)
        select project_id, bucket, kind, error_code, -count(*) from (
          ${keyed('old_rows')}
        ) d group by 1, 2, 3, 4;
      else
        insert into dashboard_message_deltas (project_id, bucket, kind, error_code, n)
        select project_id, bucket, kind, error_code, sum(n) from (
          ${keyed('new_rows', '1')}
          union all
          ${keyed('old_rows', '-1')}
        ) d group by 1, 2, 3, 4 having sum(n) <> 0;
      end if;
      return null;
    end;
    $$;

    create trigger messages_dashboard_insert after insert on messages
      referencing new table as new_rows for each statement execute function dashboard_message_delta();
    create trigger messages_dashboard_update after update on messages
      referencing old table as old_rows new table as new_rows for each statement execute function dashboard_message_delta();
    create trigger messages_dashboard_delete after delete on messages
      referencing old table as old_rows for each statement execute function dashboard_message_delta();

    -- The messages stored before this migration (the triggers above take every change from now on;
    -- both happen in this migration's transaction).
    insert into dashboard_message_counts (project_id, bucket, kind, error_code, n)
    select project_id, bucket, kind, error_code, count(*) from (
      ${keyed('messages')}
    ) d group by 1, 2, 3, 4;

    create table dashboard_contact_counts (
      project_id uuid primary key references projects (id) on delete cascade,
      counts jsonb not null,
      computed_at timestamptz not null,
      took_ms integer not null
    );

    create index consent_events_project_opt_out_idx on consent_events (project_id, id) where action = 'opt-out';
    create index messages_registrations_idx on messages (project_id, seq) where handling in ('registered-case', 'registered-worker');
  `.execute(db);
}
