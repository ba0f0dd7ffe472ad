'use strict';
// Registries in prom-client's shape over the core's: `register` wraps the process-wide
// default registry (shared by every worker thread), `new Registry(options)` a private one.
// A metric's `collect` callback runs before every snapshot: JS runs them itself before
// metrics(), flush() and the other calls made here; for the scheduled pushes (and scrapes
// of startHttpServer) the core's collector asks this thread's event loop and waits at most
// `collectTimeoutMs` (see src/collect.rs).
const { threadId } = require('node:worker_threads');
const native = require('./native.js');
const { translate, invalid, ConflictError } = require('./errors.js');

const DEFAULT = Symbol('default registry');
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const COLLECT_TIMEOUT_MS = 100;

/** Registries of this thread with a core collector: told to stop asking at exit. */
const collecting = new Set();
let registries = 0;

function stopCollectors() {
  for (const r of collecting) r._collector.stop();
}
process.on('exit', stopCollectors);

class Registry {
  /**
   * @param {object} [options] maxSeriesPerMetric, maxSeries, maxLabelValueLength, seriesTtlMs,
   *   collectTimeoutMs (how long a scheduled push waits for the `collect` callbacks, 100)
   */
  constructor(options) {
    this._collectTimeoutMs = COLLECT_TIMEOUT_MS;
    if (options === DEFAULT) {
      this._native = native.NativeRegistry.defaultRegistry();
    } else {
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        invalid(`Registry options must be an object, got ${String(options)}`);
      }
      const o = Object.assign({}, options);
      if (o.collectTimeoutMs !== undefined) {
        this._collectTimeoutMs = collectTimeout(o.collectTimeoutMs);
        delete o.collectTimeoutMs;
      }
      try {
        this._native = new native.NativeRegistry(o);
      } catch (e) {
        throw translate(e);
      }
    }
    this._metrics = new Map();
    this._hasTtl = options !== DEFAULT && options != null && options.seriesTtlMs !== undefined;
    /** The core collector that runs the `collect` callbacks for scheduled pushes, once needed. */
    this._collector = null;
    /** The registries merged into this one (`Registry.merge`). */
    this._sources = [];
    /** Whether `collectDefaultMetrics` has defined its metrics here. */
    this._defaults = false;
    this._id = registries++;
  }

  /**
   * How long a snapshot taken off the event loop (a scheduled push, a scrape of
   * startHttpServer) waits for the `collect` callbacks, in milliseconds; past it the values
   * go out as they are and `pushmetrics_collector_failures_total` counts it.
   */
  get collectTimeoutMs() {
    return this._collectTimeoutMs;
  }

  set collectTimeoutMs(ms) {
    const t = collectTimeout(ms);
    if (this._collector !== null) this._collector.setTimeoutMs(t);
    this._collectTimeoutMs = t;
  }

  /** Installs the core collector of this thread's `collect` callbacks (a metric has one). */
  _collects() {
    if (this._collector !== null) return;
    const name = `nodejs_collect_thread${threadId}_registry${this._id}`;
    try {
      this._collector = native.NativeCollector.install(
        this._native,
        name,
        (generation) => this._answer(generation),
        this._collectTimeoutMs,
      );
    } catch (e) {
      throw translate(e);
    }
    collecting.add(this);
  }

  /** Runs the callbacks for the core collector's request `generation`; never throws. */
  _answer(generation) {
    const c = this._collector;
    this._collectWithin(false).then(
      (finished) => {
        c.done(generation, finished ? null : `collect callbacks still running after ${this._collectTimeoutMs} ms`);
      },
      (e) => {
        c.done(generation, `a collect callback failed: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  /**
   * `_collect()`, waited for at most `collectTimeoutMs`: whether it finished. The wait keeps
   * the process alive only when `ref` (a final push must not be lost to an empty loop).
   */
  async _collectWithin(ref) {
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(resolve, this._collectTimeoutMs, false);
      if (!ref) timer.unref();
    });
    try {
      return await Promise.race([this._collect().then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Before a push made from JS: the callbacks, waited for at most `collectTimeoutMs`. When
   * they finished, the snapshot takes the values as they are; otherwise the core's collector
   * asks (and counts) again.
   */
  async _beforePush() {
    if (await this._collectWithin(true)) this._fresh();
  }

  /** The next snapshot of this registry (and of those merged into it) needs no request. */
  _fresh() {
    if (this._collector !== null) this._collector.fresh();
    for (const r of this._sources) r._fresh();
  }

  static get PROMETHEUS_CONTENT_TYPE() {
    return CONTENT_TYPE;
  }

  get contentType() {
    return CONTENT_TYPE;
  }

  _add(metric) {
    this._metrics.set(metric.name, metric);
  }

  /**
   * Runs the `collect` callbacks of the metrics created in this thread, all at once as
   * prom-client does; rejects with the first that fails. The next snapshot then takes the
   * values as they are.
   */
  async _collect() {
    const pending = [];
    for (const m of this._metrics.values()) {
      const fn = m._collectFn;
      if (fn === null) continue;
      try {
        const r = fn.call(m);
        if (r !== null && typeof r === 'object' && typeof r.then === 'function') pending.push(r);
      } catch (e) {
        pending.push(Promise.reject(e));
      }
    }
    if (pending.length > 0) await Promise.all(pending);
  }

  /** The text exposition (encoded on a worker thread of libuv). */
  async metrics() {
    await this._collect();
    this._fresh();
    return this._native.metrics();
  }

  /** Every metric in prom-client's JSON shape (`le` and `quantile` as numbers, as there). */
  async getMetricsAsJSON() {
    await this._collect();
    this._fresh();
    const out = this._native.metricsJson();
    for (const m of out) {
      if (m.type !== 'histogram' && m.type !== 'summary') continue;
      for (const { labels } of m.values) {
        if (labels.le !== undefined && labels.le !== '+Inf') labels.le = Number(labels.le);
        if (labels.quantile !== undefined) labels.quantile = Number(labels.quantile);
      }
    }
    return out;
  }

  /** The metric objects created in this thread. */
  getMetricsAsArray() {
    return [...this._metrics.values()];
  }

  getSingleMetric(name) {
    return this._metrics.get(name);
  }

  async getSingleMetricAsString(name) {
    await this._collect();
    this._fresh();
    const text = this._native.metricsSync();
    // Families are contiguous and open with their HELP line.
    const start = text.indexOf(`# HELP ${name} `);
    if (start < 0) return '';
    const end = text.indexOf('\n# HELP ', start + 1);
    return text.slice(start, end < 0 ? text.length : end + 1);
  }

  removeSingleMetric(name) {
    this._native.unregister(name);
    this._metrics.delete(name);
  }

  /** Removes the metrics created in this thread. */
  clear() {
    for (const name of this._metrics.keys()) this._native.unregister(name);
    this._metrics.clear();
  }

  /**
   * Labels every series of every metric carries in metrics(), getMetricsAsJSON(), pushes
   * and scrapes, as prom-client's `setDefaultLabels`: the default and collected metrics
   * included. A series with a label of the same name keeps its own value. Replaces the
   * previous set; `{}` clears it. Values are turned into strings.
   * @param {object} labels label names to values
   */
  setDefaultLabels(labels) {
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
      invalid(`setDefaultLabels needs an object of label names to values, got ${String(labels)}`);
    }
    const names = Object.keys(labels);
    try {
      this._native.setDefaultLabels(names, names.map((n) => String(labels[n])));
    } catch (e) {
      throw translate(e);
    }
  }

  /** Counters, histograms and summaries back to zero; gauges keep their values. */
  resetMetrics() {
    this._native.reset();
  }

  /**
   * A registry that reports every metric of `registers` (their `collect` callbacks run
   * before its snapshots too). Throws a `ConflictError` when two of them hold a metric of
   * the same name, as prom-client throws.
   * @param {Registry[]} registers
   */
  static merge(registers) {
    if (!Array.isArray(registers)) invalid(`merge needs an array of Registry, got ${String(registers)}`);
    const merged = new Registry();
    const seen = new Set();
    for (const r of registers) {
      if (!(r instanceof Registry)) invalid(`merge: not a Registry: ${String(r)}`);
      for (const name of r._native.familyNames()) {
        if (seen.has(name)) {
          throw new ConflictError(`A metric with the name ${name} has already been registered.`, 'ERR_CONFLICT');
        }
        seen.add(name);
      }
    }
    for (const r of registers) {
      try {
        merged._native.include(r._native, `merged_registry${r._id}`);
      } catch (e) {
        throw translate(e);
      }
      for (const m of r._metrics.values()) merged._metrics.set(m.name, m);
      merged._sources.push(r);
    }
    return merged;
  }

  /** Live series in the registry (all threads). */
  seriesCount() {
    return this._native.seriesCount();
  }

  /** Per metric: series, overflowed, truncated, evicted, sampledSeen, sampledKept. */
  guardStats() {
    return this._native.guardStats();
  }

  /**
   * Turns on multiprocess mode: every process of the job records this registry's metrics
   * into a file of its own in `dir`, and this process, the owner, pushes their sums.
   * Processes it starts afterwards join `register` as workers, from the environment.
   * Counters of this thread stop using cells (what they hold is moved into the core), so a
   * killed process loses no update. The owner removes a directory the mode made at exit,
   * after the final pushes.
   * @param {string} [dir] made if missing; a new temporary directory when not given
   * @returns {string} the directory
   */
  enableMultiprocess(dir) {
    if (dir !== undefined && dir !== null && typeof dir !== 'string') {
      invalid(`enableMultiprocess needs a directory path (a string), got ${String(dir)}`);
    }
    let path;
    try {
      path = this._native.enableMultiprocess(dir === null ? undefined : dir);
    } catch (e) {
      throw translate(e);
    }
    this._mp = true;
    for (const m of this._metrics.values()) m._toDirect();
    // After the switch: nothing is added to the cells of this thread's counters any more.
    native.drainCells();
    removeAtExit(this);
    return path;
  }

  /** Whether this process is a multiprocess worker: its pushers send nothing. */
  isMultiprocessWorker() {
    return this._native.isMultiprocessWorker();
  }

  /** The multiprocess directory, or null when the mode is off. */
  multiprocessDir() {
    const dir = this._native.multiprocessDir();
    return dir === undefined ? null : dir;
  }

  /** Whether multiprocess mode is on (here or in another thread): counters then skip cells. */
  _multiprocess() {
    if (this._mp !== true) this._mp = this._native.multiprocessDir() != null;
    return this._mp;
  }
}

/** Registries that turned multiprocess mode on: each removes a directory it made at exit. */
const multiprocessOwners = new Set();
/** The final pushes (set by lib/pusher.js): they read the directory, so they come first. */
let finalPushes = () => {};

function removeMultiprocessDirs() {
  finalPushes();
  for (const r of multiprocessOwners) r._native.removeMultiprocessDir();
  multiprocessOwners.clear();
}

let removalHooked = false;

function removeAtExit(registry) {
  if (!removalHooked) process.on('exit', removeMultiprocessDirs);
  removalHooked = true;
  multiprocessOwners.add(registry);
}

/** Sets what runs at exit before the multiprocess directories are removed. */
function beforeMultiprocessRemoval(fn) {
  finalPushes = fn;
}

/** A `collectTimeoutMs` value, checked. */
function collectTimeout(ms) {
  if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) {
    invalid(`collectTimeoutMs ${String(ms)} must be a finite number of milliseconds >= 0`);
  }
  return ms;
}

const register = new Registry(DEFAULT);

/** The registry a metric's `registers` option names (prom-client's default: `register`). */
function registryOf(registers) {
  if (registers === undefined || registers === null) return register;
  if (!Array.isArray(registers)) invalid(`registers must be an array of Registry, got ${String(registers)}`);
  // An unregistered metric still needs a home in the core: a registry nobody reads.
  if (registers.length === 0) return new Registry();
  if (registers.length > 1) {
    invalid(`registers: a metric belongs to exactly one registry, got ${registers.length}`);
  }
  if (!(registers[0] instanceof Registry)) invalid(`registers[0] is not a Registry: ${String(registers[0])}`);
  return registers[0];
}

module.exports = { Registry, register, registryOf, CONTENT_TYPE, beforeMultiprocessRemoval };
