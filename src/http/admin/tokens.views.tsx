/**
 * @module http/admin/tokens.views — the signed-in user's own API tokens: the list (name, created,
 * expires, last used, revoke), the form to create one (a name and an expiry picker), and the new
 * token shown once, on the answer to that form only, with a Copy button.
 */
import type { ApiTokenView, NewApiToken } from '../../services/api-tokens.service.ts';
import { ErrorSummary, Field, type FieldErrors, Select } from './components/form.tsx';
import { Time } from './components/time.tsx';
import { Badge, Csrf, Layout, Notice, type PageContext } from './layout.tsx';

export const TOKEN_FORM_LABELS: Readonly<Record<string, string>> = { name: 'Name', expires: 'Expires' };

export const EXPIRY_CHOICES = [
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In a year' },
  { value: 'never', label: 'Never (until revoked)' },
];

/** Times on this page are not in a project: they are shown in UTC. */
const ZONE = 'UTC';

export interface TokensPageProps {
  ctx: PageContext;
  tokens: ApiTokenView[];
  nextCursor: string | null;
  /** The page is not the first (a link back to the newest). */
  paged: boolean;
  errors?: FieldErrors | null;
  form?: Record<string, string>;
  notice?: string | null;
  /** The token just created: its secret is on this answer only. */
  created?: NewApiToken | null;
}

export function TokensPage(props: TokensPageProps): JSX.Element {
  const { ctx } = props;
  return (
    <Layout title="API tokens" ctx={ctx}>
      <p class="muted">
        <a href="/ui/projects">← Your projects</a>
      </p>
      <h1>API tokens</h1>
      <p class="muted">
        Your own tokens for the Rollcall API (<code>Authorization: Bearer …</code>). A token acts as you, in every project you belong to: give each script
        its own, with a name that says what it is for, and revoke it when it is no longer needed.
      </p>
      <Notice text={props.notice} />
      {props.created ? <NewToken created={props.created} /> : ''}
      {props.tokens.length === 0 ? (
        <div class="empty">{props.paged ? 'No more tokens.' : 'You have no API tokens — create one below for a script or an integration.'}</div>
      ) : (
        <table id="api-tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Last used</th>
              <th>Revoke</th>
            </tr>
          </thead>
          <tbody>
            {props.tokens.map((t) => (
              <tr id={`token-${t.id}`}>
                <td>{t.name ? <span safe>{t.name}</span> : <span class="muted">(no name)</span>}</td>
                <td>
                  <Time at={t.createdAt} zone={ZONE} />
                </td>
                <td>
                  {t.expiresAt ? <Time at={t.expiresAt} zone={ZONE} /> : <span>Never</span>} {t.expired ? <Badge tone="bad" label="Expired" /> : ''}
                </td>
                <td>{t.lastUsedAt ? <Time at={t.lastUsedAt} zone={ZONE} /> : <span class="muted">Never used</span>}</td>
                <td>
                  <form method="post" action={`/ui/tokens/${t.id}/revoke`} data-confirm={`Revoke the token “${t.name ?? 'no name'}”? Anything using it is refused from its next request.`}>
                    <Csrf ctx={ctx} />
                    <button type="submit" class="danger" aria-label={`Revoke ${t.name ?? 'the token without a name'}`}>
                      Revoke
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor || props.paged ? (
        <p class="row">
          {props.paged ? <a href="/ui/tokens">Newest tokens</a> : ''}
          {props.nextCursor ? <a href={`/ui/tokens?cursor=${encodeURIComponent(props.nextCursor)}`}>Older tokens</a> : ''}
        </p>
      ) : (
        ''
      )}
      <CreateTokenForm ctx={ctx} errors={props.errors ?? null} form={props.form ?? {}} />
    </Layout>
  );
}

function CreateTokenForm(props: { ctx: PageContext; errors: FieldErrors | null; form: Record<string, string> }): JSX.Element {
  const e = props.errors ?? {};
  return (
    <div class="card mt-1" id="new-token-form">
      <h2>Create a token</h2>
      <ErrorSummary errors={props.errors} labels={TOKEN_FORM_LABELS} />
      <form class="stack" method="post" action="/ui/tokens">
        <Csrf ctx={props.ctx} />
        <Field label="Name" name="name" value={props.form.name} error={e.name} required help="What it is for, such as “nightly export” — shown in this list." />
        <Select label="Expires" name="expires" value={props.form.expires ?? '90'} choices={EXPIRY_CHOICES} error={e.expires} help="After this the token is refused; create a new one then." />
        <p>
          <button type="submit">Create token</button>
        </p>
      </form>
    </div>
  );
}

function NewToken(props: { created: NewApiToken }): JSX.Element {
  const c = props.created;
  return (
    <div class="card secret-once" role="status" id="token-created">
      <h2 safe>{`Token “${c.name ?? 'no name'}” created`}</h2>
      <p>
        Copy it now: <strong>it is shown only this once</strong>. Rollcall keeps only a hash of it, so it cannot show it again; if it is lost, revoke it and create
        another.
      </p>
      <div class="row">
        <div>
          <label for="new-token">Your new token</label>
          <input id="new-token" type="text" readonly value={c.token} class="secret" />
        </div>
        <button type="button" class="secondary" data-copy="new-token">
          Copy
        </button>
      </div>
      <p class="help muted">
        {c.expiresAt ? (
          <>
            It works until <Time at={c.expiresAt} zone={ZONE} />.
          </>
        ) : (
          'It works until you revoke it.'
        )}
      </p>
    </div>
  );
}
