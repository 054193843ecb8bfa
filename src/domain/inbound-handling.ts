/**
 * @module domain/inbound-handling — what happened to an inbound message, in words: one table from
 * each `messages.handling` value the inbound handler records (services/inbound.service.ts,
 * inbound-batch.service.ts, survey-sessions.service.ts, store/inbound.store.ts) to a plain sentence,
 * shown on the SMS tester, the message log and in the API (`handlingDescription`). The returned text
 * is plain text (it may quote a word the sender typed, shortened): callers escape it like any
 * other user text.
 */
import { parseJoin } from './keywords.ts';

/** Every handling value with a fixed meaning; prefixed forms (failed: …, tester: …, … (kept after …)) are read below. */
export const INBOUND_HANDLING = {
  'opt-out': 'The person opted out (STOP or another opt-out word): nothing more is sent to this number until they reply START.',
  'opt-in': 'The person opted in again (START): messages can reach this number.',
  help: 'The person asked for help: the help text was sent back.',
  'possible-opt-out': 'This reply looks like a request to stop messages: it waits for an admin under Possible opt-outs.',
  verified: 'The mobile worker confirmed this number (123): it is now two-way.',
  'registered-case': 'Self-registration: a new case was created for this number.',
  'registered-worker': 'Self-registration: a new mobile worker was created for this number.',
  'join-refused:username-invalid': 'The join was refused: the username asked for is not allowed (letters, digits, . _ - only; some names are reserved).',
  'join-refused:username-taken': 'The join was refused: another mobile worker already has that username.',
  'join-refused:number-in-use': 'This number is already registered: it already receives replies for a contact, so join did nothing.',
  'join-ignored:unknown-project': 'The join named no project of this server, so nothing was registered.',
  'join-ignored:case-registration-disabled': 'Self-registration is off in this project: join created no case (turn it on under the project settings).',
  'join-ignored:worker-registration-disabled': 'Self-registration of mobile workers is off in this project: join worker created no worker.',
  'join-ignored:already-registered': 'This number is already registered (it is two-way for a contact), so join did nothing.',
  'survey-answer': 'An answer to the survey in progress: saved, and the next question sent.',
  'survey-invalid-answer': 'An answer the survey question does not accept: the question was asked again.',
  'survey-completed': 'The last answer of a survey: the survey is complete.',
  'survey-incomplete': 'The survey ended without being completed (too many answers that did not fit, or its next question could not be sent).',
  'survey-declined': 'The person declined the survey’s consent question.',
  'default-response': 'A reply from a registered contact: logged on the contact, and the project’s default response was sent.',
  contact: 'A reply from a registered contact: logged on the contact’s conversation (no keyword, no automatic reply).',
  unrecognised: 'Nothing recognised this number: it belongs to no contact, and the text was no keyword or join, so it was only logged.',
  forwarded: 'This number belongs to a contact of another project: the message was handled there, and only this trace is kept here.',
} as const satisfies Record<string, string>;

export type InboundHandling = keyof typeof INBOUND_HANDLING;

const PENDING = 'Not handled yet: it is waiting in the inbound queue.';

/** A word the sender typed, for quoting: control characters dropped, at most 40 characters. */
function quoted(word: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = word.replace(/[\u0000-\u001f\u007f]/g, '');
  return clean.length > 40 ? `${clean.slice(0, 39)}…` : clean;
}

/**
 * The handling of an inbound message in words (null for outbound messages: pass `direction`).
 * `text` is the message's text: it names the project of a join that named none, and tells a join
 * from an already registered number apart from an ordinary reply.
 */
export function describeHandling(handling: string | null, text: string | null, direction: 'in' | 'out' = 'in'): string | null {
  if (direction !== 'in') {
    return null;
  }
  if (handling === null) {
    return PENDING;
  }
  const join = text === null ? null : parseJoin(text);
  if (handling === 'join-ignored:unknown-project' && join) {
    return `No project is named “${quoted(join.project)}”, so the join registered nothing (check the project name in the join text).`;
  }
  if ((handling === 'contact' || handling === 'default-response') && join) {
    return INBOUND_HANDLING['join-ignored:already-registered'];
  }
  if (Object.hasOwn(INBOUND_HANDLING, handling)) {
    return INBOUND_HANDLING[handling as InboundHandling];
  }
  if (handling.startsWith('tester: refused')) {
    return 'The SMS tester refused this number: it belongs to a contact of another project, so a test may not act for it.';
  }
  const kept = /^(opt-out|opt-in) \(kept after /.exec(handling);
  if (kept) {
    return kept[1] === 'opt-out'
      ? 'Handling kept failing, but the opt-out still took effect (nothing else was done); the server log has the cause.'
      : 'Handling kept failing, but the opt-in still took effect (nothing else was done); the server log has the cause.';
  }
  if (handling.startsWith('failed')) {
    return 'Handling kept failing, so the message was set aside after three tries; the server log has the cause.';
  }
  return 'Handled in a way this version does not describe.';
}
