/**
 * `rollcall rules export|import` (src/cli/rules.command.ts) on a real embedded data folder, through
 * the command functions with their output captured: export to a file and to stdout, import into
 * another project (surveys by name, a summary naming the rules), a second import refused for the
 * names already there and then skipped with --skip-existing, a bad rule named by its field with
 * exit code 1 and nothing created, and plain errors (no such project, not JSON).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { CommandOutput } from '../src/cli/command-output.ts';
import { runRulesExport, runRulesImport } from '../src/cli/rules.command.ts';
import { makeConfig, type Config } from '../src/config.ts';
import { openConfiguredDatabase, serviceDeps } from '../src/main.ts';
import type { ServiceDeps } from '../src/services/deps.ts';
import type { Actor } from '../src/services/auth.service.ts';
import { createProject } from '../src/services/projects.service.ts';
import { createReminderRule } from '../src/services/reminder-rules.service.ts';
import { createSurvey } from '../src/services/surveys.service.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { findProjectByName } from '../src/store/project.store.ts';
import { removeTempDirs, tempDir } from './support/process.ts';

type Json = Record<string, any>;
let config: Config;
let dir: string;

/** Captures what a command writes. */
function capture(): CommandOutput & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (s: string) => void (io.stdout += s), err: (s: string) => void (io.stderr += s) };
  return io;
}

/** Opens the folder (the commands must not be running), runs `work`, closes it. */
async function withDeps<T>(work: (deps: ServiceDeps) => Promise<T>): Promise<T> {
  const handle = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(handle.db);
    return await work(serviceDeps(config, handle));
  } finally {
    await handle.close();
  }
}

async function ruleNames(project: string): Promise<string[]> {
  return withDeps(async (deps) => {
    const p = await findProjectByName(deps.db, project);
    assert.ok(p);
    return (await deps.db.selectFrom('reminder_rules').select('name').where('project_id', '=', p.id).orderBy('seq').execute()).map((r) => r.name);
  });
}

const root: Actor = { userId: '00000000-0000-4000-8000-000000000000', email: 'root@example.org', isSuperuser: true, tokenId: 'cli-test', kind: 'api', csrfToken: null };
const question = [{ id: 'q', text: 'Q?', type: 'text' as const, saveAs: 'q' }];

before(async () => {
  dir = tempDir('rollcall-rules-cli-');
  // Always the embedded database, whatever ROLLCALL_TEST_DATABASE_URL says.
  config = makeConfig({ dataDir: path.join(dir, 'data'), databaseUrl: undefined });
  await withDeps(async (deps) => {
    for (const name of ['kenya', 'uganda']) {
      await createProject(deps, root, { name });
    }
    const kenya = await findProjectByName(deps.db, 'kenya');
    const uganda = await findProjectByName(deps.db, 'uganda');
    assert.ok(kenya && uganda);
    const kenyaSurvey = await createSurvey(deps, kenya, { name: 'Follow-up', questions: question });
    await createSurvey(deps, uganda, { name: 'Follow-up', questions: question });
    await createReminderRule(deps, kenya, { name: 'Visit reminder', caseType: 'pregnancy', content: { text: 'Visit on {next_visit_date}' }, schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -1, time: '09:00' }] } }, null);
    await createReminderRule(deps, kenya, { name: 'Follow-up survey', caseType: 'pregnancy', content: { surveyId: kenyaSurvey.id }, schedule: { type: 'once' } }, null);
  });
});
after(() => removeTempDirs());

describe('rollcall rules export|import', { timeout: 240_000 }, () => {
  test('export to a file, import into another project, then refused for the names already there and skipped with --skip-existing', async () => {
    const file = path.join(dir, 'rules.json');
    const exported = capture();
    assert.equal(await runRulesExport(config, { project: 'kenya', out: file }, exported), 0, exported.stderr);
    assert.match(exported.stdout, /^Exported 2 rules of kenya to .*rules\.json \(surveys they send, matched by name on import: "Follow-up"\)\.$/m);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
    assert.equal(doc.format, 'rollcall-reminder-rules');
    assert.deepEqual(doc.rules.map((r: Json) => r.name), ['Visit reminder', 'Follow-up survey']);

    const imported = capture();
    assert.equal(await runRulesImport(config, file, { project: 'uganda' }, imported), 0, imported.stderr);
    assert.equal(imported.stdout, 'Imported 2 rules into uganda: "Visit reminder", "Follow-up survey".\n');
    assert.deepEqual(await ruleNames('uganda'), ['Visit reminder', 'Follow-up survey']);

    const again = capture();
    assert.equal(await runRulesImport(config, file, { project: 'uganda' }, again), 1);
    assert.match(again.stderr, /^rollcall rules import: rules\[0\]\.name: project uganda already has a rule named "Visit reminder", "Follow-up survey"; nothing was imported .* \(CONFLICT\)$/m);
    assert.equal(again.stdout, '');

    const skipped = capture();
    assert.equal(await runRulesImport(config, file, { project: 'uganda', skipExisting: true }, skipped), 0, skipped.stderr);
    assert.equal(skipped.stdout, 'Imported 0 rules into uganda; skipped 2 (already there): "Visit reminder", "Follow-up survey".\n');
    assert.deepEqual(await ruleNames('uganda'), ['Visit reminder', 'Follow-up survey']);
  });

  test('export to stdout; a bad rule is named by its field, exit 1, and nothing is created', async () => {
    const out = capture();
    assert.equal(await runRulesExport(config, { project: 'uganda' }, out), 0, out.stderr);
    const doc = JSON.parse(out.stdout) as Json;
    assert.equal(doc.rules.length, 2);
    doc.rules = doc.rules.map((r: Json, i: number) => ({ ...r, name: `Copy ${i}` }));
    doc.rules[1] = { ...doc.rules[0], name: 'Broken', schedule: { type: 'offsets', startProperty: 'd', offsets: [{ days: 1, time: '9am' }] } };
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const bad = capture();
    assert.equal(await runRulesImport(config, file, { project: 'kenya' }, bad), 1);
    assert.match(bad.stderr, /^rollcall rules import: rules\[1\]\.schedule\.offsets\[0\]\.time: use HH:MM, 00:00–23:59 \(VALIDATION_ERROR\)$/m);
    assert.deepEqual(await ruleNames('kenya'), ['Visit reminder', 'Follow-up survey'], 'Copy 0 was not created either');
  });

  test('no such project, a file that is not JSON, a missing file: a clear error and exit 1', async () => {
    const file = path.join(dir, 'rules.json');
    const noProject = capture();
    assert.equal(await runRulesExport(config, { project: 'nowhere' }, noProject), 1);
    assert.match(noProject.stderr, /No project named "nowhere"\. \(NOT_FOUND\)/);
    const notJson = path.join(dir, 'not.json');
    fs.writeFileSync(notJson, 'name,caseType\n');
    const garbage = capture();
    assert.equal(await runRulesImport(config, notJson, { project: 'kenya' }, garbage), 1);
    assert.match(garbage.stderr, /not\.json: not JSON/);
    const missing = capture();
    assert.equal(await runRulesImport(config, path.join(dir, 'missing.json'), { project: 'kenya' }, missing), 1);
    assert.match(missing.stderr, /missing\.json: ENOENT/);
    const noTarget = capture();
    assert.equal(await runRulesImport(config, file, { project: 'nowhere' }, noTarget), 1);
    assert.match(noTarget.stderr, /No project named "nowhere"/);
  });
});
