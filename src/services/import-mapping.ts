/**
 * @module services/import-mapping — what the import wizard suggests for each column of a file, and
 * why (issue 24, item 10). Headers are compared once normalised (case, accents, spaces, underscores,
 * dashes and dots, a trailing "(…)" note): the seed properties' own names map to themselves, and
 * words people use for them in English, French, Swahili, Spanish and Portuguese ("Mobile", "Numéro",
 * "Simu", "Opt-in", "Langue", "Courriel"…) map to the seed property (DESIGN.md §3). Each column gets
 * an explanation shown next to its select. One property is fed by one column: when several look
 * like it, the best match wins (the property's own name, then a word of the project's languages,
 * then the first column) and the others keep their data as a property of their own, saying so.
 * A header that matches nothing is kept as the property of its own name when that is a valid name.
 */
import { CONTACT_PROPERTIES } from '../domain/case-contact.ts';
import { type ImportTarget, type MatchBy, PROPERTY_KEY } from '../domain/import-row.ts';

export type SynonymLanguage = 'en' | 'fr' | 'sw' | 'es' | 'pt';

const LANGUAGE_NAMES: Record<SynonymLanguage, string> = { en: 'English', fr: 'French', sw: 'Swahili', es: 'Spanish', pt: 'Portuguese' };

type Words = Partial<Record<SynonymLanguage, readonly string[]>>;

const PHONE: Words = {
  en: ['phone', 'phone number', 'phone numbers', 'phone no', 'mobile', 'mobile number', 'mobile phone', 'tel', 'tel no', 'telephone', 'telephone number', 'cell', 'cell phone', 'cellphone', 'msisdn', 'contact number'],
  fr: ['numero', 'numero de telephone', 'telephone', 'tel', 'portable', 'numero de portable', 'mobile'],
  sw: ['simu', 'namba ya simu', 'nambari ya simu', 'namba', 'nambari', 'rununu'],
  es: ['telefono', 'numero de telefono', 'celular', 'movil'],
  pt: ['telefone', 'numero de telefone', 'celular', 'telemovel'],
};
const CONSENT: Words = {
  en: ['consent', 'sms consent', 'consented', 'opt in', 'optin', 'opted in', 'agreed', 'verified', 'phone verified'],
  fr: ['consentement', 'accord', 'accepte'],
  sw: ['ridhaa', 'idhini', 'kibali'],
  es: ['consentimiento'],
  pt: ['consentimento'],
};
const LANGUAGE: Words = {
  en: ['language', 'lang', 'language code', 'preferred language'],
  fr: ['langue', 'langue preferee'],
  sw: ['lugha'],
  es: ['idioma', 'lengua'],
  pt: ['idioma', 'lingua'],
};
const EMAIL: Words = {
  en: ['email', 'e mail', 'email address', 'e mail address', 'mail'],
  fr: ['courriel', 'adresse email', 'adresse e mail', 'adresse electronique', 'mel'],
  sw: ['barua pepe', 'anwani ya barua pepe'],
  es: ['correo', 'correo electronico'],
  pt: ['correio eletronico'],
};
const TIME_ZONE: Words = {
  en: ['time zone', 'timezone', 'tz', 'zone'],
  fr: ['fuseau horaire', 'fuseau'],
  sw: ['ukanda wa saa', 'saa za eneo'],
  es: ['zona horaria'],
  pt: ['fuso horario'],
};
const GATEWAY: Words = {
  en: ['gateway', 'sms gateway', 'backend', 'backend id'],
  fr: ['passerelle', 'passerelle sms'],
  sw: ['lango', 'lango la sms'],
  es: ['pasarela'],
};
const NAME: Words = {
  en: ['name', 'case name', 'full name', 'contact name'],
  fr: ['nom', 'nom complet'],
  sw: ['jina', 'jina kamili'],
  es: ['nombre', 'nombre completo'],
  pt: ['nome', 'nome completo'],
};

interface TargetWords {
  target: string;
  /** What a matching column looks like, for the explanation ("a phone number column"). */
  what: string;
  /** Headers that are the target's own name (normalised). */
  own: readonly string[];
  words: Words;
}

const CASE_TARGETS: readonly TargetWords[] = [
  { target: 'name', what: 'the case name', own: ['case name'], words: NAME },
  { target: 'external_id', what: 'an external id', own: ['external id'], words: { en: ['externalid'], fr: ['identifiant externe'] } },
  { target: 'owner_id', what: 'the owner id', own: ['owner id'], words: { en: ['ownerid'] } },
  { target: CONTACT_PROPERTIES.phone, what: 'a phone number column', own: [CONTACT_PROPERTIES.phone], words: PHONE },
  { target: CONTACT_PROPERTIES.consent, what: 'a consent column (1 or true: the person agreed to SMS)', own: [CONTACT_PROPERTIES.consent], words: CONSENT },
  { target: CONTACT_PROPERTIES.language, what: 'a language column', own: [CONTACT_PROPERTIES.language], words: LANGUAGE },
  { target: CONTACT_PROPERTIES.email, what: 'an email column', own: [CONTACT_PROPERTIES.email], words: EMAIL },
  { target: CONTACT_PROPERTIES.timeZone, what: 'a time zone column', own: [CONTACT_PROPERTIES.timeZone], words: TIME_ZONE },
  { target: CONTACT_PROPERTIES.gateway, what: 'a gateway column', own: [CONTACT_PROPERTIES.gateway], words: GATEWAY },
];

const WORKER_TARGETS: readonly TargetWords[] = [
  { target: 'username', what: 'a username column', own: ['username'], words: { en: ['user name', 'user', 'login'], fr: ['nom d utilisateur', 'identifiant'], sw: ['jina la mtumiaji'] } },
  { target: 'phone_numbers', what: 'a phone number column', own: ['phone_numbers'], words: PHONE },
  { target: 'language', what: 'a language column', own: ['language'], words: LANGUAGE },
  { target: 'time_zone', what: 'a time zone column', own: ['time_zone'], words: TIME_ZONE },
  { target: 'email', what: 'an email column', own: ['email'], words: EMAIL },
];

const CASE_ID_HEADERS = new Set(['case id', 'caseid']);

/** A header as compared: lower case, no accents, no "(…)" note, spaces/_/-/./: as one space. */
export function normaliseHeader(header: string): string {
  return header
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\([^)]*\)\s*$/u, '')
    .replace(/['’`]/gu, ' ')
    .replace(/[\s_\-.:/]+/gu, ' ')
    .trim();
}

/**
 * The property name a header has on its own: `Village name` → `village_name` (as before issue 24);
 * a header that would not be a valid name loses its accents and other signs (`Téléphone` →
 * `telephone`, `2nd phone` → `column_2nd_phone`), so no column is dropped for its name alone.
 */
function ownKey(header: string): string {
  const plain = header.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (PROPERTY_KEY.test(plain)) {
    return plain;
  }
  let key = plain
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '');
  if (key !== '' && !/^[a-z]/.test(key)) {
    key = `column_${key}`;
  }
  key = key.slice(0, 100);
  return PROPERTY_KEY.test(key) ? key : '';
}

interface Match {
  column: string;
  index: number;
  target: TargetWords;
  /** 3: the property's own name; 2: a word of a project language; 1: a word of another language. */
  score: number;
  language: SynonymLanguage | null;
}

function matchOf(column: string, index: number, targets: readonly TargetWords[], projectLanguages: ReadonlySet<string>): Match | null {
  const key = normaliseHeader(column);
  if (key === '') {
    return null;
  }
  let best: Match | null = null;
  for (const target of targets) {
    if (target.own.some((o) => normaliseHeader(o) === key)) {
      return { column, index, target, score: 3, language: null };
    }
    const languages = (Object.keys(target.words) as SynonymLanguage[]).filter((l) => target.words[l]?.includes(key));
    if (languages.length === 0) {
      continue;
    }
    const preferred = languages.find((l) => projectLanguages.has(l));
    const m: Match = { column, index, target, score: preferred ? 2 : 1, language: preferred ?? languages[0] ?? null };
    if (!best || m.score > best.score) {
      best = m;
    }
  }
  return best;
}

export interface MappingSuggestion {
  /** Column → target ('' : ignored). Keyed by the file's column names (no prototype). */
  mapping: Record<string, string>;
  /** Column → why it is suggested so, in words. */
  explanations: Record<string, string>;
  matchBy: MatchBy;
  matchColumn: string | null;
}

export interface SuggestOptions {
  target?: ImportTarget | undefined;
  /** The project's SMS languages: their words win a tie. */
  languages?: readonly string[] | undefined;
}

function quoted(s: string): string {
  return `'${s}'`;
}

function explainMatch(m: Match): string {
  if (m.score === 3) {
    return `${quoted(m.column)} is the name of ${m.target.target} itself, so it goes there.`;
  }
  const lang = m.language ? ` (${LANGUAGE_NAMES[m.language]})` : '';
  return `${quoted(m.column)} looks like ${m.target.what}${lang}, so it goes to ${m.target.target}.`;
}

/** Suggests a target for each column, with the reason (see the module comment). */
export function suggestMapping(columns: readonly string[], options: SuggestOptions = {}): MappingSuggestion {
  const target = options.target ?? 'cases';
  const targets = target === 'cases' ? CASE_TARGETS : WORKER_TARGETS;
  const projectLanguages = new Set((options.languages ?? []).map((l) => l.toLowerCase().split(/[-_]/)[0] ?? ''));
  const mapping = Object.create(null) as Record<string, string>;
  const explanations = Object.create(null) as Record<string, string>;
  let matchColumn: string | null = null;
  let matchBy: MatchBy = 'case_id';

  const matches: Match[] = [];
  columns.forEach((column, index) => {
    if (target === 'cases' && CASE_ID_HEADERS.has(normaliseHeader(column))) {
      mapping[column] = '';
      explanations[column] =
        matchColumn === null
          ? `${quoted(column)} holds case ids: it finds the cases to update (a blank cell makes a new case), so it is not imported as a property.`
          : `${quoted(column)} holds case ids too, but ${quoted(matchColumn)} is the column that finds cases, so it is ignored.`;
      matchColumn ??= column;
      return;
    }
    const m = matchOf(column, index, targets, projectLanguages);
    if (m) {
      matches.push(m);
    }
  });

  // One column per target: the best match wins, the first column breaks a tie.
  const winner = new Map<string, Match>();
  for (const m of matches) {
    const w = winner.get(m.target.target);
    if (!w || m.score > w.score) {
      winner.set(m.target.target, m);
    }
  }
  const used = new Set<string>();
  for (const w of winner.values()) {
    mapping[w.column] = w.target.target;
    explanations[w.column] = explainMatch(w);
    used.add(w.target.target);
  }
  const matchedColumn = new Map(matches.map((m) => [m.column, m]));

  for (const column of columns) {
    if (Object.hasOwn(mapping, column)) {
      continue;
    }
    const key = ownKey(column);
    const own = target === 'cases' && key !== '' && !used.has(key) ? key : '';
    const lost = matchedColumn.get(column);
    if (own) {
      used.add(own);
    }
    mapping[column] = own;
    if (lost) {
      const w = winner.get(lost.target.target);
      const keep = own ? `it is kept as the property ${own}` : 'it is ignored unless you map it';
      explanations[column] =
        `${quoted(column)} also looks like ${lost.target.what}, but ${quoted(w?.column ?? '')} gives ${lost.target.target} (one column per property), so ${keep}. ` +
        `Choose ${lost.target.target} here instead if this column is the right one.`;
    } else if (own) {
      explanations[column] = `${quoted(column)} is not a column Rollcall knows, so it is kept as the case property ${own}.`;
    } else if (target === 'cases' && key !== '') {
      explanations[column] = `${quoted(column)} would be the property ${key}, which another column already gives, so it is ignored unless you map it.`;
    } else {
      explanations[column] =
        target === 'cases'
          ? `${quoted(column)} has no letters to make a property name of, so it is ignored unless you choose a field or type a new property name.`
          : `${quoted(column)} is not a mobile-worker field, so it is ignored unless you choose one.`;
    }
  }

  if (target === 'cases' && matchColumn === null) {
    const external = Object.keys(mapping).find((c) => mapping[c] === 'external_id');
    if (external !== undefined) {
      matchBy = 'external_id';
      matchColumn = external;
    }
  }
  // In the file's column order.
  const ordered = Object.create(null) as Record<string, string>;
  const why = Object.create(null) as Record<string, string>;
  for (const c of columns) {
    ordered[c] = mapping[c] ?? '';
    why[c] = explanations[c] ?? '';
  }
  return { mapping: ordered, explanations: why, matchBy, matchColumn };
}
