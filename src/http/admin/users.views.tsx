/**
 * @module http/admin/users.views — the project's web users and their roles: who has access (and who
 * was deactivated here, to be reactivated), when each last signed in; for admins, forms to add a
 * user (with a generated one-time password shown once), change a role, deactivate and reactivate.
 */
import type { Project } from '../../domain/project.ts';
import type { MemberView } from '../../services/projects.service.ts';
import { ErrorSummary, Field, type FieldErrors, Select } from './components/form.tsx';
import { Time } from './components/time.tsx';
import { Badge, Csrf, Layout, Notice, type PageContext } from './layout.tsx';

export const USER_FORM_LABELS: Readonly<Record<string, string>> = { email: 'Email', role: 'Role', password: 'Password' };

const ROLE_CHOICES = [
  { value: 'member', label: 'Member — uses the project' },
  { value: 'admin', label: 'Admin — also manages settings, gateways and users' },
];

export interface UsersPageProps {
  ctx: PageContext;
  project: Project;
  members: MemberView[];
  /** Errors of the add form, with what was typed. */
  errors?: FieldErrors | null;
  form?: Record<string, string>;
  notice?: string | null;
  /** A refused change of one user (role, access), with its code. */
  refusal?: { message: string; code: string } | null;
  /** The user just added with a generated password: shown on this answer only. */
  created?: { email: string; password: string } | null;
}

export function UsersPage(props: UsersPageProps): JSX.Element {
  const { ctx, project, members } = props;
  const canManage = ctx.role === 'admin';
  const base = `/ui/p/${project.name}/users`;
  return (
    <Layout title="Web users and roles" ctx={ctx}>
      <h1>Web users and roles</h1>
      <p class="muted">
        People who sign in to this project. <strong>Admins</strong> manage its settings, gateways and users; <strong>members</strong> use it. A deactivated user
        keeps nothing but their place in this list: they have no access to this project until an admin reactivates them.
      </p>
      <Notice text={props.notice} />
      {props.refusal ? (
        <div class="error" role="alert">
          <span safe>{props.refusal.message}</span> <code class="code" safe>{props.refusal.code}</code>
        </div>
      ) : (
        ''
      )}
      {props.created ? <OneTimePassword email={props.created.email} password={props.created.password} /> : ''}
      {members.length === 0 ? (
        <div class="empty">{canManage ? 'No web users in this project yet — add the first one below.' : 'No web users in this project yet — a project admin can add them.'}</div>
      ) : (
        <table id="web-users">
          <thead>
            <tr>
              <th>Email</th>
              <th>Role</th>
              <th>Access</th>
              <th>Last sign-in</th>
              <th>Added</th>
              {canManage ? <th>Change</th> : ''}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <UserRow m={m} ctx={ctx} project={project} base={base} canManage={canManage} />
            ))}
          </tbody>
        </table>
      )}
      {canManage ? (
        <AddUserForm ctx={ctx} base={base} errors={props.errors ?? null} form={props.form ?? {}} />
      ) : (
        <p class="muted mt-1">Only a project admin can add users or change their roles.</p>
      )}
    </Layout>
  );
}

function UserRow(props: { m: MemberView; ctx: PageContext; project: Project; base: string; canManage: boolean }): JSX.Element {
  const { m, ctx, base } = props;
  const self = m.id === ctx.actor.userId;
  const rowId = `user-${m.id}`;
  return (
    <tr id={rowId} class={m.active ? undefined : 'inactive-user'}>
      <td>
        <span safe>{m.email}</span>
        {self ? <span class="muted"> (you)</span> : ''}
      </td>
      <td>
        <Badge tone={m.role === 'admin' ? 'ok' : 'none'} label={m.role === 'admin' ? 'Admin' : 'Member'} />
      </td>
      <td>
        {m.active ? <Badge tone="ok" label="Active" /> : <Badge tone="bad" label="Deactivated" />}
        {!m.accountActive ? (
          <>
            {' '}
            <Badge tone="bad" label="Account deactivated" />
            <div class="help muted">Cannot sign in anywhere until a superuser reactivates the account.</div>
          </>
        ) : (
          ''
        )}
        {m.deactivatedAt ? (
          <div class="help muted">
            since <Time at={m.deactivatedAt} zone={props.project.timeZone} />
          </div>
        ) : (
          ''
        )}
      </td>
      <td>{m.lastSignInAt ? <Time at={m.lastSignInAt} zone={props.project.timeZone} /> : <span class="muted">Never</span>}</td>
      <td>
        <Time at={m.createdAt} zone={props.project.timeZone} />
      </td>
      {props.canManage ? (
        <td>
          <div class="user-actions">
            <form method="post" action={`${base}/${m.id}/role`} class="row">
              <Csrf ctx={ctx} />
              <div>
                <label for={`role-${m.id}`} class="users-hidden-label" safe>{`Role of ${m.email}`}</label>
                <select id={`role-${m.id}`} name="role" data-autosubmit data-current={m.role}>
                  <option value="member" selected={m.role === 'member'}>
                    Member
                  </option>
                  <option value="admin" selected={m.role === 'admin'}>
                    Admin
                  </option>
                </select>
              </div>
              <button type="submit" class="secondary">
                Change role
              </button>
            </form>
            {m.active ? (
              <form method="post" action={`${base}/${m.id}/deactivate`} data-confirm={`Deactivate ${m.email} in ${props.project.name}? They lose access to this project at once (nothing else changes); you can reactivate them later.`}>
                <Csrf ctx={ctx} />
                <button type="submit" class="danger">
                  Deactivate
                </button>
              </form>
            ) : (
              <form method="post" action={`${base}/${m.id}/reactivate`}>
                <Csrf ctx={ctx} />
                <button type="submit" class="secondary">
                  Reactivate
                </button>
              </form>
            )}
            {ctx.actor.isSuperuser && !self ? (
              <form
                method="post"
                action={`/ui/users/${m.id}/account`}
                data-confirm={
                  m.accountActive ? `Deactivate the account of ${m.email} on the whole server? They cannot sign in, and all their sessions and API tokens stop working at once.` : undefined
                }
              >
                <Csrf ctx={ctx} />
                <input type="hidden" name="active" value={m.accountActive ? 'false' : 'true'} />
                <input type="hidden" name="project" value={props.project.name} />
                <button type="submit" class={m.accountActive ? 'danger' : 'secondary'}>
                  {m.accountActive ? 'Deactivate account (all projects)' : 'Reactivate account'}
                </button>
              </form>
            ) : (
              ''
            )}
          </div>
        </td>
      ) : (
        ''
      )}
    </tr>
  );
}

function AddUserForm(props: { ctx: PageContext; base: string; errors: FieldErrors | null; form: Record<string, string> }): JSX.Element {
  const e = props.errors ?? {};
  return (
    <div class="card mt-1" id="add-user">
      <h2>Add a user</h2>
      <ErrorSummary errors={props.errors} labels={USER_FORM_LABELS} />
      <form class="stack" method="post" action={props.base}>
        <Csrf ctx={props.ctx} />
        <Field label="Email" name="email" type="email" value={props.form.email} error={e.email} required help="They sign in with this address." />
        <Select label="Role" name="role" value={props.form.role ?? 'member'} choices={ROLE_CHOICES} error={e.role} />
        <NewPasswordField error={e.password} />
        <p>
          <button type="submit">Add user</button>
        </p>
      </form>
    </div>
  );
}

function OneTimePassword(props: { email: string; password: string }): JSX.Element {
  return (
    <div class="card secret-once" role="status">
      <h2 safe>{`Added ${props.email}`}</h2>
      <p>
        Give them this one-time password privately. <strong>It is shown only now</strong>: Rollcall keeps only a hash of it.
      </p>
      <div class="row">
        <div>
          <label for="new-password">One-time password</label>
          <input id="new-password" type="text" readonly value={props.password} class="secret" />
        </div>
        <button type="button" class="secondary" data-copy="new-password">
          Copy
        </button>
      </div>
      <p class="help muted">If this address already had a Rollcall account, they sign in with their own password and this one is not used.</p>
    </div>
  );
}

/** The new user's password: like Field, but marked as a new password so the browser does not fill in the admin's own. */
function NewPasswordField(props: { error?: string | undefined }): JSX.Element {
  const help =
    'At least 8 characters. Leave it blank and Rollcall makes a one-time password, shown once on the next page for you to pass on. Someone who already has a Rollcall account keeps their own password.';
  return (
    <div>
      <label for="f-password">Password</label>
      <input
        id="f-password"
        name="password"
        type="password"
        value=""
        autocomplete="new-password"
        aria-describedby={props.error ? 'f-password-help f-password-error' : 'f-password-help'}
        aria-invalid={props.error ? 'true' : undefined}
      />
      <p class="help" id="f-password-help">
        {help}
      </p>
      {props.error ? (
        <p class="help field-error" id="f-password-error" safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
    </div>
  );
}
