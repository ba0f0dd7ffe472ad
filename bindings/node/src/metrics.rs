//! The four metric types as native families (one per registered metric) and children (one
//! held series), both handed to JS as `External`s. Labelled calls come in fixed arities
//! (`counterInc2(f, v, a, b)`, ...) so the common case converts a few strings and no array;
//! `*Pairs` take a labels object and let the core order and check it, which is also how
//! every label error is produced.

use crate::cells;
use crate::errors::{self, Result};
use crate::registry::{millis, NativeRegistry};
use napi::bindgen_prelude::*;
use pushmetrics::{CounterVec, GaugeVec, HistogramVec, Sampling, SummaryVec};
use std::collections::HashMap;
use std::mem::MaybeUninit;

/// A label value read into a stack buffer: most values are short ASCII, and the labelled
/// hot path then allocates nothing to read them. It is read as UTF-16, which V8 copies out
/// of a one-byte string several times faster than it encodes UTF-8 (bench/node).
pub struct LabelValue {
    len: usize,
    buf: MaybeUninit<[u8; INLINE]>,
    heap: Option<String>,
}

const INLINE: usize = 64;

impl AsRef<str> for LabelValue {
    #[inline]
    fn as_ref(&self) -> &str {
        match &self.heap {
            Some(s) => s,
            // SAFETY: `from_napi_value` initialised `len` ASCII bytes.
            None => unsafe {
                let bytes = std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), self.len);
                std::str::from_utf8_unchecked(bytes)
            },
        }
    }
}

impl TypeName for LabelValue {
    fn type_name() -> &'static str {
        "String"
    }
    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl FromNapiValue for LabelValue {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        let mut wide = MaybeUninit::<[u16; INLINE]>::uninit();
        let mut n = 0usize;
        // SAFETY: the buffer holds INLINE units; Node-API writes at most INLINE - 1 and a NUL.
        let status = unsafe {
            sys::napi_get_value_string_utf16(env, v, wide.as_mut_ptr().cast(), INLINE, &mut n)
        };
        if status != sys::Status::napi_ok {
            return Err(Error::new(
                Status::StringExpected,
                "a label value must be a string".to_owned(),
            ));
        }
        let mut out = LabelValue {
            len: n,
            buf: MaybeUninit::uninit(),
            heap: None,
        };
        // A string of INLINE - 2 units or more may have been cut (or a surrogate pair split):
        // read it again in full.
        if n + 2 >= INLINE {
            out.heap = Some(unsafe { String::from_napi_value(env, v)? });
            return Ok(out);
        }
        // SAFETY: Node-API initialised the first `n` units.
        let units = unsafe { std::slice::from_raw_parts(wide.as_ptr().cast::<u16>(), n) };
        if units.iter().all(|&u| u < 0x80) {
            let dst = out.buf.as_mut_ptr().cast::<u8>();
            for (i, &u) in units.iter().enumerate() {
                // SAFETY: n < INLINE.
                unsafe { dst.add(i).write(u as u8) };
            }
        } else {
            out.heap = Some(String::from_utf16_lossy(units));
        }
        Ok(out)
    }
}

/// How a metric samples its recording calls: at most one of the three.
#[napi(object)]
pub struct SamplingOptions {
    pub probability: Option<f64>,
    pub every_nth: Option<u32>,
    /// Kept calls per second per series.
    pub adaptive: Option<f64>,
}

/// A metric's definition, in prom-client's names where it has one.
#[napi(object)]
pub struct MetricDef {
    pub name: String,
    pub help: String,
    pub label_names: Option<Vec<String>>,
    pub const_labels: Option<HashMap<String, String>>,
    pub sampling: Option<SamplingOptions>,
    pub max_series: Option<u32>,
    pub hashed_labels: Option<HashMap<String, u32>>,
    pub dropped_labels: Option<Vec<String>>,
    pub buckets: Option<Vec<f64>>,
    pub percentiles: Option<Vec<f64>>,
    pub max_age_seconds: Option<f64>,
    pub age_buckets: Option<u32>,
    /// Gauges: how the values of the processes of a multiprocess job combine.
    pub multiprocess_mode: Option<String>,
}

/// The gauge mode named `name`; the core's error, naming the bad value, under the option's
/// JavaScript name.
fn gauge_mode(metric: &str, name: &str) -> Result<pushmetrics::multiprocess::GaugeMode> {
    pushmetrics::multiprocess::GaugeMode::parse(name)
        .map_err(|e| errors::config(format!("{e} (option multiprocessMode of {metric})")))
}

fn sampling(s: &Option<SamplingOptions>) -> Result<Sampling> {
    let Some(s) = s else {
        return Ok(Sampling::Always);
    };
    match (s.probability, s.every_nth, s.adaptive) {
        (None, None, None) => Ok(Sampling::Always),
        (Some(p), None, None) => Ok(Sampling::Probability(p)),
        (None, Some(n), None) => Ok(Sampling::EveryNth(u64::from(n))),
        (None, None, Some(r)) => Ok(Sampling::Adaptive { per_second: r }),
        _ => Err(errors::config(
            "sampling takes one of probability, everyNth or adaptive".into(),
        )),
    }
}

/// Applies the options every metric type shares to a core builder.
macro_rules! configure {
    ($b:expr, $def:expr) => {{
        let def = &$def;
        let mut b = $b.sampling(sampling(&def.sampling)?);
        if let Some(names) = &def.label_names {
            b = b.labels(names);
        }
        if let Some(c) = &def.const_labels {
            let mut c: Vec<_> = c.iter().collect();
            c.sort();
            for (n, v) in c {
                b = b.const_label(n, v);
            }
        }
        if let Some(n) = def.max_series {
            b = b.max_series(n as usize);
        }
        if let Some(h) = &def.hashed_labels {
            // Sorted: registering the same definition again must compare equal.
            let mut h: Vec<_> = h.iter().collect();
            h.sort();
            for (n, buckets) in h {
                b = b.hashed_label(n, *buckets);
            }
        }
        for n in def.dropped_labels.iter().flatten() {
            b = b.dropped_label(n);
        }
        b
    }};
}

/// One registered metric: the core's labelled handle and its label names in order.
pub struct Family<V> {
    vec: V,
    names: Vec<String>,
}

/// The recording functions of a family for one operation, in every arity. They are free
/// functions over an `External` rather than class methods: a class method call costs
/// several times a plain call (it looks the wrapped object up), and these are the hot path.
macro_rules! labelled {
    ($vecty:ty, [$op0:ident, $op1:ident, $op2:ident, $op3:ident, $opn:ident, $opp:ident],
     |$vec:ident, $vals:ident, $v:ident| $body:expr) => {
        #[napi]
        pub fn $op0(f: External<Family<$vecty>>, $v: f64) -> Result<()> {
            let $vec = &f.vec;
            let $vals: &[&str] = &[];
            errors::core($body)
        }
        #[napi]
        pub fn $op1(f: External<Family<$vecty>>, $v: f64, a: LabelValue) -> Result<()> {
            let $vec = &f.vec;
            let $vals = &[a];
            errors::core($body)
        }
        #[napi]
        pub fn $op2(
            f: External<Family<$vecty>>,
            $v: f64,
            a: LabelValue,
            b: LabelValue,
        ) -> Result<()> {
            let $vec = &f.vec;
            let $vals = &[a, b];
            errors::core($body)
        }
        #[napi]
        pub fn $op3(
            f: External<Family<$vecty>>,
            $v: f64,
            a: LabelValue,
            b: LabelValue,
            c: LabelValue,
        ) -> Result<()> {
            let $vec = &f.vec;
            let $vals = &[a, b, c];
            errors::core($body)
        }
        #[napi]
        pub fn $opn(f: External<Family<$vecty>>, $v: f64, values: Vec<LabelValue>) -> Result<()> {
            let $vec = &f.vec;
            let $vals = &values[..];
            errors::core($body)
        }
        /// Labels by name in any order; the core checks names and count.
        #[napi]
        pub fn $opp(
            f: External<Family<$vecty>>,
            $v: f64,
            labels: HashMap<String, String>,
        ) -> Result<()> {
            let pairs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let $vec = &f.vec;
            // Checks the names and count with the core's own errors.
            errors::core($vec.with_labels(&pairs))?;
            let values = held_values(&pairs, &f.names);
            let $vals = &values[..];
            errors::core($body)
        }
    };
}

/// The values of already-checked `pairs` in declared order.
fn held_values<'a>(pairs: &[(&'a str, &'a str)], names: &[String]) -> Vec<&'a str> {
    names
        .iter()
        .map(|n| pairs.iter().find(|(k, _)| k == n).map_or("", |(_, v)| *v))
        .collect()
}

/// Registering a family and resolving its children (by values or by a labels object).
macro_rules! family {
    ($vecty:ty, $one:ty, $new:ident, $child:ident, $child_pairs:ident, $reg:ident,
     [$resolve:ident, $resolve1:ident, $resolve2:ident, $resolve3:ident, $overflow:ident,
      $is_overflow:ident, $remove:ident, $clear:ident],
     |$b:ident, $def:ident| $extra:expr) => {
        /// Registers the metric (or returns the identical existing one).
        #[napi]
        pub fn $new(registry: &NativeRegistry, def: MetricDef) -> Result<External<Family<$vecty>>> {
            let $def = def;
            let $b = configure!(registry.inner.$reg(&$def.name, &$def.help), $def);
            let b = $extra;
            Ok(External::new(Family {
                vec: errors::core(b.build_vec())?,
                names: $def.label_names.unwrap_or_default(),
            }))
        }
        /// The series for `values` in declared order.
        #[napi]
        pub fn $child(
            f: External<Family<$vecty>>,
            values: Vec<LabelValue>,
        ) -> Result<External<$one>> {
            Ok(External::new(errors::core(f.vec.with(&values))?))
        }
        /// The series for a labels object; the core checks names and count.
        #[napi]
        pub fn $child_pairs(
            f: External<Family<$vecty>>,
            labels: HashMap<String, String>,
        ) -> Result<External<$one>> {
            let pairs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            Ok(External::new(errors::core(f.vec.with_labels(&pairs))?))
        }
        /// Makes sure the series for `values` exists, keeping no handle; whether the values
        /// were folded into the overflow series.
        #[napi]
        pub fn $resolve(f: External<Family<$vecty>>, values: Vec<LabelValue>) -> Result<bool> {
            Ok(errors::core(f.vec.with(&values))?.is_overflow())
        }
        /// `resolve` for one label value.
        #[napi]
        pub fn $resolve1(f: External<Family<$vecty>>, a: LabelValue) -> Result<bool> {
            Ok(errors::core(f.vec.with(&[a]))?.is_overflow())
        }
        /// `resolve` for two label values.
        #[napi]
        pub fn $resolve2(
            f: External<Family<$vecty>>,
            a: LabelValue,
            b: LabelValue,
        ) -> Result<bool> {
            Ok(errors::core(f.vec.with(&[a, b]))?.is_overflow())
        }
        /// `resolve` for three label values.
        #[napi]
        pub fn $resolve3(
            f: External<Family<$vecty>>,
            a: LabelValue,
            b: LabelValue,
            c: LabelValue,
        ) -> Result<bool> {
            Ok(errors::core(f.vec.with(&[a, b, c]))?.is_overflow())
        }
        /// The overflow series, once label values have been folded into it.
        #[napi]
        pub fn $overflow(f: External<Family<$vecty>>) -> Option<External<$one>> {
            f.vec.overflow().map(External::new)
        }
        /// Whether a held series is the overflow series.
        #[napi]
        pub fn $is_overflow(h: External<$one>) -> bool {
            h.is_overflow()
        }
        /// Removes the series for `values` in declared order; whether it existed.
        #[napi]
        pub fn $remove(f: External<Family<$vecty>>, values: Vec<LabelValue>) -> Result<bool> {
            errors::core(f.vec.remove(&values))
        }
        /// Removes every series of the family.
        #[napi]
        pub fn $clear(f: External<Family<$vecty>>) {
            cells::drain();
            f.vec.clear();
        }
    };
}

use pushmetrics::{Counter, Gauge, Histogram, Summary};

family!(
    CounterVec,
    Counter,
    counter_new,
    counter_child,
    counter_child_pairs,
    counter,
    [
        counter_resolve,
        counter_resolve1,
        counter_resolve2,
        counter_resolve3,
        counter_overflow_child,
        counter_child_is_overflow,
        counter_remove,
        counter_clear
    ],
    |b, def| b
);
family!(
    GaugeVec,
    Gauge,
    gauge_new,
    gauge_child,
    gauge_child_pairs,
    gauge,
    [
        gauge_resolve,
        gauge_resolve1,
        gauge_resolve2,
        gauge_resolve3,
        gauge_overflow_child,
        gauge_child_is_overflow,
        gauge_remove,
        gauge_clear
    ],
    |b, def| {
        match &def.multiprocess_mode {
            Some(m) => b.multiprocess_mode(gauge_mode(&def.name, m)?),
            None => b,
        }
    }
);
family!(
    HistogramVec,
    Histogram,
    histogram_new,
    histogram_child,
    histogram_child_pairs,
    histogram,
    [
        histogram_resolve,
        histogram_resolve1,
        histogram_resolve2,
        histogram_resolve3,
        histogram_overflow_child,
        histogram_child_is_overflow,
        histogram_remove,
        histogram_clear
    ],
    |b, def| {
        match &def.buckets {
            Some(bk) => b.buckets(bk.clone()),
            None => b,
        }
    }
);
family!(
    SummaryVec,
    Summary,
    summary_new,
    summary_child,
    summary_child_pairs,
    summary,
    [
        summary_resolve,
        summary_resolve1,
        summary_resolve2,
        summary_resolve3,
        summary_overflow_child,
        summary_child_is_overflow,
        summary_remove,
        summary_clear
    ],
    |b, def| {
        let mut b = b;
        if let Some(q) = &def.percentiles {
            b = b.quantiles(q);
        }
        if let Some(s) = def.max_age_seconds {
            b = b.max_age(millis("maxAgeSeconds", s * 1e3)?);
        }
        if let Some(n) = def.age_buckets {
            b = b.age_buckets(n);
        }
        b
    }
);

labelled!(
    CounterVec,
    [
        counter_inc0,
        counter_inc1,
        counter_inc2,
        counter_inc3,
        counter_inc_n,
        counter_inc_pairs
    ],
    |vec, values, v| vec.inc_by(values, v)
);
labelled!(
    GaugeVec,
    [
        gauge_set0,
        gauge_set1,
        gauge_set2,
        gauge_set3,
        gauge_set_n,
        gauge_set_pairs
    ],
    |vec, values, v| vec.set(values, v)
);
labelled!(
    GaugeVec,
    [
        gauge_add0,
        gauge_add1,
        gauge_add2,
        gauge_add3,
        gauge_add_n,
        gauge_add_pairs
    ],
    |vec, values, v| vec.add(values, v)
);
labelled!(
    HistogramVec,
    [
        histogram_observe0,
        histogram_observe1,
        histogram_observe2,
        histogram_observe3,
        histogram_observe_n,
        histogram_observe_pairs
    ],
    |vec, values, v| vec.observe(values, v)
);
labelled!(
    SummaryVec,
    [
        summary_observe0,
        summary_observe1,
        summary_observe2,
        summary_observe3,
        summary_observe_n,
        summary_observe_pairs
    ],
    |vec, values, v| vec.observe(values, v)
);

// One held series of each type.

#[napi]
pub fn counter_child_inc(h: External<Counter>, v: f64) -> Result<()> {
    errors::core(h.inc_by(v))
}
#[napi]
pub fn counter_child_get(h: External<Counter>) -> f64 {
    h.get()
}
/// Resolves `values` like `counterResolve` and, unless they were folded into the overflow
/// series, drains slot `index` of cell chunk `chunk` into their series from now on; whether
/// they were folded (the slot is then left alone).
#[napi]
pub fn counter_attach(
    f: External<Family<CounterVec>>,
    values: Vec<LabelValue>,
    chunk: u32,
    index: u32,
) -> Result<bool> {
    let c = errors::core(f.vec.with(&values))?;
    if c.is_overflow() {
        return Ok(true);
    }
    cells::attach(chunk, index, c)
        .map_err(|e| napi::Error::new(errors::Code("ERR_INVALID_ARGUMENT"), e.reason))?;
    Ok(false)
}
/// Drains slot `index` of cell chunk `chunk` into this series from now on.
#[napi]
pub fn counter_child_attach_cell(h: External<Counter>, chunk: u32, index: u32) -> napi::Result<()> {
    cells::attach(chunk, index, (*h).clone())
}
#[napi]
pub fn gauge_child_set(h: External<Gauge>, v: f64) {
    h.set(v)
}
#[napi]
pub fn gauge_child_add(h: External<Gauge>, v: f64) {
    h.add(v)
}
#[napi]
pub fn gauge_child_set_to_current_time(h: External<Gauge>) {
    h.set_to_current_time()
}
#[napi]
pub fn gauge_child_get(h: External<Gauge>) -> f64 {
    h.get()
}
#[napi]
pub fn histogram_child_observe(h: External<Histogram>, v: f64) -> Result<()> {
    errors::core(h.observe(v))
}
#[napi]
pub fn histogram_child_count(h: External<Histogram>) -> f64 {
    h.count() as f64
}
#[napi]
pub fn histogram_child_sum(h: External<Histogram>) -> f64 {
    h.sum()
}
#[napi]
pub fn summary_child_observe(h: External<Summary>, v: f64) -> Result<()> {
    errors::core(h.observe(v))
}
#[napi]
pub fn summary_child_count(h: External<Summary>) -> f64 {
    h.count() as f64
}
#[napi]
pub fn summary_child_sum(h: External<Summary>) -> f64 {
    h.sum()
}
#[napi]
pub fn summary_child_quantile(h: External<Summary>, q: f64) -> f64 {
    h.quantile(q)
}

/// `count` buckets from `start`, `width` apart.
#[napi]
pub fn linear_buckets(start: f64, width: f64, count: u32) -> Result<Vec<f64>> {
    errors::core(pushmetrics::linear_buckets(start, width, count as usize))
}

/// `count` buckets from `start`, each `factor` times the previous.
#[napi]
pub fn exponential_buckets(start: f64, factor: f64, count: u32) -> Result<Vec<f64>> {
    errors::core(pushmetrics::exponential_buckets(
        start,
        factor,
        count as usize,
    ))
}
