/**
 * @module services/verification.service — starting a mobile worker's phone verification (DESIGN.md
 * §7): the number becomes pending and an SMS asks the worker to reply 123, through the default route
 * for the number (not a contact override), naming the gateway's reply-to number when it has one.
 */
import { chooseSmsGateway } from '../domain/gateway.ts';
import type { Project } from '../domain/project.ts';
import { systemText } from '../domain/system-texts.ts';
import { AppError } from '../errors.ts';
import { findGatewayById } from '../store/gateway.store.ts';
import { insertOutbound } from '../store/message.store.ts';
import { lockMobileWorker } from '../store/mobile-worker.store.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { loadRouting } from './message-plan.ts';
import { type MessageView, toMessageView } from './messages.service.ts';
import { parsePathNumber } from './mobile-workers.service.ts';
import { startWorkerVerification, type VerificationStart } from './phone-registry.service.ts';

export interface VerificationResult {
  result: VerificationStart;
  /** The verification SMS (started and resent only). */
  message: MessageView | null;
}

export async function verifyWorkerPhone(deps: ServiceDeps, project: Project, workerId: string, rawNumber: string): Promise<VerificationResult> {
  const number = parsePathNumber(project, rawNumber);
  if (!number || !isUuid(workerId)) {
    throw new AppError('NOT_FOUND', 'This mobile worker has no such number.');
  }
  const routing = await loadRouting(deps.db, project);
  const now = deps.clock();
  const result = await deps.db.transaction().execute(async (trx) => {
    const worker = await lockMobileWorker(trx, project.id, workerId);
    const outcome = worker ? await startWorkerVerification(trx, { projectId: project.id, workerId, number }, { pendingTtlMs: deps.pendingTtlMs, now }) : null;
    if (!worker || !outcome) {
      throw new AppError('NOT_FOUND', 'This mobile worker has no such number.');
    }
    if (outcome !== 'started' && outcome !== 'resent') {
      return { result: outcome, message: null };
    }
    const choice = chooseSmsGateway(number, null, routing.gateways, routing.projectRoutes, routing.globalRoutes);
    const gateway = choice.ok ? await findGatewayById(trx, choice.gatewayId) : null;
    const language = worker.language ?? project.defaultLanguage;
    const values = { username: worker.username, project: project.name, number: gateway?.replyToNumber ?? '' };
    const text = systemText(gateway?.replyToNumber ? 'verificationReplyTo' : 'verification', language, project.settings.systemTexts, values);
    const message = await insertOutbound(
      trx,
      {
        projectId: project.id,
        channel: 'sms',
        status: choice.ok ? 'queued' : 'failed',
        to: number,
        text,
        subject: null,
        language,
        gatewayId: gateway?.id ?? null,
        gatewayName: gateway?.name ?? null,
        errorCode: choice.ok ? null : choice.code,
        errorDetail: null,
        contactType: 'mobile-worker',
        contactId: workerId,
        broadcastId: null,
        dueAt: now,
        scheduledLocal: null,
        scheduledZone: null,
        createdBy: null,
        // It asks the worker to confirm the number: consent is what it is for.
        consentExempt: true,
      },
      now,
    );
    return { result: outcome, message: toMessageView(message) };
  });
  if (result.message?.status === 'queued') {
    deps.notifyDue();
  }
  return result;
}
