/**
 * @module http/json-body — the JSON body parser: UTF-8 only (bad bytes are refused, not replaced,
 * and so are \uD800-style escapes of lone surrogates, which UTF-8 cannot hold), no NUL characters
 * (PostgreSQL text cannot hold them), no __proto__/constructor keys. The API (/api/) takes JSON
 * bodies only (and multipart for uploads): the form parser is there for the admin UI, so a
 * form-encoded or text API body is 415.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';

import { AppError } from '../errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether any key or string in a parsed JSON value holds an unpaired surrogate. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') {
    return LONE_SURROGATE.test(value);
  }
  if (Array.isArray(value)) {
    return value.some(hasLoneSurrogate);
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => LONE_SURROGATE.test(k) || hasLoneSurrogate(v));
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
