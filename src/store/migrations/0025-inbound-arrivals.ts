/**
 * @module store/migrations/0025-inbound-arrivals — inbound messages wait to be handled in a table
 * of their own, `inbound_arrivals`, and enter `messages` only once handled, under the project that
 * handled them (docs/scaling.md, "The inbound queue"). Until now a message was stored in `messages`
 * at arrival with its gateway's project (none for a global gateway) and handling changed the
 * project: a table distributed by project cannot do that.
 *
 * - `inbound_arrivals` holds what arrived and is waiting, nothing else: a row is deleted when its
 *   message is handled (or closed as failed) and inserted into `messages` with the same id and
 *   arrival time. It stays small (its size is the inbound backlog).
 * - Its key leads with the sender number (`(from_address, seq)`): the handling order is per
 *   sender, and so is the distribution it is made for.
 * - The messages waiting at the upgrade move over, in their order.
 * - A rolling upgrade: a server of the previous version still stores a webhook's message in
 *   `messages`, unhandled. A trigger moves such a row to the arrivals as it is inserted (a row
 *   trigger whose WHEN clause other inserts pass without calling it), so the new workers handle it
 *   and no STOP is lost while old and new processes run side by side. The partial index of waiting
 *   inbound messages of `messages` stays, empty, so that an old worker's poll stays an index probe;
 *   a later migration drops both.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table inbound_arrivals (
      seq bigint generated always as identity,
      id uuid not null default gen_random_uuid(),
      project_id uuid references projects (id) on delete cascade,
      channel text not null,
      from_address text not null,
      to_address text,
      text text not null,
      gateway_id uuid references gateways (id) on delete set null,
      gateway_name text,
      gateway_message_id text,
      via_tester boolean not null default false,
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      primary key (from_address, seq)
    );
    create index inbound_arrivals_seq_idx on inbound_arrivals (seq);
    insert into inbound_arrivals (id, project_id, channel, from_address, to_address, text, gateway_id, gateway_name, gateway_message_id, via_tester, attempts, created_at)
      select id, project_id, channel, coalesce(from_address, ''), to_address, coalesce(text, ''), gateway_id, gateway_name, gateway_message_id, via_tester, attempts, created_at
        from messages where direction = 'in' and processed_at is null
       order by seq;
    delete from messages where direction = 'in' and processed_at is null;

    create function messages_inbound_to_arrivals() returns trigger language plpgsql as $$
    begin
      insert into inbound_arrivals (id, project_id, channel, from_address, to_address, text, gateway_id, gateway_name, gateway_message_id, via_tester, created_at)
      values (new.id, new.project_id, new.channel, coalesce(new.from_address, ''), new.to_address, coalesce(new.text, ''), new.gateway_id, new.gateway_name,
              new.gateway_message_id, new.via_tester, new.created_at);
      return null;
    end
    $$;
    create trigger messages_inbound_to_arrivals before insert on messages
      for each row when (new.direction = 'in' and new.processed_at is null) execute function messages_inbound_to_arrivals();
  `.execute(db);
}
