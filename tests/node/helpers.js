'use strict';
// Shared by the Node test files: the package under test, reading the real Pushgateway,
// Prometheus and VictoriaMetrics back, child-process scripts and a fault server that accepts
// connections and never answers.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const PKG = path.join(__dirname, '..', '..', 'bindings', 'node');
const PGW_URL = process.env.PGW_URL;
const PROM_URL = process.env.PROM_URL;
const VM_URL = process.env.VM_URL;

/** Samples the gateway holds for `job`: [{ name, labels, value }]. */
async function scrape(job) {
  const res = await fetch(`${PGW_URL}/metrics`);
  const text = await res.text();
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k] = v.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    if (labels.job === job) out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample `name` of `job` whose labels include `labels`. */
function valueOf(samples, name, labels = {}) {
  const s = samples.find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  return s === undefined ? undefined : s.value;
}

/** Runs `code` as a script in a child process; resolves with its exit code, output and time. */
function runScript(code, env = {}) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pm-node-')), 'job.js');
  fs.writeFileSync(file, code.replaceAll('__PKG__', JSON.stringify(PKG)));
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (status, signal) => {
      clearTimeout(killer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A server that accepts connections and never answers: a hung gateway. */
async function hungServer() {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(r);
      }),
  };
}

/** A name no other test uses. */
let n = 0;
function unique(prefix) {
  n += 1;
  return `${prefix}_${process.pid}_${n}`;
}

/** `scrape(job)` once the gateway holds nothing of `job` or `ms` pass: it answers a DELETE
 * with 202 and applies it just after. */
async function scrapeWhenGone(job, ms = 3000) {
  const deadline = Date.now() + ms;
  let got = await scrape(job);
  while (got.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    got = await scrape(job);
  }
  return got;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Prometheus's instant query `query` at `time` (Unix seconds; its now when not given):
 * [{ labels, value }], `labels` with `__name__`. */
async function promQuery(query, time) {
  const u = new URL('/api/v1/query', PROM_URL);
  u.searchParams.set('query', query);
  if (time !== undefined) u.searchParams.set('time', time.toFixed(3));
  const res = await fetch(u);
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`query ${query}: ${JSON.stringify(body)}`);
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** The series VictoriaMetrics holds for the selector `match`, each with its latest value:
 * [{ labels, value }], once there are at least `n` or 15 s pass. A new series becomes
 * searchable only after VM flushes its buffers, which must be asked for on every poll. */
async function vmSeries(match, n = 1, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    await fetch(`${VM_URL}/internal/force_flush`);
    const u = new URL('/api/v1/export', VM_URL);
    u.searchParams.append('match[]', match);
    const res = await fetch(u);
    const text = await res.text();
    if (!res.ok) throw new Error(`export ${match}: ${res.status} ${text}`);
    const out = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line))
      .map((s) => ({ labels: s.metric, value: s.values[s.values.length - 1] }));
    if (out.length >= n || Date.now() >= deadline) return out;
    await sleep(200);
  }
}

module.exports = {
  PKG,
  PGW_URL,
  PROM_URL,
  VM_URL,
  scrape,
  scrapeWhenGone,
  valueOf,
  promQuery,
  vmSeries,
  runScript,
  hungServer,
  unique,
  sleep,
};
