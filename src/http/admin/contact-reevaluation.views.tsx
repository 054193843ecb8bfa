/**
 * @module http/admin/contact-reevaluation.views — on the project settings page, the re-check of the
 * cases' numbers after phone validation or the default country changed: progress while it runs
 * (htmx asks for the card again every 2 s), when it finished, or what stopped it (with a button for
 * admins to start it again). Components only: the routes are in contact-reevaluation.routes.tsx.
 */
import type { Project } from '../../domain/project.ts';
import type { ContactReevaluationView } from '../../services/contact-reevaluation.service.ts';
import { Csrf, ErrorBox, type PageContext, Time } from './layout.tsx';

const count = (n: number) => n.toLocaleString('en-US');

function headline(r: ContactReevaluationView): string {
  const progress = `${count(r.done)} of ${count(r.total)}`;
  if (r.status === 'running') {
    return `Re-checking contacts' numbers after the settings change: ${progress}`;
  }
  if (r.status === 'failed') {
    return `Re-checking contacts' numbers after the settings change stopped at ${progress}.`;
  }
  return r.total === 0 ? 'No case had a number to re-check after the settings change.' : `Re-checked contacts' numbers after the settings change: ${progress}`;
}

/** The card (empty when the number settings never changed). */
export function ContactReevaluationCard(props: { ctx: PageContext; project: Pick<Project, 'name' | 'timeZone'>; r: ContactReevaluationView | null; canEdit: boolean }): JSX.Element {
  const { r } = props;
  if (!r) {
    return '';
  }
  const live = r.status === 'running';
  const base = `/ui/p/${props.project.name}/settings/contact-reevaluation`;
  const pct = r.total ? Math.floor((r.done * 100) / r.total) : 100;
  return (
    <section id="contact-reevaluation" class="card" data-status={r.status} hx-get={live ? base : undefined} hx-trigger={live ? 'every 2s' : undefined} hx-swap={live ? 'outerHTML' : undefined}>
      <p safe>{headline(r)}</p>
      <progress id="contact-reevaluation-bar" aria-label="Contacts re-checked" class="progress" max={String(Math.max(r.total, 1))} value={String(r.total ? r.done : 1)} safe>
        {`${pct}%`}
      </progress>
      <p class="muted">
        {'Phone validation '}
        <span>{r.settings.phoneValidation}</span>
        {', default country '}
        <span safe>{r.settings.defaultCountry ?? 'none'}</span>
        {'. Started '}
        <Time at={r.startedAt} zone={props.project.timeZone} />
        {r.finishedAt ? (
          <>
            {', finished '}
            <Time at={r.finishedAt} zone={props.project.timeZone} />
          </>
        ) : (
          ''
        )}
        .
      </p>
      {r.status === 'failed' ? <ErrorBox text={`${r.error ?? 'It stopped.'}${r.errorCode ? ` (${r.errorCode})` : ''}`} /> : ''}
      {r.status === 'failed' && props.canEdit ? (
        <form method="post" action={base}>
          <Csrf ctx={props.ctx} />
          <button type="submit">Re-check all numbers again</button>
        </form>
      ) : (
        ''
      )}
    </section>
  );
}
