'use strict';
// Counter, Gauge, Histogram and Summary in prom-client's shape. A labels object is turned
// into the values in declared order and passed to a fixed-arity native call (`inc2(v, a, b)`);
// anything that does not translate exactly (unknown or missing names, extra keys) goes to
// the `*Pairs` call, where the core orders and checks it and raises its own error.
const native = require('./native.js');
const cells = require('./cells.js');
const { translate, invalid } = require('./errors.js');
const { registryOf } = require('./registry.js');

function keyCount(o) {
  let n = 0;
  // eslint-disable-next-line no-unused-vars
  for (const _ in o) n++;
  return n;
}

/** prom-client accepts numbers (and anything printable) as label values. */
function stringValues(labels) {
  const out = {};
  for (const k in labels) {
    const v = labels[k];
    if (v !== undefined) out[k] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

function valueList(values) {
  return values.map((v) => (typeof v === 'string' ? v : String(v)));
}

/**
 * `(labels, v) => void` for native operation `op` (`inc`, `set`, `add`, `observe`): the
 * arity-specific call when the object holds exactly the declared names as strings.
 */
function recorder(fam, names, op) {
  const pairs = native[op + 'Pairs'];
  const slow = (labels, v) => pairs(fam, v, stringValues(labels));
  const [n0, n1, n2] = names;
  switch (names.length) {
    case 0: {
      const f = native[op + '0'];
      return (labels, v) => (keyCount(labels) === 0 ? f(fam, v) : slow(labels, v));
    }
    case 1: {
      const f = native[op + '1'];
      return (labels, v) => {
        const a = labels[n0];
        if (typeof a === 'string' && keyCount(labels) === 1) return f(fam, v, a);
        return slow(labels, v);
      };
    }
    case 2: {
      const f = native[op + '2'];
      return (labels, v) => {
        const a = labels[n0];
        const b = labels[n1];
        if (typeof a === 'string' && typeof b === 'string' && keyCount(labels) === 2) {
          return f(fam, v, a, b);
        }
        return slow(labels, v);
      };
    }
    case 3: {
      const f = native[op + '3'];
      return (labels, v) => {
        const a = labels[n0];
        const b = labels[n1];
        const c = labels[n2];
        if (
          typeof a === 'string' &&
          typeof b === 'string' &&
          typeof c === 'string' &&
          keyCount(labels) === 3
        ) {
          return f(fam, v, a, b, c);
        }
        return slow(labels, v);
      };
    }
    default: {
      const f = native[op + 'N'];
      const n = names.length;
      return (labels, v) => {
        if (keyCount(labels) !== n) return slow(labels, v);
        const values = new Array(n);
        for (let i = 0; i < n; i++) {
          const x = labels[names[i]];
          if (typeof x !== 'string') return slow(labels, v);
          values[i] = x;
        }
        return f(fam, v, values);
      };
    }
  }
}

/**
 * Children kept per metric for the labelled calls, so a repeated `inc(labels)` is a map
 * lookup and a held-child update instead of a native call that converts every label value.
 * Bounded, so a metric with many series costs no more memory than the core's series. Not
 * used for more than three labels, nor with sampling (each call must reach the sampler),
 * nor with a series TTL (a held child keeps its series from being evicted).
 */
const CACHED_CHILDREN = 1000;

function definition(config, type) {
  if (config === null || typeof config !== 'object') {
    invalid(`${type} needs a configuration object, got ${String(config)}`);
  }
  if (config.labelNames !== undefined && !Array.isArray(config.labelNames)) {
    invalid(`labelNames of ${String(config.name)} must be an array, got ${String(config.labelNames)}`);
  }
  return {
    name: config.name,
    help: config.help,
    labelNames: config.labelNames ? [...config.labelNames] : [],
    constLabels: config.constLabels,
    sampling: config.sampling,
    maxSeries: config.maxSeries,
    hashedLabels: config.hashedLabels,
    droppedLabels: config.droppedLabels,
    buckets: config.buckets,
    percentiles: config.percentiles,
    maxAgeSeconds: config.maxAgeSeconds,
    ageBuckets: config.ageBuckets,
  };
}

/** A non-number stays as it is, so the addon names it in its error. */
function negate(v) {
  return typeof v === 'number' ? -v : v;
}

function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

class Metric {
  constructor(config, type, prefix) {
    const def = definition(config, type);
    const registry = registryOf(config.registers);
    this._prefix = prefix;
    try {
      this._native = native[prefix + 'New'](registry._native, def);
    } catch (e) {
      throw translate(e);
    }
    this.name = def.name;
    this.help = def.help;
    this.labelNames = def.labelNames;
    this._registry = registry;
    this._collectFn = typeof config.collect === 'function' ? config.collect : null;
    const n = def.labelNames.length;
    const cacheable = n >= 1 && n <= 3 && !def.sampling && !registry._hasTtl;
    this._cache = cacheable ? new Map() : null;
    this._cached = 0;
    registry._add(this);
  }

  /** The cached child for `labels` (created while there is room), or undefined. */
  _child(labels) {
    const cache = this._cache;
    if (cache === null) return undefined;
    const names = this.labelNames;
    switch (names.length) {
      case 1: {
        const a = labels[names[0]];
        if (typeof a !== 'string' || keyCount(labels) !== 1) return undefined;
        const c = cache.get(a);
        return c !== undefined ? c : this._remember(cache, a, [a]);
      }
      case 2: {
        const a = labels[names[0]];
        const b = labels[names[1]];
        if (typeof a !== 'string' || typeof b !== 'string' || keyCount(labels) !== 2) return undefined;
        let m = cache.get(a);
        if (m === undefined) {
          if (this._cached >= CACHED_CHILDREN) return undefined;
          m = new Map();
          cache.set(a, m);
        }
        const c = m.get(b);
        return c !== undefined ? c : this._remember(m, b, [a, b]);
      }
      default: {
        const a = labels[names[0]];
        const b = labels[names[1]];
        const x = labels[names[2]];
        if (
          typeof a !== 'string' ||
          typeof b !== 'string' ||
          typeof x !== 'string' ||
          keyCount(labels) !== 3
        ) {
          return undefined;
        }
        let m = cache.get(a);
        if (m === undefined) {
          if (this._cached >= CACHED_CHILDREN) return undefined;
          m = new Map();
          cache.set(a, m);
        }
        let mm = m.get(b);
        if (mm === undefined) {
          if (this._cached >= CACHED_CHILDREN) return undefined;
          mm = new Map();
          m.set(b, mm);
        }
        const c = mm.get(x);
        return c !== undefined ? c : this._remember(mm, x, [a, b, x]);
      }
    }
  }

  _remember(map, key, values) {
    if (this._cached >= CACHED_CHILDREN) return undefined;
    const c = this.labels(...values);
    map.set(key, c);
    this._cached += 1;
    return c;
  }

  _handle(values) {
    try {
      if (values.length === 1 && values[0] !== null && typeof values[0] === 'object') {
        return native[this._prefix + 'ChildPairs'](this._native, stringValues(values[0]));
      }
      return native[this._prefix + 'Child'](this._native, valueList(values));
    } catch (e) {
      throw translate(e);
    }
  }

  /** This metric in prom-client's JSON shape. */
  async get() {
    const all = await this._registry.getMetricsAsJSON();
    return all.find((m) => m.name === this.name);
  }
}

class CounterChild {
  constructor(handle, sampled) {
    this._h = handle;
    // A sampled counter must see every call, so its children cross into the core each time.
    const slot = sampled ? null : cells.attach(this, (chunk, index) => native.counterChildAttachCell(handle, chunk, index));
    // A one-element view: the hot path then indexes a constant.
    this._ones = slot === null ? null : new Int32Array(slot.ones.buffer, slot.ones.byteOffset + slot.index * 4, 1);
    this._floats = slot === null ? null : slot.floats;
    this._i = slot === null ? 0 : slot.index;
  }

  inc(value) {
    const ones = this._ones;
    if (ones !== null) {
      if (value === undefined || value === 1) {
        ones[0] = (ones[0] + 1) | 0;
        return;
      }
      if (typeof value === 'number' && value >= 0 && value < Infinity) {
        this._floats[this._i] += value;
        return;
      }
    }
    const v = value === undefined ? 1 : value;
    try {
      native.counterChildInc(this._h, v);
    } catch (e) {
      throw translate(e);
    }
  }
}

class Counter extends Metric {
  constructor(config) {
    super(config, 'Counter', 'counter');
    this._sampled = config.sampling !== undefined && config.sampling !== null;
    this._inc = recorder(this._native, this.labelNames, 'counterInc');
    this._self = this.labelNames.length === 0 ? new CounterChild(this._handle([]), this._sampled) : null;
    this._ones = this._self === null ? null : this._self._ones;
  }

  /** `inc()`, `inc(value)`, `inc(labels)`, `inc(labels, value)`. */
  inc(labels, value) {
    // The plain `inc()` of an unlabelled counter, spelled out: the hottest call there is.
    const ones = this._ones;
    if (ones !== null && labels === undefined) {
      ones[0] = (ones[0] + 1) | 0;
      return;
    }
    const self = this._self;
    if (self !== null && (labels === undefined || typeof labels === 'number')) {
      self.inc(labels);
      return;
    }
    if (labels !== null && typeof labels === 'object') {
      const child = this._child(labels);
      if (child !== undefined) {
        child.inc(value);
        return;
      }
    }
    try {
      if (labels !== null && typeof labels === 'object') this._inc(labels, value === undefined ? 1 : value);
      else if (this._self !== null) native.counterChildInc(this._self._h, labels);
      else this._inc({}, labels === undefined ? 1 : labels);
    } catch (e) {
      throw translate(e);
    }
  }

  /** The child for label values in declared order, or for a labels object. */
  labels(...values) {
    return new CounterChild(this._handle(values), this._sampled);
  }
}

class GaugeChild {
  constructor(handle) {
    this._h = handle;
  }
  set(value) {
    try {
      native.gaugeChildSet(this._h, value);
    } catch (e) {
      throw translate(e);
    }
  }
  inc(value) {
    try {
      native.gaugeChildAdd(this._h, value === undefined ? 1 : value);
    } catch (e) {
      throw translate(e);
    }
  }
  dec(value) {
    try {
      native.gaugeChildAdd(this._h, negate(value === undefined ? 1 : value));
    } catch (e) {
      throw translate(e);
    }
  }
  setToCurrentTime() {
    native.gaugeChildSetToCurrentTime(this._h);
  }
  /** Starts a timer; the returned function sets the gauge to the seconds elapsed. */
  startTimer() {
    const start = process.hrtime.bigint();
    return () => {
      const s = seconds(start);
      this.set(s);
      return s;
    };
  }
}

class Gauge extends Metric {
  constructor(config) {
    super(config, 'Gauge', 'gauge');
    this._set = recorder(this._native, this.labelNames, 'gaugeSet');
    this._add = recorder(this._native, this.labelNames, 'gaugeAdd');
    this._self = this.labelNames.length === 0 ? new GaugeChild(this._handle([])) : null;
  }

  _apply(fn, labels, value, dflt) {
    try {
      if (labels !== null && typeof labels === 'object') {
        fn(labels, value === undefined ? dflt : value);
      } else {
        fn({}, labels === undefined ? dflt : labels);
      }
    } catch (e) {
      throw translate(e);
    }
  }

  /** `set(value)` or `set(labels, value)`. */
  set(labels, value) {
    if (this._self !== null && typeof labels !== 'object') return this._self.set(labels);
    const child = labels !== null && typeof labels === 'object' ? this._child(labels) : undefined;
    if (child !== undefined) return child.set(value);
    this._apply(this._set, labels, value, undefined);
  }
  inc(labels, value) {
    if (this._self !== null && typeof labels !== 'object') return this._self.inc(labels);
    const child = labels !== null && typeof labels === 'object' ? this._child(labels) : undefined;
    if (child !== undefined) return child.inc(value);
    this._apply(this._add, labels, value, 1);
  }
  dec(labels, value) {
    if (labels !== null && typeof labels === 'object') {
      const child = this._child(labels);
      if (child !== undefined) return child.dec(value);
      return this._apply(this._add, labels, negate(value === undefined ? 1 : value));
    }
    if (this._self !== null) return this._self.dec(labels);
    this._apply(this._add, undefined, negate(labels === undefined ? 1 : labels));
  }
  /** Sets the gauge to the current Unix time in seconds. */
  setToCurrentTime(labels) {
    if (labels === undefined && this._self !== null) return this._self.setToCurrentTime();
    this._apply(this._set, labels || {}, Date.now() / 1000, undefined);
  }
  /** Starts a timer; the returned function sets the gauge to the seconds elapsed. */
  startTimer(labels) {
    const start = process.hrtime.bigint();
    return (endLabels) => {
      const s = seconds(start);
      const all = labels || endLabels ? Object.assign({}, labels, endLabels) : undefined;
      if (all === undefined) this.set(s);
      else this.set(all, s);
      return s;
    };
  }
  labels(...values) {
    return new GaugeChild(this._handle(values));
  }
}

class ObserverChild {
  constructor(handle, observe) {
    this._h = handle;
    this._observeFn = observe;
  }
  observe(value) {
    try {
      this._observeFn(this._h, value);
    } catch (e) {
      throw translate(e);
    }
  }
  /** Starts a timer; the returned function observes the seconds elapsed. */
  startTimer() {
    const start = process.hrtime.bigint();
    return () => {
      const s = seconds(start);
      this.observe(s);
      return s;
    };
  }
}

/** What Histogram and Summary share: observe and time. */
class Observer extends Metric {
  constructor(config, type, prefix) {
    super(config, type, prefix);
    this._observe = recorder(this._native, this.labelNames, prefix + 'Observe');
    this._childObserve = native[prefix + 'ChildObserve'];
    this._self = this.labelNames.length === 0 ? this.labels() : null;
  }

  /** `observe(value)` or `observe(labels, value)`. */
  observe(labels, value) {
    if (labels !== null && typeof labels === 'object') {
      const child = this._child(labels);
      if (child !== undefined) {
        child.observe(value);
        return;
      }
      try {
        this._observe(labels, value);
      } catch (e) {
        throw translate(e);
      }
    } else if (this._self !== null) {
      this._self.observe(labels);
    } else {
      try {
        this._observe({}, labels);
      } catch (e) {
        throw translate(e);
      }
    }
  }

  /** Starts a timer; the returned function observes the seconds elapsed and returns them. */
  startTimer(labels) {
    const start = process.hrtime.bigint();
    return (endLabels) => {
      const s = seconds(start);
      const all = labels || endLabels ? Object.assign({}, labels, endLabels) : undefined;
      if (all === undefined) this.observe(s);
      else this.observe(all, s);
      return s;
    };
  }

  labels(...values) {
    return new ObserverChild(this._handle(values), this._childObserve);
  }
}

class Histogram extends Observer {
  constructor(config) {
    super(config, 'Histogram', 'histogram');
  }
}

class Summary extends Observer {
  constructor(config) {
    super(config, 'Summary', 'summary');
  }
}

/** `count` bucket bounds from `start`, `width` apart. */
function linearBuckets(start, width, count) {
  try {
    return native.linearBuckets(start, width, count);
  } catch (e) {
    throw translate(e);
  }
}

/** `count` bucket bounds from `start`, each `factor` times the previous. */
function exponentialBuckets(start, factor, count) {
  try {
    return native.exponentialBuckets(start, factor, count);
  } catch (e) {
    throw translate(e);
  }
}

module.exports = { Counter, Gauge, Histogram, Summary, linearBuckets, exponentialBuckets };
