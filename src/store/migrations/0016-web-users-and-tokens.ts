/**
 * @module store/migrations/0016-web-users-and-tokens — web users and API tokens in the UI (issue 24).
 * A deactivated project membership moves out of `memberships` into `inactive_memberships` (keeping
 * its role for reactivation), so every query that reads `memberships` keeps seeing only the users
 * who have access. Tokens get an index for listing a user's tokens and their last sign-in.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table inactive_memberships (
      project_id uuid not null references projects (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      role text not null check (role in ('admin', 'member')),
      created_at timestamptz not null,
      deactivated_at timestamptz not null default now(),
      primary key (project_id, user_id)
    );
    create index inactive_memberships_user_idx on inactive_memberships (user_id);
    create index auth_tokens_user_kind_created_idx on auth_tokens (user_id, kind, created_at desc);
  `.execute(db);
}
