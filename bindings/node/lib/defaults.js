'use strict';
// collectDefaultMetrics: prom-client's default metrics under prom-client's names, types,
// help and labels, so its dashboards keep working. The process_* metrics the core reads
// from /proc come from the core's process collector; those of the Node runtime (event loop,
// heap, handles, GC, version) are read here, in `collect` callbacks, as prom-client does.
const fs = require('node:fs');
const v8 = require('node:v8');
const perfHooks = require('node:perf_hooks');
const { Counter, Gauge, Histogram } = require('./metrics.js');
const { register, Registry } = require('./registry.js');
const { translate, invalid } = require('./errors.js');

const GC_DURATION_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];

const GC_KINDS = [];
GC_KINDS[perfHooks.constants.NODE_PERFORMANCE_GC_MAJOR] = 'major';
GC_KINDS[perfHooks.constants.NODE_PERFORMANCE_GC_MINOR] = 'minor';
GC_KINDS[perfHooks.constants.NODE_PERFORMANCE_GC_INCREMENTAL] = 'incremental';
GC_KINDS[perfHooks.constants.NODE_PERFORMANCE_GC_WEAKCB] = 'weakcb';

const OPTIONS = new Set(['register', 'prefix', 'labels', 'gcDurationBuckets', 'eventLoopMonitoringPrecision']);

/** Counts of `items` by their constructor's name (prom-client's `type` label). */
function byConstructor(items) {
  const out = {};
  for (const x of items) {
    if (!x || typeof x.constructor === 'undefined') continue;
    const name = x.constructor.name;
    out[name] = (out[name] || 0) + 1;
  }
  return out;
}

/** Counts of equal strings. */
function byValue(items) {
  const out = {};
  for (const x of items) out[x] = (out[x] || 0) + 1;
  return out;
}

/** The gauge's series replaced by one per `type` of `counts`. */
function setByType(gauge, counts, labels) {
  gauge.reset();
  for (const type in counts) gauge.set(Object.assign({ type }, labels), counts[type]);
}

/** VmData of /proc/self/status in bytes (Linux), or undefined. */
function vmData() {
  try {
    const m = /^VmData:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function defineAll(registry, p, labels, config) {
  const registers = [registry];
  const labelNames = Object.keys(labels);
  const gauge = (name, help, extra) => new Gauge(Object.assign({ name: p + name, help, registers, labelNames }, extra));

  // CPU split by user and system: the core reports the sum, process_cpu_seconds_total. Both
  // count from the start of the process, so the parts add up to it.
  let lastCpu = { user: 0, system: 0 };
  const cpuSystem = new Counter({
    name: p + 'process_cpu_system_seconds_total',
    help: 'Total system CPU time spent in seconds.',
    registers,
    labelNames,
  });
  new Counter({
    name: p + 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    labelNames,
    collect() {
      const now = process.cpuUsage();
      this.inc(labels, (now.user - lastCpu.user) / 1e6);
      cpuSystem.inc(labels, (now.system - lastCpu.system) / 1e6);
      lastCpu = now;
    },
  });
  if (process.platform === 'linux') {
    gauge('process_heap_bytes', 'Process heap size in bytes.', {
      collect() {
        const v = vmData();
        if (v !== undefined) this.set(labels, v);
      },
    });
  }

  // Event loop lag: the delay of a setImmediate, and perf_hooks' histogram of delays.
  const delays = perfHooks.monitorEventLoopDelay({ resolution: config.eventLoopMonitoringPrecision });
  delays.enable();
  const lag = gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', {
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => lag.set(labels, Number(process.hrtime.bigint() - start) / 1e9));
      lagMin.set(labels, delays.min / 1e9);
      lagMax.set(labels, delays.max / 1e9);
      lagMean.set(labels, delays.mean / 1e9);
      lagStddev.set(labels, delays.stddev / 1e9);
      lagP50.set(labels, delays.percentile(50) / 1e9);
      lagP90.set(labels, delays.percentile(90) / 1e9);
      lagP99.set(labels, delays.percentile(99) / 1e9);
      delays.reset();
    },
  });
  const lagMin = gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.');
  const lagMax = gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.');
  const lagMean = gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.');
  const lagStddev = gauge(
    'nodejs_eventloop_lag_stddev_seconds',
    'The standard deviation of the recorded event loop delays.',
  );
  const lagP50 = gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.');
  const lagP90 = gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.');
  const lagP99 = gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.');

  const typed = ['type', ...labelNames];
  if (typeof process.getActiveResourcesInfo === 'function') {
    gauge(
      'nodejs_active_resources',
      'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
      {
        labelNames: typed,
        collect() {
          setByType(this, byValue(process.getActiveResourcesInfo()), labels);
        },
      },
    );
    gauge('nodejs_active_resources_total', 'Total number of active resources.', {
      collect() {
        this.set(labels, process.getActiveResourcesInfo().length);
      },
    });
  }
  if (typeof process._getActiveHandles === 'function') {
    gauge(
      'nodejs_active_handles',
      'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.',
      {
        labelNames: typed,
        collect() {
          setByType(this, byConstructor(process._getActiveHandles()), labels);
        },
      },
    );
    gauge('nodejs_active_handles_total', 'Total number of active handles.', {
      collect() {
        this.set(labels, process._getActiveHandles().length);
      },
    });
  }
  if (typeof process._getActiveRequests === 'function') {
    gauge(
      'nodejs_active_requests',
      'Number of active libuv requests grouped by request type. Every request type is C++ class name.',
      {
        labelNames: typed,
        collect() {
          setByType(this, byConstructor(process._getActiveRequests()), labels);
        },
      },
    );
    gauge('nodejs_active_requests_total', 'Total number of active requests.', {
      collect() {
        this.set(labels, process._getActiveRequests().length);
      },
    });
  }

  gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', {
    collect() {
      let m;
      try {
        m = process.memoryUsage();
      } catch {
        return;
      }
      this.set(labels, m.heapTotal);
      heapUsed.set(labels, m.heapUsed);
      if (m.external !== undefined) external.set(labels, m.external);
    },
  });
  const heapUsed = gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.');
  const external = gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.');

  const spaced = ['space', ...labelNames];
  const spaceGauge = (kind, collect) =>
    gauge(`nodejs_heap_space_size_${kind}_bytes`, `Process heap space size ${kind} from Node.js in bytes.`, {
      labelNames: spaced,
      collect,
    });
  const spaceTotal = spaceGauge('total', () => {
    for (const s of v8.getHeapSpaceStatistics()) {
      const l = Object.assign({ space: s.space_name.slice(0, s.space_name.indexOf('_space')) }, labels);
      spaceTotal.set(l, s.space_size);
      spaceUsed.set(l, s.space_used_size);
      spaceAvailable.set(l, s.space_available_size);
    }
  });
  const spaceUsed = spaceGauge('used');
  const spaceAvailable = spaceGauge('available');

  const [major, minor, patch] = process.version.slice(1).split('.').map(Number);
  gauge('nodejs_version_info', 'Node.js version info.', {
    labelNames: ['version', 'major', 'minor', 'patch', ...labelNames],
    collect() {
      this.labels(process.version, major, minor, patch, ...Object.values(labels)).set(1);
    },
  });

  const gc = new Histogram({
    name: p + 'nodejs_gc_duration_seconds',
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind', ...labelNames],
    buckets: config.gcDurationBuckets || GC_DURATION_BUCKETS,
    registers,
  });
  const observer = new perfHooks.PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[entry.detail ? entry.detail.kind : entry.kind];
      if (kind !== undefined) gc.observe(Object.assign({ kind }, labels), entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}

/**
 * prom-client's default metrics in `register` (the default registry when not given):
 * process CPU, memory, file descriptors and start time, and the Node runtime's event loop
 * lag, handles, requests, resources, heap, GC durations and version. `prefix` goes before
 * every name and `labels` onto every series of them all, the core's `process_*` included
 * (for the default registry, its process collector is replaced). A second call for the
 * same registry does nothing.
 * @param {object} [config] register, prefix, labels, gcDurationBuckets,
 *   eventLoopMonitoringPrecision (ms, 10)
 */
function collectDefaultMetrics(config) {
  if (config !== undefined && config !== null && typeof config !== 'object') {
    invalid(`collectDefaultMetrics config must be an object, got ${String(config)}`);
  }
  const c = Object.assign({ eventLoopMonitoringPrecision: 10 }, config);
  for (const k of Object.keys(c)) {
    if (!OPTIONS.has(k)) invalid(`unknown collectDefaultMetrics option ${JSON.stringify(k)}`);
  }
  const registry = c.register === undefined || c.register === null ? register : c.register;
  if (!(registry instanceof Registry)) invalid(`register is not a Registry: ${String(c.register)}`);
  if (c.prefix !== undefined && c.prefix !== null && typeof c.prefix !== 'string') {
    invalid(`prefix must be a string, got ${String(c.prefix)}`);
  }
  const labels = c.labels === undefined || c.labels === null ? {} : c.labels;
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    invalid(`labels must be an object of label names to values, got ${String(c.labels)}`);
  }
  if (c.gcDurationBuckets !== undefined && !Array.isArray(c.gcDurationBuckets)) {
    invalid(`gcDurationBuckets must be an array of bounds, got ${String(c.gcDurationBuckets)}`);
  }
  const precision = c.eventLoopMonitoringPrecision;
  if (!Number.isInteger(precision) || precision < 1) {
    invalid(`eventLoopMonitoringPrecision must be a whole number of milliseconds >= 1, got ${String(precision)}`);
  }
  if (registry._defaults) return;
  const prefix = c.prefix || '';
  const labelNames = Object.keys(labels);
  try {
    if (prefix === '' && labelNames.length === 0) {
      // The default registry reports them from the start: false then, and nothing to do.
      registry._native.registerProcessCollector();
    } else {
      // In place of the default registry's plain one.
      registry._native.registerProcessCollectorWith(prefix, labelNames, labelNames.map((n) => String(labels[n])));
    }
  } catch (e) {
    throw translate(e);
  }
  defineAll(registry, prefix, labels, c);
  registry._defaults = true;
}

/** The names of the default metrics, as prom-client lists its groups. */
collectDefaultMetrics.metricsList = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  'processResources',
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
  'gc',
];

module.exports = { collectDefaultMetrics };
