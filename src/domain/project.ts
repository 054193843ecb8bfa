/**
 * @module domain/project — a project (tenant) and its settings.
 */
import type { PhoneValidation } from './phone-number.ts';
import type { SystemTextOverrides } from './system-texts.ts';

export const PROJECT_NAME = /^[a-z][a-z0-9-]{1,62}$/;

export interface ProjectContactSettings {
  timeZone: string;
  defaultCountry: string | null;
  languages: readonly string[];
  defaultLanguage: string;
  phoneValidation: PhoneValidation;
}

export interface SelfRegistrationSettings {
  caseEnabled: boolean;
  caseType: string | null;
  caseOwnerId: string | null;
  submitterId: string | null;
  workerEnabled: boolean;
  welcomeMessageTo: 'none' | 'cases' | 'workers' | 'all';
  welcomeMessage: string | null;
  welcomeSurveyId: string | null;
}

export interface ProjectSettings {
  selfRegistration: SelfRegistrationSettings;
  helpText: string | null;
  defaultSmsResponse: string | null;
  defaultEmailGateway: string | null;
  /** Translations or rewordings of the texts Rollcall sends, per language. */
  systemTexts: SystemTextOverrides;
  /** Words the project adds to the opt-out and opt-in keywords (never removing the defaults). */
  optOutKeywords: readonly string[];
  optInKeywords: readonly string[];
}

export interface Project extends ProjectContactSettings {
  id: string;
  name: string;
  settings: ProjectSettings;
  createdAt: Date;
  updatedAt: Date;
}

export const defaultProjectSettings: ProjectSettings = Object.freeze({
  selfRegistration: Object.freeze({
    caseEnabled: false,
    caseType: null,
    caseOwnerId: null,
    submitterId: null,
    workerEnabled: false,
    welcomeMessageTo: 'none',
    welcomeMessage: null,
    welcomeSurveyId: null,
  }),
  helpText: null,
  defaultSmsResponse: null,
  defaultEmailGateway: null,
  systemTexts: {},
  optOutKeywords: [],
  optInKeywords: [],
}) as ProjectSettings;
