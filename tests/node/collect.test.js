'use strict';
// Metrics' collect() callbacks before every snapshot: the scheduled pushes read back from the
// real Pushgateway carry fresh values, a callback that hangs or an event loop that is blocked
// delays neither the push nor the exit, and the core counts what went wrong.
const test = require('node:test');
const assert = require('node:assert/strict');
const { PKG, PGW_URL, scrape, scrapeWhenGone, valueOf, runScript, unique, sleep } = require('./helpers.js');
const pm = require(PKG);

const FAILURES = 'pushmetrics_collector_failures_total';

/** The gateway's samples of `job` once its push time is past `after` (Unix seconds). */
async function nextPush(job, after, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await scrape(job);
    const t = valueOf(got, 'push_time_seconds');
    if (t !== undefined && t > after) return { got, t };
    if (Date.now() > deadline) throw new Error(`no push of ${job} after ${after} within ${ms} ms`);
    await sleep(20);
  }
}

/** The failures the core counted for the collect callbacks, from a pushed snapshot. */
function failures(got) {
  return got
    .filter((s) => s.name === FAILURES && s.labels.collector.startsWith('nodejs_collect'))
    .reduce((n, s) => n + s.value, 0);
}

test('a gauge set in collect() is fresh in every scheduled push', async () => {
  const job = unique('collect_fresh');
  const reg = new pm.Registry();
  let calls = 0;
  new pm.Gauge({
    name: 'collected_at_seconds',
    help: 'c',
    registers: [reg],
    collect() {
      calls += 1;
      this.set(Date.now() / 1000);
    },
  });
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 300, jitter: 0 });
  let after = 0;
  const values = [];
  for (let i = 0; i < 4; i++) {
    const { got, t } = await nextPush(job, after);
    const v = valueOf(got, 'collected_at_seconds');
    // Set on the event loop just before the push thread read the registry: within the push.
    assert.ok(v !== undefined && Math.abs(t - v) < 1, `push at ${t} carried ${v}`);
    values.push(v);
    after = t;
  }
  assert.equal(new Set(values).size, 4, `each push carried a new value: ${values}`);
  assert.ok(calls >= 4, `collect ran ${calls} times`);
  assert.equal(failures((await scrape(job))), 0);
  await p.shutdown();
});

test('metrics() and flush() run collect() once, on the event loop, not again for the snapshot', async () => {
  const job = unique('collect_once');
  const reg = new pm.Registry();
  let calls = 0;
  new pm.Gauge({
    name: 'calls',
    help: 'c',
    registers: [reg],
    async collect() {
      calls += 1;
      await sleep(1);
      this.set(calls);
    },
  });
  assert.match(await reg.metrics(), /^calls 1$/m);
  assert.equal(calls, 1);
  assert.match(await reg.getSingleMetricAsString('calls'), /^calls 2$/m);
  assert.equal((await reg.getMetricsAsJSON()).find((m) => m.name === 'calls').values[0].value, 3);
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 60_000 });
  await p.flush();
  assert.equal(calls, 4);
  assert.equal(valueOf(await scrape(job), 'calls'), 4);
  await p.shutdown();
  assert.equal(calls, 5);
});

test('a snapshot taken on the event loop leaves the next scheduled push its own collect()', async () => {
  const job = unique('collect_after_json');
  const reg = new pm.Registry();
  let calls = 0;
  new pm.Gauge({ name: 'calls', help: 'c', registers: [reg], collect() { calls += 1; this.set(calls); } });
  await reg.getMetricsAsJSON();
  await reg.getSingleMetricAsString('calls');
  assert.equal(calls, 2);
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 200, jitter: 0 });
  const { got } = await nextPush(job, 0);
  assert.ok(valueOf(got, 'calls') >= 3, `the push carried ${valueOf(got, 'calls')}`);
  await p.shutdown();
});

test('a collect() that never settles costs a scheduled push at most collectTimeoutMs and is counted', async () => {
  const job = unique('collect_hang');
  const reg = new pm.Registry({ collectTimeoutMs: 100 });
  assert.equal(reg.collectTimeoutMs, 100);
  new pm.Gauge({ name: 'hangs', help: 'h', registers: [reg], collect: () => new Promise(() => {}) });
  const ok = new pm.Gauge({ name: 'still_set', help: 's', registers: [reg], collect: () => ok.set(7) });
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 300, jitter: 0 });
  const first = await nextPush(job, 0);
  const second = await nextPush(job, first.t);
  assert.ok(second.t - first.t < 2, `pushes ${first.t} and ${second.t}`);
  // The other callbacks ran: their values went out.
  assert.equal(valueOf(second.got, 'still_set'), 7);
  assert.ok(failures(second.got) >= 1, 'the hanging callback is counted');
  assert.ok(p.stats().lastPushDurationMs < 1000, `push took ${p.stats().lastPushDurationMs} ms`);
  await p.shutdown();
});

test('a blocked event loop delays collect() values, never the scheduled pushes', async () => {
  const job = unique('collect_blocked');
  const reg = new pm.Registry({ collectTimeoutMs: 100 });
  let calls = 0;
  new pm.Gauge({
    name: 'collect_calls',
    help: 'c',
    registers: [reg],
    collect() {
      calls += 1;
      this.set(calls);
    },
  });
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 200, jitter: 0 });
  await nextPush(job, 0);
  const before = p.stats().pushesOk;
  const spin = Date.now() + 2000;
  while (Date.now() < spin) {
    // busy: the event loop runs nothing for 2 s
  }
  const during = p.stats().pushesOk - before;
  assert.ok(during >= 3, `${during} scheduled pushes while the loop was blocked for 2 s`);
  assert.ok(p.stats().lastPushDurationMs < 1000, `push took ${p.stats().lastPushDurationMs} ms`);
  await sleep(50); // the callbacks the pushes asked for run now
  const { got } = await nextPush(job, Date.now() / 1000);
  assert.ok(failures(got) >= 1, 'the pushes that waited in vain are counted');
  assert.ok(valueOf(got, 'collect_calls') >= 2, 'collect runs again once the loop is free');
  await p.shutdown();
});

test('a collect() that throws is counted; the push goes out with the values as they are', async () => {
  const job = unique('collect_throws');
  const reg = new pm.Registry();
  const g = new pm.Gauge({ name: 'kept', help: 'k', registers: [reg] });
  g.set(3);
  g.collect = () => {
    throw new Error('sensor unplugged');
  };
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 200, jitter: 0 });
  const { got } = await nextPush(job, 0);
  assert.equal(valueOf(got, 'kept'), 3);
  assert.ok(failures(got) >= 1);
  // From JS, the error reaches the caller, as with prom-client.
  await assert.rejects(reg.metrics(), /sensor unplugged/);
  await p.shutdown().catch(() => {});
});

test('a script with collect() and a pusher ends at once and pushes its final values', async () => {
  const job = unique('collect_exit');
  for (const ending of ['', 'process.exit(0);']) {
    const r = await runScript(
      `const pm = require(__PKG__);
       const reg = new pm.Registry();
       new pm.Gauge({ name: 'final_value', help: 'f', registers: [reg], collect() { this.set(42); } });
       new pm.Pusher({ url: ${JSON.stringify(PGW_URL)}, job: ${JSON.stringify(job)}, registry: reg, intervalMs: 60000 });
       ${ending}`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    assert.equal(valueOf(await scrape(job), 'final_value'), 42);
    await fetch(`${PGW_URL}/metrics/job/${job}`, { method: 'DELETE' });
    await scrapeWhenGone(job);
  }
});

test('collectTimeoutMs is checked', () => {
  assert.throws(() => new pm.Registry({ collectTimeoutMs: -1 }), { name: 'ConfigError', message: /-1/ });
  assert.throws(() => {
    pm.register.collectTimeoutMs = 'soon';
  }, { name: 'ConfigError', message: /soon/ });
});

test('a worker collect() on the default registry runs for the main thread pushes and leaves with the worker', async () => {
  const { Worker } = require('node:worker_threads');
  const job = unique('collect_worker');
  const name = unique('worker_collected');
  const p = new pm.Pusher({ url: PGW_URL, job, intervalMs: 3_600_000, selfMetrics: false });
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const pm = require(${JSON.stringify(PKG)});
     let n = 0;
     new pm.Gauge({ name: ${JSON.stringify(name)}, help: 'w', collect() { n += 1; this.set(n); } });
     parentPort.postMessage('ready');
     parentPort.on('message', () => process.exit(0));`,
    { eval: true },
  );
  await new Promise((resolve) => w.once('message', resolve));
  // flush() from the main thread: the worker's callback runs on the worker's event loop.
  await p.flush();
  assert.equal(valueOf(await scrape(job), name), 1);
  await p.flush();
  assert.equal(valueOf(await scrape(job), name), 2);
  w.postMessage('exit');
  await new Promise((resolve) => w.once('exit', resolve));
  const t0 = Date.now();
  await p.flush();
  assert.ok(Date.now() - t0 < 2000, 'a push after the worker left waits for nobody');
  await p.shutdown();
});

test('a scrape of startHttpServer carries the values collect() sets', async () => {
  const reg = new pm.Registry();
  let calls = 0;
  new pm.Gauge({ name: 'scrape_calls', help: 's', registers: [reg], collect() { calls += 1; this.set(calls); } });
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: reg });
  try {
    for (const want of [1, 2]) {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      assert.match(text, new RegExp(`^scrape_calls ${want}$`, 'm'));
    }
  } finally {
    await server.close();
  }
});
