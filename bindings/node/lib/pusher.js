'use strict';
// Pusher (the core's background pusher, to a Pushgateway or to remote-write receivers) and
// Pushgateway (prom-client's one-shot pushes).
// Pushers still running when the event loop empties make their final flush on
// `beforeExit`, bounded by their shutdown timeout; `exit` (process.exit()) shuts them down
// synchronously. Neither the push thread nor these hooks keep the process alive.
// A Pusher is an EventEmitter: the core's warnings about it arrive as 'warning' and 'error'
// events, or go to its `logger` option (see lib/log.js).
const { EventEmitter } = require('node:events');
const native = require('./native.js');
const { translate, invalid } = require('./errors.js');
const { register, Registry, beforeMultiprocessRemoval } = require('./registry.js');
const log = require('./log.js');

// Options of both Pusher and Pushgateway.
const OPTIONS = new Set([
  'url',
  'job',
  'groupings',
  'method',
  'format',
  'gzip',
  'intervalMs',
  'jitter',
  'flushDeadlineMs',
  'connectTimeoutMs',
  'requestTimeoutMs',
  'maxAttempts',
  'backoffBaseMs',
  'backoffMaxMs',
  'retryBudget',
  'breakerThreshold',
  'breakerOpenMs',
  'maxBodyBytes',
  'deleteOnShutdown',
  'selfMetrics',
  'shutdownTimeoutMs',
  'basicAuth',
  'bearerToken',
  'headers',
  'caFile',
  'caFileOnly',
  'clientCert',
  'clientKey',
  'ignoreEnv',
]);

// Options of the background Pusher only: prom-client's Pushgateway pushes to a gateway.
const PUSHER_OPTIONS = new Set([
  ...OPTIONS,
  'target',
  'maxSamplesPerSend',
  'maxInFlight',
  'maxPendingSamples',
  'stalenessMarkers',
  'logger',
]);

/** The addon's options from the user's: known names only, `basicAuth` as an object. */
function nativeOptions(options, extra, known = OPTIONS) {
  const out = {};
  for (const k of Object.keys(options)) {
    if (k === 'registry' || k === 'logger') continue;
    if (!known.has(k)) invalid(`unknown pusher option ${JSON.stringify(k)}`);
    if (options[k] !== undefined) out[k] = options[k];
  }
  Object.assign(out, extra);
  if (typeof out.basicAuth === 'string') {
    const i = out.basicAuth.indexOf(':');
    if (i < 0) invalid('basicAuth must be "user:password" or { username, password }');
    out.basicAuth = { username: out.basicAuth.slice(0, i), password: out.basicAuth.slice(i + 1) };
  }
  return out;
}

function registryOption(registry) {
  if (registry === undefined || registry === null) return register;
  if (!(registry instanceof Registry)) invalid(`registry is not a Registry: ${String(registry)}`);
  return registry;
}

/** A task's result: the value, or the core's error (see src/pusher.rs) thrown. */
function settle(result) {
  if (result instanceof Error) throw translate(result);
  return result;
}

const live = new Set();
let hooked = false;

function finalFlush() {
  for (const p of [...live]) {
    p.shutdown().catch((e) => {
      process.emitWarning(`final push to ${p.url} failed: ${e.message}`, 'PushmetricsWarning');
    });
  }
}

function finalSync() {
  for (const p of [...live]) {
    live.delete(p);
    // Nothing async runs any more: what the callbacks set synchronously still goes out.
    p._registry._collect().catch(() => {});
    try {
      p._native.shutdownSync();
    } catch {
      // The process is exiting: there is nobody left to tell.
    }
  }
}

// A multiprocess directory is removed at exit only after these final pushes have read it.
beforeMultiprocessRemoval(finalSync);

function hook() {
  if (hooked) return;
  hooked = true;
  process.on('beforeExit', finalFlush);
  process.on('exit', finalSync);
}

function loggerOption(logger) {
  if (logger === undefined || logger === null) return null;
  if (typeof logger !== 'object' && typeof logger !== 'function') {
    invalid(`logger is not an object with warn/error/info/debug methods: ${String(logger)}`);
  }
  return logger;
}

class Pusher extends EventEmitter {
  /**
   * @param {object} options url (for remote write, one URL or several), job, groupings,
   *   registry, target, intervalMs, logger and every other pusher option (durations in
   *   milliseconds)
   */
  constructor(options) {
    super();
    if (options === null || typeof options !== 'object') {
      invalid(`Pusher needs an options object, got ${String(options)}`);
    }
    this._registry = registryOption(options.registry);
    this._logger = loggerOption(options.logger);
    try {
      const o = nativeOptions(options, {}, PUSHER_OPTIONS);
      this._native = new native.NativePusher(this._registry._native, o);
    } catch (e) {
      throw translate(e);
    }
    this._logUrl = this._native.url();
    live.add(this);
    log.pushers.add(this);
    hook();
  }

  /** One core log record about this pusher; false if nobody here takes it. */
  _log(level, target, message) {
    const logger = this._logger;
    if (logger) {
      const fn = logger[level];
      if (typeof fn === 'function') fn.call(logger, message);
      return true;
    }
    const event = level === 'error' ? 'error' : level === 'warn' ? 'warning' : null;
    if (event === null || this.listenerCount(event) === 0) return false;
    const record = new Error(message);
    record.name = 'PushmetricsWarning';
    record.level = level;
    record.target = target;
    this.emit(event, record);
    return true;
  }

  /** The group URL pushed to (remote write: the first receiver's), credentials removed. */
  get url() {
    return this._native.url();
  }

  /** Pushes now; resolves once everything recorded before the call is delivered. */
  async flush(timeoutMs) {
    await this._registry._beforePush();
    return settle(await this._native.flush(timeoutMs));
  }

  /**
   * Final flush (then the DELETE, or the staleness markers of remote write, if configured),
   * then stops. Calling it again does nothing.
   */
  async shutdown(timeoutMs) {
    live.delete(this);
    await this._registry._beforePush();
    try {
      settle(await this._native.shutdown(timeoutMs));
    } finally {
      // After the records of the final flush, which are queued before its result.
      setImmediate(() => log.pushers.delete(this));
    }
  }

  /** The pusher's health counters; for remote write, also each receiver's. */
  stats() {
    return this._native.stats();
  }

  /** True while the last successful push is recent (within three intervals). */
  healthy() {
    return this._native.healthy();
  }
}

/** prom-client's Pushgateway: pushes a registry once per call, with the core's retries. */
class Pushgateway {
  /**
   * @param {string} url the gateway, `http://host:port`
   * @param {object} [options] prom-client's `timeout`, `headers`, `auth` ("user:password"),
   *   and any pusher option
   * @param {Registry} [registry] defaults to `register`
   */
  constructor(url, options, registry) {
    if (typeof url !== 'string') invalid(`Pushgateway needs a URL string, got ${String(url)}`);
    const o = Object.assign({}, options);
    if (o.timeout !== undefined) {
      o.requestTimeoutMs = o.timeout;
      delete o.timeout;
    }
    if (o.auth !== undefined) {
      o.basicAuth = o.auth;
      delete o.auth;
    }
    this._options = nativeOptions(o, { url });
    this._registry = registryOption(registry);
  }

  _params(params, method) {
    if (params === null || typeof params !== 'object') {
      invalid(`expected { jobName, groupings }, got ${String(params)}`);
    }
    const extra = { job: params.jobName, groupings: params.groupings };
    if (method !== undefined) extra.method = method;
    return Object.assign({}, this._options, extra);
  }

  async _push(params, method) {
    await this._registry._beforePush();
    let task;
    try {
      task = native.pushOnce(this._registry._native, this._params(params, method));
    } catch (e) {
      throw translate(e);
    }
    return settle(await task);
  }

  /** `POST`: replaces the pushed metric families in the group. */
  pushAdd(params) {
    return this._push(params, 'POST');
  }

  /** `PUT`: replaces the whole group. */
  push(params) {
    return this._push(params, 'PUT');
  }

  /** Deletes the group. */
  async delete(params) {
    let task;
    try {
      task = native.deleteOnce(this._params(params));
    } catch (e) {
      throw translate(e);
    }
    settle(await task);
  }
}

module.exports = { Pusher, Pushgateway };
