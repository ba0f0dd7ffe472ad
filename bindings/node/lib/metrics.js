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
 * Children kept per metric by their label values, one map per label position: a repeated
 * `labels(...)` or `inc(labels)` is a map lookup per label that returns the same child, with
 * no allocation and no native call. Bounded, so a metric with many series costs little more
 * memory than the core's series: past the bound, `labels()` hands out loose children, which
 * find their series by their values on each update (the same series a held handle would
 * record into while no series can be evicted). Not kept with a series TTL: a kept child
 * holds its series, which could then never be evicted.
 */
const CACHED_CHILDREN = 1000;

/** `(values, v) => void`: native operation `op` on the series for label values in declared order. */
function byValues(fam, n, op) {
  switch (n) {
    case 0:
      return () => {};
    case 1: {
      const f = native[op + '1'];
      return (x, v) => f(fam, v, x[0]);
    }
    case 2: {
      const f = native[op + '2'];
      return (x, v) => f(fam, v, x[0], x[1]);
    }
    case 3: {
      const f = native[op + '3'];
      return (x, v) => f(fam, v, x[0], x[1], x[2]);
    }
    default: {
      const f = native[op + 'N'];
      return (x, v) => f(fam, v, x);
    }
  }
}

/** `(values) => boolean`: native `op` on label values in declared order. */
function resolver(fam, n, op) {
  switch (n) {
    case 1: {
      const f = native[op + '1'];
      return (x) => f(fam, x[0]);
    }
    case 2: {
      const f = native[op + '2'];
      return (x) => f(fam, x[0], x[1]);
    }
    case 3: {
      const f = native[op + '3'];
      return (x) => f(fam, x[0], x[1], x[2]);
    }
    default: {
      const f = native[op];
      return (x) => f(fam, x);
    }
  }
}

/**
 * The values of a labels object in declared order when it holds exactly the declared names
 * (numbers turned into strings), else undefined: the core then checks it and names the error.
 */
function orderedValues(labels, names) {
  const n = names.length;
  if (keyCount(labels) !== n) return undefined;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[names[i]];
    if (v === undefined) return undefined;
    out[i] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

function definition(config, type) {
  if (config === null || typeof config !== 'object') {
    invalid(`${type} needs a configuration object, got ${String(config)}`);
  }
  if (config.labelNames !== undefined && !Array.isArray(config.labelNames)) {
    invalid(`labelNames of ${String(config.name)} must be an array, got ${String(config.labelNames)}`);
  }
  const mode = config.multiprocessMode;
  if (mode !== undefined && mode !== null && typeof mode !== 'string') {
    invalid(`multiprocessMode of ${String(config.name)} must be a string, got ${String(mode)}`);
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
    multiprocessMode: mode === null ? undefined : mode,
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
    this._collectFn = null;
    const n = def.labelNames.length;
    this._n = n;
    this._cache = n >= 1 && !registry._hasTtl ? new Map() : null;
    this._cached = 0;
    /** `(values) => boolean`: makes sure their series exists; whether it is the overflow series. */
    this._resolveValues = resolver(this._native, n, prefix + 'Resolve');
    /** The one child of the overflow series, once label values have been folded into it. */
    this._overflow = null;
    /** Cell slots of the kept children, released when this metric and its children are gone. */
    this._slots = null;
    registry._add(this);
    if (config.collect !== undefined) this.collect = config.collect;
  }

  /**
   * The child for label values in declared order (`labels('GET', '200')`) or for a labels
   * object. Kept children are looked up before anything is copied or converted.
   */
  labels(a, b, c) {
    if (this._cache !== null && arguments.length === this._n) {
      switch (this._n) {
        case 1:
          if (typeof a === 'string') {
            const hit = this._cache.get(a);
            return hit !== undefined ? hit : this._miss([a]);
          }
          break;
        case 2:
          if (typeof a === 'string' && typeof b === 'string') {
            const hit = this._get2(a, b);
            return hit !== undefined ? hit : this._miss([a, b]);
          }
          break;
        case 3:
          if (typeof a === 'string' && typeof b === 'string' && typeof c === 'string') {
            const hit = this._get3(a, b, c);
            return hit !== undefined ? hit : this._miss([a, b, c]);
          }
          break;
        default:
      }
    }
    const args = new Array(arguments.length);
    for (let i = 0; i < args.length; i++) args[i] = arguments[i];
    return this._labels(args);
  }

  _labels(args) {
    let values;
    if (args.length === 1 && args[0] !== null && typeof args[0] === 'object') {
      values = orderedValues(args[0], this.labelNames);
    } else if (args.length === this._n) {
      values = valueList(args);
    }
    if (this._cache === null || values === undefined) return this._pinned(args);
    const hit = this._lookup(values);
    return hit !== undefined ? hit : this._miss(values);
  }

  // The kept children: one map per label position, except that a label value under which
  // only one child is kept leads to the child itself (its values `_v` are then compared),
  // so a label that is unique per series costs one map entry, not a map per series.

  /** The kept child for two string values, or undefined. */
  _get2(a, b) {
    const e = this._cache.get(a);
    if (e === undefined) return undefined;
    if (e._v === undefined) return e.get(b);
    return e._v[1] === b ? e : undefined;
  }

  /** The kept child for three string values, or undefined. */
  _get3(a, b, c) {
    let e = this._cache.get(a);
    if (e === undefined) return undefined;
    if (e._v === undefined) {
      e = e.get(b);
      if (e === undefined) return undefined;
      if (e._v === undefined) return e.get(c);
      return e._v[2] === c ? e : undefined;
    }
    return e._v[1] === b && e._v[2] === c ? e : undefined;
  }

  /** The kept child for string values in declared order, or undefined. */
  _lookup(values) {
    let node = this._cache;
    for (let i = 0; i < values.length; i++) {
      const e = node.get(values[i]);
      if (e === undefined) return undefined;
      if (e._v !== undefined) {
        for (let j = i + 1; j < values.length; j++) if (e._v[j] !== values[j]) return undefined;
        return e;
      }
      node = e;
    }
    return undefined;
  }

  /** Keeps `child` for `values`, which have none. */
  _keep(values, child) {
    let node = this._cache;
    const last = values.length - 1;
    let i = 0;
    for (; i < last; i++) {
      const e = node.get(values[i]);
      if (e === undefined) break;
      if (e._v !== undefined) {
        // A second child under this value: the one there moves into a map by its next value.
        const m = new Map();
        m.set(e._v[i + 1], e);
        node.set(values[i], m);
        node = m;
      } else {
        node = e;
      }
    }
    node.set(values[i], child);
    this._cached += 1;
  }

  /**
   * The kept child for a labels object holding exactly the declared names as strings (made
   * while there is room), or undefined.
   */
  _child(labels) {
    const cache = this._cache;
    if (cache === null) return undefined;
    const names = this.labelNames;
    let hit;
    switch (names.length) {
      case 1: {
        const a = labels[names[0]];
        if (typeof a !== 'string' || keyCount(labels) !== 1) return undefined;
        hit = cache.get(a);
        break;
      }
      case 2: {
        const a = labels[names[0]];
        const b = labels[names[1]];
        if (typeof a !== 'string' || typeof b !== 'string' || keyCount(labels) !== 2) return undefined;
        hit = this._get2(a, b);
        break;
      }
      case 3: {
        const a = labels[names[0]];
        const b = labels[names[1]];
        const c = labels[names[2]];
        if (
          typeof a !== 'string' ||
          typeof b !== 'string' ||
          typeof c !== 'string' ||
          keyCount(labels) !== 3
        ) {
          return undefined;
        }
        hit = this._get3(a, b, c);
        break;
      }
      default:
        return undefined;
    }
    if (hit !== undefined || this._cached >= CACHED_CHILDREN) return hit;
    const values = orderedValues(labels, names);
    return values === undefined ? undefined : this._miss(values);
  }

  /** A child for values no kept child has: kept while there is room, loose past it. */
  _miss(values) {
    if (this._cached >= CACHED_CHILDREN) return this._loose(values);
    const child = this._make(values);
    // Values folded into the overflow series are resolved again on each call, as the core
    // does: each one counts as overflowed, and gets a series of its own once there is room.
    if (child !== this._overflow) this._keep(values, child);
    return child;
  }

  /** The child of the overflow series, made from its handle `h` (or fetched) the first time. */
  _overflowChild(h) {
    if (this._overflow === null) {
      this._overflow = this._wrapOverflow(h !== null ? h : native[this._prefix + 'OverflowChild'](this._native));
    }
    return this._overflow;
  }

  /** A kept child holding the handle of the series for `values`, made by `wrap`, or the overflow child. */
  _makeHeld(values, wrap) {
    const h = this._handle(values);
    return native[this._prefix + 'ChildIsOverflow'](h) ? this._overflowChild(h) : wrap(h);
  }

  /** Keeps a cell slot until this metric and every child of it are collected. */
  _own(slot) {
    if (this._slots === null) this._slots = cells.slotsOf(this);
    this._slots.push(slot);
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

  /** A loose child: it finds its series by its values on each update. */
  _loose(values) {
    let folded;
    try {
      folded = this._resolveValues(values);
    } catch (e) {
      throw translate(e);
    }
    return folded ? this._overflowChild(null) : this._unheld(values);
  }

  /** The `collect` callback run before each snapshot of the registry (set or replaced here). */
  get collect() {
    return this._collectFn === null ? undefined : this._collectFn;
  }

  set collect(fn) {
    if (fn !== undefined && fn !== null && typeof fn !== 'function') {
      invalid(`collect of ${this.name} must be a function, got ${String(fn)}`);
    }
    this._collectFn = typeof fn === 'function' ? fn : null;
    if (this._collectFn !== null) this._registry._collects();
  }

  /** Label values in declared order from `remove`/`zero` arguments, or the core's error. */
  _valuesOf(args) {
    let values;
    if (args.length === 1 && args[0] !== null && typeof args[0] === 'object') {
      values = orderedValues(args[0], this.labelNames);
    } else if (args.length === this._n) {
      values = valueList(args);
    }
    if (values !== undefined) return values;
    // The core names what does not fit (an unknown or missing label, a wrong count); what
    // it takes (a labels object with undefined extras) gives the values in declared order.
    this._handle(args);
    const labels = stringValues(args[0]);
    return this.labelNames.map((n) => labels[n]);
  }

  /** The kept child for `values` is dropped: the next `labels()` makes a new one. */
  _forget(values) {
    let node = this._cache;
    if (node === null) return;
    for (let i = 0; i < values.length; i++) {
      const e = node.get(values[i]);
      if (e === undefined) return;
      if (!(e instanceof Map)) {
        for (let j = i + 1; j < values.length; j++) if (e._v[j] !== values[j]) return;
        node.delete(values[i]);
        this._cached -= 1;
        this._handOver([e]);
        return;
      }
      node = e;
    }
  }

  /** Every kept child under `node`. */
  _keptChildren(node, out) {
    for (const e of node.values()) {
      if (e instanceof Map) this._keptChildren(e, out);
      else out.push(e);
    }
    return out;
  }

  /**
   * Children no longer kept take their cell slots along: each slot is then released when
   * its child is collected, not when this metric is, so `remove()` and `reset()` in a loop
   * do not accumulate slots.
   */
  _handOver(children) {
    const slots = this._slots;
    if (slots === null) return;
    const byCell = new Map();
    for (const c of children) {
      if (c._floats === undefined || c._floats === null) continue;
      let m = byCell.get(c._floats);
      if (m === undefined) byCell.set(c._floats, (m = new Map()));
      m.set(c._i, c);
    }
    if (byCell.size === 0) return;
    let keep = 0;
    for (const slot of slots) {
      const m = byCell.get(slot.floats);
      const owner = m === undefined ? undefined : m.get(slot.index);
      if (owner !== undefined) cells.adopt(owner, slot);
      else slots[keep++] = slot;
    }
    slots.length = keep;
  }

  /**
   * Removes the series for label values in declared order (`remove('GET', '200')`) or a
   * labels object; the series is no longer reported, children of it record nowhere.
   */
  remove(...args) {
    const values = this._valuesOf(args);
    if (values === undefined) return;
    this._forget(values);
    try {
      native[this._prefix + 'Remove'](this._native, values);
    } catch (e) {
      throw translate(e);
    }
  }

  /**
   * Removes every series, as prom-client does; an unlabelled metric starts again from zero.
   */
  reset() {
    const dropped = this._cache === null ? [] : this._keptChildren(this._cache, []);
    if (this._overflow !== null) dropped.push(this._overflow);
    native[this._prefix + 'Clear'](this._native);
    this._handOver(dropped);
    if (this._cache !== null) this._cache = new Map();
    this._cached = 0;
    this._overflow = null;
    this._restart();
  }

  /** Records without cells from now on (only counters have them). */
  _toDirect() {}

  /** This metric in prom-client's JSON shape. */
  async get() {
    const all = await this._registry.getMetricsAsJSON();
    return all.find((m) => m.name === this.name);
  }
}

/**
 * A counter series. Unsampled, it adds into a cell (`_ones`, `_floats[_i]`); otherwise it
 * records through its handle `_h`, or by its label values `_v`.
 */
class CounterChild {
  constructor(metric, values, handle, slot) {
    this._m = metric;
    this._v = values;
    this._h = handle;
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
      if (this._h !== null) native.counterChildInc(this._h, v);
      else this._m._incValues(this._v, v);
    } catch (e) {
      throw translate(e);
    }
  }
}

/**
 * A counter child that holds `handle` and, unless its updates must reach the core on every
 * call, a cell of its own.
 */
function heldCounterChild(metric, handle) {
  if (metric._direct) return new CounterChild(metric, null, handle, null);
  const child = new CounterChild(metric, null, handle, null);
  const slot = cells.attach(child, (chunk, index) => native.counterChildAttachCell(handle, chunk, index));
  child._ones = new Int32Array(slot.ones.buffer, slot.ones.byteOffset + slot.index * 4, 1);
  child._floats = slot.floats;
  child._i = slot.index;
  metric._track(child);
  return child;
}

class Counter extends Metric {
  constructor(config) {
    super(config, 'Counter', 'counter');
    this._sampled = config.sampling !== undefined && config.sampling !== null;
    // A sampled counter must see every call, and in multiprocess mode every update must be
    // in the process's file at once (a killed worker loses what a cell holds): no cells.
    this._direct = this._sampled || this._registry._multiprocess();
    /** Weak references to children with a cell that are not kept (see `_toDirect`). */
    this._celled = null;
    this._celledLimit = 64;
    this._inc = recorder(this._native, this.labelNames, 'counterInc');
    this._incValues = byValues(this._native, this.labelNames.length, 'counterInc');
    this._restart();
  }

  /** The unlabelled counter's own series, made again after `reset()`. */
  _restart() {
    this._self = this.labelNames.length === 0 ? heldCounterChild(this, this._handle([])) : null;
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
      // Only a child with a cell saves a native call; a sampled one must reach the sampler.
      if (child !== undefined && child._ones !== null) {
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

  /** A kept child: a cell attached to the series for `values`, or the overflow child. */
  _make(values) {
    // A sampled counter must see every call, so its children cross into the core each time.
    if (this._direct) return this._loose(values);
    const slot = cells.take();
    let folded;
    try {
      folded = native.counterAttach(this._native, values, slot.id, slot.index);
    } catch (e) {
      cells.putBack(slot);
      throw translate(e);
    }
    if (folded) {
      cells.putBack(slot);
      return this._overflowChild(null);
    }
    this._own(slot);
    return new CounterChild(this, values, null, slot);
  }

  _unheld(values) {
    return new CounterChild(this, values, null, null);
  }

  _wrapOverflow(h) {
    const child = new CounterChild(this, null, h, null);
    if (!this._direct) {
      const slot = cells.take();
      native.counterChildAttachCell(h, slot.id, slot.index);
      this._own(slot);
      child._ones = new Int32Array(slot.ones.buffer, slot.ones.byteOffset + slot.index * 4, 1);
      child._floats = slot.floats;
      child._i = slot.index;
    }
    return child;
  }

  _pinned(args) {
    return heldCounterChild(this, this._handle(args));
  }

  /** Remembers `child`, which has a cell, for `_toDirect`; forgets the collected ones. */
  _track(child) {
    if (this._celled === null) this._celled = [];
    this._celled.push(new WeakRef(child));
    if (this._celled.length >= this._celledLimit) {
      this._celled = this._celled.filter((r) => r.deref() !== undefined);
      this._celledLimit = Math.max(64, 2 * this._celled.length);
    }
  }

  _handOver(children) {
    for (const c of children) if (c._ones !== null) this._track(c);
    super._handOver(children);
  }

  /**
   * From now on every update of this counter and of every child of it goes to the core on
   * the call, not into a cell (the registry's multiprocess mode was turned on). What the
   * cells hold is drained by the caller.
   */
  _toDirect() {
    if (this._direct) return;
    this._direct = true;
    const off = (c) => {
      if (c !== undefined && c !== null) c._ones = null;
    };
    off(this._self);
    off(this._overflow);
    this._ones = null;
    if (this._cache !== null) this._keptChildren(this._cache, []).forEach(off);
    if (this._celled !== null) for (const r of this._celled) off(r.deref());
    this._celled = null;
  }
}

/** A gauge series, recorded through its handle `_h` or by its label values `_v`. */
class GaugeChild {
  constructor(metric, values, handle) {
    this._m = metric;
    this._v = values;
    this._h = handle;
  }
  _add(v) {
    try {
      if (this._h !== null) native.gaugeChildAdd(this._h, v);
      else this._m._addValues(this._v, v);
    } catch (e) {
      throw translate(e);
    }
  }
  set(value) {
    try {
      if (this._h !== null) native.gaugeChildSet(this._h, value);
      else this._m._setValues(this._v, value);
    } catch (e) {
      throw translate(e);
    }
  }
  inc(value) {
    this._add(value === undefined ? 1 : value);
  }
  dec(value) {
    this._add(negate(value === undefined ? 1 : value));
  }
  setToCurrentTime() {
    if (this._h !== null) native.gaugeChildSetToCurrentTime(this._h);
    else this.set(Date.now() / 1000);
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
    this._setValues = byValues(this._native, this.labelNames.length, 'gaugeSet');
    this._addValues = byValues(this._native, this.labelNames.length, 'gaugeAdd');
    this._restart();
  }

  /** The unlabelled gauge's own series, made again after `reset()`. */
  _restart() {
    this._self = this.labelNames.length === 0 ? new GaugeChild(this, null, this._handle([])) : null;
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

  _make(values) {
    return this._makeHeld(values, (h) => new GaugeChild(this, values, h));
  }
  _unheld(values) {
    return new GaugeChild(this, values, null);
  }
  _wrapOverflow(h) {
    return new GaugeChild(this, null, h);
  }
  _pinned(args) {
    return new GaugeChild(this, null, this._handle(args));
  }
}

/** A histogram or summary series, recorded through its handle `_h` or by its label values `_v`. */
class ObserverChild {
  constructor(metric, values, handle) {
    this._m = metric;
    this._v = values;
    this._h = handle;
    this._observeFn = handle !== null ? metric._childObserve : null;
  }
  observe(value) {
    try {
      const f = this._observeFn;
      if (f !== null) f(this._h, value);
      else this._m._observeValues(this._v, value);
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
    this._observeValues = byValues(this._native, this.labelNames.length, prefix + 'Observe');
    this._childObserve = native[prefix + 'ChildObserve'];
    this._restart();
  }

  /** The unlabelled metric's own series, made again after `reset()`. */
  _restart() {
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

  _make(values) {
    return this._makeHeld(values, (h) => new ObserverChild(this, values, h));
  }
  _unheld(values) {
    return new ObserverChild(this, values, null);
  }
  _wrapOverflow(h) {
    return new ObserverChild(this, null, h);
  }
  _pinned(args) {
    return new ObserverChild(this, null, this._handle(args));
  }
}

class Histogram extends Observer {
  constructor(config) {
    super(config, 'Histogram', 'histogram');
  }

  /** The series for `labels` back to zero observations (made if it does not exist). */
  zero(labels) {
    const args = labels === undefined ? [] : [labels];
    const values = this._valuesOf(args);
    if (values === undefined) return;
    if (values.length === 0) return this.reset();
    this.remove(...values);
    this.labels(...values);
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
