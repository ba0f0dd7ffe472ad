'use strict';
// One measurement in a fresh process: `node case.js CASE LIB` prints one number (ns per
// call, bytes per series or milliseconds). LIB is `pushmetrics` or `prom-client`; both are
// loaded from bindings/node (prom-client is its devDependency).
const path = require('node:path');

const [caseName, lib] = process.argv.slice(2);
const pkg = path.join(__dirname, '..', '..', 'bindings', 'node');
const pm = lib === 'pushmetrics';
const m = pm ? require(pkg) : require(require.resolve('prom-client', { paths: [pkg] }));
const SERIES = 100_000;

function registry() {
  // pushmetrics' default limits (2000 series per metric) would fold most series into the
  // overflow series: raise them so both libraries hold 100,000 real series.
  return pm ? new m.Registry({ maxSeriesPerMetric: SERIES * 2, maxSeries: SERIES * 4 }) : new m.Registry();
}

function nsPerCall(n, fn) {
  fn(n / 10); // warm up: let the JIT compile the loop
  const t0 = process.hrtime.bigint();
  fn(n);
  return Number(process.hrtime.bigint() - t0) / n;
}

function fill(c) {
  for (let i = 0; i < SERIES; i++) c.inc({ id: `series_${i}`, kind: 'bench' }, i);
}

const cases = {
  held_inc() {
    const c = new m.Counter({ name: 'held_total', help: 'h', labelNames: ['route'], registers: [registry()] });
    const child = c.labels('/api');
    return nsPerCall(20_000_000, (n) => {
      for (let i = 0; i < n; i++) child.inc();
    });
  },
  plain_inc() {
    const c = new m.Counter({ name: 'plain_total', help: 'p', registers: [registry()] });
    return nsPerCall(20_000_000, (n) => {
      for (let i = 0; i < n; i++) c.inc();
    });
  },
  inc_labels() {
    const c = new m.Counter({ name: 'req_total', help: 'r', labelNames: ['method', 'code'], registers: [registry()] });
    const sets = [];
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      for (const code of ['200', '404', '500']) sets.push({ method, code });
    }
    return nsPerCall(3_000_000, (n) => {
      for (let i = 0; i < n; i++) c.inc(sets[i % 12]);
    });
  },
  observe() {
    const h = new m.Histogram({ name: 'lat_seconds', help: 'l', registers: [registry()] });
    return nsPerCall(5_000_000, (n) => {
      for (let i = 0; i < n; i++) h.observe((i % 1000) / 1000);
    });
  },
  memory() {
    const reg = registry();
    const c = new m.Counter({ name: 'mem_total', help: 'm', labelNames: ['id', 'kind'], registers: [reg] });
    const labels = [];
    for (let i = 0; i < SERIES; i++) labels.push({ id: `series_${i}`, kind: 'bench' });
    global.gc();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < SERIES; i++) c.inc(labels[i]);
    global.gc();
    return (process.memoryUsage().rss - before) / SERIES;
  },
  async metrics() {
    const reg = registry();
    fill(new m.Counter({ name: 'exp_total', help: 'e', labelNames: ['id', 'kind'], registers: [reg] }));
    await reg.metrics();
    const t0 = process.hrtime.bigint();
    const text = await reg.metrics();
    if (text.length < SERIES * 20) throw new Error(`short exposition: ${text.length} bytes`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  },
  async push() {
    const reg = registry();
    fill(new m.Counter({ name: 'push_total', help: 'p', labelNames: ['id', 'kind'], registers: [reg] }));
    const gw = new m.Pushgateway(process.env.PGW_URL, {}, reg);
    const t0 = process.hrtime.bigint();
    await gw.push({ jobName: `bench_${lib.replace('-', '_')}` });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  },
};

Promise.resolve(cases[caseName]()).then((v) => console.log(v.toFixed(3)));
