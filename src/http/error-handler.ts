/**
 * @module http/error-handler — the one table from error code to HTTP status, and the JSON error body
 * `{"error": {"code", "message", "details"?}}`. Anything unexpected becomes INTERNAL_ERROR and is logged.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

import { AppError, type ErrorCode, errorCatalogue } from '../errors.ts';
import { meaningOfDatabaseError } from '../store/database-errors.ts';

export const statusOf: Partial<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  DATA_DIR_LOCKED: 503,
  STORAGE_FULL: 507,
  IMPORT_FILE_TOO_LARGE: 413,
  IMPORT_UNSUPPORTED_TYPE: 415,
};

/** Codes not in the table are contact or message problems in a request: 422. */
export function httpStatus(code: ErrorCode): number {
  return statusOf[code] ?? 422;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(code: ErrorCode, message?: string, details?: unknown): ErrorBody {
  return { error: { code, message: message ?? errorCatalogue[code], ...(details === undefined ? {} : { details }) } };
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_ERROR',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_ERROR',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_ERROR',
  FST_ERR_VALIDATION: 'VALIDATION_ERROR',
};

/** Maps any thrown value to a code, a message safe to show, and details. */
export function classifyError(err: unknown): { code: ErrorCode; message: string; details?: unknown } {
  if (err instanceof AppError) {
    return { code: err.code, message: err.message, details: err.details };
  }
  const fe = err as FastifyError & { validation?: unknown };
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const issues = fe.validation.map((v) => ({ field: [fe.validationContext, ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.'), message: v.message }));
    const first = issues[0];
    return { code: 'VALIDATION_ERROR', message: first ? `${first.field}: ${first.message}` : 'The request is not valid.', details: { issues } };
  }
  if (fe.validation) {
    return { code: 'VALIDATION_ERROR', message: fe.message };
  }
  if (typeof fe.code === 'string' && fastifyCodes[fe.code]) {
    return { code: fastifyCodes[fe.code] as ErrorCode, message: fe.message };
  }
  if (fe instanceof SyntaxError || fe.statusCode === 400) {
    return { code: 'VALIDATION_ERROR', message: 'The request body is not valid JSON.' };
  }
  if (fe.statusCode === 413) {
    return { code: 'PAYLOAD_TOO_LARGE', message: errorCatalogue.PAYLOAD_TOO_LARGE };
  }
  if (fe.statusCode === 415) {
    return { code: 'UNSUPPORTED_MEDIA_TYPE', message: errorCatalogue.UNSUPPORTED_MEDIA_TYPE };
  }
  const fromDatabase = meaningOfDatabaseError(err);
  if (fromDatabase) {
    return fromDatabase;
  }
  return { code: 'INTERNAL_ERROR', message: errorCatalogue.INTERNAL_ERROR };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { code, message, details } = classifyError(err);
    const status = httpStatus(code);
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
    }
    const retryAfter = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if ((status === 429 || status === 503) && typeof retryAfter === 'number') {
      void reply.header('retry-after', String(retryAfter));
    }
    return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message, details));
  });
}
