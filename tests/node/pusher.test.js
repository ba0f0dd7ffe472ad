'use strict';
// Pushing to the real Pushgateway: Pusher, Pushgateway, final numbers of a script that just
// ends, a hung gateway, the event loop while pushing 100,000 series.
const test = require('node:test');
const assert = require('node:assert/strict');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { PKG, PGW_URL, scrape, scrapeWhenGone, valueOf, runScript, hungServer, unique } = require('./helpers.js');
const pm = require(PKG);

test('flush delivers exact values, stats and health follow', async () => {
  const job = unique('flush');
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'jobs_total', help: 'j', labelNames: ['kind'], registers: [reg] });
  const held = c.labels('held');
  const g = new pm.Gauge({ name: 'temp', help: 't', registers: [reg] });
  const h = new pm.Histogram({ name: 'dur_seconds', help: 'd', buckets: [1, 5], registers: [reg] });
  const p = new pm.Pusher({ url: PGW_URL, job, groupings: { instance: 'a/b' }, registry: reg, intervalMs: 60_000 });
  c.inc({ kind: 'x' }, 3);
  for (let i = 0; i < 1000; i++) held.inc();
  g.set(21.5);
  h.observe(2);
  const report = await p.flush();
  assert.ok(report.requests >= 1 && report.bytes > 0 && report.series >= 3, JSON.stringify(report));
  assert.ok(report.durationMs >= 0);
  const got = await scrape(job);
  assert.equal(valueOf(got, 'jobs_total', { kind: 'x', instance: 'a/b' }), 3);
  assert.equal(valueOf(got, 'jobs_total', { kind: 'held' }), 1000);
  assert.equal(valueOf(got, 'temp'), 21.5);
  assert.equal(valueOf(got, 'dur_seconds_bucket', { le: '5' }), 1);
  assert.equal(valueOf(got, 'dur_seconds_count'), 1);
  assert.equal(valueOf(got, 'pushmetrics_series'), 4); // self-metrics ride along
  const st = p.stats();
  assert.equal(st.pushesOk, 1);
  assert.equal(st.pushesFailed, 0);
  assert.equal(st.breaker, 'closed');
  assert.ok(st.lastSuccessMs > Date.now() - 60_000 && st.lastSuccessMs <= Date.now() + 1000);
  assert.equal(st.lastError, undefined);
  assert.ok(st.series >= 3 && st.bytesSent > 0 && st.lastPushDurationMs >= 0);
  assert.equal(p.healthy(), true);
  assert.ok(p.url.startsWith(`${PGW_URL}/metrics/job`), p.url);
  await p.shutdown();
  await p.shutdown(); // idempotent
  await assert.rejects(p.flush(), { code: 'ERR_SHUTDOWN' });
});

test('several pushers in one process push their own registries', async () => {
  const jobs = [unique('multi'), unique('multi'), unique('multi')];
  const pushers = jobs.map((job, i) => {
    const reg = new pm.Registry();
    new pm.Counter({ name: 'n_total', help: 'n', registers: [reg] }).inc(i + 1);
    return new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 60_000, selfMetrics: false });
  });
  await Promise.all(pushers.map((p) => p.flush()));
  for (const [i, job] of jobs.entries()) assert.equal(valueOf(await scrape(job), 'n_total'), i + 1);
  await Promise.all(pushers.map((p) => p.shutdown()));
});

test('the pusher pushes on its own schedule', async () => {
  const job = unique('tick');
  const reg = new pm.Registry();
  new pm.Counter({ name: 'tick_total', help: 't', registers: [reg] }).inc(9);
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 200, jitter: 0 });
  let v;
  for (let i = 0; i < 50 && v === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = valueOf(await scrape(job), 'tick_total');
  }
  assert.equal(v, 9);
  await p.shutdown();
});

test('a scheduled push carries every increment of a held child', async () => {
  const job = unique('held');
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'held_total', help: 'h', labelNames: ['k'], registers: [reg] });
  const child = c.labels('a');
  for (let i = 0; i < 1234; i++) child.inc();
  child.inc(0.5);
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 200, jitter: 0, selfMetrics: false });
  let v;
  for (let i = 0; i < 50 && v !== 1234.5; i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = valueOf(await scrape(job), 'held_total');
  }
  assert.equal(v, 1234.5);
  await p.shutdown();
});

test('deleteOnShutdown removes the group', async () => {
  const job = unique('del');
  const reg = new pm.Registry();
  new pm.Gauge({ name: 'd', help: 'd', registers: [reg] }).set(1);
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 60_000, deleteOnShutdown: true });
  await p.flush();
  assert.equal(valueOf(await scrape(job), 'd'), 1);
  await p.shutdown();
  assert.deepEqual(await scrapeWhenGone(job), []);
});

test('Pushgateway push, pushAdd and delete with prom-client shapes', async () => {
  const job = unique('gw');
  const reg = new pm.Registry();
  const a = new pm.Counter({ name: 'a_total', help: 'a', registers: [reg] });
  const gw = new pm.Pushgateway(PGW_URL, { timeout: 5000, headers: { 'X-Test': '1' } }, reg);
  a.inc(2);
  const r = await gw.push({ jobName: job, groupings: { zone: 'eu' } });
  assert.ok(r.requests >= 1 && r.bytes > 0);
  assert.equal(valueOf(await scrape(job), 'a_total', { zone: 'eu' }), 2);
  a.inc();
  await gw.pushAdd({ jobName: job, groupings: { zone: 'eu' } });
  assert.equal(valueOf(await scrape(job), 'a_total', { zone: 'eu' }), 3);
  await gw.delete({ jobName: job, groupings: { zone: 'eu' } });
  assert.deepEqual(await scrapeWhenGone(job), []);
  await assert.rejects(gw.push({}), pm.ConfigError);
  const down = new pm.Pushgateway('http://127.0.0.1:1', { maxAttempts: 1, ignoreEnv: true }, reg);
  await assert.rejects(down.push({ jobName: job }), (e) => e instanceof pm.PushError && e.code === 'ERR_PUSH');
});

test('Pushgateway uses the default register', async () => {
  const job = unique('gwdefault');
  const name = unique('gw_default_total');
  new pm.Counter({ name, help: 'd' }).inc(4);
  await new pm.Pushgateway(PGW_URL).pushAdd({ jobName: job });
  assert.equal(valueOf(await scrape(job), name), 4);
  pm.register.removeSingleMetric(name);
});

test('a script that records and simply ends delivers its final numbers', async () => {
  const job = unique('ends');
  const r = await runScript(
    `
const pm = require(__PKG__);
const c = new pm.Counter({ name: 'rows_total', help: 'r', labelNames: ['table'] });
const held = c.labels('users');
const h = new pm.Histogram({ name: 'step_seconds', help: 's', buckets: [0.5] });
new pm.Pusher({ url: process.env.PGW_URL, job: '${job}', intervalMs: 3600000 });
for (let i = 0; i < 12345; i++) held.inc();
c.inc({ table: 'orders' }, 77);
h.observe(0.25);
h.observe(0.75);
setTimeout(() => {}, 10); // some async work, then the script reaches its end
`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  const got = await scrape(job);
  assert.equal(valueOf(got, 'rows_total', { table: 'users' }), 12345);
  assert.equal(valueOf(got, 'rows_total', { table: 'orders' }), 77);
  assert.equal(valueOf(got, 'step_seconds_count'), 2);
  assert.equal(valueOf(got, 'step_seconds_bucket', { le: '0.5' }), 1);
});

test('a script that calls process.exit() delivers its final numbers', async () => {
  const job = unique('exits');
  const r = await runScript(
    `
const pm = require(__PKG__);
new pm.Pusher({ url: process.env.PGW_URL, job: '${job}', intervalMs: 3600000 });
new pm.Counter({ name: 'done_total', help: 'd' }).inc(5);
process.exit(3);
`,
  );
  assert.equal(r.status, 3, r.stderr);
  assert.equal(valueOf(await scrape(job), 'done_total'), 5);
});

test('with the gateway hung, a script still ends within its shutdown timeout', async () => {
  const hung = await hungServer();
  try {
    const r = await runScript(
      `
const pm = require(__PKG__);
new pm.Pusher({ url: '${hung.url}', job: 'hung', intervalMs: 3600000, shutdownTimeoutMs: 1500, ignoreEnv: true });
new pm.Counter({ name: 'x_total', help: 'x' }).inc();
`,
    );
    assert.equal(r.status, 0, r.stderr);
    // 1.5 s of shutdown timeout plus the start of node and the addon.
    assert.ok(r.ms < 6000, `took ${r.ms} ms`);
    assert.ok(r.ms >= 1400, `took only ${r.ms} ms: the final flush was not attempted`);
    assert.match(r.stderr, /final push .* failed/);
  } finally {
    await hung.close();
  }
});

test('flush to a hung gateway rejects with a timeout and the stats say so', async () => {
  const hung = await hungServer();
  const reg = new pm.Registry();
  new pm.Counter({ name: 'h_total', help: 'h', registers: [reg] }).inc();
  const p = new pm.Pusher({
    url: hung.url,
    job: 'hung2',
    registry: reg,
    intervalMs: 3600000,
    requestTimeoutMs: 300,
    maxAttempts: 1,
    ignoreEnv: true,
  });
  try {
    // The core bounds the push by the flush timeout too: whichever ends first, the wait or
    // the push, the promise rejects within the timeout.
    const started = Date.now();
    await assert.rejects(p.flush(150), (e) =>
      e instanceof pm.TimeoutError ? e.code === 'ERR_TIMEOUT' : e instanceof pm.PushError && e.code === 'ERR_PUSH',
    );
    assert.ok(Date.now() - started < 1000, `flush(150) took ${Date.now() - started} ms`);
    // While the push thread is busy with a push that hangs, a short flush times out.
    const busy = assert.rejects(p.flush(5000), pm.PushError);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(p.flush(100), (e) => e instanceof pm.TimeoutError && e.code === 'ERR_TIMEOUT');
    await busy;
    const st = p.stats();
    assert.ok(st.pushesFailed >= 1 && st.consecutiveFailures >= 1, JSON.stringify(st));
    assert.ok(typeof st.lastError === 'string' && st.lastError.length > 0);
  } finally {
    await p.shutdown(500).catch(() => {});
    await hung.close();
  }
});

test('pushing 100,000 series leaves the event loop free', async () => {
  const job = unique('big');
  const reg = new pm.Registry({ maxSeriesPerMetric: 200_000, maxSeries: 400_000 });
  const c = new pm.Counter({ name: 'big_total', help: 'b', labelNames: ['id'], registers: [reg] });
  for (let i = 0; i < 100_000; i++) c.inc({ id: `s${i}` }, i);
  const p = new pm.Pusher({ url: PGW_URL, job, registry: reg, intervalMs: 3600000, selfMetrics: false });
  const h = monitorEventLoopDelay({ resolution: 1 });
  const ticker = setInterval(() => {}, 1);
  h.enable();
  const report = await p.flush(30_000);
  h.disable();
  clearInterval(ticker);
  await p.shutdown();
  assert.equal(report.series, 100_000);
  const p99 = h.percentile(99) / 1e6;
  const max = h.max / 1e6;
  test.diagnostic?.(`event loop delay while pushing: p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
  console.log(`# event loop delay while pushing 100,000 series: p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
  // A blocked loop would wait for the whole push (hundreds of ms); generous bounds for a
  // busy machine.
  assert.ok(p99 < 10, `p99 ${p99} ms`);
  assert.ok(max < 50, `max ${max} ms`);
  assert.equal(valueOf(await scrape(job), 'big_total', { id: 's99999' }), 99999);
});
