/**
 * @module http/json-body — the JSON body parser: UTF-8 only (bad bytes are refused, not replaced,
 * and so are \uD800-style escapes of lone surrogates, which UTF-8 cannot hold), no NUL characters
 * (PostgreSQL text cannot hold them), no __proto__/constructor keys, and no nesting deeper than
 * MAX_JSON_DEPTH levels (checked on the text before parsing, so nothing recurses on a hostile
 * shape). The API (/api/) takes JSON bodies only (and multipart for uploads): the form parser is
 * there for the admin UI, so a form-encoded or text API body is 415.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';

import { AppError } from '../errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Objects and arrays may nest this many levels deep; no request of the API needs more than a handful. */
export const MAX_JSON_DEPTH = 64;

/** Whether the JSON text opens more than `limit` objects or arrays inside one another (brackets in strings do not count). */
export function jsonNestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++; // a backslash escapes the next character: \" does not end the string
      } else if (c === 0x22) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > limit) {
        return true;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Whether any key or string in a parsed JSON value holds an unpaired surrogate (iterative: no stack to overflow). */
export function hasLoneSurrogate(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) {
        return true;
      }
    } else if (Array.isArray(value)) {
      for (const item of value as unknown[]) {
        pending.push(item); // one by one: spreading a 100,000-item array would overflow the call stack
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (LONE_SURROGATE.test(k)) {
          return true;
        }
        pending.push(v);
      }
    }
  }
  return false;
}

export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch (err) {
    throw new AppError('VALIDATION_ERROR', 'The request body is not valid UTF-8.', { cause: err });
  }
  if (text.trim() === '') {
    throw new AppError('VALIDATION_ERROR', 'The request body is empty; send a JSON object.');
  }
  if (text.includes('\u0000') || /\\u0000/i.test(text)) {
    throw new AppError('VALIDATION_ERROR', 'The request body contains a NUL character, which cannot be stored.');
  }
  if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
    throw new AppError('VALIDATION_ERROR', `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; no request needs that many.`, {
      details: { maxDepth: MAX_JSON_DEPTH },
    });
  }
  let parsed: unknown;
  try {
    parsed = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    throw new AppError('VALIDATION_ERROR', 'The request body is not valid JSON.', { cause: err });
  }
  // No request takes a bare null, and a handler could not tell it from no body at all.
  if (parsed === null) {
    throw new AppError('VALIDATION_ERROR', 'The request body is JSON null; send a JSON object.');
  }
  // Only bodies that spell a surrogate as an escape can hold a lone one (raw bytes were checked above).
  if (SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(parsed)) {
    throw new AppError('VALIDATION_ERROR', 'The request body holds a \\u escape of a lone surrogate, which is not a character.');
  }
  return parsed;
}

/** Media types the API reads: JSON, and multipart for file uploads. */
const API_BODY_TYPES = new Set(['application/json', 'multipart/form-data']);

/**
 * An API request with a body of any other type (form-encoded, text/plain, which Fastify would
 * otherwise parse) is refused with 415 before anything else runs.
 */
export async function refuseNonJsonApiBody(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  if (type === undefined || !request.url.startsWith('/api/')) {
    return;
  }
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  const media = type.split(';')[0]?.trim().toLowerCase() ?? '';
  if (hasBody && !API_BODY_TYPES.has(media)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'The API takes JSON bodies: send Content-Type: application/json.');
  }
}

export function installJsonParser(app: FastifyInstance): void {
  app.addHook('onRequest', refuseNonJsonApiBody);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
