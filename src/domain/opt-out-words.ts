/**
 * @module domain/opt-out-words — the words people send to stop, restart or ask for help, per
 * language, as data (DESIGN.md §6; docs/opt-out-words.md has the tables and their sources).
 *
 * Keywords match the whole message (see keywords.ts). English is always active; another language's
 * keywords are active when the project has that language. Phrases (possible opt-outs, held for a
 * person to review, see reply-classifier.ts) are checked in every language: people do not always
 * write in the project's language, and a held message costs a review, not an opt-out.
 *
 * Phrase pattern syntax, on accent-folded upper-case words (apostrophes split words: DON'T → DON T):
 *   `A|B`  one of these words        `A*`  a word starting with A
 *   `@X`   one of the language's `classes.X` words (same syntax inside)
 *   `~N`   up to N words of anything
 * A phrase is found anywhere in the message. `strong` phrases count during a survey too (someone
 * answering a survey who writes "stop texting me" means it); weak ones only outside a survey.
 * A phrase that starts with a stop word (one of `stems`, or `A*` covering one: "stop sending",
 * "arrêtez de…") is cancelled by a negator in the two words before it ("don't stop sending");
 * other phrases are not ("this is not Mary, wrong number").
 */

export type WordLanguage = 'en' | 'fr' | 'es' | 'pt' | 'sw';

export interface WordSource {
  words: readonly string[];
  /** A vendor's or carrier's published page, or 'field usage' when no vendor lists the words. */
  title: string;
  url: string | null;
}

export interface LanguageWords {
  name: string;
  optOut: readonly string[];
  optIn: readonly string[];
  help: readonly string[];
  sources: readonly WordSource[];
  /** Words that, alone or with only `fillers` around them ("stop please"), read as "stop". */
  stems: { strong: readonly string[]; weak: readonly string[] };
  fillers: readonly string[];
  negators: readonly string[];
  classes: Readonly<Record<string, string>>;
  phrases: { strong: readonly string[]; weak: readonly string[] };
}

const FIELD = 'field usage (no vendor list found; see docs/opt-out-words.md)';

/** DESIGN.md §6: these English words work on every gateway and in every project. */
export const ENGLISH_OPT_OUT = ['STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT', 'OPT-OUT'] as const;
export const ENGLISH_OPT_IN = ['START', 'UNSTOP'] as const;
export const ENGLISH_HELP = ['HELP', 'INFO'] as const;

export const OPT_OUT_WORDS: Readonly<Record<WordLanguage, LanguageWords>> = {
  en: {
    name: 'English',
    optOut: ENGLISH_OPT_OUT,
    optIn: ENGLISH_OPT_IN,
    help: ENGLISH_HELP,
    sources: [
      { words: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'], title: "Twilio: Customize users' opt-in and opt-out experience with Advanced Opt-Out", url: 'https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out' },
      { words: ['STOP ALL', 'START', 'UNSTOP'], title: 'Telnyx: Advanced Opt-In/Out Management', url: 'https://developers.telnyx.com/docs/messaging/messages/advanced-opt-in-out' },
      { words: ['OPT-OUT', 'OPTOUT'], title: 'AWS End User Messaging SMS: Required opt-out keywords', url: 'https://docs.aws.amazon.com/sms-voice/latest/userguide/keywords-required.html' },
      { words: ['OPT OUT', 'REVOKE'], title: 'FCC 47 CFR 64.1200(a)(10) as summarised by CompliancePoint: "FCC\'s Consent Revocation Rule"', url: 'https://compliancepoint.com/marketing-compliance/fccs-consent-revocation-rule-language-analysis-and-compliance-insights' },
      { words: ['HELP', 'INFO'], title: 'Twilio: Does Twilio support STOP, BLOCK, and CANCEL (aka SMS STOP Filtering)?', url: 'https://www.twilio.com/help/faq/sms/does-twilio-support-stop-block-and-cancel-aka-sms-filtering' },
    ],
    stems: { strong: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'UNSUB', 'OPTOUT', 'REVOKE'], weak: ['CANCEL', 'END', 'QUIT', 'REMOVE'] },
    fillers: ['PLEASE', 'PLS', 'PLZ', 'NOW', 'THANKS', 'THANK YOU', 'THX', 'TY', 'IT', 'ALL', 'ALREADY', 'OK', 'OKAY', 'SIR', 'MADAM', 'JUST', 'AND'],
    negators: ['DON', 'DONT', 'NOT', 'NEVER', 'DIDN', 'DIDNT', 'WON', 'WONT'],
    classes: {
      MSG: 'MESSAGE*|MSG*|TEXT|TEXTS|SMS*|REMINDER*|ALERT*|NOTIFICATION*',
      SEND: 'TEXTING|MESSAGING|SENDING|CONTACTING|CALLING|SPAMMING|BOTHERING|PESTERING|HARASSING',
    },
    phrases: {
      strong: [
        'STOP|QUIT @SEND',
        'STOP ~2 @MSG',
        'STOP IT|NOW|ALREADY',
        'SAID STOP',
        'UNSUBSCRIB*|UNSUB',
        'OPT ~1 OUT',
        'REMOVE|TAKE|DELETE ME|MY ~3 LIST|NUMBER',
        'REMOVE|TAKE ME OFF',
        'DONT|DON ~1 TEXT|MESSAGE|SMS|CONTACT|EMAIL ME',
        'DO NOT TEXT|MESSAGE|SMS|CONTACT|EMAIL ME',
        'NEVER TEXT|MESSAGE|CONTACT ME',
        'DONT|DON ~1 SEND ~3 @MSG',
        'DO NOT SEND ~3 @MSG',
        'NEVER SEND ~3 @MSG',
        'DONT|DON ~1 WANT ~4 @MSG',
        'DO NOT WANT ~4 @MSG',
        'NEVER SIGNED|SUBSCRIBED|OPTED',
        'NO LONGER WANT|WISH ~4 @MSG',
        'NO MORE ~2 @MSG',
        'LEAVE ME ALONE',
        'WRONG NUMBER',
        'CANCEL ~2 SUBSCRIPTION*|@MSG',
      ],
      weak: ['NOT INTERESTED', 'TOO MANY @MSG', 'ENOUGH ~2 @MSG', 'WHO GAVE ~2 NUMBER'],
    },
  },
  fr: {
    name: 'French',
    optOut: ['ARRET', 'ARRÊT', 'ARRETE'],
    optIn: [],
    help: ['AIDE'],
    sources: [
      { words: ['ARRET'], title: 'AWS End User Messaging SMS: Required opt-out keywords', url: 'https://docs.aws.amazon.com/sms-voice/latest/userguide/keywords-required.html' },
      { words: ['ARRET'], title: 'Twilio: Canadian Short Code opt-out Requirements', url: 'https://support.twilio.com/hc/en-us/articles/223182048-Canadian-Short-Code-opt-out-Requirements' },
      { words: ['ARRET', 'ARRETE'], title: 'Twilio Proxy: Opt-out keywords', url: 'https://www.twilio.com/docs/proxy/opt-out-keywords' },
      { words: ['AIDE', 'ARRET'], title: 'AWS End User Messaging: French compliance keywords (Canada)', url: 'https://docs.aws.amazon.com/end-user-messaging/latest/userguide/nx-rcs-launch-ca-french.html' },
      { words: ['AIDE', 'ARRET'], title: 'Sinch: Canada SMS compliance best practice', url: 'https://support.app.sinch.com/hc/en-us/articles/16600847085967-Canada-SMS-compliance-best-practice' },
    ],
    stems: { strong: ['ARRET', 'ARRETE', 'ARRETEZ', 'ARRETER'], weak: [] },
    fillers: ['SVP', 'STP', 'S IL VOUS PLAIT', 'S IL TE PLAIT', 'MERCI', 'MAINTENANT', 'TOUT', 'OK', 'DONC'],
    negators: ['N', 'NE', 'JAMAIS'],
    classes: {
      MSG: 'MESSAGE*|MSG|SMS|TEXTO*|TEXTE|TEXTES|RAPPEL*',
      SEND: 'ENVOY*|ECRIRE|TEXTER|CONTACTER|SPAMMER|HARCELER|APPELER',
    },
    phrases: {
      strong: [
        'ARRET* ~3 @SEND',
        'ARRET* ~3 @MSG',
        'NE ~2 ENVOY*|ECRIV*|CONTACT*|TEXT*|APPEL* PLUS',
        'NE PLUS ~1 ENVOY*|ECRI*|CONTACT*|TEXT*|APPEL*',
        'NE VEUX|VEUT|SOUHAITE PLUS ~3 @MSG',
        'DESABONN*|DESINSCRI*',
        'RETIR*|SUPPRIM*|ENLEV*|EFFAC* ~2 MOI|NUMERO|LISTE',
        'LAISSEZ|LAISSE MOI TRANQUILLE',
        'FOUTEZ|FICHEZ MOI LA PAIX',
        'MAUVAIS|FAUX NUMERO',
      ],
      weak: ['PLUS DE @MSG', 'PAS INTERESSE*'],
    },
  },
  es: {
    name: 'Spanish',
    optOut: ['ALTO', 'BAJA', 'PARAR', 'CANCELAR'],
    optIn: [],
    help: ['AYUDA'],
    sources: [
      { words: ['ALTO', 'AYUDA'], title: 'Twilio: What are the requirements for a Spanish-language short code?', url: 'https://www.twilio.com/help/faq/short-codes/what-are-the-requirements-for-a-spanish-language-short-code' },
      { words: ['BAJA', 'PARAR', 'CANCELAR'], title: `${FIELD}; seen configured as stop words in the Notifycame SMS manual (Funciones de SMS)`, url: 'https://notifycame.com/page/funciones-de-sms' },
    ],
    // ALTO and BAJA also mean high and low: weak, so a survey answer "alto" inside a sentence is never held.
    stems: { strong: ['PARAR', 'PAREN', 'DETENER'], weak: ['ALTO', 'BAJA', 'CANCELAR'] },
    fillers: ['POR FAVOR', 'PORFAVOR', 'PORFA', 'PF', 'XFA', 'GRACIAS', 'YA', 'AHORA', 'OK'],
    negators: ['NO', 'NUNCA'],
    classes: {
      MSG: 'MENSAJE*|MSJ*|SMS|TEXTO*|RECORDATORIO*',
      SEND: 'ENVIAR*|MANDAR*|ESCRIBIR*|CONTACTAR*|LLAMAR*',
      SENDC: 'ENVIEN|ENVIE|ENVIES|MANDEN|MANDE|MANDES|ESCRIBAN|ESCRIBA|ESCRIBAS|CONTACTEN|MOLESTEN',
    },
    phrases: {
      strong: [
        'DEJEN|DEJE|DEJA|DEJAR|PAREN|PARE|PARA|PARAR DE @SEND',
        'DEJEN|DEJE|DEJA|PAREN|PARE|PARA ~1 CON ~2 @MSG',
        'NO ME @SENDC',
        'NO QUIERO|DESEO ~4 @MSG',
        'NO MAS @MSG',
        'DAR|DARME|DENME|DEME|DAME|DEN DE BAJA',
        'DESUSCRIB*|DESINSCRIB*|DESUSCRIPCION',
        'SAQUEN*|SAQUE*|QUITEN*|BORREN*|ELIMINEN*|SACAR*|QUITAR*|BORRAR* ~2 LISTA|NUMERO',
        'DEJEN*|DEJAME|DEJENME EN PAZ',
        'NUMERO EQUIVOCADO',
        'BASTA ~2 @MSG',
        'SALIR ~2 LISTA',
        'CANCELAR ~2 SUSCRIPCION|@MSG',
      ],
      weak: ['NO ME INTERESA*'],
    },
  },
  pt: {
    name: 'Portuguese',
    optOut: ['SAIR', 'PARAR', 'CANCELAR'],
    optIn: [],
    help: ['AJUDA'],
    sources: [
      { words: ['SAIR'], title: 'Brazilian carriers (Claro 888, TIM 4112, Oi 55555, Vivo 457) take SAIR to stop promotional SMS, as reported in "Prestadoras não podem enviar propagandas a usuários" (Só Notícias)', url: 'https://sonoticias.com.br/geral/prestadoras-nao-podem-enviar-propagandas-a-usuarios' },
      { words: ['PARAR', 'CANCELAR', 'AJUDA'], title: FIELD, url: null },
    ],
    stems: { strong: ['SAIR', 'PARAR', 'PAREM'], weak: ['CANCELAR'] },
    fillers: ['POR FAVOR', 'PFV', 'PF', 'OBRIGADO', 'OBRIGADA', 'OBG', 'JA', 'AGORA', 'OK'],
    negators: ['NAO', 'NUNCA'],
    classes: {
      MSG: 'MENSAGE*|MSG*|SMS|TEXTO*|LEMBRETE*',
      SEND: 'ENVIAR|MANDAR|ESCREVER|LIGAR|PERTURBAR|INCOMODAR',
    },
    phrases: {
      strong: [
        'PAREM|PARE|PARA|PARAR DE ~1 @SEND',
        'NAO ~1 MANDE|MANDEM|ENVIE|ENVIEM ~2 MAIS|@MSG',
        'NAO QUERO ~4 @MSG',
        'CHEGA DE @MSG',
        'SAIR ~2 LISTA',
        'TIREM|TIRE|REMOVAM|REMOVA|EXCLUAM|EXCLUA|APAGUEM|APAGUE ~2 LISTA|NUMERO',
        'DESCADASTR*|DESINSCREV*',
        'NUMERO ERRADO',
        'CANCELAR ~2 INSCRICAO|ASSINATURA|@MSG',
      ],
      weak: ['NAO TENHO INTERESSE'],
    },
  },
  sw: {
    name: 'Swahili',
    optOut: ['ACHA', 'SITISHA', 'SIMAMISHA'],
    optIn: [],
    help: ['MSAADA'],
    sources: [{ words: ['ACHA', 'SITISHA', 'SIMAMISHA', 'MSAADA'], title: FIELD, url: null }],
    stems: { strong: ['ACHA', 'ACHENI', 'SITISHA', 'SITISHENI', 'SIMAMISHA', 'SIMAMISHENI', 'KOMA', 'KOMESHA', 'NIONDOE'], weak: [] },
    fillers: ['TAFADHALI', 'ASANTE', 'SASA', 'TU', 'HAPO', 'SANA'],
    negators: [],
    classes: {
      MSG: 'UJUMBE|JUMBE|MESEJI|MESSAGE*|SMS|MSG',
      SEND: 'KUNITUMIA|KUTUMA|KUNIANDIKIA|KUNISUMBUA',
    },
    phrases: {
      strong: [
        'ACHA|ACHENI|SITISHA|SITISHENI|SIMAMISHA|SIMAMISHENI|KOMA|KOMESHA ~2 @SEND|@MSG',
        'USINITUMIE|MSINITUMIE|USINIANDIKIE|MSINIANDIKIE|MSINISUMBUE|USINISUMBUE',
        'SITAKI|SIHITAJI ~3 @MSG',
        'NIONDOE|NITOE|ONDOA ~3 ORODHA*|NAMBA*',
      ],
      weak: [],
    },
  },
};

export const WORD_LANGUAGES = Object.keys(OPT_OUT_WORDS) as WordLanguage[];
