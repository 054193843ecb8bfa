/**
 * @module http/admin/settings.routes — GET/POST /ui/p/:project/settings (contact defaults, parsed
 * with zod: every problem reported at once, next to its field) and POST …/settings/messaging
 * (replies and self-registration).
 */
import type { FastifyInstance } from 'fastify';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';

import { isLanguageCode } from '../../domain/language.ts';
import type { Project } from '../../domain/project.ts';
import { canonicalTimeZone } from '../../domain/time-zone.ts';
import { AppError } from '../../errors.ts';
import { getContactReevaluation } from '../../services/contact-reevaluation.service.ts';
import { listProjectMobileWorkers } from '../../services/mobile-workers.service.ts';
import { patchProject, type ProjectView, toProjectView } from '../../services/projects.service.ts';
import { listProjectSurveys } from '../../services/surveys.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { type FieldErrors, formFields, parseForm } from './components/form.tsx';
import { scopeOf } from './project-scope.ts';
import { SettingsPage, type SettingsPageProps } from './settings.views.tsx';
import { formError, formValue, sendHtml } from './ui.tsx';

const languageList = z
  .string()
  .transform((v) => v.split(',').map((l) => l.trim()).filter(Boolean))
  .check((ctx) => {
    const bad = ctx.value.filter((l) => !isLanguageCode(l));
    if (ctx.value.length === 0) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'Give at least one language code, such as en.' });
    } else if (bad.length) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `${bad.map((b) => `“${b}”`).join(', ')} ${bad.length === 1 ? 'is not a language code' : 'are not language codes'}: use two or three lower-case letters, such as en, fr or sw.` });
    }
  });

export const settingsForm = z.object({
  timeZone: z
    .string({ error: 'Choose a time zone.' })
    .transform((v) => canonicalTimeZone(v) ?? '')
    .refine((v) => v !== '', 'Choose a time zone from the list, such as Africa/Nairobi.'),
  defaultCountry: z
    .string()
    .default('')
    .transform((v) => v.trim().toUpperCase())
    .refine((v) => v === '' || isSupportedCountry(v), 'Choose a country from the list, or none.'),
  languages: languageList,
  defaultLanguage: z.string({ error: 'Choose the default language.' }).trim().min(1, 'Choose the default language.'),
  phoneValidation: z.enum(['strict', 'possible'], { error: 'Choose strict or possible.' }),
});

function formOf(p: ProjectView): Record<string, string> {
  return { timeZone: p.timeZone, defaultCountry: p.defaultCountry ?? '', languages: p.languages.join(', '), defaultLanguage: p.defaultLanguage, phoneValidation: p.phoneValidation };
}

/** A service's refusal placed on the field it names (details.field), else on the form. */
function serviceErrors(err: unknown): FieldErrors {
  const message = formError(err);
  const field = err instanceof AppError ? (err.details as { field?: unknown } | undefined)?.field : undefined;
  return { [typeof field === 'string' && field in settingsForm.shape ? field : '_form']: message };
}

export function registerSettingsPages(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.services;
  const choices = async (project: Project) => {
    const [workers, surveys, reevaluation] = await Promise.all([listProjectMobileWorkers(s, project, { limit: 500 }), listProjectSurveys(s, project, { limit: 500 }), getContactReevaluation(s, project)]);
    return { workers: workers.items.map((w) => ({ id: w.id, username: w.username })), surveys: surveys.items.map((sv) => ({ id: sv.id, name: sv.name })), reevaluation };
  };
  async function page(project: Project, role: string, props: Pick<SettingsPageProps, 'ctx' | 'errors' | 'notice' | 'form'> & { messagingError?: string | null }): Promise<JSX.Element> {
    return <SettingsPage {...props} project={toProjectView(project)} canEdit={role === 'admin'} {...await choices(project)} />;
  }

  app.get<{ Querystring: { notice?: string } }>('/ui/p/:project/settings', async (request, reply) => {
    const { project, role, page: ctx } = scopeOf(request);
    return sendHtml(reply, await page(project, role, { ctx: ctx('settings'), errors: null, notice: request.query.notice === 'saved' ? 'Settings saved.' : null, form: formOf(toProjectView(project)) }));
  });

  app.post('/ui/p/:project/settings', { config: { role: 'admin' } }, async (request, reply) => {
    const { project, role, page: ctx } = scopeOf(request);
    const typed = formFields(request.body);
    const parsed = parseForm(settingsForm, request.body);
    const errors: FieldErrors = parsed.ok ? {} : { ...parsed.errors };
    // The default language is one of the languages (checked whatever else is wrong, so every problem shows at once).
    const typedLanguages = (typed.languages ?? '').split(',').map((l) => l.trim());
    if (!errors.defaultLanguage && !typedLanguages.includes((typed.defaultLanguage ?? '').trim())) {
      errors.defaultLanguage = 'Choose one of the SMS languages.';
    }
    if (parsed.ok && Object.keys(errors).length === 0) {
      const v = parsed.value;
      try {
        await patchProject(s, project, { timeZone: v.timeZone, defaultCountry: v.defaultCountry || null, languages: v.languages, defaultLanguage: v.defaultLanguage, phoneValidation: v.phoneValidation });
        return reply.redirect(`/ui/p/${project.name}/settings?notice=saved`);
      } catch (err) {
        Object.assign(errors, serviceErrors(err));
      }
    }
    return sendHtml(reply, await page(project, role, { ctx: ctx('settings'), errors, notice: null, form: typed }), 422);
  });

  app.post('/ui/p/:project/settings/messaging', { config: { role: 'admin' } }, async (request, reply) => {
    const { project, role, page: ctx } = scopeOf(request);
    const v = (name: string) => formValue(request.body, name).trim();
    const to = v('welcomeMessageTo');
    try {
      // Only this project's workers may own its self-registered cases.
      const owner = v('caseOwnerId');
      if (owner && !(await choices(project)).workers.some((w) => w.id === owner)) {
        throw new AppError('VALIDATION_ERROR', 'The owner must be one of this project’s mobile workers.', { details: { field: 'caseOwnerId' } });
      }
      await patchProject(s, project, {
        helpText: v('helpText') || null,
        defaultSmsResponse: v('defaultSmsResponse') || null,
        optOutKeywords: v('optOutKeywords').split(','),
        optInKeywords: v('optInKeywords').split(','),
        selfRegistration: {
          caseEnabled: v('caseEnabled') === '1',
          caseType: v('caseType') || null,
          caseOwnerId: v('caseOwnerId') || null,
          workerEnabled: v('workerEnabled') === '1',
          welcomeMessageTo: to === 'cases' || to === 'workers' || to === 'all' ? to : 'none',
          welcomeMessage: v('welcomeMessage') || null,
          welcomeSurveyId: v('welcomeSurveyId') || null,
        },
      });
      return reply.redirect(`/ui/p/${project.name}/settings?notice=saved`);
    } catch (err) {
      return sendHtml(reply, await page(project, role, { ctx: ctx('settings'), errors: null, notice: null, form: formOf(toProjectView(project)), messagingError: formError(err) }), 422);
    }
  });
}
