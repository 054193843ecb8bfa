/**
 * @module jobs/task-list — which handler runs each background job. Handlers are thin: parse the
 * payload, call one service function.
 */
import { z } from 'zod';

import { expandBroadcast } from '../services/broadcasts.service.ts';
import { reevaluateContacts } from '../services/contact-reevaluation.service.ts';
import type { ServiceDeps } from '../services/deps.ts';
import { processImport } from '../services/imports.service.ts';
import type { StartedQueue } from './queue.ts';

const broadcastPayload = z.object({ broadcastId: z.string().uuid() });
const importPayload = z.object({ importId: z.string().uuid() });
const reevaluationPayload = z.object({ reevaluationId: z.string().uuid() });

/** Registers every job handler on the queue (in-process workers). */
export async function startJobWorkers(deps: ServiceDeps, queue: StartedQueue): Promise<void> {
  await queue.work('broadcast-expand', async (data) => {
    const { broadcastId } = broadcastPayload.parse(data);
    await expandBroadcast(deps, broadcastId);
  });
  await queue.work('import-run', async (data) => {
    const { importId } = importPayload.parse(data);
    await processImport(deps, importId);
  });
  await queue.work('contacts-reevaluate', async (data) => {
    const { reevaluationId } = reevaluationPayload.parse(data);
    await reevaluateContacts(deps, reevaluationId);
  });
}
