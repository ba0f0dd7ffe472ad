'use strict';
// The core's log records (push failed, samples dropped, ...), delivered on the event loop by
// the addon's non-blocking, unref'd thread-safe function (src/logging.rs). A record that
// names a pusher's URL goes to that pusher (its `logger` option, else its 'warning' /
// 'error' listeners); any other record to every live pusher; a warning or error that no
// pusher takes goes to process.emitWarning. The core rate-limits repeated messages.
const { isMainThread } = require('node:worker_threads');
const native = require('./native.js');

const LEVELS = new Set(['debug', 'info', 'warn', 'error', 'off']);
const pushers = new Set();

function deliver(level, target, message) {
  let taken = false;
  let named = false;
  for (const p of pushers) {
    if (p._logUrl && message.includes(p._logUrl)) {
      named = true;
      taken = p._log(level, target, message) || taken;
    }
  }
  if (!named) {
    for (const p of pushers) taken = p._log(level, target, message) || taken;
  }
  if (!taken && (level === 'warn' || level === 'error')) {
    process.emitWarning(message, 'PushmetricsWarning');
  }
}

// One handler per process: records of pushers in worker threads reach the main thread.
if (isMainThread) native.installLogHandler(deliver);

/**
 * Forwards the core's records at `level` ('debug', 'info', 'warn' (the default), 'error'
 * or 'off') and above.
 */
function setLogLevel(level) {
  if (!LEVELS.has(level)) {
    throw new TypeError(`log level ${JSON.stringify(level)} is not one of ${[...LEVELS].join(', ')}`);
  }
  native.setLogLevel(level);
}

module.exports = { pushers, setLogLevel };
