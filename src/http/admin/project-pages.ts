/**
 * @module http/admin/project-pages — the page modules built on the shared project scope
 * (project-scope.ts): each registers its routes under /ui/p/:project/… and finds the actor, the
 * project and the role on `request.projectScope`. Add a module here when an area moves to a
 * `*.routes.tsx` of its own.
 */
import type { FastifyInstance } from 'fastify';

import type { AdminDeps } from './admin-deps.ts';
import { registerBroadcastPages } from './broadcasts.routes.tsx';
import { registerCasesPages } from './cases.routes.tsx';
import { registerDashboardPages } from './dashboard.routes.tsx';
import { registerSettingsPages } from './settings.routes.tsx';
import { registerSurveyPages } from './surveys.routes.tsx';
import { registerMessagePages } from './messages.routes.tsx';
import { registerTesterPages } from './tester.routes.tsx';
import { registerGatewayPages } from './gateways.routes.tsx';
import { registerUsersPages } from './users.routes.tsx';
import { registerOptOutPages } from './opt-outs.routes.tsx';
import { registerPossibleOptOutPages } from './possible-opt-outs.routes.tsx';
import { registerContactReevaluationPages } from './contact-reevaluation.routes.tsx';
import { registerWorkerPages } from './workers.routes.tsx';
import { registerReminderRulePages } from './reminder-rules.routes.tsx';

export const PROJECT_PAGE_MODULES: ReadonlyArray<(scope: FastifyInstance, deps: AdminDeps) => void | Promise<void>> = [
  registerDashboardPages,
  registerBroadcastPages,
  registerSettingsPages,
  registerSurveyPages,
  registerMessagePages,
  registerTesterPages,
  registerGatewayPages,
  registerCasesPages,
  registerUsersPages,
  registerOptOutPages,
  registerPossibleOptOutPages,
  registerContactReevaluationPages,
  registerWorkerPages,
  registerReminderRulePages,
];
