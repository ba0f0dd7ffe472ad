'use strict';
// node_exporter's textfile collector: writeToTextfile and the pusher's textfile target write
// the registry's text atomically, reject with errors that name the path, and leave no
// temporary file behind.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { PKG, runScript } = require('./helpers.js');
const pm = require(PKG);

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pm-node-textfile-'));
}

function sampleRegistry() {
  const reg = new pm.Registry();
  new pm.Counter({ name: 'backup_files_total', help: 'Files by "kind"', labelNames: ['kind'], registers: [reg] })
    .inc({ kind: 'full\\daily\n' }, 42);
  new pm.Gauge({ name: 'backup_last_success_timestamp_seconds', help: 'Last success', registers: [reg] }).set(1.7e9);
  const h = new pm.Histogram({ name: 'backup_duration_seconds', help: 'Duration', buckets: [1, 10], registers: [reg] });
  h.observe(0.5);
  h.observe(20);
  new pm.Summary({ name: 'backup_size_bytes', help: 'Size', registers: [reg] }).observe(1024);
  return reg;
}

function promtoolCheck(file) {
  // Throws, with promtool's output, when the file does not pass.
  execFileSync('promtool', ['check', 'metrics'], { input: fs.readFileSync(file), stdio: ['pipe', 'pipe', 'pipe'] });
}

async function waitFor(check, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

test('writeToTextfile writes the registry text, which promtool accepts', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'backup.prom');
  const reg = sampleRegistry();
  const result = await pm.writeToTextfile(file, reg);
  assert.equal(result, undefined);
  assert.equal(fs.readFileSync(file, 'utf8'), await reg.metrics());
  assert.ok(fs.readFileSync(file, 'utf8').includes('backup_files_total{kind="full\\\\daily\\n"} 42\n'));
  promtoolCheck(file);
  assert.equal(fs.statSync(file).mode & 0o777, 0o644 & ~process.umask());
  assert.deepEqual(fs.readdirSync(dir), ['backup.prom']);
  fs.rmSync(dir, { recursive: true });
});

test('writeToTextfile writes the default registry when none is given', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'default.prom');
  const name = `textfile_default_${process.pid}_total`;
  new pm.Counter({ name, help: 'In the default registry' }).inc(3);
  await pm.writeToTextfile(file);
  assert.ok(fs.readFileSync(file, 'utf8').includes(`${name} 3\n`));
  pm.register.removeSingleMetric(name);
  fs.rmSync(dir, { recursive: true });
});

test('a reader never sees a partial file while it is rewritten 1000 times', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'job.prom');
  const small = new pm.Registry();
  new pm.Gauge({ name: 'small_value', help: 'S', registers: [small] }).set(1);
  const big = new pm.Registry();
  const g = new pm.Gauge({ name: 'big_value', help: 'B', labelNames: ['i'], registers: [big] });
  for (let i = 0; i < 2000; i++) g.set({ i: `series-${String(i).padStart(5, '0')}` }, i);
  const texts = [await small.metrics(), await big.metrics()];
  await pm.writeToTextfile(file, small);
  // The reader runs on a thread of its own, reading synchronously as fast as it can.
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const reader = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const fs = require('node:fs');
     const { file, texts, stop } = workerData;
     let reads = 0, bad = [];
     while (Atomics.load(stop, 0) === 0) {
       const t = fs.readFileSync(file, 'utf8');
       reads++;
       if (t !== texts[0] && t !== texts[1] && bad.length < 3) bad.push(t.length);
     }
     parentPort.postMessage({ reads, bad });`,
    { eval: true, workerData: { file, texts, stop } },
  );
  const seen = new Promise((resolve, reject) => {
    reader.once('message', resolve);
    reader.once('error', reject);
  });
  for (let i = 0; i < 1000; i++) await pm.writeToTextfile(file, i % 2 === 0 ? big : small);
  Atomics.store(stop, 0, 1);
  const { reads, bad } = await seen;
  await reader.terminate();
  assert.deepEqual(bad, [], `partial files of ${bad} bytes seen`);
  assert.ok(reads > 0);
  assert.equal(fs.readFileSync(file, 'utf8'), texts[0]);
  assert.deepEqual(fs.readdirSync(dir), ['job.prom']);
  fs.rmSync(dir, { recursive: true });
});

test('unwritable paths reject with a PushError naming the path and the reason', async () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'plain-file'), 'x');
  fs.mkdirSync(path.join(dir, 'a-dir.prom'));
  const cases = [
    [path.join(dir, 'missing', 'job.prom'), 'No such file or directory'],
    [path.join(dir, 'plain-file', 'job.prom'), 'Not a directory'],
    [path.join(dir, 'a-dir.prom'), 'Is a directory'],
  ];
  for (const [file, reason] of cases) {
    await assert.rejects(pm.writeToTextfile(file, sampleRegistry()), (e) => {
      assert.ok(e instanceof pm.PushError, String(e));
      assert.equal(e.code, 'ERR_IO');
      assert.ok(e.message.includes(file) && e.message.includes(reason), e.message);
      return true;
    });
  }
  await assert.rejects(pm.writeToTextfile(42), pm.ConfigError);
  await assert.rejects(pm.writeToTextfile(path.join(dir, 'x.prom'), {}), pm.ConfigError);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['a-dir.prom', 'plain-file']);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'a-dir.prom')), []);
  fs.rmSync(dir, { recursive: true });
});

test('the textfile target rewrites the file at each interval and at shutdown', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'worker.prom');
  const reg = new pm.Registry();
  const done = new pm.Counter({ name: 'items_done_total', help: 'Items', registers: [reg] });
  done.inc();
  const p = new pm.Pusher({ url: file, target: 'textfile', registry: reg, intervalMs: 100, jitter: 0, ignoreEnv: true });
  assert.equal(p.url, file);
  assert.ok(await waitFor(() => read(file).includes('items_done_total 1\n')));
  done.inc();
  assert.ok(await waitFor(() => read(file).includes('items_done_total 2\n')));
  assert.ok(await waitFor(() => p.stats().pushesOk >= 2));
  assert.ok(p.healthy());
  done.inc(40);
  await p.shutdown();
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.includes('items_done_total 42\n'), text);
  assert.ok(text.includes('pushmetrics_pushes_total'), text);
  promtoolCheck(file);
  assert.deepEqual(fs.readdirSync(dir), ['worker.prom']);
  fs.rmSync(dir, { recursive: true });
});

test('failed textfile writes are counted and name the path', async () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'plain-file'), 'x');
  const file = path.join(dir, 'plain-file', 'job.prom');
  const p = new pm.Pusher({
    url: `file://${file}`, target: 'textfile', registry: sampleRegistry(), intervalMs: 3_600_000, ignoreEnv: true,
  });
  await assert.rejects(p.flush(), (e) => e instanceof pm.PushError && e.message.includes(file));
  const st = p.stats();
  assert.equal(st.pushesFailed, 1);
  assert.equal(st.pushesOk, 0);
  assert.ok(st.lastError.includes(file) && st.lastError.includes('Not a directory'), st.lastError);
  await assert.rejects(p.shutdown(), pm.PushError);
  assert.deepEqual(fs.readdirSync(dir), ['plain-file']);
  fs.rmSync(dir, { recursive: true });
});

test('PUSHMETRICS_TARGET=textfile makes a script write its file when it ends', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'from-env.prom');
  const r = await runScript(
    `const pm = require(__PKG__);
     new pm.Counter({ name: 'env_jobs_total', help: 'Jobs' }).inc();
     new pm.Pusher({ url: 'http://127.0.0.1:9091', job: 'env_job', intervalMs: 3_600_000 });`,
    { PUSHMETRICS_TARGET: 'textfile', PUSHMETRICS_URL: file, PUSHMETRICS_SELF_METRICS: 'false' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(read(file).includes('env_jobs_total 1\n'), read(file));
  promtoolCheck(file);
  assert.deepEqual(fs.readdirSync(dir), ['from-env.prom']);
  fs.rmSync(dir, { recursive: true });
});
