/**
 * @module store/migrations/0021-reminder-evaluation — evaluation that follows the case (issue 25;
 * docs/reminders.md "Evaluation follows the case").
 * - `reminder_matches`: which cases match which rule now (the rule page's "matching" count, and how
 *   a case that stops matching is found).
 * - `reminder_dirty_cases`: cases to evaluate again. Statement-level triggers on `cases` append the
 *   cases a write touched, in the writer's transaction, when their project has an active rule for
 *   their case type or they matched a rule before (so a case that changes type, closes or is
 *   deleted is looked at once more). Every write path (API, UI, import, survey answer,
 *   self-registration, close/reopen, consent property) is covered without any of them knowing.
 *   A row-level trigger on `opt_outs` marks the cases on a number that opted out or back in.
 *   The reminder loop takes dirty cases with SKIP LOCKED and deletes them in the transaction that
 *   evaluates them; a concurrent write upserts its row (locking it), so the loop sees its change.
 * - An index of a rule's occurrences by due time: its next sends and its sends per day.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- No foreign key to cases or rules here or on reminder_occurrences: its check would take a
    -- key-share lock on the case (which a case write holds FOR UPDATE while its trigger waits for the
    -- loop's mark) or on the rule (which a rule's evaluation batch and a PATCH lock): deadlocks.
    -- Cases are never deleted, only marked deleted; deleting a rule deletes its rows in the same
    -- transaction (store/reminder-rule.store.ts); a project's deletion cascades.
    alter table reminder_occurrences drop constraint reminder_occurrences_case_id_fkey;
    alter table reminder_occurrences drop constraint reminder_occurrences_rule_id_fkey;
    -- The unique key leads with the case: it serves a case's reminders and its evaluation too, so
    -- the separate case index goes (one index less to write per occurrence).
    do $$
    declare
      key_name text;
    begin
      select conname into key_name from pg_constraint where conrelid = 'reminder_occurrences'::regclass and contype = 'u';
      execute format('alter table reminder_occurrences drop constraint %I', key_name);
    end;
    $$;
    create unique index reminder_occurrences_key on reminder_occurrences (case_id, rule_id, recipient, occurrence_key);
    drop index reminder_occurrences_case_idx;
    alter table reminder_occurrences add foreign key (project_id) references projects (id) on delete cascade;

    create table reminder_matches (
      case_id uuid not null,
      rule_id uuid not null,
      project_id uuid not null references projects (id) on delete cascade,
      -- Why this matching case cannot be reached (a catalogue code), null when it can.
      problem text,
      primary key (case_id, rule_id)
    );
    create index reminder_matches_rule_idx on reminder_matches (rule_id);

    create table reminder_dirty_cases (
      case_id uuid primary key,
      project_id uuid not null,
      marked_at timestamptz not null default now(),
      -- Marked by the case's insert only: nothing of it exists yet to reschedule or cancel.
      is_new boolean not null default false
    );

    create index reminder_rules_active_idx on reminder_rules (project_id, case_type) where active;
    -- A rule's sent, failed and cancelled occurrences by due time (its chart). Scheduled ones are
    -- not in it (their next sends are read from the due index): an occurrence is inserted with one
    -- index less to write, and enters this one when it is sent or cancelled.
    create index reminder_occurrences_rule_done_idx on reminder_occurrences (rule_id, due_at) where status <> 'scheduled';

    -- A new case is marked when its project has an active rule for its type; a changed one also
    -- when it matched a rule before (it may have left the type, closed or been deleted).
    create function reminder_cases_inserted() returns trigger language plpgsql as $$
    begin
      insert into reminder_dirty_cases (case_id, project_id, is_new)
      select n.id, n.project_id, true from new_rows n
       where exists (select 1 from reminder_rules r where r.project_id = n.project_id and r.case_type = n.case_type and r.active)
      on conflict (case_id) do update set marked_at = excluded.marked_at, is_new = false;
      return null;
    end;
    $$;
    create function reminder_cases_changed() returns trigger language plpgsql as $$
    begin
      insert into reminder_dirty_cases (case_id, project_id, is_new)
      select n.id, n.project_id, false from new_rows n
       where exists (select 1 from reminder_rules r where r.project_id = n.project_id and r.case_type = n.case_type and r.active)
          or exists (select 1 from reminder_matches m where m.case_id = n.id)
      on conflict (case_id) do update set marked_at = excluded.marked_at, is_new = false;
      return null;
    end;
    $$;
    create trigger cases_reminders_insert after insert on cases
      referencing new table as new_rows for each statement execute function reminder_cases_inserted();
    create trigger cases_reminders_update after update on cases
      referencing new table as new_rows for each statement execute function reminder_cases_changed();

    create function reminder_opt_out_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' or old.opted_out is distinct from new.opted_out then
        insert into reminder_dirty_cases (case_id, project_id)
        select distinct m.case_id, m.project_id
          from phone_entries pe join reminder_matches m on m.case_id = pe.owner_id
         where pe.number = new.number and pe.owner_type = 'case'
        on conflict (case_id) do update set marked_at = excluded.marked_at;
      end if;
      return null;
    end;
    $$;
    create trigger opt_outs_reminders after insert or update on opt_outs
      for each row execute function reminder_opt_out_changed();
  `.execute(db);
}
