'use strict';
// Registries in prom-client's shape over the core's: `register` wraps the process-wide
// default registry (shared by every worker thread), `new Registry(options)` a private one.
const native = require('./native.js');
const { translate, invalid } = require('./errors.js');

const DEFAULT = Symbol('default registry');
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

class Registry {
  /**
   * @param {object} [options] maxSeriesPerMetric, maxSeries, maxLabelValueLength, seriesTtlMs
   */
  constructor(options) {
    if (options === DEFAULT) {
      this._native = native.NativeRegistry.defaultRegistry();
    } else {
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        invalid(`Registry options must be an object, got ${String(options)}`);
      }
      try {
        this._native = new native.NativeRegistry(options);
      } catch (e) {
        throw translate(e);
      }
    }
    this._metrics = new Map();
    this._hasTtl = options !== DEFAULT && options != null && options.seriesTtlMs !== undefined;
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

  /** Runs the `collect` callbacks of the metrics created in this thread. */
  async _collect() {
    for (const m of this._metrics.values()) {
      if (m._collectFn !== null) await m._collectFn.call(m);
    }
  }

  /** The text exposition (encoded on a worker thread of libuv). */
  async metrics() {
    await this._collect();
    return this._native.metrics();
  }

  /** Every metric in prom-client's JSON shape. */
  async getMetricsAsJSON() {
    await this._collect();
    return this._native.metricsJson();
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

  /** Counters, histograms and summaries back to zero; gauges keep their values. */
  resetMetrics() {
    this._native.reset();
  }

  /** Live series in the registry (all threads). */
  seriesCount() {
    return this._native.seriesCount();
  }

  /** Per metric: series, overflowed, truncated, evicted, sampledSeen, sampledKept. */
  guardStats() {
    return this._native.guardStats();
  }
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

module.exports = { Registry, register, registryOf, CONTENT_TYPE };
