/**
 * @module services/sms-tester.service — the SMS tester: a project admin types a number and a text as
 * if a phone had sent them to one of the project's own `test` gateways. The message is stored as an
 * inbound message marked `via_tester` and handled like any other, with two limits (issue 23): only
 * the project's own test gateways (never a global one, whose webhook other projects share), and
 * never a number held by a contact of another project, so a test cannot opt out, opt in or answer
 * for another project's contact. The handler checks that again when it takes the message.
 */
import { normaliseLookupNumber } from '../domain/phone-number.ts';
import type { Project } from '../domain/project.ts';
import { AppError } from '../errors.ts';
import { type GatewayRecord, listUsableGateways } from '../store/gateway.store.ts';
import { insertArrivals } from '../store/inbound.store.ts';
import { heldByAnotherProject } from '../store/phone-entry.store.ts';
import type { ServiceDeps } from './deps.ts';
import { normaliseSender } from './inbound-intake.service.ts';

/** The project's own `test` SMS gateways: the only ones the tester may speak through. */
export async function testerGateways(deps: ServiceDeps, project: Project): Promise<GatewayRecord[]> {
  return (await listUsableGateways(deps.db, project.id)).filter((g) => g.projectId === project.id && g.type === 'test');
}

export interface TesterInput {
  gateway: string;
  from: string;
  text: string;
}

/** Stores the typed message as received through the gateway; returns the sender as stored. */
export async function submitTesterMessage(deps: ServiceDeps, project: Project, input: TesterInput): Promise<{ gateway: GatewayRecord; from: string }> {
  const gateway = (await testerGateways(deps, project)).find((g) => g.name === input.gateway);
  if (!gateway) {
    throw new AppError('VALIDATION_ERROR', "Choose one of this project's own test gateways.", { details: { field: 'gateway' } });
  }
  const raw = input.from.trim();
  if (raw === '' || raw.length > 64) {
    throw new AppError('VALIDATION_ERROR', 'Give the number the message comes from (up to 64 characters).', { details: { field: 'from' } });
  }
  if (input.text.length > 10_000) {
    throw new AppError('VALIDATION_ERROR', 'The text may be up to 10,000 characters.', { details: { field: 'text' } });
  }
  const from = normaliseSender(normaliseLookupNumber(raw, project.defaultCountry) ?? raw);
  if (await heldByAnotherProject(deps.db, project.id, from)) {
    throw new AppError('TESTER_NUMBER_IN_OTHER_PROJECT', `${from} belongs to a contact of another project; the SMS tester cannot send as it.`, { details: { field: 'from' } });
  }
  await deps.db.transaction().execute((trx) =>
    insertArrivals(trx, [
      { projectId: gateway.projectId, channel: 'sms', from, to: gateway.replyToNumber, text: input.text, gatewayId: gateway.id, gatewayName: gateway.name, gatewayMessageId: null, viaTester: true },
    ]),
  );
  deps.notifyInbound();
  return { gateway, from };
}
