'use strict';
// One measurement in a fresh process: `node case.js CASE LIB` prints one number (ns per
// call, bytes per series or milliseconds). LIB is `pushmetrics` or `prom-client`; both are
// loaded from bindings/node (prom-client is its devDependency).
const path = require('node:path');
const v8 = require('node:v8');
const http = require('node:http');
const { execFile } = require('node:child_process');

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

/** Objects that must outlive a measurement: what is no longer used may be collected before it. */
const kept = [];

/**
 * RSS now, after a full collection, without V8's young generation: its semi-spaces grow with
 * the allocation history (to tens of MB) and hold no series after a collection, so counting
 * them would charge a GC buffer to whichever library's run happened to grow it.
 */
function settledRss() {
  global.gc();
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').physical_space_size;
  return process.memoryUsage().rss - young;
}

/** SERIES new series made by `labels(a, b, c).inc()`: RSS per series and ns per creation. */
function labelledSeries() {
  const c = new m.Counter({ name: 'made_total', help: 'm', labelNames: ['id', 'kind', 'zone'], registers: [registry()] });
  const ids = [];
  const zones = ['eu-west-1', 'us-east-1', 'ap-south-1'];
  for (let i = 0; i < SERIES; i++) ids.push(`series_${i}`);
  kept.push(c, ids);
  const before = settledRss();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SERIES; i++) c.labels(ids[i], 'bench', zones[i % 3]).inc();
  const ns = Number(process.hrtime.bigint() - t0) / SERIES;
  return { bytes: (settledRss() - before) / SERIES, ns };
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
  // `counter.labels(method, status).inc()` on every call, as most prom-client users write it.
  labels_inc() {
    const c = new m.Counter({ name: 'http_total', help: 'h', labelNames: ['method', 'status'], registers: [registry()] });
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'PURGE'];
    const statuses = ['200', '201', '204', '301', '302', '400', '401', '403', '404', '500'];
    const ms = [];
    const ss = [];
    for (const a of methods) {
      for (const b of statuses) {
        ms.push(a);
        ss.push(b);
      }
    }
    return nsPerCall(5_000_000, (n) => {
      for (let i = 0; i < n; i++) {
        const k = i % 100;
        c.labels(ms[k], ss[k]).inc();
      }
    });
  },
  labels_memory() {
    return labelledSeries().bytes;
  },
  labels_create() {
    return labelledSeries().ns;
  },
  memory() {
    const reg = registry();
    const c = new m.Counter({ name: 'mem_total', help: 'm', labelNames: ['id', 'kind'], registers: [reg] });
    const labels = [];
    for (let i = 0; i < SERIES; i++) labels.push({ id: `series_${i}`, kind: 'bench' });
    kept.push(c, labels);
    const before = settledRss();
    for (let i = 0; i < SERIES; i++) c.inc(labels[i]);
    return (settledRss() - before) / SERIES;
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
  async serve() {
    return (await serving()).ms;
  },
  async serve_cpu() {
    return (await serving()).cpuMs;
  },
  // With the default metrics on, whose collect() callbacks pushmetrics' server threads ask
  // the event loop to run before each scrape.
  async serve_defaults() {
    return (await serving({ defaults: true })).ms;
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

/**
 * SERIES series served over HTTP, scraped SCRAPES times by curl from outside the process,
 * as Prometheus would: pushmetrics' startHttpServer against prom-client's
 * `register.metrics()` in a node:http handler. The median wall time of a scrape (curl's
 * time_total) and this process's CPU time per scrape (all threads). With `defaults`, both
 * report their default metrics too.
 */
async function serving({ defaults = false } = {}) {
  const SCRAPES = 7;
  const reg = registry();
  fill(new m.Counter({ name: 'served_total', help: 's', labelNames: ['id', 'kind'], registers: [reg] }));
  if (defaults) m.collectDefaultMetrics({ register: reg });
  let port;
  let close;
  if (pm) {
    const server = m.startHttpServer({ port: 0, host: '127.0.0.1', registry: reg });
    port = server.port;
    close = () => server.close();
  } else {
    const server = http.createServer(async (req, res) => {
      const body = await reg.metrics();
      res.writeHead(200, { 'Content-Type': reg.contentType });
      res.end(body);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    port = server.address().port;
    close = () => new Promise((r) => server.close(r));
  }
  const scrape = () =>
    new Promise((resolve, reject) => {
      execFile('curl', ['-fsS', '-o', '/dev/null', '-w', '%{time_total}', `http://127.0.0.1:${port}/metrics`], (e, out) =>
        e ? reject(e) : resolve(Number(out) * 1e3),
      );
    });
  await scrape(); // warm up
  const walls = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < SCRAPES; i++) walls.push(await scrape());
  const cpu = process.cpuUsage(cpu0);
  await close();
  walls.sort((a, b) => a - b);
  return { ms: walls[Math.floor(SCRAPES / 2)], cpuMs: (cpu.user + cpu.system) / 1e3 / SCRAPES };
}

Promise.resolve(cases[caseName]()).then((v) => console.log(v.toFixed(3)));
