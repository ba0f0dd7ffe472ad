'use strict';
// Remote write to the real receivers: exact values read back from Prometheus and
// VictoriaMetrics, two receivers at once with their own stats, staleness markers at shutdown,
// the final write of a script that ends, and the options refused with the value named.
const test = require('node:test');
const assert = require('node:assert/strict');
const { PKG, PGW_URL, PROM_URL, VM_URL, promQuery, vmSeries, runScript, unique, sleep } = require('./helpers.js');
const pm = require(PKG);

const PROM_WRITE = `${PROM_URL}/api/v1/write`;
const VM_WRITE = `${VM_URL}/api/v1/write`;

/** `{ [value of label]: value }` of the samples `got`. */
function byLabel(got, label) {
  return Object.fromEntries(got.map((s) => [s.labels[label], s.value]));
}

/** A `lastSuccessMs` of the last minute. */
function recent(ms) {
  return typeof ms === 'number' && ms > Date.now() - 60_000 && ms <= Date.now() + 1000;
}

test('remote write delivers exact counter, gauge and histogram values to Prometheus', async () => {
  const job = unique('rw');
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'rw_jobs_total', help: 'j', labelNames: ['kind'], registers: [reg] });
  const held = c.labels('held');
  const g = new pm.Gauge({ name: 'rw_temp', help: 't', registers: [reg] });
  const h = new pm.Histogram({ name: 'rw_dur_seconds', help: 'd', buckets: [1, 5], registers: [reg] });
  const p = new pm.Pusher({
    target: 'remote_write',
    url: PROM_WRITE,
    job,
    groupings: { instance: 'node-1/a' },
    registry: reg,
    intervalMs: 60_000,
  });
  try {
    for (let i = 0; i < 1234; i++) held.inc();
    c.inc({ kind: 'x' }, 3);
    g.set(21.5);
    for (const v of [0.5, 2, 2, 7]) h.observe(v);
    const report = await p.flush();
    assert.ok(report.requests >= 1 && report.bytes > 0, JSON.stringify(report));

    const counters = await promQuery(`rw_jobs_total{job="${job}"}`);
    assert.deepEqual(byLabel(counters, 'kind'), { held: 1234, x: 3 });
    for (const s of counters) {
      assert.equal(s.labels.job, job);
      assert.equal(s.labels.instance, 'node-1/a');
    }
    const gauge = await promQuery(`rw_temp{job="${job}",instance="node-1/a"}`);
    assert.deepEqual(gauge.map((s) => s.value), [21.5]);
    const buckets = await promQuery(`rw_dur_seconds_bucket{job="${job}",instance="node-1/a"}`);
    assert.deepEqual(byLabel(buckets, 'le'), { '1.0': 1, '5.0': 3, '+Inf': 4 });
    assert.deepEqual((await promQuery(`rw_dur_seconds_sum{job="${job}"}`)).map((s) => s.value), [11.5]);
    assert.deepEqual((await promQuery(`rw_dur_seconds_count{job="${job}"}`)).map((s) => s.value), [4]);

    const st = p.stats();
    // 2 counter series, 1 gauge, 3 buckets + sum + count, and the self-metrics.
    assert.ok(st.samplesSent >= 9, JSON.stringify(st));
    assert.equal(st.samplesDropped, 0);
    assert.equal(st.samplesRejected, 0);
    assert.equal(st.receivers.length, 1);
    const [r] = st.receivers;
    assert.equal(r.url, PROM_WRITE);
    assert.equal(r.samplesSent, st.samplesSent);
    assert.ok(r.requests >= 1 && r.bytesSent > 0 && recent(r.lastSuccessMs), JSON.stringify(r));
    assert.equal(r.breaker, 'closed');
    assert.equal(r.lastError, undefined);
    await p.shutdown();
  } finally {
    // After a failed assertion: stop the thread without hiding that failure.
    await p.shutdown(500).catch(() => {});
  }
});

test('two receivers each get every sample and report their own stats', async () => {
  const job = unique('rw_both');
  const reg = new pm.Registry();
  new pm.Counter({ name: 'rw_both_total', help: 'b', registers: [reg] }).inc(42);
  new pm.Gauge({ name: 'rw_both_level', help: 'l', registers: [reg] }).set(-3.25);
  const p = new pm.Pusher({
    target: 'remote_write',
    url: [PROM_WRITE, VM_WRITE],
    job,
    groupings: { instance: 'both' },
    registry: reg,
    intervalMs: 60_000,
  });
  try {
    await p.flush();
    assert.equal(p.url, PROM_WRITE);
    const st = p.stats();
    assert.deepEqual(
      st.receivers.map((r) => r.url),
      [PROM_WRITE, VM_WRITE],
    );
    for (const r of st.receivers) {
      assert.ok(r.samplesSent > 0, JSON.stringify(r));
      assert.equal(r.samplesDropped, 0);
      assert.equal(r.samplesRejected, 0);
      assert.equal(r.samplesPending, 0);
      assert.equal(r.consecutiveFailures, 0);
      assert.equal(r.breaker, 'closed');
      assert.ok(r.requests >= 1 && r.bytesSent > 0 && recent(r.lastSuccessMs), JSON.stringify(r));
    }
    assert.equal(st.receivers[0].samplesSent, st.receivers[1].samplesSent);
    assert.equal(st.samplesSent, st.receivers[0].samplesSent + st.receivers[1].samplesSent);
    assert.equal(st.samplesPending, 0);

    const prom = await promQuery(`{job="${job}",__name__=~"rw_both_.*"}`);
    assert.deepEqual(byLabel(prom, '__name__'), { rw_both_total: 42, rw_both_level: -3.25 });
    const vm = await vmSeries(`{job="${job}",__name__=~"rw_both_.*"}`, 2);
    assert.deepEqual(byLabel(vm, '__name__'), { rw_both_total: 42, rw_both_level: -3.25 });
    for (const s of [...prom, ...vm]) assert.equal(s.labels.instance, 'both', JSON.stringify(s.labels));
    await p.shutdown();
  } finally {
    await p.shutdown(500).catch(() => {});
  }
});

test('shutdown ends every written series with a staleness marker', async () => {
  const job = unique('rw_stale');
  const reg = new pm.Registry();
  new pm.Gauge({ name: 'rw_stale_level', help: 's', registers: [reg] }).set(7);
  const p = new pm.Pusher({ target: 'remote_write', url: PROM_WRITE, job, registry: reg, intervalMs: 60_000 });
  const q = `rw_stale_level{job="${job}"}`;
  await p.flush();
  assert.deepEqual((await promQuery(q)).map((s) => s.value), [7]);
  // Sample timestamps are in milliseconds: keep the flushed sample, this instant and the
  // final write apart.
  await sleep(50);
  const before = Date.now() / 1000;
  await sleep(50);
  await p.shutdown();
  assert.deepEqual(await promQuery(q), []);
  assert.deepEqual((await promQuery(q, before)).map((s) => s.value), [7]);
});

test('without staleness markers a finished job stays visible through the lookback', async () => {
  const job = unique('rw_linger');
  const reg = new pm.Registry();
  new pm.Gauge({ name: 'rw_linger_level', help: 'l', registers: [reg] }).set(8);
  const p = new pm.Pusher({
    target: 'remote_write',
    url: PROM_WRITE,
    job,
    registry: reg,
    intervalMs: 60_000,
    stalenessMarkers: false,
  });
  await p.flush();
  await p.shutdown();
  assert.deepEqual((await promQuery(`rw_linger_level{job="${job}"}`)).map((s) => s.value), [8]);
});

test('a script that records and simply ends writes its final numbers', async () => {
  const job = unique('rw_ends');
  const r = await runScript(
    `
const pm = require(__PKG__);
new pm.Pusher({ target: 'remote_write', url: '${PROM_WRITE}', job: '${job}', intervalMs: 3600000 });
const held = new pm.Counter({ name: 'rw_rows_total', help: 'r', labelNames: ['table'] }).labels('users');
for (let i = 0; i < 777; i++) held.inc();
setTimeout(() => {}, 10);
`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  // The final write ended the series with a staleness marker: read it just before that.
  const got = await promQuery(`max_over_time(rw_rows_total{job="${job}",table="users"}[5m])`);
  assert.deepEqual(got.map((s) => s.value), [777]);
});

/** `fn` throws `Class` with `code`, its message matching every needle (string or RegExp). */
function throwsWith(fn, Class, code, ...needles) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Class, `${e.name} is not a ${Class.name}: ${e.message}`);
    assert.equal(e.code, code, e.message);
    for (const n of needles) {
      const ok = n instanceof RegExp ? n.test(e.message) : e.message.includes(n);
      assert.ok(ok, `"${e.message}" does not name ${n}`);
    }
    return true;
  });
}

test('bad remote-write options are configuration errors naming the value', () => {
  const base = { target: 'remote_write', url: PROM_WRITE, job: 'bad', ignoreEnv: true };
  const make = (o) => () => new pm.Pusher({ ...base, ...o });
  throwsWith(make({ target: 'nope' }), pm.ConfigError, 'ERR_INVALID_CONFIG', '"nope"');
  throwsWith(make({ maxInFlight: 0 }), pm.ConfigError, 'ERR_INVALID_CONFIG', /in_?flight 0\b/i);
  throwsWith(make({ maxInFlight: 1.5 }), pm.ConfigError, 'ERR_INVALID_CONFIG', 'maxInFlight 1.5');
  throwsWith(make({ maxSamplesPerSend: 0 }), pm.ConfigError, 'ERR_INVALID_CONFIG', /samples_?per_?send 0\b/i);
  throwsWith(make({ maxPendingSamples: -1 }), pm.ConfigError, 'ERR_INVALID_CONFIG', 'maxPendingSamples -1');
  throwsWith(make({ url: [] }), pm.ConfigError, 'ERR_INVALID_CONFIG', 'url []');
  throwsWith(make({ url: [PROM_WRITE, 5] }), pm.ConfigError, 'ERR_INVALID_ARGUMENT');
  throwsWith(make({ stalenessMarkers: 'yes' }), pm.ConfigError, 'ERR_INVALID_ARGUMENT', 'stalenessMarkers');
  throwsWith(
    make({ target: 'pushgateway', url: [PGW_URL, VM_WRITE] }),
    pm.ConfigError,
    'ERR_INVALID_CONFIG',
    PGW_URL,
    VM_WRITE,
  );
  // prom-client's Pushgateway pushes to a gateway: remote-write options are not its own.
  const gateway = () => new pm.Pushgateway(PGW_URL, { target: 'remote_write' });
  throwsWith(gateway, pm.ConfigError, 'ERR_INVALID_ARGUMENT', 'target');
});
