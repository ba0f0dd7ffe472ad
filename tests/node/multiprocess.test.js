'use strict';
// Multiprocess mode: workers started with child_process.fork record into files of their own,
// half of them end with process.exit() and half with SIGKILL, and only the owner pushes,
// to the job's one group, with every worker's numbers summed.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PKG, PGW_URL, scrape, valueOf, runScript, unique } = require('./helpers.js');
const pm = require(PKG);

// Forked by the owner with `mode` 'exit' or 'kill' (a worker of the default registry) or
// 'late' (a process whose private registry turns the mode on after its metrics exist).
const WORKER = `
const pm = require(__PKG__);
const [mode, id, job] = process.argv.slice(2);
(async () => {
  if (mode === 'late') {
    const reg = new pm.Registry();
    const c = new pm.Counter({ name: 'mp_late_total', help: 'l', labelNames: ['k'], registers: [reg] });
    const plain = new pm.Counter({ name: 'mp_late_plain_total', help: 'l', registers: [reg] });
    const held = c.labels('x');
    // With a series TTL, labels() hands out children the metric does not keep.
    const ttl = new pm.Registry({ seriesTtlMs: 3600000 });
    const pinned = new pm.Counter({ name: 'mp_late_pinned_total', help: 'l', labelNames: ['k'], registers: [ttl] }).labels('p');
    for (let i = 0; i < 100; i++) { held.inc(); plain.inc(); c.inc({ k: 'y' }); pinned.inc(); }
    reg.enableMultiprocess(process.env.PUSHMETRICS_MULTIPROC_DIR);
    ttl.enableMultiprocess(process.env.PUSHMETRICS_MULTIPROC_DIR);
    for (let i = 0; i < 150; i++) { held.inc(); plain.inc(); c.inc({ k: 'y' }); pinned.inc(); }
    c.labels('z').inc(7);
    process.send({ pid: process.pid }, () => process.kill(process.pid, 'SIGKILL'));
    return;
  }
  const c = new pm.Counter({ name: 'mp_jobs_total', help: 'j', labelNames: ['kind'] });
  const plain = new pm.Counter({ name: 'mp_plain_total', help: 'p' });
  const h = new pm.Histogram({ name: 'mp_seconds', help: 's', buckets: [1, 2] });
  const sum = new pm.Gauge({ name: 'mp_sum', help: 'g', multiprocessMode: 'sum' });
  const livesum = new pm.Gauge({ name: 'mp_livesum', help: 'g', multiprocessMode: 'livesum' });
  const all = new pm.Gauge({ name: 'mp_all', help: 'g', multiprocessMode: 'all' });
  const held = c.labels('a');
  const p = new pm.Pusher({ url: process.env.PGW_URL, job, groupings: { worker: id }, intervalMs: 3600000 });
  const report = await p.flush();
  const msg = { pid: process.pid, worker: pm.register.isMultiprocessWorker(), dir: pm.register.multiprocessDir(), report };
  // Records, then ends at once: nothing runs in between that could move the numbers.
  process.send(msg, () => {
    for (let i = 0; i < 250; i++) {
      held.inc();
      c.inc({ kind: 'b' }, 2);
      plain.inc();
      h.observe(0.5);
    }
    sum.set(Number(id) + 1);
    livesum.set(1);
    all.set(Number(id) + 1);
    if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
    else process.exit(0);
  });
})();
`;

const OWNER = `
const { fork } = require('node:child_process');
const pm = require(__PKG__);
const [workerFile, job, dirArg, end] = process.argv.slice(2);
const sum = new pm.Gauge({ name: 'mp_sum', help: 'g', multiprocessMode: 'sum' });
const livesum = new pm.Gauge({ name: 'mp_livesum', help: 'g', multiprocessMode: 'livesum' });
const before = pm.register.isMultiprocessWorker();
const dir = pm.register.enableMultiprocess(dirArg === '-' ? undefined : dirArg);
sum.set(100);
livesum.set(5);
new pm.Pusher({ url: process.env.PGW_URL, job, intervalMs: 3600000, selfMetrics: false });
function run(mode, id) {
  return new Promise((resolve, reject) => {
    let msg;
    const w = fork(workerFile, [mode, String(id), job]);
    w.on('message', (m) => (msg = m));
    w.on('error', reject);
    w.on('exit', (code, signal) => resolve({ mode, code, signal, msg }));
  });
}
(async () => {
  // First and alone: turning the mode on removes the files of ended processes from the directory.
  const late = await run('late', 4);
  const workers = await Promise.all([run('exit', 0), run('kill', 1), run('exit', 2), run('kill', 3)]);
  console.log(JSON.stringify({ before, dir, worker: pm.register.isMultiprocessWorker(), same: pm.register.multiprocessDir() === dir, late, workers }));
  // The final push runs on 'exit' (process.exit) or on 'beforeExit' (the script just ends).
  if (end === 'exit') process.exit(0);
})();
`;

function scriptFile(code) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pm-mp-')), 'worker.js');
  fs.writeFileSync(file, code.replaceAll('__PKG__', JSON.stringify(PKG)));
  return file;
}

/**
 * Runs the owner with its workers, in `dirArg` ('-': a new one), ending by `end` ('exit' or
 * 'end'); its output, and what the gateway then holds for `job`.
 */
async function runOwner(dirArg, end) {
  const job = unique('mp');
  const args = [scriptFile(WORKER), job, dirArg, end];
  const r = await runScript(OWNER.replace('process.argv.slice(2)', JSON.stringify(args)), {
    PGW_URL,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  return { job, out, got: await scrape(job) };
}

let run;
test.before(async () => {
  run = await runOwner('-', 'exit');
});

test('the owner pushes exact totals of forked workers that exit or are killed', () => {
  const { got, out } = run;
  assert.equal(out.before, false);
  assert.equal(out.worker, false);
  assert.equal(out.same, true);
  assert.deepEqual(
    out.workers.map((w) => [w.mode, w.code, w.signal]),
    [
      ['exit', 0, null],
      ['kill', null, 'SIGKILL'],
      ['exit', 0, null],
      ['kill', null, 'SIGKILL'],
    ],
  );
  assert.equal(valueOf(got, 'mp_jobs_total', { kind: 'a' }), 1000);
  assert.equal(valueOf(got, 'mp_jobs_total', { kind: 'b' }), 2000);
  assert.equal(valueOf(got, 'mp_plain_total'), 1000);
  assert.equal(valueOf(got, 'mp_seconds_count'), 1000);
  assert.equal(valueOf(got, 'mp_seconds_sum'), 500);
  assert.equal(valueOf(got, 'mp_seconds_bucket', { le: '1' }), 1000);
});

test('gauges combine as their multiprocessMode says', () => {
  const { got, out } = run;
  // sum: every process, ended ones included; livesum: the owner alone once workers ended.
  assert.equal(valueOf(got, 'mp_sum'), 100 + 1 + 2 + 3 + 4);
  assert.equal(valueOf(got, 'mp_livesum'), 5);
  // all: one series per process, with its pid.
  for (const [i, w] of out.workers.entries()) {
    assert.equal(valueOf(got, 'mp_all', { pid: String(w.msg.pid) }), i + 1);
  }
});

test('a worker pushes nothing and the job has exactly one group', async () => {
  const { got, out } = run;
  for (const w of out.workers) {
    assert.equal(w.msg.worker, true);
    assert.equal(w.msg.dir, out.dir);
    assert.equal(w.msg.report.requests, 0);
    assert.equal(w.msg.report.series, 0);
  }
  // Every sample is in the owner's group: none has a worker's `worker` grouping label.
  assert.ok(got.length > 0);
  assert.ok(got.every((s) => s.labels.worker === undefined));
  const res = await fetch(`${PGW_URL}/api/v1/metrics`);
  const body = await res.json();
  const ofJob = body.data.filter((g) => g.labels.job === run.job);
  assert.equal(ofJob.length, 1, JSON.stringify(ofJob.map((g) => g.labels)));
});

test('metrics made before the mode was turned on lose nothing to SIGKILL', () => {
  const { got, out } = run;
  const late = out.late;
  assert.equal(late.signal, 'SIGKILL');
  assert.equal(valueOf(got, 'mp_late_total', { k: 'x' }), 250);
  assert.equal(valueOf(got, 'mp_late_total', { k: 'y' }), 250);
  assert.equal(valueOf(got, 'mp_late_total', { k: 'z' }), 7);
  assert.equal(valueOf(got, 'mp_late_plain_total'), 250);
  assert.equal(valueOf(got, 'mp_late_pinned_total', { k: 'p' }), 250);
});

test('the owner removes the directory the mode made, after the final push', async () => {
  assert.equal(fs.existsSync(run.out.dir), false);
  // The same when the script just ends (the final push on 'beforeExit').
  const { out, got } = await runOwner('-', 'end');
  assert.equal(valueOf(got, 'mp_jobs_total', { kind: 'a' }), 1000);
  assert.equal(fs.existsSync(out.dir), false);
});

test('the owner keeps a directory it was given', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-mp-dir-'));
  const { out, got } = await runOwner(dir, 'exit');
  assert.equal(out.dir, dir);
  assert.equal(valueOf(got, 'mp_jobs_total', { kind: 'a' }), 1000);
  assert.ok(fs.existsSync(dir));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a bad multiprocessMode is a ConfigError naming it', () => {
  const reg = new pm.Registry();
  assert.throws(
    () => new pm.Gauge({ name: unique('mp_bad'), help: 'g', registers: [reg], multiprocessMode: 'average' }),
    (e) => e instanceof pm.ConfigError && e.message.includes('average') && e.message.includes('multiprocessMode'),
  );
  assert.throws(
    () => new pm.Gauge({ name: unique('mp_bad'), help: 'g', registers: [reg], multiprocessMode: 3 }),
    (e) => e instanceof pm.ConfigError && e.message.includes('3') && e.message.includes('multiprocessMode'),
  );
});

test('a registry without the mode is no worker and has no directory', () => {
  const reg = new pm.Registry();
  assert.equal(reg.isMultiprocessWorker(), false);
  assert.equal(reg.multiprocessDir(), null);
});
