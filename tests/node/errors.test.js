'use strict';
// Errors: each is an Error subclass with a `code`, and its message names the bad value.
const test = require('node:test');
const assert = require('node:assert/strict');
const { PKG } = require('./helpers.js');
const pm = require(PKG);

function throwsWith(fn, Class, code, ...needles) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Class, `${e.name} is not a ${Class.name}: ${e.message}`);
    assert.ok(e instanceof pm.PushmetricsError && e instanceof Error);
    assert.equal(e.code, code);
    for (const n of needles) assert.ok(e.message.includes(n), `"${e.message}" does not name ${n}`);
    return true;
  });
}

const reg = new pm.Registry();
const c = new pm.Counter({ name: 'e_total', help: 'e', labelNames: ['method', 'code'], registers: [reg] });
const plain = new pm.Counter({ name: 'ep_total', help: 'e', registers: [reg] });
const h = new pm.Histogram({ name: 'e_seconds', help: 'e', labelNames: ['route'], registers: [reg] });
const s = new pm.Summary({ name: 'e_summary', help: 'e', registers: [reg] });
const g = new pm.Gauge({ name: 'e_gauge', help: 'e', labelNames: ['k'], registers: [reg] });

test('invalid metric and label names are refused and named', () => {
  throwsWith(() => new pm.Counter({ name: 'bad-name', help: 'x', registers: [reg] }), pm.InvalidNameError, 'ERR_INVALID_METRIC_NAME', 'bad-name');
  throwsWith(() => new pm.Counter({ name: 'ok_total', help: 'x', labelNames: ['0bad'], registers: [reg] }), pm.InvalidNameError, 'ERR_INVALID_LABEL_NAME', '0bad');
  throwsWith(() => new pm.Counter({ name: 'ok2_total', help: 'x', labelNames: ['__x'], registers: [reg] }), pm.InvalidNameError, 'ERR_INVALID_LABEL_NAME', '__x');
  throwsWith(() => new pm.Histogram({ name: 'ok3', help: 'x', labelNames: ['le'], registers: [reg] }), pm.InvalidNameError, 'ERR_INVALID_LABEL_NAME', 'le');
  throwsWith(() => new pm.Counter({ name: 'ok4_total', help: 'x', labelNames: ['a', 'a'], registers: [reg] }), pm.InvalidNameError, 'ERR_DUPLICATE_LABEL_NAME', 'a');
});

test('unknown label names are refused and named', () => {
  throwsWith(() => c.inc({ method: 'GET', colour: 'red' }), pm.LabelError, 'ERR_UNKNOWN_LABEL', 'colour', 'e_total');
  throwsWith(() => c.labels({ method: 'GET', colour: 'red' }), pm.LabelError, 'ERR_UNKNOWN_LABEL', 'colour');
  throwsWith(() => h.observe({ path: '/' }, 1), pm.LabelError, 'ERR_UNKNOWN_LABEL', 'path');
  throwsWith(() => g.set({ j: 'x' }, 1), pm.LabelError, 'ERR_UNKNOWN_LABEL', '"j"');
});

test('a wrong number of label values is refused with both counts', () => {
  throwsWith(() => c.inc({ method: 'GET' }), pm.LabelError, 'ERR_LABEL_COUNT', '2 label name', '1 value');
  throwsWith(() => c.inc({ method: 'GET', code: '200', extra: 'x' }), pm.LabelError, 'ERR_LABEL_COUNT', '3 value');
  throwsWith(() => c.labels('GET'), pm.LabelError, 'ERR_LABEL_COUNT', 'e_total');
  throwsWith(() => c.inc(), pm.LabelError, 'ERR_LABEL_COUNT', '0 value');
  throwsWith(() => g.inc(), pm.LabelError, 'ERR_LABEL_COUNT');
  throwsWith(() => h.observe(1), pm.LabelError, 'ERR_LABEL_COUNT');
  throwsWith(() => plain.inc({ a: 'x' }), pm.LabelError, 'ERR_LABEL_COUNT');
});

test('negative and non-finite counter increments are refused with the value', () => {
  throwsWith(() => plain.inc(-1), pm.InvalidValueError, 'ERR_INVALID_VALUE', '-1', 'ep_total');
  throwsWith(() => plain.inc(Infinity), pm.InvalidValueError, 'ERR_INVALID_VALUE', 'inf');
  throwsWith(() => plain.inc(NaN), pm.InvalidValueError, 'ERR_INVALID_VALUE', 'NaN');
  throwsWith(() => c.inc({ method: 'GET', code: '200' }, -2), pm.InvalidValueError, 'ERR_INVALID_VALUE', '-2');
  throwsWith(() => c.labels('GET', '200').inc(-3), pm.InvalidValueError, 'ERR_INVALID_VALUE', '-3');
  throwsWith(() => plain.inc('5'), pm.InvalidValueError, 'ERR_INVALID_VALUE');
});

test('NaN observations are refused', () => {
  throwsWith(() => h.observe({ route: '/' }, NaN), pm.InvalidValueError, 'ERR_INVALID_VALUE', 'NaN', 'e_seconds');
  throwsWith(() => h.labels('/').observe(NaN), pm.InvalidValueError, 'ERR_INVALID_VALUE', 'NaN');
  throwsWith(() => s.observe(NaN), pm.InvalidValueError, 'ERR_INVALID_VALUE', 'NaN', 'e_summary');
});

test('a refused call records nothing', async () => {
  const r = new pm.Registry();
  const x = new pm.Counter({ name: 'x_total', help: 'x', registers: [r] });
  assert.throws(() => x.inc(-1));
  x.inc();
  assert.match(await r.metrics(), /^x_total 1$/m);
});

test('a second definition that differs is a conflict naming the metric', () => {
  throwsWith(() => new pm.Gauge({ name: 'e_total', help: 'e', registers: [reg] }), pm.ConflictError, 'ERR_CONFLICT', 'e_total');
  throwsWith(() => new pm.Counter({ name: 'e_total', help: 'e', labelNames: ['method'], registers: [reg] }), pm.ConflictError, 'ERR_CONFLICT');
});

test('bad options are configuration errors naming the value', () => {
  throwsWith(() => new pm.Registry({ maxSeriesPerMetric: 0 }), pm.ConfigError, 'ERR_INVALID_CONFIG', '0');
  throwsWith(() => new pm.Registry({ maxLabelValueLength: 3 }), pm.ConfigError, 'ERR_INVALID_CONFIG', '3');
  throwsWith(() => new pm.Registry({ seriesTtlMs: -5 }), pm.ConfigError, 'ERR_INVALID_CONFIG', '-5');
  throwsWith(() => new pm.Histogram({ name: 'b1', help: 'b', buckets: [2, 1], registers: [reg] }), pm.ConfigError, 'ERR_INVALID_CONFIG', '2 is followed by 1');
  throwsWith(() => new pm.Summary({ name: 'b2', help: 'b', percentiles: [1.5], registers: [reg] }), pm.ConfigError, 'ERR_INVALID_CONFIG', '1.5');
  throwsWith(() => new pm.Counter({ name: 'b3', help: 'b', sampling: { probability: 2 }, registers: [reg] }), pm.ConfigError, 'ERR_INVALID_CONFIG', '2');
  throwsWith(() => new pm.Counter({ name: 'b4', help: 'b', sampling: { probability: 0.5, everyNth: 2 }, registers: [reg] }), pm.ConfigError, 'ERR_INVALID_CONFIG');
  throwsWith(() => new pm.Gauge({ name: 'b5', help: 'b', sampling: { everyNth: 2 }, registers: [reg] }), pm.ConfigError, 'ERR_INVALID_CONFIG', 'b5');
  throwsWith(() => new pm.Counter({ name: 'b6', help: 'b', labelNames: ['a'], hashedLabels: { z: 4 }, registers: [reg] }), pm.LabelError, 'ERR_UNKNOWN_LABEL', 'z');
  throwsWith(() => new pm.Counter({ name: 'b7', help: 'b', registers: [reg, new pm.Registry()] }), pm.ConfigError, 'ERR_INVALID_ARGUMENT', '2');
  throwsWith(() => new pm.Counter({ help: 'no name', registers: [reg] }), pm.ConfigError, 'ERR_INVALID_ARGUMENT', 'name');
  throwsWith(() => new pm.Counter(null), pm.ConfigError, 'ERR_INVALID_ARGUMENT', 'null');
  throwsWith(() => new pm.Pusher({ url: 'http://127.0.0.1:1', job: 'j', intervalSeconds: 5 }), pm.ConfigError, 'ERR_INVALID_ARGUMENT', 'intervalSeconds');
  throwsWith(() => new pm.Pusher({ url: 'http://127.0.0.1:1', job: 'j', jitter: 3, ignoreEnv: true }), pm.ConfigError, 'ERR_INVALID_CONFIG', '3');
  throwsWith(() => new pm.Pusher({ url: 'http://127.0.0.1:1', job: 'j', intervalMs: -1 }), pm.ConfigError, 'ERR_INVALID_CONFIG', 'intervalMs');
  throwsWith(() => new pm.Pusher({ url: 'http://127.0.0.1:1', job: 'j', method: 'PATCH' }), pm.ConfigError, 'ERR_INVALID_CONFIG', 'PATCH');
  throwsWith(() => new pm.Pusher({ url: 'http://127.0.0.1:1', ignoreEnv: true }), pm.ConfigError, 'ERR_INVALID_CONFIG', 'job');
  throwsWith(() => new pm.Pusher({ url: 'https://127.0.0.1:1', job: 'j', caFileOnly: true, ignoreEnv: true }), pm.ConfigError, 'ERR_INVALID_CONFIG', 'ca_file_only');
});
