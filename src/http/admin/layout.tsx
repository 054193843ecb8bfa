/**
 * @module http/admin/layout — the page frame (top bar, project navigation) and small shared pieces:
 * badges with words, problems with what to do, times in the project zone, form fields.
 * All user text goes through `safe` children or escaped attributes.
 */
import type { PropsWithChildren } from '@kitajs/html';

import type { Actor } from '../../services/auth.service.ts';

export interface PageContext {
  actor: Actor;
  project?: { name: string; timeZone: string } | null;
  /** Which navigation entry is current. */
  section?: 'projects' | 'cases' | 'mobile-workers' | 'settings' | 'messages' | 'gateways' | 'tester' | 'opt-outs' | 'possible-opt-outs' | 'surveys' | 'imports';
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
          <link rel="stylesheet" href="/ui/assets/admin.css" />
          <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}' />
          <script src="/ui/assets/htmx.min.js" defer></script>
          <script src="/ui/assets/admin.js" defer></script>
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/ui/projects">
              Rollcall
            </a>
            {p ? <span safe>{p.name}</span> : ''}
            {ctx ? (
              <span class="who">
                <span safe>{ctx.actor.email}</span>
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
            {p ? (
              <nav class="side" aria-label="Project">
                <h2>Contacts</h2>
                <a href={`/ui/p/${p.name}/cases`} aria-current={current('cases')}>
                  Cases
                </a>
                <a href={`/ui/p/${p.name}/mobile-workers`} aria-current={current('mobile-workers')}>
                  Mobile workers
                </a>
                <h2>Messaging</h2>
                <a href={`/ui/p/${p.name}/messages`} aria-current={current('messages')}>
                  Message log
                </a>
                <a href={`/ui/p/${p.name}/tester`} aria-current={current('tester')}>
                  SMS tester
                </a>
                <a href={`/ui/p/${p.name}/opt-outs`} aria-current={current('opt-outs')}>
                  Opt-outs and consent
                </a>
                <a href={`/ui/p/${p.name}/possible-opt-outs`} aria-current={current('possible-opt-outs')}>
                  Possible opt-outs
                </a>
                <a href={`/ui/p/${p.name}/surveys`} aria-current={current('surveys')}>
                  Surveys
                </a>
                <h2>Data</h2>
                <a href={`/ui/p/${p.name}/imports`} aria-current={current('imports')}>
                  Import
                </a>
                <h2>Settings</h2>
                <a href={`/ui/p/${p.name}/settings`} aria-current={current('settings')}>
                  Project
                </a>
                <a href={`/ui/p/${p.name}/gateways`} aria-current={current('gateways')}>
                  Gateways and routes
                </a>
                <h2>Server</h2>
                <a href="/ui/projects" aria-current={current('projects')}>
                  All projects
                </a>
              </nav>
            ) : (
              ''
            )}
            <main>{props.children}</main>
          </div>
        </body>
      </html>
    </>
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

/** A time in the project's zone with its abbreviation; the tooltip gives UTC. */
export function Time(props: { at: string | Date | null; zone: string }): JSX.Element {
  if (!props.at) {
    return <span class="muted">—</span>;
  }
  const date = typeof props.at === 'string' ? new Date(props.at) : props.at;
  const text = new Intl.DateTimeFormat('en-GB', { timeZone: props.zone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(date);
  return (
    <time datetime={date.toISOString()} title={`${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`} safe>
      {text}
    </time>
  );
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

export function Field(props: { label: string; name: string; value?: string | null | undefined; type?: string; help?: string; required?: boolean; error?: string | null }): JSX.Element {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id} safe>
        {props.label}
      </label>
      {props.help ? (
        <p class="help" id={`${id}-help`} safe>
          {props.help}
        </p>
      ) : (
        ''
      )}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        required={props.required ?? false}
        aria-describedby={props.help ? `${id}-help` : undefined}
        aria-invalid={props.error ? 'true' : undefined}
      />
      {props.error ? (
        <p class="help field-error" safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
    </div>
  );
}
