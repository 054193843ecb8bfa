/**
 * @module services/consent-ledger.service — reading the consent ledger: one number's history as a project
 * sees it, and the project's whole ledger as CSV (the evidence a program shows a regulator).
 */
import type { Project } from '../domain/project.ts';
import { AppError } from '../errors.ts';
import { type ConsentEvent, listConsentForNumber, listConsentForProject } from '../store/consent.store.ts';
import { listProjectOptOuts } from '../store/opt-out.store.ts';
import type { ServiceDeps } from './deps.ts';
import { parsePathNumber } from './mobile-workers.service.ts';

export interface ConsentEventView {
  at: string;
  action: ConsentEvent['action'];
  method: ConsentEvent['method'];
  source: Record<string, unknown>;
  gateway: string | null;
  contact: { type: 'case' | 'mobile-worker'; id: string } | null;
  project: string | null;
}

function toView(e: ConsentEvent, project: Project): ConsentEventView {
  return {
    at: e.at.toISOString(),
    action: e.action,
    method: e.method,
    source: e.source,
    gateway: e.gatewayName,
    // Another project's contact is not named: only that it happened (opt-outs are server-wide).
    contact: e.projectId === project.id && e.contactType && e.contactId ? { type: e.contactType, id: e.contactId } : null,
    project: e.projectId === project.id ? project.name : e.projectId ? 'another project' : null,
  };
}

export async function numberConsentHistory(deps: ServiceDeps, project: Project, raw: string): Promise<ConsentEventView[]> {
  const number = parsePathNumber(project, raw);
  if (!number) {
    throw new AppError('INVALID_PHONE_NUMBER', `"${raw}" is not a phone number.`, { details: { field: 'number' } });
  }
  return (await listConsentForNumber(deps.db, number, project.id)).map((e) => toView(e, project));
}

function csvCell(value: string): string {
  // Quote always; neutralise spreadsheet formulas (a cell starting with = + - @ is shown as text),
  // except E.164 numbers, which are data this file exists to carry.
  const safe = /^[=+\-@\t\r]/.test(value) && !/^\+\d{4,15}$/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The project's ledger as CSV, oldest first, in pages so memory stays flat. */
export async function* projectConsentCsv(deps: ServiceDeps, project: Project): AsyncGenerator<string> {
  yield ['at', 'number', 'email', 'action', 'method', 'contact_type', 'contact_id', 'gateway', 'source'].map(csvCell).join(',') + '\r\n';
  let after: string | null = null;
  for (;;) {
    const page = await listConsentForProject(deps.db, project.id, after, 1000);
    for (const e of page) {
      yield [e.at.toISOString(), e.number ?? '', e.email ?? '', e.action, e.method, e.contactType ?? '', e.contactId ?? '', e.gatewayName ?? '', JSON.stringify(e.source)].map(csvCell).join(',') + '\r\n';
    }
    if (page.length < 1000) {
      return;
    }
    after = page.at(-1)?.id ?? null;
  }
}

/** Numbers that opted out and concern this project (its contacts' numbers or its gateways). */
export async function projectOptOuts(deps: ServiceDeps, project: Project, limit = 500): Promise<Array<{ number: string; since: string }>> {
  return (await listProjectOptOuts(deps.db, project.id, limit)).map((o) => ({ number: o.number, since: o.since.toISOString() }));
}
