'use strict';
// startHttpServer: scraped with node:http, curl and promtool; gzip, HEAD, refused methods,
// the connection bound, a silent client, close() freeing the port, and scrapes answered
// while the event loop is busy.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const zlib = require('node:zlib');
const { spawn, spawnSync } = require('node:child_process');
const { PKG } = require('./helpers.js');
const pm = require(PKG);

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function sampleRegistry() {
  const reg = new pm.Registry();
  const c = new pm.Counter({ name: 'served_requests_total', help: 'Requests', labelNames: ['code'], registers: [reg] });
  c.inc({ code: '200' }, 41);
  c.labels('a "quoted"\nvalue').inc(); // a held child: its increments sit in shared memory
  new pm.Gauge({ name: 'served_temperature', help: 'Temp', registers: [reg] }).set(-3.25);
  new pm.Histogram({ name: 'served_latency_seconds', help: 'Latency', registers: [reg] }).observe(0.3);
  new pm.Summary({ name: 'served_size_bytes', help: 'Sizes', registers: [reg] }).observe(7);
  return reg;
}

/** One request with node:http: { status, headers, body (Buffer) }. */
function request(port, { method = 'GET', path = '/metrics', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

test('a scrape returns the registry text on any path', async () => {
  const reg = sampleRegistry();
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: reg });
  try {
    assert.ok(server.port > 0);
    assert.equal(server.host, '127.0.0.1');
    for (const path of ['/metrics', '/', '/x?name[]=y']) {
      const r = await request(server.port, { path });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], CONTENT_TYPE);
      assert.equal(r.body.toString(), await reg.metrics());
    }
    assert.match((await request(server.port)).body.toString(), /served_requests_total\{code="a \\"quoted\\"\\nvalue"\} 1\n/);
  } finally {
    await server.close();
  }
  assert.ok(server.closed);
});

test('the defaults are every interface and the default registry', async () => {
  new pm.Counter({ name: 'served_default_total', help: 'D' }).inc(3);
  const server = pm.startHttpServer({ port: 0 });
  try {
    assert.equal(server.host, '0.0.0.0');
    const r = await request(server.port);
    // The default registry reports the process metrics, which change between two reads.
    const steady = (text) => text.replace(/^process_\w+ \S+$/gm, 'process_');
    assert.equal(steady(r.body.toString()), steady(await pm.register.metrics()));
    assert.match(r.body.toString(), /^served_default_total 3$/m);
  } finally {
    await server.close();
  }
});

test('gzip only when the client accepts it', async () => {
  const reg = sampleRegistry();
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: reg });
  try {
    const z = await request(server.port, { headers: { 'accept-encoding': 'gzip, deflate' } });
    assert.equal(z.headers['content-encoding'], 'gzip');
    assert.equal(zlib.gunzipSync(z.body).toString(), await reg.metrics());
    const plain = await request(server.port, { headers: { 'accept-encoding': 'gzip;q=0' } });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), await reg.metrics());
  } finally {
    await server.close();
  }
});

test('HEAD gives the headers of GET, other methods get 405', async () => {
  const reg = sampleRegistry();
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: reg });
  try {
    const head = await request(server.port, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(Number(head.headers['content-length']), Buffer.byteLength(await reg.metrics()));
    const post = await request(server.port, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD, OPTIONS');
  } finally {
    await server.close();
  }
});

test('concurrent scrapes beyond the bound are all answered', async () => {
  const reg = sampleRegistry();
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: reg, maxConnections: 2 });
  try {
    const want = await reg.metrics();
    const all = await Promise.all(Array.from({ length: 20 }, () => request(server.port)));
    for (const r of all) {
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), want);
    }
  } finally {
    await server.close();
  }
});

test('a silent client does not hold up others and is dropped after readTimeoutMs', async () => {
  const server = pm.startHttpServer({
    port: 0, host: '127.0.0.1', registry: sampleRegistry(), maxConnections: 2, readTimeoutMs: 500,
  });
  const silent = net.connect(server.port, '127.0.0.1');
  const answer = new Promise((resolve) => {
    let got = '';
    silent.on('data', (d) => (got += d));
    silent.on('close', () => resolve(got));
    silent.on('error', () => resolve(got));
  });
  try {
    await new Promise((r) => silent.on('connect', r));
    await new Promise((r) => setTimeout(r, 50));
    const t = process.hrtime.bigint();
    assert.equal((await request(server.port)).status, 200);
    assert.ok(Number(process.hrtime.bigint() - t) / 1e6 < 400);
    assert.match(await answer, /^HTTP\/1\.1 408 /);
  } finally {
    silent.destroy();
    await server.close();
  }
});

test('close() frees the port', async () => {
  const reg = sampleRegistry();
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: reg });
  const port = server.port;
  await request(port);
  await server.close();
  await server.close(); // idempotent
  const probe = net.createServer();
  await new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((r) => probe.close(r));
  const again = pm.startHttpServer({ port, host: '127.0.0.1', registry: reg });
  assert.equal(again.port, port);
  await again.close();
});

test('a port in use throws ListenError naming the address; bad options throw ConfigError', async () => {
  const reg = sampleRegistry();
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: reg });
  try {
    assert.throws(
      () => pm.startHttpServer({ port: server.port, host: '127.0.0.1', registry: reg }),
      (e) => e instanceof pm.ListenError && e.code === 'ERR_LISTEN' && e.message.includes(`127.0.0.1:${server.port}`),
    );
  } finally {
    await server.close();
  }
  for (const bad of [{}, { port: -1 }, { port: 70000 }, { port: 0, maxConnections: 0 }, { port: 0, nope: 1 },
    { port: 0, registry: {} }, { port: 0, readTimeoutMs: -5 }]) {
    assert.throws(() => pm.startHttpServer(bad), pm.ConfigError, JSON.stringify(bad));
  }
});

test('promtool accepts the served text', { skip: spawnSync('promtool', ['--version']).error && 'promtool missing' }, async () => {
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: sampleRegistry() });
  try {
    const body = (await request(server.port)).body;
    const check = spawnSync('promtool', ['check', 'metrics'], { input: body });
    assert.equal(check.status, 0, String(check.stderr));
  } finally {
    await server.close();
  }
});

test('scrapes are answered while the event loop is busy', { skip: spawnSync('curl', ['--version']).error && 'curl missing' }, async () => {
  const server = pm.startHttpServer({ port: 0, host: '127.0.0.1', registry: sampleRegistry() });
  try {
    const curl = spawn('curl', ['-fsS', '-o', '/dev/null', '-w', '%{time_total}', `http://127.0.0.1:${server.port}/metrics`]);
    let out = '';
    curl.stdout.on('data', (d) => (out += d));
    const exited = new Promise((r) => curl.on('close', r));
    const t = Date.now();
    while (Date.now() - t < 1000) {
      // the event loop is blocked: a handler-based server could not answer now
    }
    const held = (Date.now() - t) / 1000;
    assert.equal(await exited, 0);
    assert.ok(Number(out) < held / 2, `curl took ${out} s while the loop was blocked ${held} s`);
  } finally {
    await server.close();
  }
});
