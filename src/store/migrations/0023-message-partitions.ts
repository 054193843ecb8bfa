/**
 * @module store/migrations/0023-message-partitions — `messages` (outbound and inbound) becomes a
 * table partitioned by month of `created_at`, on both engines, so that old history is removed by
 * dropping whole months (ROLLCALL_MESSAGE_RETENTION_DAYS, store/message-partitions.store.ts) and
 * the queue and the log never walk a table that only grows. docs/message-history.md has the design.
 *
 * - The primary key becomes (id, created_at): a key of a partitioned table holds its partition key.
 *   `seq` stays an identity column, no longer declared unique (the identity alone makes it so).
 * - "One stored inbound message per gateway message id" cannot be a unique index of the partitioned
 *   table (it would be unique per month only: a webhook retried across midnight on the 1st would be
 *   stored twice). It moves to its own small table, `inbound_keys`, pruned with the history.
 * - The rows already stored stay where they are: the old table becomes one partition covering all
 *   time before the month after this migration (attached, not copied: one scan to check its range,
 *   one new index for the new primary key). Retention drops it whole once all of it is old enough.
 *   An empty old table (a new install) is dropped instead, so every month has its own partition.
 * - A default partition takes rows of months without a partition yet (the maintenance loop creates
 *   them three months ahead and moves any such rows into them): an insert never fails for its date.
 * - The dashboard's statement triggers (transition tables) move to the partitioned table; dropping
 *   a partition fires no trigger, so the dashboard's counts keep the months retention removes.
 */
import { type Kysely, sql } from 'kysely';

/** The indexes of `messages`, as 0002–0019 made them (less the primary key and the two unique ones). */
const INDEXES: ReadonlyArray<[name: string, definition: string]> = [
  ['messages_due_idx', `(due_at) where status in ('queued', 'scheduled')`],
  ['messages_lease_idx', `(lease_until) where status = 'sending'`],
  ['messages_project_seq_idx', '(project_id, seq)'],
  ['messages_contact_idx', '(contact_id, seq) where contact_id is not null'],
  ['messages_broadcast_idx', '(broadcast_id) where broadcast_id is not null'],
  ['messages_to_pending_idx', `(to_address) where status in ('queued', 'scheduled')`],
  ['messages_inbound_pending_idx', `(seq) where direction = 'in' and processed_at is null`],
  ['messages_from_idx', `(from_address, seq) where direction = 'in'`],
  ['messages_registrations_idx', `(project_id, seq) where handling in ('registered-case', 'registered-worker')`],
  ['messages_to_idx', `(to_address, seq) where direction = 'out'`],
];

const TRIGGERS = sql`
  create trigger messages_dashboard_insert after insert on messages
    referencing new table as new_rows for each statement execute function dashboard_message_delta();
  create trigger messages_dashboard_update after update on messages
    referencing old table as old_rows new table as new_rows for each statement execute function dashboard_message_delta();
  create trigger messages_dashboard_delete after delete on messages
    referencing old table as old_rows for each statement execute function dashboard_message_delta();
`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ any_row: boolean; next_month: string }>`
    select exists (select 1 from messages) as any_row, to_char(date_trunc('month', now() at time zone 'UTC') + interval '1 month', 'YYYY-MM-DD') as next_month
  `.execute(db);
  const anyRow = rows[0]?.any_row ?? false;
  const nextMonth = rows[0]?.next_month ?? '';

  await sql`
    create table inbound_keys (
      gateway_id uuid not null,
      gateway_message_id text not null,
      created_at timestamptz not null default now(),
      primary key (gateway_id, gateway_message_id)
    );
    create index inbound_keys_created_idx on inbound_keys (created_at);
    insert into inbound_keys (gateway_id, gateway_message_id, created_at)
      select gateway_id, gateway_message_id, min(created_at) from messages
       where direction = 'in' and gateway_message_id is not null and gateway_id is not null
       group by gateway_id, gateway_message_id;

    drop trigger messages_dashboard_insert on messages;
    drop trigger messages_dashboard_update on messages;
    drop trigger messages_dashboard_delete on messages;
    alter table messages rename to messages_before_partitions;
    alter table messages_before_partitions drop constraint messages_pkey;
    alter table messages_before_partitions drop constraint messages_seq_key;
    alter table messages_before_partitions alter column seq drop identity if exists;
    drop index messages_inbound_dedupe_key;
  `.execute(db);
  for (const [name] of INDEXES) {
    await sql`alter index ${sql.id(name)} rename to ${sql.id(name.replace(/^messages_/, 'messages_before_partitions_'))}`.execute(db);
  }
  for (const c of ['project_id', 'gateway_id', 'broadcast_id']) {
    await sql`alter table messages_before_partitions rename constraint ${sql.id(`messages_${c}_fkey`)} to ${sql.id(`messages_before_partitions_${c}_fkey`)}`.execute(db);
  }

  await sql`
    create table messages (like messages_before_partitions including defaults including constraints including storage)
      partition by range (created_at);
    alter table messages add constraint messages_pkey primary key (id, created_at);
    alter table messages add constraint messages_project_id_fkey foreign key (project_id) references projects (id) on delete cascade;
    alter table messages add constraint messages_gateway_id_fkey foreign key (gateway_id) references gateways (id) on delete set null;
    alter table messages add constraint messages_broadcast_id_fkey foreign key (broadcast_id) references broadcasts (id) on delete set null;
  `.execute(db);
  for (const [name, definition] of INDEXES) {
    await sql`create index ${sql.id(name)} on messages ${sql.raw(definition)}`.execute(db);
  }
  if (anyRow) {
    // Its indexes and foreign keys match the new table's: attaching adopts them, building only the primary key.
    await sql`alter table messages attach partition messages_before_partitions for values from (minvalue) to (${sql.lit(`${nextMonth}T00:00:00Z`)})`.execute(db);
  } else {
    await sql`drop table messages_before_partitions`.execute(db);
  }
  await sql`create table messages_default partition of messages default`.execute(db);
  // This month and the next two, as the maintenance loop keeps them (store/message-partitions.store.ts).
  for (let ahead = anyRow ? 1 : 0; ahead <= 2; ahead++) {
    const { rows: bounds } = await sql<{ name: string; lo: string; hi: string }>`
      select 'messages_' || to_char(m, 'YYYY_MM') as name, to_char(m, 'YYYY-MM-DD') as lo, to_char(m + interval '1 month', 'YYYY-MM-DD') as hi
        from (select date_trunc('month', now() at time zone 'UTC') + ${ahead} * interval '1 month' as m) s
    `.execute(db);
    const b = bounds[0];
    if (b) {
      await sql`create table ${sql.id(b.name)} partition of messages for values from (${sql.lit(`${b.lo}T00:00:00Z`)}) to (${sql.lit(`${b.hi}T00:00:00Z`)})`.execute(db);
    }
  }
  await sql`alter table messages alter column seq add generated always as identity`.execute(db);
  await sql`select setval(pg_get_serial_sequence('messages', 'seq'), coalesce((select max(seq) from messages), 0) + 1, false)`.execute(db);
  await TRIGGERS.execute(db);
}
