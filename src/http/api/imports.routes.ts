/**
 * @module http/api/imports.routes — spreadsheet imports (API.md "Imports"): upload (multipart), run
 * or dry run, progress and results, history, the annotated file and the template.
 * Only the upload is registered inside a scope that has @fastify/multipart, so no other route
 * accepts multipart bodies. An upload reserves disk space for what it will write before it reads its
 * body (reserveUploadSpace), and holds it until the file is kept or refused.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import type { ServiceDeps } from '../../services/deps.ts';
import { annotatedFile, type ExportFile, templateFile } from '../../services/import-export.ts';
import { KEPT_FILE_DISK_FACTOR } from '../../services/import-kept-file.ts';
import { dryRunImport, getImport, importProblems, listProjectImports, startImportRun, uploadImport, type UploadInput } from '../../services/imports.service.ts';
import { requireProject } from '../../services/projects.service.ts';
import type { DiskReservation, StorageGuard } from '../../store/storage-guard.ts';
import { actorOf, requireApiActor } from '../auth.ts';
import { listQuery, projectParams } from './schemas.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The embedded data folder's free-space guard (http/app.ts; null on PostgreSQL): uploads reserve against it. */
    storageGuard?: StorageGuard | null;
  }
}

/** For @fastify/multipart: one file of at most ROLLCALL_IMPORT_MAX_BYTES and a few small fields. */
export function multipartLimits(config: Config) {
  return { limits: { fileSize: config.importMaxBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25, headerPairs: 100 } };
}

/** What a form adds to its file at most: the fields (multipartLimits) and the parts' headers. */
const FORM_BYTES = 20 * 64 * 1024 + 64 * 1024;

/** Disk space held for one upload while it is read, parsed and kept. */
export interface UploadSpace {
  /** The file's bytes received so far: the reservation grows past the declared length, or STORAGE_FULL. */
  received(bytes: number): void;
  release(): void;
}

const noSpaceNeeded: UploadSpace = { received: () => {}, release: () => {} };

function storageFull(guard: StorageGuard, bytes: number): AppError {
  const mb = (n: number) => Math.ceil(n / 1048576);
  const held = guard.reserved();
  return new AppError(
    'STORAGE_FULL',
    `The data folder's disk has too little free space for this upload: storing it needs about ${mb(bytes)} MB, the disk has ${Math.floor(guard.freeBytes() / 1048576)} MB free, ` +
      `Rollcall keeps ${mb(guard.minFreeBytes)} MB free so the embedded database is never left half-written${held > 0 ? `, and uploads in progress hold ${mb(held)} MB` : ''}. ` +
      'Free space on it (or upload again when other uploads have finished). Nothing was saved.',
  );
}

/**
 * Reserves, before the body is read, the disk space the upload will take once kept: its declared
 * length (at most the import byte limit and a form's fields) times KEPT_FILE_DISK_FACTOR. Bytes
 * received past the declared length grow the reservation. Throws STORAGE_FULL when it does not fit
 * beside the free-space reserve and the other uploads in progress. No guard (PostgreSQL): nothing held.
 */
export function reserveUploadSpace(request: FastifyRequest, maxBytes: number): UploadSpace {
  const guard = request.server.storageGuard ?? null;
  if (!guard) {
    return noSpaceNeeded;
  }
  const declared = Number(request.headers['content-length']);
  const body = Number.isFinite(declared) && declared > 0 ? Math.min(declared, maxBytes + FORM_BYTES) : 0;
  const first = body * KEPT_FILE_DISK_FACTOR;
  const reservation: DiskReservation | null = guard.reserve(first);
  if (!reservation) {
    throw storageFull(guard, first);
  }
  return {
    received(bytes) {
      const need = bytes * KEPT_FILE_DISK_FACTOR;
      if (need > reservation.bytes && !reservation.grow(need)) {
        throw storageFull(guard, need);
      }
    },
    release: () => reservation.release(),
  };
}

const importParams = projectParams.extend({ id: z.string().max(64) });

export const runBody = z.strictObject({
  target: z.enum(['cases', 'mobile-workers']).optional(),
  caseType: z.string().trim().max(255).optional(),
  matchColumn: z.string().max(255).nullable().optional(),
  matchBy: z.enum(['case_id', 'external_id']).optional(),
  createNew: z.boolean().optional(),
  mapping: z.record(z.string().max(255), z.string().max(100)).refine((m) => Object.keys(m).length <= 300, 'at most 300 columns'),
  dryRun: z.boolean().optional(),
  consentWords: z
    .boolean()
    .optional()
    .describe(
      'Read yes/oui/ndiyo in the column mapped to contact_phone_number_is_verified as 1 (consent) and no/non/hapana as 0 before the rows are saved (Default: false). ' +
        'Any other value than 1/0/true/false is saved as typed, without consent, and reported as a row problem (IMPORT_CONSENT_VALUE). The dry run lists the values with their counts.',
    ),
});

/**
 * Reads the multipart form: the `file` part and the `hasHeaders` (Default: true) and `sheet` fields.
 * The file's bytes are counted against `space` as they arrive.
 */
export async function readUpload(request: FastifyRequest, space: UploadSpace = noSpaceNeeded): Promise<{ upload: UploadInput; fields: Record<string, string> }> {
  if (!request.isMultipart()) {
    // A JSON body reached the handler (it parsed): the request is well-formed but not a file upload.
    const json = /^application\/json\b/i.test(String(request.headers['content-type'] ?? ''));
    throw new AppError(json ? 'VALIDATION_ERROR' : 'UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data with a field named "file".');
  }
  const fields: Record<string, string> = {};
  let file: { name: string; bytes: Buffer } | null = null;
  let parts = 0;
  try {
    for await (const part of request.parts()) {
      parts++;
      if (part.type === 'file') {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of part.file as AsyncIterable<Buffer>) {
          size += chunk.length;
          space.received(size);
          chunks.push(chunk);
        }
        if (part.file.truncated) {
          throw new AppError('IMPORT_FILE_TOO_LARGE');
        }
        if (part.fieldname === 'file' && file === null) {
          file = { name: part.filename, bytes: Buffer.concat(chunks, size) };
        }
      } else if (typeof part.value === 'string') {
        fields[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError('IMPORT_FILE_TOO_LARGE', undefined, { cause: err });
    }
    if (err instanceof AppError) {
      throw err;
    }
    // Not a single part could be read: the body is not multipart at all, whatever its header says.
    throw new AppError(parts === 0 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_ERROR', 'The multipart form could not be read.', { cause: err });
  }
  if (!file) {
    throw new AppError('VALIDATION_ERROR', 'Add the spreadsheet in a form field named "file".', { details: { field: 'file' } });
  }
  const hasHeaders = (fields.hasHeaders ?? 'true').trim().toLowerCase();
  if (!['true', 'false', 'on', '1', '0'].includes(hasHeaders)) {
    throw new AppError('VALIDATION_ERROR', 'hasHeaders must be true or false.', { details: { field: 'hasHeaders' } });
  }
  const sheet = fields.sheet?.trim() ? fields.sheet.trim() : null;
  return { upload: { fileName: file.name, bytes: file.bytes, hasHeaders: hasHeaders === 'true' || hasHeaders === 'on' || hasHeaders === '1', sheet }, fields };
}

export function sendFile(reply: FastifyReply, f: ExportFile): FastifyReply {
  const ascii = f.fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  return reply
    .type(f.contentType)
    .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(f.fileName)}`)
    .header('x-content-type-options', 'nosniff')
    .send(f.bytes);
}

/** The upload, in a scope where @fastify/multipart is registered. */
export function registerImportUploadRoute(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/api/v1/projects/:project/imports', { onRequest: requireApiActor(deps), schema: { tags: ['imports'], params: projectParams } }, async (request, reply) => {
    const actor = actorOf(request);
    const project = await requireProject(deps, actor, request.params.project);
    const space = reserveUploadSpace(request, deps.imports.maxBytes);
    try {
      const { upload } = await readUpload(request, space);
      const view = await uploadImport(deps, project, actor.userId, upload);
      return reply.code(201).send(view);
    } finally {
      space.release();
    }
  });
}

/** Everything else about imports (JSON bodies only). */
export function registerImportRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiActor(deps);
  const tags = ['imports'];

  r.get('/api/v1/projects/:project/imports', { onRequest: auth, schema: { tags, params: projectParams, querystring: listQuery } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return listProjectImports(deps, project, request.query);
  });

  r.get('/api/v1/projects/:project/imports/template', { onRequest: auth, schema: { tags, params: projectParams, querystring: z.object({ format: z.enum(['xlsx', 'csv']).default('xlsx') }) } }, async (request, reply) => {
    await requireProject(deps, actorOf(request), request.params.project);
    return sendFile(reply, templateFile(request.query.format));
  });

  r.get('/api/v1/projects/:project/imports/:id', { onRequest: auth, schema: { tags, params: importParams } }, async (request) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    return getImport(deps, project, request.params.id);
  });

  r.post('/api/v1/projects/:project/imports/:id/run', { onRequest: auth, schema: { tags, params: importParams, body: runBody } }, async (request, reply) => {
    const project = await requireProject(deps, actorOf(request), request.params.project);
    const { dryRun, ...input } = request.body;
    if (dryRun) {
      return reply.code(200).send(await dryRunImport(deps, project, request.params.id, input));
    }
    return reply.code(202).send(await startImportRun(deps, project, request.params.id, input));
  });

  r.get(
    '/api/v1/projects/:project/imports/:id/annotated',
    { onRequest: auth, schema: { tags, params: importParams, querystring: z.object({ only: z.enum(['all', 'errors']).default('all') }) } },
    async (request, reply) => {
      const project = await requireProject(deps, actorOf(request), request.params.project);
      const { problems, parsed } = await importProblems(deps, project, request.params.id);
      return sendFile(reply, annotatedFile(parsed, problems, request.query.only === 'errors'));
    },
  );
}
