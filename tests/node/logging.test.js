'use strict';
// The core's warnings reach the application: a pusher's `logger` option, its 'warning'
// events, or process.emitWarning; repeated ones rate-limited, and a blocked event loop
// never stops the pushes.
const test = require('node:test');
const assert = require('node:assert/strict');
const { PKG, runScript, unique } = require('./helpers.js');
const pm = require(PKG);

const DEAD = 'http://127.0.0.1:1';

function failing(job, extra = {}) {
  return new pm.Pusher({
    url: DEAD,
    job,
    registry: new pm.Registry(),
    intervalMs: 50,
    jitter: 0,
    maxAttempts: 1,
    breakerThreshold: 100000,
    selfMetrics: false,
    ignoreEnv: true,
    ...extra,
  });
}

async function waitFor(cond, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function shut(p) {
  await p.shutdown(500).catch(() => {});
}

function collector() {
  const lines = [];
  const logger = {};
  for (const level of ['error', 'warn', 'info', 'debug']) logger[level] = (m) => lines.push({ level, m });
  return { lines, logger };
}

test('failed pushes reach the logger option as rate-limited warnings', async () => {
  const { lines, logger } = collector();
  const p = failing(unique('log-opt'), { logger });
  await waitFor(() => p.stats().pushesFailed >= 30);
  const failures = p.stats().pushesFailed;
  await waitFor(() => lines.length > 0, 5000);
  await shut(p);
  assert.ok(failures >= 30, `only ${failures} failures`);
  const mine = lines.filter((l) => l.m.includes(p.url));
  assert.ok(mine.length >= 1, JSON.stringify(lines));
  assert.equal(mine[0].level, 'warn');
  assert.match(mine[0].m, /push failed: .*refused/i);
  assert.ok(mine.length <= 2, `not rate-limited: ${mine.length} records for ${failures} failures`);
});

test("a pusher without a logger emits 'warning' events", async () => {
  const seen = [];
  const p = failing(unique('log-event'));
  p.on('warning', (w) => seen.push(w));
  await waitFor(() => seen.length > 0, 5000);
  await shut(p);
  assert.ok(seen.length >= 1, 'no warning event');
  assert.ok(seen[0] instanceof Error);
  assert.equal(seen[0].name, 'PushmetricsWarning');
  assert.equal(seen[0].level, 'warn');
  assert.ok(seen[0].message.includes(p.url), seen[0].message);
});

test('a blocked event loop does not stop the pushes, and the warning comes after', async () => {
  const { lines, logger } = collector();
  // The first failure is logged while the loop below blocks the event loop.
  const p = failing(unique('log-busy'), { logger });
  const start = p.stats().pushesFailed;
  const end = Date.now() + 2000;
  while (Date.now() < end) {
    // busy: nothing on the event loop runs
  }
  const during = p.stats().pushesFailed - start;
  await waitFor(() => lines.length > 0, 5000);
  await shut(p);
  assert.ok(during >= 10, `only ${during} pushes while the event loop was blocked`);
  assert.ok(lines.some((l) => l.m.includes(p.url)), JSON.stringify(lines));
});

test('setLogLevel("error") keeps warnings back', async () => {
  const { lines, logger } = collector();
  pm.setLogLevel('error');
  try {
    const p = failing(unique('log-level'), { logger });
    await waitFor(() => p.stats().pushesFailed >= 10);
    await new Promise((r) => setTimeout(r, 200));
    await shut(p);
    assert.deepEqual(lines.filter((l) => l.m.includes(p.url)), []);
  } finally {
    pm.setLogLevel('warn');
  }
  assert.throws(() => pm.setLogLevel('loud'), TypeError);
});

test('with no logger and no listener, warnings go to process.emitWarning and exit is not held', async () => {
  const job = unique('log-default');
  const r = await runScript(
    `
const pm = require(__PKG__);
const p = new pm.Pusher({ url: ${JSON.stringify(DEAD)}, job: '${job}', intervalMs: 3600000,
  maxAttempts: 1, ignoreEnv: true, shutdownTimeoutMs: 1000 });
p.flush(2000).catch(() => {}).then(() => setTimeout(() => {}, 100));
`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /PushmetricsWarning: push failed: .*refused/i);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
});
