/**
 * @module domain/keywords — what an inbound text means before anything else (DESIGN.md §6, §7, §8).
 * Whole-message match, trimmed, case-insensitive, inner spaces folded ("STOP please" is not STOP).
 * STOP always works on every gateway: a gateway may add words, never remove the defaults.
 */

export const DEFAULT_OPT_OUT = ['STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT', 'OPT-OUT'] as const;
export const DEFAULT_OPT_IN = ['START', 'UNSTOP'] as const;
export const HELP_WORDS = ['HELP', 'INFO'] as const;
export const VERIFICATION_REPLY = '123';

export type KeywordMeaning = 'opt-out' | 'opt-in' | 'help' | null;

export function foldText(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toUpperCase();
}

export interface GatewayKeywords {
  optIn: readonly string[];
  optOut: readonly string[];
}

/** `YES` opts in only a number that is opted out; otherwise it is an ordinary reply. */
export function keywordMeaning(text: string, gateway: GatewayKeywords, optedOut: boolean): KeywordMeaning {
  const t = foldText(text);
  if ((DEFAULT_OPT_OUT as readonly string[]).includes(t) || gateway.optOut.includes(t)) {
    return 'opt-out';
  }
  if ((DEFAULT_OPT_IN as readonly string[]).includes(t) || gateway.optIn.includes(t) || (optedOut && t === 'YES')) {
    return 'opt-in';
  }
  if ((HELP_WORDS as readonly string[]).includes(t)) {
    return 'help';
  }
  return null;
}

/** The words a confirmation names: the defaults, which work on every gateway. */
export const OPT_IN_WORD = 'START';
export const OPT_OUT_WORD = 'STOP';

export type JoinRequest = { kind: 'case'; project: string } | { kind: 'worker'; project: string; username: string | null };

/** `join <project>` or `join <project> worker [username]`, any case. */
export function parseJoin(text: string): JoinRequest | null {
  const m = /^join\s+(\S+)(?:\s+(worker)(?:\s+(\S+))?)?$/i.exec(text.trim().replace(/\s+/g, ' '));
  if (!m?.[1]) {
    return null;
  }
  const project = m[1].toLowerCase();
  return m[2] ? { kind: 'worker', project, username: m[3] ?? null } : { kind: 'case', project };
}

export function isVerificationReply(text: string): boolean {
  return text.trim() === VERIFICATION_REPLY;
}
