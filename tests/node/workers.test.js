'use strict';
// worker_threads: the addon loads in every worker (context-aware), workers record into the
// process-wide default registry, and a worker can run a pusher of its own.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { PKG, PGW_URL, scrape, valueOf, unique } = require('./helpers.js');
const pm = require(PKG);

function runWorker(code, workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(code.replaceAll('__PKG__', JSON.stringify(PKG)), { eval: true, workerData });
    let message;
    w.on('message', (m) => (message = m));
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 ? resolve(message) : reject(new Error(`worker exit ${code}`))));
  });
}

test('workers record into the default registry that the main thread pushes', async () => {
  const job = unique('workers');
  const name = unique('work_total');
  const p = new pm.Pusher({ url: PGW_URL, job, intervalMs: 3600000, selfMetrics: false });
  const code = `
const { workerData, parentPort } = require('node:worker_threads');
const pm = require(__PKG__);
const c = new pm.Counter({ name: workerData.name, help: 'w', labelNames: ['worker'] });
const held = c.labels(String(workerData.id));
for (let i = 0; i < 1000; i++) held.inc();
c.inc({ worker: 'shared' }, 1);
parentPort.postMessage('done');
`;
  const results = await Promise.all([0, 1, 2, 3].map((id) => runWorker(code, { name, id })));
  assert.deepEqual(results, ['done', 'done', 'done', 'done']);
  await p.flush();
  const got = await scrape(job);
  for (const id of ['0', '1', '2', '3']) assert.equal(valueOf(got, name, { worker: id }), 1000);
  assert.equal(valueOf(got, name, { worker: 'shared' }), 4);
  await p.shutdown();
});

test('a worker runs its own pusher and registry', async () => {
  const job = unique('wpusher');
  const code = `
const { workerData, parentPort } = require('node:worker_threads');
const pm = require(__PKG__);
(async () => {
  const reg = new pm.Registry();
  new pm.Gauge({ name: 'w_gauge', help: 'w', registers: [reg] }).set(42);
  const p = new pm.Pusher({ url: workerData.url, job: workerData.job, registry: reg, intervalMs: 3600000 });
  const r = await p.flush();
  await p.shutdown();
  parentPort.postMessage({ series: r.series, healthy: p.healthy() });
})();
`;
  const m = await runWorker(code, { url: PGW_URL, job });
  assert.ok(m.series >= 1);
  assert.equal(valueOf(await scrape(job), 'w_gauge'), 42);
});

test('errors thrown in a worker keep their class and code', async () => {
  const code = `
const { parentPort } = require('node:worker_threads');
const pm = require(__PKG__);
try { new pm.Counter({ name: 'bad name', help: 'x', registers: [new pm.Registry()] }); }
catch (e) { parentPort.postMessage({ name: e.name, code: e.code, isClass: e instanceof pm.InvalidNameError }); }
`;
  assert.deepEqual(await runWorker(code), { name: 'InvalidNameError', code: 'ERR_INVALID_METRIC_NAME', isClass: true });
});
