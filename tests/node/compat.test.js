'use strict';
// prom-client compatibility: one script, run once with prom-client and once with pushmetrics,
// pushes to the real Pushgateway under two job names; what the gateway holds for the two
// must be the same metrics (names, types, help, labels and values; for the default metrics,
// names and types). Also: promtool accepts the exposition with the default metrics on.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { PKG, PGW_URL, runScript, unique } = require('./helpers.js');
const pm = require(PKG);

// The same code for both libraries; LIB picks one. Prints getMetricsAsJSON() of the compat_*
// metrics as one JSON line.
const SCRIPT = `
const m = process.env.LIB === 'pushmetrics'
  ? require(__PKG__)
  : require(require.resolve('prom-client', { paths: [__PKG__] }));
const reg = new m.Registry();
const registers = [reg];

const c = new m.Counter({ name: 'compat_requests_total', help: 'Requests.', labelNames: ['method', 'code'], registers });
c.inc({ method: 'GET', code: '200' });
c.inc({ method: 'GET', code: 200 }, 2);
c.labels('POST', '500').inc();
c.labels({ method: 'PUT', code: '201' }).inc(4);
c.remove('PUT', '201');
c.inc({ method: 'DELETE', code: '204' });
c.remove({ method: 'DELETE', code: '204' });
const plain = new m.Counter({ name: 'compat_plain_total', help: 'Plain.', registers });
plain.inc(5);
plain.reset();
plain.inc(2);

const g = new m.Gauge({ name: 'compat_temperature_celsius', help: 'Temperature.', labelNames: ['room'], registers });
g.set({ room: 'a' }, 21.5);
g.inc({ room: 'b' }, 3);
g.dec({ room: 'b' });
g.labels('c').set(-4);
const cleared = new m.Gauge({ name: 'compat_cleared', help: 'Cleared.', labelNames: ['k'], registers });
cleared.set({ k: 'x' }, 1);
cleared.reset();
cleared.set({ k: 'y' }, 2);
new m.Gauge({ name: 'compat_collected', help: 'Set in collect.', registers, collect() { this.set(17); } });
new m.Gauge({
  name: 'compat_async_collected', help: 'Set in an async collect.', labelNames: ['k'], registers,
  async collect() { await new Promise((r) => setTimeout(r, 5)); this.set({ k: 'x' }, 8); },
});
const assigned = new m.Gauge({ name: 'compat_assigned_collect', help: 'collect assigned later.', registers });
assigned.collect = () => assigned.set(3);

const h = new m.Histogram({ name: 'compat_latency_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.1, 0.5, 1], registers });
h.observe({ route: '/' }, 0.05);
h.observe({ route: '/' }, 0.7);
h.labels('/x').observe(3);
h.zero({ route: '/z' });
h.observe({ route: '/y' }, 1);
h.remove('/y');
h.observe({ route: '/w' }, 0.2);
h.zero({ route: '/w' });
const hr = new m.Histogram({ name: 'compat_reset_seconds', help: 'Reset.', buckets: [1], registers });
hr.observe(0.5);
hr.reset();
hr.observe(2);

const s = new m.Summary({ name: 'compat_size_bytes', help: 'Sizes.', labelNames: ['kind'], percentiles: [0.5, 0.9], registers });
for (let i = 1; i <= 100; i++) s.observe({ kind: 'a' }, i);
s.labels('b').observe(7);
s.observe({ kind: 'gone' }, 1);
s.remove('gone');

m.collectDefaultMetrics({ register: reg });

(async () => {
  const json = (await reg.getMetricsAsJSON()).filter((x) => x.name.startsWith('compat_'));
  console.log(JSON.stringify(json));
  const gw = new m.Pushgateway(process.env.PGW_URL, {}, reg);
  await gw.push({ jobName: process.env.JOB, groupings: { instance: 'compat' } });
  await gw.pushAdd({ jobName: process.env.JOB, groupings: { instance: 'compat' } });
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** The families the gateway holds for `job`: name → { type, help, series: [{ labels, ... }] }. */
async function families(job) {
  const res = await fetch(`${PGW_URL}/api/v1/metrics`);
  const body = await res.json();
  const group = body.data.find((g) => g.labels.job === job);
  assert.ok(group, `the gateway holds no group of ${job}`);
  const out = {};
  for (const [name, f] of Object.entries(group)) {
    if (name === 'labels' || name === 'last_push_successful' || f === null || !f.metrics) continue;
    out[name] = {
      type: f.type,
      help: f.help,
      series: f.metrics.map((x) => {
        const labels = { ...x.labels };
        delete labels.job;
        delete labels.instance;
        return { ...x, labels };
      }),
    };
  }
  return out;
}

const key = (labels) => JSON.stringify(Object.entries(labels).sort());

function sameSeries(name, type, ours, theirs) {
  const a = new Map(ours.map((x) => [key(x.labels), x]));
  const b = new Map(theirs.map((x) => [key(x.labels), x]));
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `label sets of ${name}`);
  for (const [k, x] of a) {
    const y = b.get(k);
    if (type === 'HISTOGRAM') {
      assert.deepEqual(
        [x.count, Number(x.sum), Object.values(x.buckets).map(Number)],
        [y.count, Number(y.sum), Object.values(y.buckets).map(Number)],
        `${name}${k}`,
      );
      assert.deepEqual(Object.keys(x.buckets).map(Number), Object.keys(y.buckets).map(Number), `bounds of ${name}`);
    } else if (type === 'SUMMARY') {
      assert.deepEqual([x.count, Number(x.sum)], [y.count, Number(y.sum)], `${name}${k}`);
      assert.deepEqual(Object.keys(x.quantiles).map(Number), Object.keys(y.quantiles).map(Number));
      for (const q of Object.keys(x.quantiles)) {
        // Different estimators (DDSketch with 1 % relative error against a t-digest).
        const [u, v] = [Number(x.quantiles[q]), Number(y.quantiles[q])];
        assert.ok(Math.abs(u - v) <= 0.03 * Math.max(Math.abs(v), 1), `${name}${k} q${q}: ${u} vs ${v}`);
      }
    } else {
      assert.equal(Number(x.value), Number(y.value), `${name}${k}`);
    }
  }
}

/** getMetricsAsJSON() in a canonical order, quantile estimates left out. */
function normalJson(metrics) {
  return metrics
    .map((m) => ({
      name: m.name,
      help: m.help,
      type: m.type,
      aggregator: m.aggregator,
      values: m.values
        .map((v) => {
          const labels = { ...v.labels };
          const out = { labels, metricName: v.metricName };
          // Quantile estimates differ by estimator; everything else is exact.
          if (labels.quantile === undefined) out.value = v.value;
          return out;
        })
        .map((v) => ({ ...v, labels: Object.fromEntries(Object.entries(v.labels).sort()) }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

test('the same script pushes the same metrics with prom-client and with pushmetrics', async () => {
  const jobs = { 'prom-client': unique('compat_prom_client'), pushmetrics: unique('compat_pushmetrics') };
  const json = {};
  for (const [lib, job] of Object.entries(jobs)) {
    const r = await runScript(SCRIPT, { LIB: lib, JOB: job });
    assert.equal(r.status, 0, `${lib}: ${r.stderr}`);
    json[lib] = JSON.parse(r.stdout.trim().split('\n')[0]);
  }
  const [ours, theirs] = [await families(jobs.pushmetrics), await families(jobs['prom-client'])];

  const compat = (fams) => Object.keys(fams).filter((n) => n.startsWith('compat_')).sort();
  assert.deepEqual(compat(ours), compat(theirs));
  for (const name of compat(theirs)) {
    assert.equal(ours[name].type, theirs[name].type, `type of ${name}`);
    assert.equal(ours[name].help, theirs[name].help, `help of ${name}`);
    sameSeries(name, theirs[name].type, ours[name].series, theirs[name].series);
  }

  // The default metrics: the same names and types (the values are each process's own).
  const defaults = (fams) =>
    Object.keys(fams)
      .filter((n) => n.startsWith('process_') || n.startsWith('nodejs_'))
      .sort()
      .map((n) => `${n} ${fams[n].type}`);
  assert.deepEqual(defaults(ours), defaults(theirs));
  for (const n of ['nodejs_version_info', 'nodejs_heap_space_size_used_bytes', 'nodejs_gc_duration_seconds']) {
    assert.deepEqual(
      Object.keys(ours[n].series[0].labels).sort(),
      Object.keys(theirs[n].series[0].labels).sort(),
      `labels of ${n}`,
    );
  }
  assert.equal(ours.nodejs_version_info.series[0].labels.version, process.version);

  // getMetricsAsJSON(): prom-client's shape.
  assert.deepEqual(normalJson(json.pushmetrics), normalJson(json['prom-client']));
});

test('collectDefaultMetrics honours prefix, labels and gcDurationBuckets for the runtime metrics', async () => {
  const reg = new pm.Registry();
  pm.collectDefaultMetrics({
    register: reg,
    prefix: 'app_',
    labels: { service: 'api' },
    gcDurationBuckets: [0.5, 5],
    eventLoopMonitoringPrecision: 20,
  });
  pm.collectDefaultMetrics({ register: reg }); // a second call does nothing
  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50)); // GC entries arrive on a later tick
  const text = await reg.metrics();
  assert.match(text, /^app_nodejs_heap_size_used_bytes\{service="api"\} \d+/m);
  assert.match(text, /^app_nodejs_version_info\{version="v[\d.]+",major="\d+",minor="\d+",patch="\d+",service="api"\} 1$/m);
  assert.match(text, /^app_nodejs_eventloop_lag_p99_seconds\{service="api"\} /m);
  assert.match(text, /^app_process_cpu_user_seconds_total\{service="api"\} /m);
  assert.match(text, /^# TYPE app_nodejs_gc_duration_seconds histogram$/m);
  assert.doesNotMatch(text, /^nodejs_/m);
  // The core's process collector takes them too.
  assert.match(text, /^app_process_resident_memory_bytes\{service="api"\} \d+/m);
  assert.doesNotMatch(text, /^process_/m);
  if (global.gc) assert.match(text, /^app_nodejs_gc_duration_seconds_bucket\{kind="\w+",service="api",le="0.5"\} \d+/m);
  assert.throws(() => pm.collectDefaultMetrics({ register: reg, prefix: 3 }), { name: 'ConfigError', message: /3/ });
  assert.throws(() => pm.collectDefaultMetrics({ regster: reg }), { name: 'ConfigError', message: /regster/ });
  assert.throws(() => pm.collectDefaultMetrics('yes'), { name: 'ConfigError', message: /yes/ });
});

test('promtool accepts the exposition with the default metrics on', async () => {
  const reg = new pm.Registry();
  pm.collectDefaultMetrics({ register: reg });
  new pm.Histogram({ name: 'req_seconds', help: 'Request latency.', labelNames: ['route'], registers: [reg] }).observe(
    { route: '/' },
    0.2,
  );
  const check = (text) => spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const ours = check(await reg.metrics());
  // Status 1 is a text it cannot parse; 3 lint remarks only.
  assert.ok(ours.status === 0 || ours.status === 3, `${ours.status}: ${ours.stdout}${ours.stderr}`);
  // The only remarks are about prom-client's own names, kept so its dashboards keep working:
  // gauges that end in _total. prom-client's exposition gets the very same ones.
  const promClient = require(require.resolve('prom-client', { paths: [PKG] }));
  const theirReg = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: theirReg });
  const theirs = check(await theirReg.metrics());
  const remarks = (r) => `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '').sort();
  assert.deepEqual(remarks(ours), remarks(theirs));
  for (const line of remarks(ours)) assert.match(line, /^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/);
});

test('Registry.merge reports every registry and refuses a name twice, as prom-client', async () => {
  const a = new pm.Registry();
  const b = new pm.Registry();
  new pm.Counter({ name: 'merged_a_total', help: 'a', registers: [a] }).inc(2);
  new pm.Gauge({ name: 'merged_b', help: 'b', registers: [b], collect() { this.set(9); } });
  const merged = pm.Registry.merge([a, b]);
  const text = await merged.metrics();
  assert.match(text, /^merged_a_total 2$/m);
  assert.match(text, /^merged_b 9$/m);
  assert.equal(merged.getSingleMetric('merged_b').name, 'merged_b');
  const dup = new pm.Registry();
  new pm.Counter({ name: 'merged_a_total', help: 'a', registers: [dup] });
  assert.throws(() => pm.Registry.merge([a, dup]), {
    name: 'ConflictError',
    message: 'A metric with the name merged_a_total has already been registered.',
  });
});

test('remove, reset and zero name what does not fit', () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'rm_total', help: 'r', labelNames: ['a'], registers: [reg] });
  assert.throws(() => c.remove({ b: 'x' }), { name: 'LabelError', message: /b/ });
  const h = new pm.Histogram({ name: 'z_seconds', help: 'z', labelNames: ['a'], registers: [reg] });
  assert.throws(() => h.zero({ nope: '1' }), { name: 'LabelError', message: /nope/ });
  assert.equal(reg.contentType, 'text/plain; version=0.0.4; charset=utf-8');
});

test('reset() and remove() in a loop hand the dropped children their cells, the metric keeps none', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'churn_total', help: 'c', labelNames: ['k'], registers: [reg] });
  const old = c.labels('a');
  for (let i = 0; i < 20_000; i++) {
    c.labels(`k${i % 40}`).inc();
    if (i % 40 === 39) c.reset();
    if (i % 1000 === 999) c.remove('a');
  }
  c.labels('a').inc(2);
  old.inc(100); // a child dropped by reset() records nowhere, as a removed series does
  c.labels('b').inc();
  assert.ok(c._slots.length <= 2, `the metric still owns ${c._slots.length} cells`);
  const text = await reg.metrics();
  assert.match(text, /^churn_total\{k="a"\} 2$/m);
  assert.match(text, /^churn_total\{k="b"\} 1$/m);
  assert.doesNotMatch(text, /k="k\d+"/);
});

// setDefaultLabels, for both libraries: on every series (collected and default metrics
// too) unless the series has a label of that name; the grouping label wins on the gateway.
const DEFAULT_LABELS_SCRIPT = `
const m = process.env.LIB === 'pushmetrics'
  ? require(__PKG__)
  : require(require.resolve('prom-client', { paths: [__PKG__] }));
const reg = new m.Registry();
const registers = [reg];
const c = new m.Counter({ name: 'dl_requests_total', help: 'Requests.', labelNames: ['env', 'code'], registers });
c.inc({ env: 'dev', code: '200' }, 3);
new m.Gauge({ name: 'dl_collected', help: 'Set in collect.', registers, collect() { this.set(17); } });
const h = new m.Histogram({ name: 'dl_latency_seconds', help: 'Latency.', buckets: [0.1, 1], registers });
h.observe(0.5);
m.collectDefaultMetrics({ register: reg });
reg.setDefaultLabels({ region: 'eu', env: 'prod', instance: 'mine', shard: '7' });
(async () => {
  const text = await reg.metrics();
  const json = (await reg.getMetricsAsJSON()).filter((x) => x.name.startsWith('dl_'));
  console.log(JSON.stringify({ text, json }));
  const gw = new m.Pushgateway(process.env.PGW_URL, {}, reg);
  await gw.push({ jobName: process.env.JOB, groupings: { instance: 'dl' } });
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('setDefaultLabels labels every series as prom-client does, on the gateway too', async () => {
  const jobs = { 'prom-client': unique('dl_prom_client'), pushmetrics: unique('dl_pushmetrics') };
  const out = {};
  for (const [lib, job] of Object.entries(jobs)) {
    const r = await runScript(DEFAULT_LABELS_SCRIPT, { LIB: lib, JOB: job });
    assert.equal(r.status, 0, `${lib}: ${r.stderr}`);
    out[lib] = JSON.parse(r.stdout.trim().split('\n')[0]);
  }
  const [ours, theirs] = [await families(jobs.pushmetrics), await families(jobs['prom-client'])];
  const names = (fams) => Object.keys(fams).filter((n) => n.startsWith('dl_')).sort();
  assert.deepEqual(names(ours), ['dl_collected', 'dl_latency_seconds', 'dl_requests_total']);
  assert.deepEqual(names(ours), names(theirs));
  for (const name of names(theirs)) {
    sameSeries(name, theirs[name].type, ours[name].series, theirs[name].series);
  }
  // The series' own env wins; the default labels reach the default metrics too.
  assert.deepEqual(ours.dl_requests_total.series[0].labels, { code: '200', env: 'dev', region: 'eu', shard: '7' });
  assert.equal(ours.dl_collected.series[0].labels.env, 'prod');
  for (const n of ['process_cpu_seconds_total', 'nodejs_version_info', 'nodejs_heap_size_used_bytes']) {
    assert.deepEqual(
      Object.keys(ours[n].series[0].labels).sort(),
      Object.keys(theirs[n].series[0].labels).sort(),
      `labels of ${n}`,
    );
    assert.equal(ours[n].series[0].labels.region, 'eu', n);
  }
  // The grouping label wins over the default label of the same name.
  const group = (await (await fetch(`${PGW_URL}/metrics`)).text())
    .split('\n')
    .filter((l) => l.startsWith('dl_requests_total{') && l.includes(`job="${jobs.pushmetrics}"`));
  assert.equal(group.length, 1);
  assert.match(group[0], /instance="dl"/);
  // Before the push: the exposition and getMetricsAsJSON() as prom-client's.
  assert.match(out.pushmetrics.text, /^dl_requests_total\{[^}]*env="dev"[^}]*\} 3$/m);
  assert.match(out.pushmetrics.text, /^dl_collected\{[^}]*instance="mine"[^}]*\} 17$/m);
  assert.deepEqual(normalJson(out.pushmetrics.json), normalJson(out['prom-client'].json));
});

test('setDefaultLabels replaces the set, clears with {} and refuses bad names naming them', async () => {
  const reg = new pm.Registry();
  new pm.Counter({ name: 'dl_local_total', help: 'c', registers: [reg] }).inc();
  reg.setDefaultLabels({ a: '1' });
  reg.setDefaultLabels({ b: 2 });
  assert.match(await reg.metrics(), /^dl_local_total\{b="2"\} 1$/m);
  for (const bad of ['le', 'quantile', '__x', '1a']) {
    assert.throws(() => reg.setDefaultLabels({ ok: 'x', [bad]: 'v' }), {
      name: 'InvalidNameError',
      message: new RegExp(`"${bad}"`),
    });
  }
  assert.throws(() => reg.setDefaultLabels('env=prod'), { name: 'ConfigError', message: /env=prod/ });
  assert.match(await reg.metrics(), /^dl_local_total\{b="2"\} 1$/m);
  reg.setDefaultLabels({});
  assert.match(await reg.metrics(), /^dl_local_total 1$/m);
});
