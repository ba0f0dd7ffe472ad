'use strict';
// pushmetrics vs prom-client, side by side: each case runs in a fresh process per library,
// the two libraries alternating, RUNS times; the table shows medians and the ratio
// (prom-client / pushmetrics: above 1 means pushmetrics is better), then pushmetrics'
// targets against prom-client, each the median of the ratios of the runs side by side.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const RUNS = Number(process.env.RUNS || 5);
const cases = [
  ['held_inc', 'held-child inc', 'ns/call'],
  ['plain_inc', 'unlabelled inc', 'ns/call'],
  ['inc_labels', 'inc(labels object)', 'ns/call'],
  ['labels_inc', 'labels(a, b).inc(), 100 label sets', 'ns/call'],
  ['observe', 'histogram observe', 'ns/call'],
  ['memory', 'memory per series (100,000)', 'bytes'],
  ['labels_memory', 'memory per series, labels(a, b, c).inc() (100,000)', 'bytes'],
  ['labels_create', 'new series by labels(a, b, c).inc() (100,000)', 'ns/series'],
  ['metrics', 'metrics() of 100,000 series', 'ms'],
  ['push', 'push of 100,000 series', 'ms'],
  ['serve', 'scrape of 100,000 series over HTTP (vs node:http + metrics()), latency', 'ms'],
  ['serve_cpu', 'scrape of 100,000 series over HTTP, process CPU per scrape', 'ms'],
  ['serve_defaults', 'scrape of 100,000 series over HTTP with collectDefaultMetrics(), latency', 'ms'],
];
const only = process.argv.slice(2);

/** Targets: case, what is measured (pushmetrics / prom-client, lower is better), limit. */
const targets = [
  ['labels_inc', 'labels(a, b).inc(), pushmetrics / prom-client', 1 / 3],
  ['labels_memory', 'RSS per series made by labels(), pushmetrics / prom-client', 1 / 3],
  ['labels_create', 'creating a series by labels(), pushmetrics / prom-client', 1],
];

function measure(name, lib) {
  const args = ['memory', 'labels_memory', 'labels_create'].includes(name) ? ['--expose-gc'] : [];
  const out = execFileSync(process.execPath, [...args, path.join(__dirname, 'case.js'), name, lib], {
    encoding: 'utf8',
  });
  return Number(out.trim());
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rows = [];
for (const [name, label, unit] of cases) {
  if (only.length && !only.includes(name)) continue;
  const pm = [];
  const prom = [];
  for (let i = 0; i < RUNS; i++) {
    pm.push(measure(name, 'pushmetrics'));
    prom.push(measure(name, 'prom-client'));
  }
  const row = { name, label, unit, pm: median(pm), prom: median(prom), ratio: median(pm.map((x, i) => x / prom[i])) };
  rows.push(row);
  console.error(`${label}: pushmetrics ${pm.join(' ')} | prom-client ${prom.join(' ')}`);
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
console.log(`\nmedians of ${RUNS} runs, node ${process.version}`);
console.log('| case | unit | pushmetrics | prom-client 15.1 | prom-client / pushmetrics |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.unit} | ${fmt(r.pm)} | ${fmt(r.prom)} | ${(r.prom / r.pm).toFixed(1)}x |`);
}

const goals = targets.map(([name, what, limit]) => [rows.find((r) => r.name === name), what, limit]).filter(([r]) => r);
if (goals.length) {
  console.log('\n| target | measured | limit | verdict |');
  console.log('| --- | ---: | ---: | --- |');
  for (const [r, what, limit] of goals) {
    console.log(`| ${what} | ${r.ratio.toFixed(2)} | ${limit.toFixed(2)} | ${r.ratio <= limit ? 'ok' : 'MISSED'} |`);
  }
}
