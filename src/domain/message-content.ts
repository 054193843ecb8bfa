/**
 * @module domain/message-content — choosing the text for a contact's language, and length rules.
 */

export const SMS_MAX_LENGTH = 1600;
export const EMAIL_MAX_LENGTH = 100_000;

export interface MessageContent {
  text?: string | null | undefined;
  translations?: Readonly<Record<string, string>> | null | undefined;
}

export type TextChoice = { ok: true; text: string; language: string | null } | { ok: false; code: 'NO_MESSAGE' | 'MESSAGE_BLANK' | 'MESSAGE_TOO_LONG' };

function find(translations: Readonly<Record<string, string>>, language: string): string | undefined {
  const key = Object.keys(translations).find((k) => k.toLowerCase() === language.toLowerCase());
  return key === undefined ? undefined : translations[key];
}

/**
 * The contact's language, else the project default language, else the plain text; none → NO_MESSAGE.
 * Blank text → MESSAGE_BLANK; over the channel's limit → MESSAGE_TOO_LONG.
 */
export function chooseText(content: MessageContent, language: string, defaultLanguage: string, channel: 'sms' | 'email'): TextChoice {
  let chosen: { text: string; language: string | null } | null = null;
  if (content.translations) {
    const mine = find(content.translations, language);
    const fallback = find(content.translations, defaultLanguage);
    if (mine !== undefined) {
      chosen = { text: mine, language };
    } else if (fallback !== undefined) {
      chosen = { text: fallback, language: defaultLanguage };
    }
  }
  if (!chosen && typeof content.text === 'string') {
    chosen = { text: content.text, language: null };
  }
  if (!chosen) {
    return { ok: false, code: 'NO_MESSAGE' };
  }
  if (chosen.text.trim() === '') {
    return { ok: false, code: 'MESSAGE_BLANK' };
  }
  if (chosen.text.length > (channel === 'sms' ? SMS_MAX_LENGTH : EMAIL_MAX_LENGTH)) {
    return { ok: false, code: 'MESSAGE_TOO_LONG' };
  }
  return { ok: true, ...chosen };
}
