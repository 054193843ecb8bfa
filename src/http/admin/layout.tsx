/**
 * @module http/admin/layout — the page frame (top bar, project navigation) and small shared pieces:
 * badges with words, problems with what to do, times in the project zone, form fields.
 * All user text goes through `safe` children or escaped attributes.
 */
import type { PropsWithChildren } from '@kitajs/html';

import type { Actor } from '../../services/auth.service.ts';
import type { ProjectRole } from '../../store/user.store.ts';

export { Field } from './components/form.tsx';
export { Time } from './components/time.tsx';

export interface PageContext {
  actor: Actor;
  project?: { name: string; timeZone: string } | null;
  /** The actor's role in the project (a superuser counts as admin); admin-only entries are hidden from members. Unknown: shown, the page itself refuses. */
  role?: ProjectRole | null;
  /** Which navigation entry is current. */
  section?:
    | 'projects'
    | 'dashboard'
    | 'cases'
    | 'mobile-workers'
    | 'settings'
    | 'messages'
    | 'broadcasts'
    | 'gateways'
    | 'tester'
    | 'opt-outs'
    | 'possible-opt-outs'
    | 'surveys'
    | 'reminder-rules'
    | 'imports'
    | 'export'
    | 'users'
    | 'tokens';
}

export function Layout(props: PropsWithChildren<{ title: string; ctx: PageContext | null }>): JSX.Element {
  const { ctx } = props;
  const p = ctx?.project;
  const current = (s: PageContext['section']) => (ctx?.section === s ? 'page' : undefined);
  return (
    <>
      {'<!doctype html>'}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{props.title} · Rollcall</title>
          <link rel="icon" type="image/svg+xml" href="/ui/assets/favicon.svg" />
          <link rel="stylesheet" href="/ui/assets/admin.css" />
          <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}' />
          <script src="/ui/assets/htmx.min.js" defer></script>
          <script src="/ui/assets/admin.js" defer></script>
        </head>
        <body>
          <a class="skip-link" href="#main">
            Skip to content
          </a>
          <header class="top">
            <a class="brand" href="/ui/projects">
              Rollcall
            </a>
            {p ? <span safe>{p.name}</span> : ''}
            {ctx ? (
              <span class="who">
                <a href="/ui/tokens" aria-current={current('tokens')} safe>
                  {ctx.actor.email}
                </a>
                <form method="post" action="/ui/sign-out">
                  <input type="hidden" name="_csrf" value={ctx.actor.csrfToken ?? ''} />
                  <button type="submit" class="secondary">
                    Sign out
                  </button>
                </form>
              </span>
            ) : (
              ''
            )}
          </header>
          <div class="shell">
            {p ? <ProjectNav base={`/ui/p/${p.name}`} admin={ctx?.role !== 'member'} current={current} /> : ''}
            <main id="main" tabindex="-1">
              {props.children}
            </main>
          </div>
        </body>
      </html>
    </>
  );
}

type Current = (s: PageContext['section']) => 'page' | undefined;

/** UI.md's navigation inside a project; entries only an admin can open are not offered to members. */
function ProjectNav(props: { base: string; admin: boolean; current: Current }): JSX.Element {
  const { base, current } = props;
  const link = (section: PageContext['section'], path: string, label: string) => (
    <a href={`${base}${path}`} aria-current={current(section)} safe>
      {label}
    </a>
  );
  return (
    <nav class="side" aria-label="Project">
      <h2>Overview</h2>
      {link('dashboard', '/dashboard', 'Dashboard')}
      <h2>Contacts</h2>
      {link('cases', '/cases', 'Cases')}
      {link('mobile-workers', '/mobile-workers', 'Mobile workers')}
      <h2>Messaging</h2>
      {link('broadcasts', '/broadcasts', 'Send / broadcast')}
      {link('messages', '/messages', 'Message log')}
      {link('surveys', '/surveys', 'Surveys')}
      {link('reminder-rules', '/reminder-rules', 'Reminder rules')}
      {link('opt-outs', '/opt-outs', 'Opt-outs and consent')}
      {link('possible-opt-outs', '/possible-opt-outs', 'Possible opt-outs')}
      <h2>Data</h2>
      {link('imports', '/imports', 'Import')}
      {link('export', '/export', 'Export contacts')}
      <h2>Settings</h2>
      {link('settings', '/settings', 'Project')}
      {link('gateways', '/gateways', 'Gateways and routes')}
      {props.admin ? link('tester', '/tester', 'SMS tester') : ''}
      {link('users', '/users', 'Web users and roles')}
      <a href="/ui/tokens" aria-current={current('tokens')}>
        API tokens
      </a>
      <h2>Server</h2>
      <a href="/ui/projects" aria-current={current('projects')}>
        All projects
      </a>
    </nav>
  );
}

export type BadgeTone = 'ok' | 'warn' | 'bad' | 'none';

export function Badge(props: { tone: BadgeTone; label: string }): JSX.Element {
  return (
    <span class={`badge ${props.tone}`} safe>
      {props.label}
    </span>
  );
}

export function Notice(props: { text: string | undefined | null }): JSX.Element {
  return props.text ? (
    <div class="notice" role="status" safe>
      {props.text}
    </div>
  ) : (
    ''
  );
}

export function ErrorBox(props: { text: string | undefined | null }): JSX.Element {
  return props.text ? (
    <div class="error" role="alert" safe>
      {props.text}
    </div>
  ) : (
    ''
  );
}

export function Csrf(props: { ctx: PageContext }): JSX.Element {
  return <input type="hidden" name="_csrf" value={props.ctx.actor.csrfToken ?? ''} />;
}

export function countryName(code: string | null): string | null {
  if (!code) {
    return null;
  }
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}
