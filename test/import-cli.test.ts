/**
 * `rollcall import` as a real process on an embedded data folder: refused while a server holds the
 * folder, then a dry run (nothing written) and the import itself with its progress bar on stderr;
 * the server started again sees the cases.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { csv } from './support/import-files.ts';
import { api, killAll, removeTempDirs, runCli, serve, stop, tempDir, tokenFor } from './support/process.ts';

after(async () => {
  await killAll();
  removeTempDirs();
});

describe('rollcall import', { timeout: 240_000 }, () => {
  test('refused beside a running server; dry run; import with a progress bar; the server sees the result', async () => {
    const dataDir = tempDir('rollcall-import-cli-');
    const env = { DATA_DIR: dataDir, ROLLCALL_ADMIN_EMAIL: 'x@y.org', ROLLCALL_ADMIN_PASSWORD: 'longpassword' };
    const file = path.join(dataDir, 'people.csv');
    fs.writeFileSync(
      file,
      csv([
        ['Case Name', 'Phone', 'contact_phone_number_is_verified', 'Notes'],
        ['Amina', '0712345001', '1', 'first'],
        ['Baraka', '+254 712 345 002', '', 'second'],
        ['Chebet', '12345', '', 'third'],
      ]),
    );
    let server = await serve(env);
    const token = await tokenFor(server.base, 'x@y.org', 'longpassword');
    assert.equal((await api(server.base, token, 'POST', '/api/v1/projects', { name: 'cli', defaultCountry: 'KE' })).status, 201);
    const args = ['import', file, '--project', 'cli', '--case-type', 'contact', '--map', 'Phone=contact_phone_number,Notes='];
    const locked = await runCli(args, env);
    assert.equal(locked.code, 1, locked.output);
    assert.match(locked.stderr, /DATA_DIR_LOCKED/);
    assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0);

    const dry = await runCli([...args, '--dry-run'], env);
    assert.equal(dry.code, 0, dry.output);
    assert.match(dry.stdout, /Phone → contact_phone_number/);
    assert.match(dry.stdout, /Notes → \(ignored\)/);
    assert.match(dry.stdout, /3 to create, 0 to update, 0 to skip, 0 to fail/);
    assert.match(dry.stdout, /row 2: 0712345001 → \+254712345001/);
    assert.match(dry.stdout, /row 4, Phone: INVALID_PHONE_NUMBER/);

    const run = await runCli(args, env);
    assert.equal(run.code, 0, run.output);
    assert.match(run.stderr, /\[#+\] 100% 3\/3 rows/);
    assert.match(run.stdout, /done: 3 created, 0 updated, 0 skipped, 0 failed/);
    assert.match(run.stdout, /row 4, Phone: INVALID_PHONE_NUMBER/);

    server = await serve(env);
    const again = await tokenFor(server.base, 'x@y.org', 'longpassword');
    const cases = (await api(server.base, again, 'GET', '/api/v1/projects/cli/cases')).json.items as Array<Record<string, any>>;
    assert.deepEqual(cases.map((c) => [c.name, c.contact.phoneNumber, c.contact.phoneStatus]), [
      ['Amina', '+254712345001', 'two-way'],
      ['Baraka', '+254712345002', 'one-way'],
      ['Chebet', null, 'invalid'],
    ]);
    const history = (await api(server.base, again, 'GET', '/api/v1/projects/cli/imports')).json.items as Array<Record<string, any>>;
    assert.deepEqual(history.map((i) => i.status), ['done', 'uploaded']);
    assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0);
  });
});
