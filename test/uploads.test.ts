/**
 * Uploads (imports), through the API and through the UI's upload form: file names that try to
 * leave the data folder (../, ..\, absolute paths, NUL, very long, HTML) are reduced to a safe base
 * name that is stored and shown escaped, and no file appears anywhere; an upload over the limit is
 * 413 IMPORT_FILE_TOO_LARGE; malformed files (random bytes, a truncated or bomb-like workbook, huge
 * bad UTF-8, empty, wrong extension or content type) are refused with a
 * catalogue code and a description in bounded time, nothing is stored, and the server stays healthy.
 * (test/import-files.test.ts has the API refusals of each file kind; this adds names and the UI.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';

import { multipart, workbook } from './support/import-files.ts';
import { createSecurityFixture, type SecurityFixture } from './support/security-fixture.ts';

const LIMIT = 256 * 1024;
let f: SecurityFixture;
before(async () => {
  f = await createSecurityFixture({ config: { importMaxBytes: LIMIT } });
});
after(() => f.t.close());

const CSV = Buffer.from('Case Name,contact_phone_number\nZawadi,+254712900001\n');

function upload(via: 'api' | 'ui', name: string, bytes: Buffer, partType = 'application/octet-stream'): Promise<LightMyRequestResponse> {
  const c = f.creds.admin;
  const form = multipart({ name, bytes }, via === 'ui' ? { _csrf: c.csrf } : {});
  const body = partType === 'application/octet-stream' ? form.body : Buffer.from(form.body.toString('latin1').replace('Content-Type: application/octet-stream', `Content-Type: ${partType}`), 'latin1');
  if (via === 'api') {
    return f.t.request('POST', '/api/v1/projects/alpha/imports', { token: c.token, body, headers: form.headers });
  }
  return f.t.app.inject({ method: 'POST', url: '/ui/p/alpha/imports', headers: { ...form.headers, cookie: c.cookie as string }, payload: body });
}

async function count(): Promise<number> {
  return Number((await sql<{ n: string }>`select count(*) as n from imports`.execute(f.t.deps.db)).rows[0]?.n);
}

/** Names of every file under the folders an upload could be written to. */
function filesNear(): Set<string> {
  const out = new Set<string>();
  const dirs = [process.cwd(), path.join(process.cwd(), '..'), path.join(process.cwd(), '.tmp'), os.tmpdir(), '/etc', f.t.config.dataDir ?? ''].filter((d) => d && fs.existsSync(d));
  for (const d of dirs) {
    for (const e of fs.readdirSync(d)) {
      out.add(path.join(d, e));
    }
  }
  return out;
}

const NAMES: Array<[string, string]> = [
  ['../../etc/passwd.xlsx', 'passwd.xlsx'],
  ['..\\..\\x.csv', 'x.csv'],
  ['/etc/cron.d/evil.csv', 'evil.csv'],
  ['C:\\Windows\\System32\\evil.csv', 'evil.csv'],
  ['....//....//deep.csv', 'deep.csv'],
  ['nul\u0000byte.csv', 'nulbyte.csv'],
  ['tab\there\u0007.csv', 'tabhere.csv'],
  [`${'a'.repeat(5000)}.csv`, `${'a'.repeat(196)}.csv`],
  ['<img src=x onerror=alert(1)>.csv', '<img src=x onerror=alert(1)>.csv'],
  ['%2e%2e%2fencoded.csv', '%2e%2e%2fencoded.csv'],
];

describe('upload file names', () => {
  for (const via of ['api', 'ui'] as const) {
    test(`${via}: traversal, absolute, NUL, control characters and very long names keep a safe base name; nothing is written to disk`, async () => {
      const before = filesNear();
      for (const [name, stored] of NAMES) {
        const res = await upload(via, name, stored.endsWith('.xlsx') ? workbook([['Case Name'], ['Zawadi']]) : CSV);
        const id = via === 'api' ? res.json().id : /\/imports\/([0-9a-f-]{36})$/.exec(String(res.headers.location))?.[1];
        assert.equal(res.statusCode, via === 'api' ? 201 : 302, `${JSON.stringify(name.slice(0, 40))}: ${res.body.slice(0, 200)}`);
        const row = await f.t.deps.db.selectFrom('imports').select('file_name').where('id', '=', id as string).executeTakeFirstOrThrow();
        assert.equal(row.file_name, stored, JSON.stringify(name.slice(0, 40)));
        // eslint-disable-next-line no-control-regex
        assert.ok(!/[/\\\u0000-\u001f]/.test(row.file_name) && row.file_name.length <= 200, row.file_name);
        // Shown escaped on the import's page and in the history; the download name is plain ASCII.
        const page = await f.t.app.inject({ method: 'GET', url: `/ui/p/alpha/imports/${id}`, headers: { cookie: f.creds.admin.cookie as string } });
        assert.equal(page.statusCode, 200);
        assert.ok(!page.body.includes('<img src=x'), 'the name is escaped');
        const annotated = await f.t.request('GET', `/api/v1/projects/alpha/imports/${id}/annotated`, { token: f.creds.admin.token });
        assert.match(String(annotated.headers['content-disposition']), /^attachment; filename="[A-Za-z0-9._-]+"; filename\*=UTF-8''[A-Za-z0-9._~%!'()*-]+$/);
      }
      const history = await f.t.app.inject({ method: 'GET', url: '/ui/p/alpha/imports', headers: { cookie: f.creds.admin.cookie as string } });
      assert.ok(history.body.includes('&lt;img src=x onerror=alert(1)') && !history.body.includes('<img src=x'), /.{80}img src=x.{80}/.exec(history.body)?.[0]);
      const created = [...filesNear()].filter((p) => !before.has(p));
      assert.deepEqual(created.filter((p) => /passwd\.xlsx|x\.csv|evil\.csv|deep\.csv|byte\.csv|encoded\.csv|aaaa/.test(p)), [], 'no uploaded file on disk');
      assert.equal(fs.existsSync('/etc/passwd.xlsx') || fs.existsSync('/etc/cron.d/evil.csv'), false);
    });
  }
});

const BAD: Array<[string, string, () => Buffer, string, number[], string[]]> = [
  ['over the limit', 'big.csv', () => Buffer.concat([CSV, Buffer.alloc(LIMIT + 1, 0x41)]), 'application/octet-stream', [413], ['IMPORT_FILE_TOO_LARGE']],
  ['random bytes named .xlsx', 'r.xlsx', () => randomBytes(8192), 'application/octet-stream', [422], ['IMPORT_FILE_UNREADABLE']],
  ['a truncated workbook', 'cut.xlsx', () => workbook([['a'], ['b']]).subarray(0, 700), 'application/octet-stream', [422], ['IMPORT_FILE_UNREADABLE']],
  ['a CSV with invalid UTF-8', 'bad.csv', () => Buffer.from([0x4e, 0x61, 0x6d, 0x65, 0x0a, 0xc3, 0x28, 0xff, 0xfe, 0x0a]), 'text/csv', [422], ['IMPORT_FILE_UNREADABLE']],
  ['an empty file', 'empty.csv', () => Buffer.alloc(0), 'text/csv', [422], ['IMPORT_FILE_EMPTY']],
  ['a wrong extension', 'contacts.exe', () => CSV, 'application/octet-stream', [415], ['IMPORT_UNSUPPORTED_TYPE']],
  ['no extension', 'contacts', () => CSV, 'application/octet-stream', [415], ['IMPORT_UNSUPPORTED_TYPE']],
  ['a PNG named .xlsx, sent as image/png', 'photo.xlsx', () => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(512)]), 'image/png', [422], ['IMPORT_FILE_UNREADABLE']],
  ['an HTML page named .xls', 'page.xls', () => Buffer.from('<html><body><script>alert(1)</script></body></html>'), 'text/html', [201, 302, 422], ['IMPORT_FILE_UNREADABLE']],
];

describe('oversized and malformed uploads', () => {
  for (const via of ['api', 'ui'] as const) {
    test(`${via}: refused with a code and a description, in bounded time, nothing stored, the server healthy`, async () => {
      for (const [label, name, make, partType, statuses, codes] of BAD) {
        const before = await count();
        const started = Date.now();
        const res = await upload(via, name, make(), partType);
        const ms = Date.now() - started;
        const what = `${label}: ${res.statusCode} ${res.body.slice(0, 300)}`;
        assert.ok(ms < 10_000, `${label} took ${ms} ms`);
        const accepted = res.statusCode === 201 || res.statusCode === 302;
        if (via === 'api') {
          assert.ok(statuses.includes(res.statusCode), what);
          if (!accepted) {
            assert.ok(codes.includes(res.json().error.code), what);
            assert.ok(res.json().error.message.length > 10, what);
          }
        } else {
          // The UI shows the form again with the description, with the code's status.
          const mapped = statuses.map((s) => (s === 201 ? 302 : s));
          assert.ok(mapped.includes(res.statusCode), what);
          if (!accepted) {
            assert.match(String(res.headers['content-type']), /^text\/html/);
            assert.ok(res.body.includes('class="error"'), `${what}: the page says what is wrong`);
          }
        }
        if (!accepted) {
          assert.equal(await count(), before, `${label}: nothing stored`);
        }
      }
      assert.equal((await f.t.request('GET', '/healthz', { token: null })).statusCode, 200);
      assert.equal((await upload('api', 'after.csv', CSV)).statusCode, 201, 'a good file still uploads');
    });
  }

  test('a body far over the limit, or not multipart at all, is refused with a code', async () => {
    const c = f.creds.admin;
    const huge = multipart({ name: 'huge.csv', bytes: Buffer.alloc(4 * LIMIT, 0x41) });
    const res = await f.t.request('POST', '/api/v1/projects/alpha/imports', { token: c.token, body: huge.body, headers: huge.headers });
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().error.code, 'IMPORT_FILE_TOO_LARGE');
    const plain = await f.t.request('POST', '/api/v1/projects/alpha/imports', { token: c.token, body: CSV, headers: { 'content-type': 'text/csv' } });
    assert.equal(plain.statusCode, 415, plain.body);
    assert.equal(plain.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const broken = await f.t.request('POST', '/api/v1/projects/alpha/imports', { token: c.token, body: Buffer.from('--x\r\nnot a part'), headers: { 'content-type': 'multipart/form-data; boundary=x' } });
    assert.ok([400, 415].includes(broken.statusCode), broken.body);
    assert.ok(f.catalogue.has(broken.json().error.code));
  });
});
