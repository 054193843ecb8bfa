/**
 * The occasional work: a broadcast to every `bcast` case now and then, and an import (CSV upload,
 * run as a background job, followed until it ends). Import rows are new contacts (+25474…) and,
 * one in ten, a case number already in use (households), half of them with consent.
 */
import type { SoakClient } from './client.ts';
import { PROJECT } from './setup.ts';
import type { SoakState } from './state.ts';

const P = `/api/v1/projects/${PROJECT}`;

export async function broadcast(client: SoakClient, state: SoakState, serverIndex: number): Promise<void> {
  const a = await client.call('broadcast', serverIndex, 'POST', `${P}/broadcasts`, { recipients: { caseType: 'bcast' }, text: `Soak broadcast ${new Date().toISOString()}` }, [202]);
  if (a.status === 202) {
    state.broadcasts.push(a.json.id as string);
  }
}

function csvOf(rows: string[][]): string {
  return rows.map((r) => r.map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')).join('\r\n') + '\r\n';
}

export async function runImport(client: SoakClient, state: SoakState, serverIndex: number, rows: number, timeoutMs = 180_000): Promise<void> {
  const data: string[][] = [['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'village']];
  for (let i = 0; i < rows; i++) {
    const number = i % 10 === 0 ? state.caseNumber() : state.nextImportNumber();
    data.push([`Imported ${state.nextCaseName()}`, `0${number.slice(4)}`, i % 2 ? '1' : '0', `Village ${i % 7}`]);
  }
  const form = new FormData();
  form.append('file', new Blob([csvOf(data)], { type: 'text/csv' }), 'soak.csv');
  const up = await client.upload('import-upload', serverIndex, `${P}/imports`, form, [201]);
  if (up.status !== 201) {
    state.imports.push({ id: '', rows, status: `upload ${up.status}`, created: 0, failed: 0 });
    return;
  }
  const id = up.json.id as string;
  const mapping = { 'Case Name': 'name', contact_phone_number: 'contact_phone_number', contact_phone_number_is_verified: 'contact_phone_number_is_verified', village: 'village' };
  const run = await client.call('import-run', serverIndex + 1, 'POST', `${P}/imports/${id}/run`, { caseType: 'imported', createNew: true, mapping }, [202]);
  const entry = { id, rows, status: run.status === 202 ? 'running' : `run ${run.status}`, created: 0, failed: 0 };
  state.imports.push(entry);
  const deadline = Date.now() + timeoutMs;
  while (run.status === 202 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2_000));
    const view = await client.call('import-poll', serverIndex, 'GET', `${P}/imports/${id}`, undefined, [200]);
    const status = String(view.json?.status ?? '');
    if (status === 'done' || status === 'failed') {
      entry.status = status;
      entry.created = Number(view.json?.result?.created ?? 0);
      entry.failed = Number(view.json?.result?.failed ?? 0);
      return;
    }
  }
  if (entry.status === 'running') {
    entry.status = 'timed out';
  }
}
