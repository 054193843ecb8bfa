/**
 * One soak run from start to end: cluster up, project set up, load for the duration while memory
 * is sampled, drain, invariants, report. The cluster and the database are always taken down.
 */
import pg from 'pg';

import { check, type Check } from './check.ts';
import { checkJobs, checkTwoWay } from './check-contacts.ts';
import { checkInbound, checkOptOuts, checkOutbound } from './check-messages.ts';
import { SoakClient } from './client.ts';
import { checkReachable, countLogLines, startCluster } from './cluster.ts';
import { drain } from './drain.ts';
import { judgeMemory, memorySummary, startMemorySampler } from './memory.ts';
import type { SoakOptions } from './options.ts';
import { renderReport } from './report.ts';
import { setUpProject } from './setup.ts';
import { SoakState } from './state.ts';
import { runTraffic } from './traffic.ts';
import { startTimeUse } from './time-use.ts';
import { startSoakVendor } from './vendor.ts';

export async function runSoak(opts: SoakOptions, command: string, log: (line: string) => void): Promise<{ report: string; pass: boolean }> {
  await checkReachable(opts.pgUrl);
  const startedAt = new Date();
  const vendor = await startSoakVendor();
  log('starting 2 servers and 2 workers…');
  const cluster = await startCluster(opts.pgUrl, opts.keepDb, opts.poolerUrl);
  const onSignal = () => void cluster.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const db = new pg.Pool({ connectionString: cluster.dbUrl, max: 2 });
  let failed = false;
  try {
    const client = new SoakClient(cluster.servers.map((s) => s.base as string));
    const setup = await setUpProject(client, vendor.url);
    const state = new SoakState(Math.max(200, Math.round(opts.durationS * opts.rate * 0.1)));
    const memory = startMemorySampler(cluster.all());
    const timeUse = startTimeUse(cluster.all(), db, cluster.dbName);
    log(`load: ${opts.durationS} s at ${opts.rate} actions/s on ${cluster.dbName}`);
    const traffic = await runTraffic(client, state, setup.inboundPath, opts.durationS, opts.rate, log);
    await memory.stop();
    const timeUsed = await timeUse.stop();
    log(`load done (${client.records.length} requests); draining (at most ${opts.drainS} s)…`);
    const drained = await drain(db, opts.drainS);
    log(`checking invariants…`);
    const checks: Check[] = [check('Drained within the bound', drained.settled ? [] : [`left: ${JSON.stringify(drained.left)}`], `${drained.seconds.toFixed(0)} s of at most ${opts.drainS} s`)];
    checks.push(...(await checkInbound(db, state)));
    const outbound = await checkOutbound(db, state, vendor.calls);
    checks.push(...outbound.checks);
    const optOut = await checkOptOuts(db, state, vendor.calls);
    checks.push(optOut.check, optOut.stateCheck);
    checks.push(...(await checkTwoWay(db, client, state)));
    checks.push(...(await checkJobs(db, client, state)));
    const steady = client.records.filter((r) => r.kind !== 'setup');
    checks.push(check('No 5xx answers (and no request without an answer)', steady.filter((r) => r.status >= 500 || r.status === 0).map((r) => `${r.kind} on server ${r.server + 1}: ${r.status || 'no answer'}`), `${steady.length} requests`));
    checks.push(check('Every answer had the expected status', client.unexpected.map((u) => `${u.kind} ${u.method} ${u.path} on server ${u.server + 1}: ${u.status} ${u.body}`), `${client.unexpected.length} unexpected`));
    const verdicts = judgeMemory(memory.samples, cluster.all().map((p) => p.name));
    checks.push(check('Memory flat', verdicts.flatMap((v) => v.failures.map((f) => `${v.name}: ${f}`)), memorySummary(verdicts)));
    const logs = countLogLines(cluster.all());
    checks.push(check('No error log lines', [...logs.errors.entries()].map(([k, n]) => `×${n} ${k}`), `${logs.error} at error level, ${logs.warn} warnings`));
    const exited = cluster.all().filter((p) => p.child.proc.exitCode !== null || p.child.proc.signalCode !== null);
    checks.push(check('Every process still running at the end', exited.map((p) => `${p.name} exited ${p.child.proc.exitCode ?? p.child.proc.signalCode}`), `${cluster.all().length - exited.length} of ${cluster.all().length}`));
    const version = (await db.query<{ v: string }>('select version() as v')).rows[0]?.v.split(' on ')[0] ?? 'PostgreSQL';
    const report = renderReport({
      startedAt,
      command,
      durationS: opts.durationS,
      rate: opts.rate,
      pgVersion: version,
      traffic,
      records: client.records,
      drain: drained,
      checks,
      byStatus: outbound.byStatus,
      optOut: optOut.figures,
      memory: { samples: memory.samples, verdicts },
      logs,
      processes: cluster.all().map((p) => `${p.name} (pid ${p.child.proc.pid})`),
      timeUse: timeUsed,
    });
    failed = !checks.every((c) => c.pass);
    return { report, pass: !failed };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await db.end();
    // A failed invariant keeps the database: the report names rows to look at.
    await cluster.stop(failed);
    if (opts.keepDb || failed) {
      log(`kept the soak database: ${cluster.dbUrl} (drop it with: drop database ${cluster.dbName} with (force))`);
    }
    await vendor.close();
  }
}
