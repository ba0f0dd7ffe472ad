'use strict';
// Recording: every metric type and method, children, registries and their options.
const test = require('node:test');
const assert = require('node:assert/strict');
const { PKG, unique } = require('./helpers.js');
const pm = require(PKG);

/** The series of family `name` in the JSON view, keyed by their label values. */
async function series(reg, name) {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name);
  return m === undefined ? [] : m.values;
}

test('counter inc with no arguments, a value, labels, and labels and a value', async () => {
  const reg = new pm.Registry();
  const plain = new pm.Counter({ name: 'plain_total', help: 'p', registers: [reg] });
  plain.inc();
  plain.inc(2.5);
  const req = new pm.Counter({ name: 'req_total', help: 'r', labelNames: ['method', 'code'], registers: [reg] });
  req.inc({ method: 'GET', code: '200' });
  req.inc({ code: '200', method: 'GET' }, 4);
  req.inc({ method: 'POST', code: 500 }); // numbers are label values too, as in prom-client
  const text = await reg.metrics();
  assert.match(text, /^plain_total 3.5$/m);
  assert.match(text, /^req_total\{method="GET",code="200"\} 5$/m);
  assert.match(text, /^req_total\{method="POST",code="500"\} 1$/m);
});

test('labels() by values or by object returns a child that records into the same series', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'], registers: [reg] });
  const byValues = c.labels('x', 'y');
  const byObject = c.labels({ b: 'y', a: 'x' });
  byValues.inc();
  byObject.inc(2);
  c.inc({ a: 'x', b: 'y' }, 3);
  assert.match(await reg.metrics(), /^c_total\{a="x",b="y"\} 6$/m);
});

test('held children are collected and their increments are kept', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'gc_total', help: 'c', labelNames: ['a'], registers: [reg] });
  for (let i = 0; i < 5000; i++) c.labels(String(i % 10)).inc();
  if (global.gc) global.gc();
  await new Promise((r) => setTimeout(r, 50));
  const values = await series(reg, 'gc_total');
  assert.equal(values.reduce((s, v) => s + v.value, 0), 5000);
});

test('counters with labels of four or more names take the general path', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'wide_total', help: 'w', labelNames: ['a', 'b', 'c', 'd'], registers: [reg] });
  c.inc({ a: '1', b: '2', c: '3', d: '4' }, 2);
  c.labels('1', '2', '3', '4').inc();
  assert.match(await reg.metrics(), /^wide_total\{a="1",b="2",c="3",d="4"\} 3$/m);
});

test('gauge set, inc, dec, setToCurrentTime and startTimer, plain and labelled', async () => {
  const reg = new pm.Registry();
  const g = new pm.Gauge({ name: 'g', help: 'g', registers: [reg] });
  g.set(10);
  g.inc();
  g.inc(4);
  g.dec();
  g.dec(2);
  assert.match(await reg.metrics(), /^g 12$/m);
  const before = Date.now() / 1000;
  g.setToCurrentTime();
  const now = (await series(reg, 'g'))[0].value;
  assert.ok(now >= before - 1 && now <= Date.now() / 1000 + 1, `timestamp ${now}`);
  const end = g.startTimer();
  await new Promise((r) => setTimeout(r, 20));
  const secs = end();
  assert.ok(secs >= 0.015 && secs < 5, `timer ${secs}`);
  assert.equal((await series(reg, 'g'))[0].value, secs);

  const lg = new pm.Gauge({ name: 'lg', help: 'g', labelNames: ['room'], registers: [reg] });
  lg.set({ room: 'a' }, 5);
  lg.inc({ room: 'a' });
  lg.inc({ room: 'a' }, 2);
  lg.dec({ room: 'a' }, 0.5);
  lg.dec({ room: 'a' });
  const child = lg.labels('b');
  child.set(3);
  child.inc();
  child.dec(2);
  lg.setToCurrentTime({ room: 'c' });
  child.setToCurrentTime();
  lg.labels('d').startTimer()();
  lg.startTimer({ room: 'e' })();
  const text = await reg.metrics();
  assert.match(text, /^lg\{room="a"\} 6.5$/m);
  assert.match(text, /^lg\{room="c"\} \d{10}/m);
  assert.match(text, /^lg\{room="b"\} \d{10}/m);
  assert.match(text, /^lg\{room="d"\} /m);
  assert.match(text, /^lg\{room="e"\} /m);
});

test('histogram observe, buckets, startTimer and children', async () => {
  const reg = new pm.Registry();
  const h = new pm.Histogram({ name: 'h_seconds', help: 'h', buckets: [0.1, 1, 10], registers: [reg] });
  h.observe(0.05);
  h.observe(0.5);
  h.observe(50);
  const text = await reg.metrics();
  assert.match(text, /^h_seconds_bucket\{le="0.1"\} 1$/m);
  assert.match(text, /^h_seconds_bucket\{le="1.0"\} 2$/m);
  assert.match(text, /^h_seconds_bucket\{le="10.0"\} 2$/m);
  assert.match(text, /^h_seconds_bucket\{le="\+Inf"\} 3$/m);
  assert.match(text, /^h_seconds_sum 50.55$/m);
  assert.match(text, /^h_seconds_count 3$/m);

  const lh = new pm.Histogram({
    name: 'lh_seconds',
    help: 'h',
    labelNames: ['route'],
    buckets: pm.linearBuckets(1, 1, 3),
    registers: [reg],
  });
  lh.observe({ route: '/' }, 2);
  lh.labels('/').observe(3);
  lh.labels({ route: '/x' }).startTimer()();
  const end = lh.startTimer({ route: '/a' });
  assert.ok(end({ route: '/b' }) >= 0); // end labels override start labels, as in prom-client
  const t2 = await reg.metrics();
  assert.match(t2, /^lh_seconds_count\{route="\/"\} 2$/m);
  assert.match(t2, /^lh_seconds_bucket\{route="\/",le="2.0"\} 1$/m);
  assert.match(t2, /^lh_seconds_count\{route="\/x"\} 1$/m);
  assert.match(t2, /^lh_seconds_count\{route="\/b"\} 1$/m);
  assert.doesNotMatch(t2, /route="\/a"/);
  const unlabelledTimer = h.startTimer();
  assert.ok(unlabelledTimer() >= 0);
});

test('bucket helpers match prom-client and reject bad arguments', () => {
  assert.deepEqual(pm.linearBuckets(0, 10, 3), [0, 10, 20]);
  assert.deepEqual(pm.exponentialBuckets(1, 2, 4), [1, 2, 4, 8]);
  assert.throws(() => pm.linearBuckets(0, 0, 3), pm.ConfigError);
  assert.throws(() => pm.exponentialBuckets(0, 2, 3), { code: 'ERR_INVALID_CONFIG' });
  // Refused before anything is allocated: 4e9 buckets would take 32 GB.
  assert.throws(() => pm.linearBuckets(0, 1, 4e9), /4000000000 buckets, but at most 4096/);
  assert.throws(() => pm.exponentialBuckets(1, 2, 5000), pm.ConfigError);
});

test('summary observe, percentiles, startTimer and children', async () => {
  const reg = new pm.Registry();
  const s = new pm.Summary({ name: 's_bytes', help: 's', percentiles: [0.5, 0.9], registers: [reg] });
  for (let i = 1; i <= 100; i++) s.observe(i);
  const text = await reg.metrics();
  assert.match(text, /^s_bytes_count 100$/m);
  assert.match(text, /^s_bytes_sum 5050$/m);
  const median = Number(/^s_bytes\{quantile="0.5"\} (\S+)$/m.exec(text)[1]);
  assert.ok(Math.abs(median - 50) <= 1.5, `median ${median}`);
  const ls = new pm.Summary({
    name: 'ls_seconds',
    help: 's',
    labelNames: ['op'],
    maxAgeSeconds: 60,
    ageBuckets: 3,
    registers: [reg],
  });
  ls.observe({ op: 'read' }, 1);
  ls.labels('read').observe(3);
  ls.startTimer({ op: 'write' })();
  ls.labels('write').startTimer()();
  s.startTimer()();
  const t2 = await reg.metrics();
  assert.match(t2, /^ls_seconds_count\{op="read"\} 2$/m);
  assert.match(t2, /^ls_seconds_sum\{op="read"\} 4$/m);
  assert.match(t2, /^ls_seconds_count\{op="write"\} 2$/m);
});

test('the default register is used when registers is not given', async () => {
  const name = unique('default_total');
  const c = new pm.Counter({ name, help: 'd' });
  c.inc(7);
  assert.equal(pm.register.getSingleMetric(name), c);
  assert.match(await pm.register.metrics(), new RegExp(`^${name} 7$`, 'm'));
  pm.register.removeSingleMetric(name);
  assert.doesNotMatch(await pm.register.metrics(), new RegExp(`^${name} `, 'm'));
});

test('registry views: JSON, single metric, array, content type, reset, clear', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'v_total', help: 'v', labelNames: ['k'], registers: [reg] });
  const g = new pm.Gauge({ name: 'v_gauge', help: 'v', registers: [reg] });
  c.inc({ k: 'a' }, 2);
  g.set(3);
  assert.equal(reg.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(pm.Registry.PROMETHEUS_CONTENT_TYPE, reg.contentType);
  assert.deepEqual(reg.getMetricsAsArray(), [c, g]);
  assert.deepEqual(await c.get(), {
    name: 'v_total',
    help: 'v',
    type: 'counter',
    values: [{ value: 2, labels: { k: 'a' } }],
    aggregator: 'sum',
  });
  assert.equal(await reg.getSingleMetricAsString('v_gauge'), '# HELP v_gauge v\n# TYPE v_gauge gauge\nv_gauge 3\n');
  assert.equal(await reg.getSingleMetricAsString('missing'), '');
  reg.resetMetrics();
  const text = await reg.metrics();
  assert.match(text, /^v_total\{k="a"\} 0$/m);
  assert.match(text, /^v_gauge 3$/m); // gauges keep their values
  assert.equal(reg.seriesCount(), 2);
  reg.clear();
  assert.equal(await reg.metrics(), '');
  assert.equal(reg.getSingleMetric('v_total'), undefined);
});

test('histogram JSON carries bucket, sum and count samples', async () => {
  const reg = new pm.Registry();
  const h = new pm.Histogram({ name: 'j_seconds', help: 'j', buckets: [1], registers: [reg] });
  h.observe(0.5);
  const j = await h.get();
  assert.deepEqual(
    j.values.map((v) => [v.metricName, v.labels.le, v.value]),
    [
      ['j_seconds_bucket', 1, 1], // a number, as prom-client gives it
      ['j_seconds_bucket', '+Inf', 1],
      ['j_seconds_sum', undefined, 0.5],
      ['j_seconds_count', undefined, 1],
    ],
  );
});

test('collect callbacks run before the registry is read', async () => {
  const reg = new pm.Registry();
  let calls = 0;
  new pm.Gauge({
    name: 'collected',
    help: 'c',
    registers: [reg],
    collect() {
      calls += 1;
      this.set(calls * 10);
    },
  });
  assert.match(await reg.metrics(), /^collected 10$/m);
  assert.match(await reg.metrics(), /^collected 20$/m);
});

test('registering the same definition again returns the same series', async () => {
  const reg = new pm.Registry();
  const a = new pm.Counter({ name: 'same_total', help: 's', labelNames: ['k'], registers: [reg] });
  const b = new pm.Counter({ name: 'same_total', help: 's', labelNames: ['k'], registers: [reg] });
  a.inc({ k: 'x' });
  b.inc({ k: 'x' });
  assert.match(await reg.metrics(), /^same_total\{k="x"\} 2$/m);
});

test('registers: [] keeps a metric out of every registry', async () => {
  const c = new pm.Counter({ name: unique('orphan_total'), help: 'o', registers: [] });
  c.inc();
  assert.doesNotMatch(await pm.register.metrics(), new RegExp(c.name));
});

test('maxSeriesPerMetric folds new label sets into the overflow series and keeps counts', async () => {
  const reg = new pm.Registry({ maxSeriesPerMetric: 3 });
  const c = new pm.Counter({ name: 'o_total', help: 'o', labelNames: ['id'], registers: [reg] });
  for (let i = 0; i < 10; i++) c.inc({ id: String(i) });
  const text = await reg.metrics();
  assert.match(text, /^o_total\{id="__overflow__"\} 7$/m);
  assert.equal(reg.guardStats().find((g) => g.name === 'o_total').overflowed, 7);
});

test('maxSeries limits the whole registry', async () => {
  const reg = new pm.Registry({ maxSeries: 2 });
  const a = new pm.Counter({ name: 'a_total', help: 'a', labelNames: ['id'], registers: [reg] });
  const b = new pm.Counter({ name: 'b_total', help: 'b', labelNames: ['id'], registers: [reg] });
  a.inc({ id: '1' });
  a.inc({ id: '2' });
  b.inc({ id: '1' }, 5);
  assert.match(await reg.metrics(), /^b_total\{id="__overflow__"\} 5$/m);
});

test('per-metric maxSeries overrides the registry limit', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'm_total', help: 'm', labelNames: ['id'], maxSeries: 1, registers: [reg] });
  c.inc({ id: '1' });
  c.inc({ id: '2' });
  assert.match(await reg.metrics(), /^m_total\{id="__overflow__"\} 1$/m);
});

test('maxLabelValueLength cuts long values and keeps them distinct', async () => {
  const reg = new pm.Registry({ maxLabelValueLength: 20 });
  const c = new pm.Counter({ name: 'l_total', help: 'l', labelNames: ['path'], registers: [reg] });
  c.inc({ path: `${'x'.repeat(100)}a` });
  c.inc({ path: `${'x'.repeat(100)}b` });
  const values = await series(reg, 'l_total');
  assert.equal(values.length, 2);
  for (const v of values) assert.ok(v.labels.path.length <= 20, v.labels.path);
});

test('seriesTtlMs evicts idle series that no child holds', async () => {
  const reg = new pm.Registry({ seriesTtlMs: 1000 });
  const c = new pm.Counter({ name: 't_total', help: 't', labelNames: ['id'], registers: [reg] });
  c.inc({ id: 'idle' });
  await reg.metrics(); // first snapshot: marks it seen
  await new Promise((r) => setTimeout(r, 2100));
  await reg.metrics();
  await new Promise((r) => setTimeout(r, 1100));
  const text = await reg.metrics();
  assert.doesNotMatch(text, /id="idle"/);
  assert.ok(reg.guardStats().find((g) => g.name === 't_total').evicted >= 1);
});

test('sampling keeps unbiased counts', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 's_total', help: 's', sampling: { everyNth: 10 }, registers: [reg] });
  for (let i = 0; i < 1000; i++) c.inc();
  const held = new pm.Counter({
    name: 'sh_total',
    help: 's',
    labelNames: ['k'],
    sampling: { everyNth: 4 },
    registers: [reg],
  }).labels('x');
  for (let i = 0; i < 400; i++) held.inc();
  const text = await reg.metrics();
  assert.match(text, /^s_total 1000$/m);
  assert.match(text, /^sh_total\{k="x"\} 400$/m);
  const g = reg.guardStats().find((x) => x.name === 's_total');
  assert.equal(g.sampledSeen, 1000);
  assert.equal(g.sampledKept, 100);
  new pm.Histogram({ name: 'sp', help: 's', sampling: { probability: 0.5 }, registers: [reg] }).observe(1);
  new pm.Summary({ name: 'sa', help: 's', sampling: { adaptive: 100 }, registers: [reg] }).observe(1);
});

test('hashedLabels and droppedLabels bound a label', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({
    name: 'u_total',
    help: 'u',
    labelNames: ['user', 'request_id', 'route'],
    hashedLabels: { user: 4 },
    droppedLabels: ['request_id'],
    registers: [reg],
  });
  for (let i = 0; i < 100; i++) c.inc({ user: `user${i}`, request_id: `r${i}`, route: '/' });
  const values = await series(reg, 'u_total');
  assert.ok(values.length <= 4, `${values.length} series`);
  assert.equal(values.reduce((s, v) => s + v.value, 0), 100);
  for (const v of values) assert.deepEqual(Object.keys(v.labels).sort(), ['route', 'user']);
});

test('constLabels are carried by every series', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'k_total', help: 'k', constLabels: { service: 'api' }, registers: [reg] });
  c.inc();
  assert.match(await reg.metrics(), /^k_total\{service="api"\} 1$/m);
});

test('label values of any UTF-8, long or short, are kept exactly', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'utf_total', help: 'u', labelNames: ['v'], registers: [reg] });
  const values = ['é', '日本語', '\u{1F600}', 'a"b\\c\nd', 'x'.repeat(200), `${'y'.repeat(70)}é`];
  for (const v of values) c.inc({ v });
  const got = (await series(reg, 'utf_total')).map((s) => s.labels.v).sort();
  assert.deepEqual(got, [...values].sort());
});

test('the ES module entry exports the same objects', async () => {
  const esm = await import(`${PKG}/index.mjs`);
  assert.equal(esm.Counter, pm.Counter);
  assert.equal(esm.register, pm.register);
  assert.equal(esm.default, pm);
});

test('labelled calls beyond the cached children record through the core alike', async () => {
  const reg = new pm.Registry({ maxSeriesPerMetric: 10_000 });
  const c = new pm.Counter({ name: 'many_total', help: 'm', labelNames: ['id'], registers: [reg] });
  const g = new pm.Gauge({ name: 'many_gauge', help: 'm', labelNames: ['id', 'k'], registers: [reg] });
  const h = new pm.Histogram({ name: 'many_seconds', help: 'm', labelNames: ['a', 'b', 'c'], buckets: [1], registers: [reg] });
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 3000; i++) {
      c.inc({ id: `v${i}` }, 2);
      g.inc({ id: `v${i}`, k: 'x' });
      g.dec({ id: `v${i}`, k: 'x' }, 0.5);
      h.observe({ a: `v${i}`, b: 'y', c: 'z' }, 0.5);
    }
  }
  g.set({ id: 'v1', k: 'x' }, 100);
  const values = await series(reg, 'many_total');
  assert.equal(values.length, 3000);
  assert.ok(values.every((v) => v.value === 4));
  const gauges = await series(reg, 'many_gauge');
  assert.equal(gauges.filter((v) => v.value === 1).length, 2999);
  assert.equal(gauges.find((v) => v.labels.id === 'v1').value, 100);
  const counts = (await series(reg, 'many_seconds')).filter((v) => v.metricName === 'many_seconds_count');
  assert.equal(counts.length, 3000);
  assert.ok(counts.every((v) => v.value === 2));
});

/** The 100 label sets of a request counter: methods by status codes, built once. */
function requestLabels() {
  const methods = [];
  const statuses = [];
  for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'PURGE']) {
    for (const s of ['200', '201', '204', '301', '302', '400', '401', '403', '404', '500']) {
      methods.push(m);
      statuses.push(s);
    }
  }
  return { methods, statuses };
}

/** RSS after the garbage collector has run and the finalizers it queued have had a turn. */
async function settledRss() {
  global.gc();
  await new Promise((r) => setImmediate(r));
  global.gc();
  return process.memoryUsage().rss;
}

test('labels() ten million times over 100 label sets leaves RSS flat and loses no count', async () => {
  assert.ok(global.gc, 'run the tests with node --expose-gc');
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'flat_total', help: 'f', labelNames: ['method', 'status'], registers: [reg] });
  const { methods, statuses } = requestLabels();
  const calls = (n) => {
    for (let i = 0; i < n; i++) {
      const k = i % 100;
      c.labels(methods[k], statuses[k]).inc();
    }
  };
  calls(1_000_000); // the children and the compiled loop exist from here on
  const before = await settledRss();
  calls(10_000_000);
  const grown = (await settledRss()) - before;
  // Even one byte kept per call would be 10 MB.
  assert.ok(grown < 4 * 1024 * 1024, `RSS grew by ${grown} bytes over 10 million labels() calls`);
  const values = await series(reg, 'flat_total');
  assert.equal(values.length, 100);
  assert.ok(values.every((v) => v.value === 110_000), JSON.stringify(values.slice(0, 3)));
});

test('labels() hands out one child per label set, by values or by object, sharing one cell', async () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'same_total', help: 's', labelNames: ['a', 'b'], registers: [reg] });
  const child = c.labels('x', 'y');
  assert.equal(c.labels('x', 'y'), child);
  assert.equal(c.labels({ b: 'y', a: 'x' }), child);
  assert.notEqual(c.labels('x', 'z'), child);
  child.inc();
  c.labels('x', 'y').inc(2);
  c.inc({ a: 'x', b: 'y' });
  c.inc({ a: 'x', b: 'y' }, 0.5);
  c.labels('x', 7).inc(); // a number is a label value, as in prom-client
  assert.match(await reg.metrics(), /^same_total\{a="x",b="y"\} 4.5$/m);
  assert.match(await reg.metrics(), /^same_total\{a="x",b="7"\} 1$/m);
  const g = new pm.Gauge({ name: 'same_gauge', help: 's', labelNames: ['a'], registers: [reg] });
  assert.equal(g.labels('q'), g.labels('q'));
  const h = new pm.Histogram({ name: 'same_seconds', help: 's', labelNames: ['a'], registers: [reg] });
  assert.equal(h.labels('q'), h.labels({ a: 'q' }));
});

test('labels() errors are the same whether or not a child is kept', () => {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'err_total', help: 'e', labelNames: ['a', 'b'], registers: [reg] });
  c.labels('x', 'y');
  for (let i = 0; i < 2; i++) {
    assert.throws(() => c.labels('x'), (e) => e instanceof pm.LabelError && e.code === 'ERR_LABEL_COUNT');
    assert.throws(() => c.labels('x', 'y', 'z'), (e) => e instanceof pm.LabelError && e.code === 'ERR_LABEL_COUNT');
    assert.throws(() => c.labels({ a: 'x', c: 'y' }), (e) => e instanceof pm.LabelError && e.code === 'ERR_UNKNOWN_LABEL');
    assert.throws(() => c.labels('x', 'y').inc(-1), (e) => e instanceof pm.InvalidValueError);
    assert.throws(() => c.labels('x', 'y').inc(NaN), (e) => e instanceof pm.InvalidValueError);
  }
});

test('a child folded into the overflow series keeps counting into it, and each new label set counts as overflowed', async () => {
  const reg = new pm.Registry({ maxSeriesPerMetric: 2 });
  const c = new pm.Counter({ name: 'of_total', help: 'o', labelNames: ['id'], registers: [reg] });
  c.labels('a').inc();
  c.labels('b').inc();
  const folded = c.labels('c');
  folded.inc();
  folded.inc(2);
  c.labels('c').inc();
  c.labels('d').inc();
  c.inc({ id: 'e' });
  const text = await reg.metrics();
  assert.match(text, /^of_total\{id="__overflow__"\} 6$/m);
  assert.doesNotMatch(text, /id="c"/);
  assert.equal(reg.guardStats().find((g) => g.name === 'of_total').overflowed, 4);
  const g = new pm.Gauge({ name: 'of_gauge', help: 'o', labelNames: ['id'], maxSeries: 1, registers: [reg] });
  g.labels('a').set(1);
  g.labels('b').inc(5);
  g.labels('c').inc(2);
  assert.match(await reg.metrics(), /^of_gauge\{id="__overflow__"\} 7$/m);
});

test('children past the kept ones record into their own series, and children past the limit into overflow', async () => {
  const reg = new pm.Registry({ maxSeriesPerMetric: 2500 });
  const c = new pm.Counter({ name: 'loose_total', help: 'l', labelNames: ['id', 'k'], registers: [reg] });
  const g = new pm.Gauge({ name: 'loose_gauge', help: 'l', labelNames: ['id'], registers: [reg] });
  const h = new pm.Summary({ name: 'loose_seconds', help: 'l', labelNames: ['id'], registers: [reg] });
  const held = [];
  for (let i = 0; i < 3000; i++) {
    const child = c.labels(`v${i}`, 'x');
    child.inc();
    if (i % 500 === 499) held.push(child);
    g.labels(`v${i}`).set(i);
    h.labels(`v${i}`).observe(1);
  }
  for (const child of held) child.inc(10);
  const values = await series(reg, 'loose_total');
  assert.equal(values.length, 2501);
  const byId = new Map(values.map((v) => [v.labels.id, v.value]));
  assert.equal(byId.get('v0'), 1);
  assert.equal(byId.get('v1999'), 11);
  assert.equal(byId.get('v2499'), 11);
  assert.equal(byId.get('__overflow__'), 500 + 10);
  assert.equal((await series(reg, 'loose_gauge')).find((v) => v.labels.id === 'v2400').value, 2400);
  const counts = (await series(reg, 'loose_seconds')).filter((v) => v.metricName === 'loose_seconds_count');
  assert.equal(counts.length, 2501);
});

test('integer cells are drained every second without a snapshot, so 2^32 increments never wrap one', async () => {
  const native = require(`${PKG}/lib/native.js`);
  const reg = new pm.Registry();
  const plain = new pm.Counter({ name: 'wrap_total', help: 'w', registers: [reg] });
  const cell = plain._ones;
  assert.ok(cell instanceof Int32Array);
  // The core's value, read without the drain a snapshot would make first.
  const core = () => native.counterChildGet(plain._self._h);
  // Each increment moves the cell by one, so setting it is what a run of increments would
  // do: 2^31 - 1 of them, then 2^31 more, then 2^31 + 1 more, the cell passing 2^32 on the
  // way. Only drains between those runs can count them all.
  let total = 0;
  for (const run of [2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1]) {
    total += run;
    cell[0] = total % 2 ** 32 | 0;
    const deadline = Date.now() + 20_000;
    while (core() !== total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(core(), total, `after a run of ${run} increments`);
  }
  plain.inc();
  assert.match(await reg.metrics(), new RegExp(`^wrap_total ${total + 1}$`, 'm'));
});
