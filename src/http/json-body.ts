/**
 * @module http/json-body — the JSON body parser: UTF-8 only (bad bytes are refused, not replaced),
 * no NUL characters (PostgreSQL text cannot hold them), no __proto__/constructor keys.
 */
import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';

import { AppError } from '../errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

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
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    throw new AppError('VALIDATION_ERROR', 'The request body is not valid JSON.', { cause: err });
  }
}

export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
