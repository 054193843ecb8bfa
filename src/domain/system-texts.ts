/**
 * @module domain/system-texts — the texts Rollcall itself sends (confirmations, verification,
 * welcome), in English by default; a project may translate or reword them per language in its
 * settings (`systemTexts: {"fr": {"optedOut": "…"}}`). Placeholders: {word}, {username}, {number},
 * {project}; in survey texts also {min}, {max}, {count}, {question}.
 */

export const SYSTEM_TEXTS = {
  optedOut: 'You will get no more messages from this number. To receive messages again, reply {word}.',
  optedIn: 'You will receive messages from this number again. To stop them, reply {word}.',
  help: 'Reply STOP to stop receiving messages, START to receive them again.',
  verification: 'Is this phone used by {username}? If yes, reply 123 to start using SMS with {project}.',
  verificationReplyTo: 'Is this phone used by {username}? If yes, reply 123 to {number} to start using SMS with {project}.',
  verified: 'Thank you. This phone is now verified for SMS with {project}.',
  welcomeCase: 'Thank you for registering with {project}.',
  welcomeWorker: 'Thank you for registering with {project} as {username}.',
  usernameTaken: 'The username {username} is already taken in {project}. Reply: join {project} worker <another name>',
  usernameInvalid: 'The username {username} cannot be used: use 1-80 letters, digits, dots, dashes or underscores. Reply: join {project} worker <name>',
  numberInUse: 'This phone number is already used by another contact, so it cannot be registered again.',
  // SMS surveys: the hints before a question is asked again, the skip line, reminder and end.
  surveyRequired: 'Please answer this question.',
  surveyNumber: 'Please reply with a number.',
  surveyNumberBetween: 'Please reply with a number from {min} to {max}.',
  surveyNumberAtLeast: 'Please reply with a number of at least {min}.',
  surveyNumberAtMost: 'Please reply with a number of at most {max}.',
  surveyChoice: 'Please reply with one of the numbers 1 to {count}.',
  surveySkip: 'Reply SKIP to skip this question.',
  surveyReminder: 'Reminder: {question}',
  surveyIncomplete: 'Sorry, we could not understand the answers, so the survey has ended.',
  // The closing message of a consent survey answered No (or whose consent was withdrawn meanwhile).
  surveyConsentDeclined: 'Thank you. You will not get SMS from {project}.',
} as const;

export type SystemTextKey = keyof typeof SYSTEM_TEXTS;

export type SystemTextOverrides = Readonly<Record<string, Readonly<Partial<Record<SystemTextKey, string>>>>>;

export function systemText(key: SystemTextKey, language: string | null, overrides: SystemTextOverrides | null | undefined, values: Record<string, string> = {}): string {
  const template = (language ? overrides?.[language]?.[key] : undefined) ?? overrides?.en?.[key] ?? SYSTEM_TEXTS[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
