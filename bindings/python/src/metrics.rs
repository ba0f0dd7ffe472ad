//! `Counter`, `Gauge`, `Histogram` and `Summary` as Python classes shaped like
//! prometheus_client's. A metric without label names is itself a series; one with label names
//! hands out series through `labels()`, and hands the same object out again for label values
//! it has seen (up to [`MAX_CHILDREN`]). Each series object holds the core handle directly, so
//! `child.inc()` is one Python call and one atomic add.

use crate::convert::{utf8, utf8_of, Pairs};
use crate::errors::{to_py, Class, OrRaise};
use crate::registry::RegistryArg;
use pushmetrics::Error;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::PyTypeInfo;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Label values as `&str`: borrowed from `str` arguments, or from `str(value)` for anything
/// else, as prometheus_client does.
fn with_values<R>(values: &Bound<'_, PyTuple>, f: impl FnOnce(&[&str]) -> R) -> PyResult<R> {
    const INLINE: usize = 8;
    let n = values.len();
    if n <= INLINE {
        let mut buf = [""; INLINE];
        let mut plain = true;
        for (i, slot) in buf.iter_mut().enumerate().take(n) {
            let item = values.get_borrowed_item(i)?;
            if !item.is_instance_of::<PyString>() {
                plain = false;
                break;
            }
            // SAFETY: a str, and the tuple holds it for the whole call.
            *slot = unsafe { utf8_of(values.py(), item.as_ptr()) }?;
        }
        if plain {
            return Ok(f(&buf[..n]));
        }
    }
    let owned = values
        .iter()
        .map(|v| v.str().map(Bound::into_any))
        .collect::<PyResult<Vec<_>>>()?;
    let strs = owned.iter().map(utf8).collect::<PyResult<Vec<_>>>()?;
    Ok(f(&strs))
}

/// Label `(name, value)` pairs from `labels(**kwargs)`.
fn with_pairs<R>(kw: &Bound<'_, PyDict>, f: impl FnOnce(&[(&str, &str)]) -> R) -> PyResult<R> {
    let owned = kw
        .iter()
        .map(|(k, v)| Ok((k, v.str()?.into_any())))
        .collect::<PyResult<Vec<_>>>()?;
    let pairs = owned
        .iter()
        .map(|(k, v)| Ok((utf8(k)?, utf8(v)?)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(f(&pairs))
}

/// Resolves a child from `labels(*values)` or `labels(**kwargs)`.
fn child<T>(
    values: &Bound<'_, PyTuple>,
    kw: Option<&Bound<'_, PyDict>>,
    by_values: impl FnOnce(&[&str]) -> pushmetrics::Result<T>,
    by_pairs: impl FnOnce(&[(&str, &str)]) -> pushmetrics::Result<T>,
) -> PyResult<T> {
    match kw {
        Some(kw) if !kw.is_empty() => {
            if !values.is_empty() {
                return Err(Class::Label
                    .err("labels() takes label values either by position or by name, not both"));
            }
            with_pairs(kw, by_pairs)?.or_raise()
        }
        _ => with_values(values, by_values)?.or_raise(),
    }
}

/// Name, help and label names of a metric made by a constructor (children do not carry it:
/// creating a child stays a handle copy).
struct Meta {
    name: String,
    documentation: String,
    labelnames: Vec<String>,
    /// The children `labels()` handed out, when the metric may keep them.
    children: Option<Children>,
    /// The registry the metric is in (where `Gauge.set_function` registers its collector).
    registry: pushmetrics::Registry,
}

/// Children a labelled metric keeps per metric object.
const MAX_CHILDREN: usize = 1000;

/// Counts `remove()` and `clear()` calls in the process. A removal can strand a kept child
/// on a series that is no longer reported (every raw value that maps to it, with hashed or
/// dropped labels), or make room for values that were folded into an overflow series, in
/// this metric object, in another object of the same metric, or in another metric of the
/// registry: every object drops its children when the count has moved since they were kept.
static REMOVALS: AtomicU64 = AtomicU64::new(0);

/// The `labels(*values)` children of one metric object, as prometheus_client keeps them: a
/// dict lookup costs a fraction of a new object and the core's lookup. Keyed one `str` value
/// per level (`{"GET": {"200": child}}`): a `str` caches its hash, so each level is one
/// lookup, where a tuple key would be hashed and compared anew on every call. Only for
/// metrics whose series never go away by themselves: a kept child keeps its series alive,
/// which would defeat a registry's series TTL, and a sampling metric is left to the core.
pub(crate) struct Children {
    by_values: Py<PyDict>,
    depth: usize,
    kept: AtomicUsize,
    /// The value of [`REMOVALS`] the children were kept under.
    seen: AtomicU64,
}

/// What [`Children::get`] found.
enum Lookup<'py> {
    Hit(Bound<'py, PyAny>),
    /// Not kept: keep the new child if [`REMOVALS`] still has this value.
    Miss(u64),
    /// Values that do not key children (see [`Children::get`]).
    Skip,
}

impl Children {
    fn new(py: Python<'_>, depth: usize) -> Self {
        Children {
            by_values: PyDict::new(py).unbind(),
            depth,
            kept: AtomicUsize::new(0),
            seen: AtomicU64::new(REMOVALS.load(Ordering::SeqCst)),
        }
    }

    /// The child kept for `values`. Only exactly `str` values, one per label name, key
    /// children: their hash and equality are those of the label values the core sees (a
    /// `str` subclass or an int could map two keys to one series, or run code of its own).
    #[inline]
    fn get<'py>(
        &self,
        py: Python<'py>,
        values: impl ExactSizeIterator<Item = *mut ffi::PyObject>,
    ) -> Lookup<'py> {
        if values.len() != self.depth {
            return Lookup::Skip;
        }
        let now = REMOVALS.load(Ordering::SeqCst);
        if self.seen.load(Ordering::Relaxed) != now {
            self.by_values.bind(py).clear();
            self.kept.store(0, Ordering::Relaxed);
            self.seen.store(now, Ordering::Relaxed);
        }
        let mut node = self.by_values.as_ptr();
        for v in values {
            // SAFETY: the caller's arguments, alive for the call.
            if unsafe { ffi::PyUnicode_CheckExact(v) } == 0 {
                return Lookup::Skip;
            }
            if node.is_null() {
                continue; // missed already: the other values are only checked
            }
            // SAFETY: `node` is a dict (the levels above the last hold dicts only) and `v`
            // an exact str: the lookup runs no Python code, so what it borrows stays valid.
            node = unsafe { ffi::PyDict_GetItemWithError(node, v) };
        }
        if node.is_null() {
            // A str key cannot make the lookup fail; leave no error behind all the same.
            drop(PyErr::take(py));
            return Lookup::Miss(now);
        }
        // SAFETY: a live object the dict holds; the new reference is ours.
        Lookup::Hit(unsafe { Bound::from_borrowed_ptr(py, node) })
    }

    /// Keeps `child` unless [`MAX_CHILDREN`] are kept or a removal ran since `seen` was
    /// read (the child may then be on a series that is gone).
    fn put(
        &self,
        values: &Bound<'_, PyTuple>,
        child: &Bound<'_, PyAny>,
        seen: u64,
    ) -> PyResult<()> {
        if REMOVALS.load(Ordering::SeqCst) != seen
            || self.kept.load(Ordering::Relaxed) >= MAX_CHILDREN
        {
            return Ok(());
        }
        let py = values.py();
        let mut node = self.by_values.bind(py).clone();
        for i in 0..self.depth - 1 {
            let v = values.get_item(i)?;
            node = match node.get_item(&v)? {
                Some(next) => next.cast_into::<PyDict>()?,
                None => {
                    let next = PyDict::new(py);
                    node.set_item(&v, &next)?;
                    next
                }
            };
        }
        let last = values.get_item(self.depth - 1)?;
        if !node.contains(&last)? {
            node.set_item(last, child)?;
            self.kept.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Called after the core removed series (the order matters: a child resolved before the
/// removal is then either not kept or dropped at the next `labels()`).
fn removed() {
    REMOVALS.fetch_add(1, Ordering::SeqCst);
}

/// `labels()`: the kept child for positional `str` values, else a new one from `make`,
/// kept when there is room.
#[inline]
fn labels_child<'py, T>(
    children: Option<&Children>,
    values: &Bound<'py, PyTuple>,
    kw: Option<&Bound<'py, PyDict>>,
    make: impl FnOnce() -> PyResult<T>,
) -> PyResult<Bound<'py, PyAny>>
where
    T: pyo3::PyClass + Into<pyo3::PyClassInitializer<T>>,
{
    let keep = match children {
        Some(c) if kw.is_none_or(|k| k.is_empty()) => {
            match c.get(values.py(), values.iter_borrowed().map(|v| v.as_ptr())) {
                Lookup::Hit(child) => return Ok(child),
                Lookup::Miss(seen) => Some((c, seen)),
                Lookup::Skip => None,
            }
        }
        _ => None,
    };
    let child = Bound::new(values.py(), make()?)?.into_any();
    if let Some((c, seen)) = keep {
        c.put(values, &child, seen)?;
    }
    Ok(child)
}

/// A metric class whose objects may keep `labels()` children.
pub(crate) trait Keeps:
    pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + PyTypeInfo + Sync
{
    fn children(&self) -> Option<&Children>;
    /// `labels()` when no kept child answers: a new child, kept if it may be.
    fn labels_slow<'py>(
        &self,
        values: &Bound<'py, PyTuple>,
        labelkwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>>;
}

/// `labels()` itself: a `METH_FASTCALL | METH_KEYWORDS` method that answers a kept child
/// from the caller's argument array, before any argument is packed.
/// pyo3 gives a method that takes `**kwargs` the tuple-and-dict calling convention, whose
/// argument packing cost as much as the rest of a kept `labels().inc()`.
///
/// # Safety
/// Called by CPython only, through the method descriptor [`install_labels`] makes (which
/// checks that `slf` is a `T`), with the GIL held.
unsafe extern "C" fn labels_fastcall<T: Keeps>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let py = Python::assume_attached();
    let len = nargs as usize + kw_count(py, kwnames);
    // A call without arguments may pass no array at all.
    let args = if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(args, len)
    };
    let (positional, named) = args.split_at(nargs as usize);
    if kwnames.is_null() {
        let this = Borrowed::from_ptr(py, slf).cast_unchecked::<T>();
        if let Some(c) = this.get().children() {
            if let Lookup::Hit(child) = c.get(py, positional.iter().copied()) {
                return child.into_ptr();
            }
        }
    }
    let call = || -> PyResult<Bound<'_, PyAny>> {
        let values = PyTuple::new(py, positional.iter().map(|&p| Borrowed::from_ptr(py, p)))?;
        let kw = if kwnames.is_null() {
            None
        } else {
            let kw = PyDict::new(py);
            let names = Borrowed::from_ptr(py, kwnames);
            for (name, &v) in names.try_iter()?.zip(named) {
                kw.set_item(name?, Borrowed::from_ptr(py, v))?;
            }
            Some(kw)
        };
        let this = Borrowed::from_ptr(py, slf).cast_unchecked::<T>();
        this.get().labels_slow(&values, kw.as_ref())
    };
    // A panic must not cross into C: it becomes pyo3's PanicException, as in a pyo3 method.
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|payload| {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|m| m.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic in labels()".to_owned());
            Err(pyo3::panic::PanicException::new_err(msg))
        });
    match result {
        Ok(child) => child.into_ptr(),
        Err(e) => {
            e.restore(py);
            std::ptr::null_mut()
        }
    }
}

/// The number of keyword arguments of a vectorcall (`kwnames` is a tuple of names or NULL).
unsafe fn kw_count(py: Python<'_>, kwnames: *mut ffi::PyObject) -> usize {
    if kwnames.is_null() {
        return 0;
    }
    Borrowed::from_ptr(py, kwnames)
        .cast_unchecked::<PyTuple>()
        .len()
}

/// Puts [`labels_fastcall`] on class `T` as `labels`.
pub(crate) fn install_labels<T: Keeps>(py: Python<'_>) -> PyResult<()> {
    // CPython keeps a pointer to the definition for as long as the class lives.
    let def = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"labels".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: labels_fastcall::<T>,
        },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: c"labels($self, /, *values, **labelkwargs)\n--\n\nThe series for these label values (by position or by name).".as_ptr(),
    }));
    let ty = py.get_type::<T>();
    // SAFETY: a live type object and a definition that is never freed.
    let descr =
        unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyDescr_NewMethod(ty.as_type_ptr(), def))? };
    ty.setattr("labels", descr)
}

/// What every metric constructor takes besides its type-specific options.
struct Common {
    meta: Arc<Meta>,
    registry: pushmetrics::Registry,
    const_labels: Vec<(String, String)>,
    sampling: pushmetrics::Sampling,
    max_series: Option<usize>,
    hashed: Vec<(String, u32)>,
    dropped: Vec<String>,
}

impl Common {
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: &str,
        documentation: String,
        labelnames: Vec<String>,
        namespace: &str,
        subsystem: &str,
        unit: &str,
        registry: RegistryArg,
        const_labels: Option<Pairs<String>>,
        sampling: Option<&Bound<'_, PyAny>>,
        max_series: Option<usize>,
        hashed_labels: Option<Pairs<u32>>,
        dropped_labels: Vec<String>,
    ) -> PyResult<Common> {
        // prometheus_client's full name: namespace_subsystem_name, then _unit unless present.
        let mut full = [namespace, subsystem, name]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("_");
        if !unit.is_empty() && !full.ends_with(&format!("_{unit}")) {
            full = format!("{full}_{unit}");
        }
        let sampling = match sampling {
            Some(s) => crate::sampling::extract(s)?,
            None => pushmetrics::Sampling::Always,
        };
        let depth = labelnames.len();
        let keeps_children = depth > 0
            && !registry.series_ttl()
            && matches!(sampling, pushmetrics::Sampling::Always);
        let registry = registry.resolve();
        Ok(Common {
            meta: Arc::new(Meta {
                name: full,
                documentation,
                labelnames,
                children: keeps_children.then(|| Children::new(py, depth)),
                registry: registry.clone(),
            }),
            registry,
            const_labels: const_labels.map_or_else(Vec::new, |p| p.0),
            sampling,
            max_series,
            hashed: hashed_labels.map_or_else(Vec::new, |p| p.0),
            dropped: dropped_labels,
        })
    }
}

/// Applies the options every metric type shares to a core builder.
macro_rules! configure {
    ($c:expr, $builder:ident) => {{
        let c = &$c;
        let mut b = c
            .registry
            .$builder(&c.meta.name, &c.meta.documentation)
            .labels(&c.meta.labelnames)
            .sampling(c.sampling);
        for (n, v) in &c.const_labels {
            b = b.const_label(n, v);
        }
        if let Some(n) = c.max_series {
            b = b.max_series(n);
        }
        for (n, k) in &c.hashed {
            b = b.hashed_label(n, *k);
        }
        for n in &c.dropped {
            b = b.dropped_label(n);
        }
        b
    }};
}

/// Builds one series (no label names) or a labelled family.
macro_rules! build {
    ($c:expr, $b:expr) => {{
        let b = $b;
        if $c.meta.labelnames.is_empty() {
            Handle::One(b.build().or_raise()?)
        } else {
            Handle::Many(b.build_vec().or_raise()?)
        }
    }};
}

/// A series, or a family of series by label values.
enum Handle<One, Many> {
    One(One),
    Many(Many),
}

/// The error of recording on a metric that has label names without giving their values.
fn missing_labels(name: &str, expected: usize) -> PyErr {
    to_py(Error::LabelCount {
        metric: name.to_owned(),
        expected,
        got: 0,
    })
}

/// The error of `labels()`, `remove()` or `clear()` (`call`) on a metric without label
/// names, or on a series that already has its label values.
fn no_labels(meta: &Option<Arc<Meta>>, name: &str, call: &str) -> PyErr {
    Class::Label.err(match meta {
        Some(_) => format!("metric {name:?} has no label names: {call} does not apply"),
        None => format!("{call} was called on a series of {name:?}, which has its label values"),
    })
}

/// The name of the metric behind a core handle.
trait Named {
    fn metric_name(&self) -> &str;
}

macro_rules! named {
    ($($t:ty),*) => {$(
        impl Named for $t {
            fn metric_name(&self) -> &str {
                self.name()
            }
        }
    )*};
}
named!(
    pushmetrics::Counter,
    pushmetrics::CounterVec,
    pushmetrics::Gauge,
    pushmetrics::GaugeVec,
    pushmetrics::Histogram,
    pushmetrics::HistogramVec,
    pushmetrics::Summary,
    pushmetrics::SummaryVec
);

impl<One: Named, Many: Named> Handle<One, Many> {
    fn name(&self) -> &str {
        match self {
            Handle::One(o) => o.metric_name(),
            Handle::Many(m) => m.metric_name(),
        }
    }
}

/// Removes the series for `values` (a child seen under any raw value that maps to it
/// included); returns whether it existed.
fn remove_series(
    py: Python<'_>,
    values: &Bound<'_, PyTuple>,
    remove: impl FnOnce(&[&str]) -> pushmetrics::Result<bool> + Send,
) -> PyResult<bool> {
    // The family's write lock may wait for a snapshot being copied: other threads run.
    let existed = with_values(values, |x| py.detach(|| remove(x)))?.or_raise()?;
    if existed {
        removed();
    }
    Ok(existed)
}

/// The Python helpers of `pushmetrics._context` (context managers and decorators).
fn context<'py>(py: Python<'py>, which: usize) -> PyResult<&'py Bound<'py, PyAny>> {
    static HELPERS: [PyOnceLock<Py<PyAny>>; 3] = [const { PyOnceLock::new() }; 3];
    const NAMES: [&str; 3] = ["Timer", "InProgress", "ExceptionCounter"];
    HELPERS[which].import(py, "pushmetrics._context", NAMES[which])
}
const TIMER: usize = 0;
const IN_PROGRESS: usize = 1;
const EXCEPTION_COUNTER: usize = 2;

fn children(meta: &Option<Arc<Meta>>) -> Option<&Children> {
    meta.as_deref()?.children.as_ref()
}

fn meta(meta: &Option<Arc<Meta>>) -> PyResult<&Meta> {
    meta.as_deref().ok_or_else(|| {
        pyo3::exceptions::PyAttributeError::new_err(
            "a labels() child carries no metric description; ask the metric",
        )
    })
}

fn repr(class: &str, meta: &Option<Arc<Meta>>, name: &str) -> String {
    match meta {
        Some(m) => format!(
            "<pushmetrics.{class} {:?} labelnames={:?}>",
            m.name, m.labelnames
        ),
        None => format!("<pushmetrics.{class} series of {name:?}>"),
    }
}

/// What each metric class shares outside its `#[pymethods]`: reaching its single series
/// (or saying which labels are missing), and making a `labels()` child.
macro_rules! series_class {
    ($class:ident, $one:ty) => {
        impl $class {
            #[inline]
            fn one(&self) -> PyResult<&$one> {
                match &self.h {
                    Handle::One(h) => Ok(h),
                    Handle::Many(v) => Err(missing_labels(
                        v.name(),
                        self.meta.as_ref().map_or(0, |m| m.labelnames.len()),
                    )),
                }
            }
        }

        impl Keeps for $class {
            fn children(&self) -> Option<&Children> {
                children(&self.meta)
            }

            fn labels_slow<'py>(
                &self,
                values: &Bound<'py, PyTuple>,
                labelkwargs: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let Handle::Many(v) = &self.h else {
                    return Err(no_labels(&self.meta, self.h.name(), "labels()"));
                };
                labels_child(children(&self.meta), values, labelkwargs, || {
                    let h = child(values, labelkwargs, |x| v.with(x), |p| v.with_labels(p))?;
                    Ok($class {
                        h: Handle::One(h),
                        meta: None,
                    })
                })
            }
        }
    };
}

/// A counter: a value that only goes up.
#[pyclass(module = "pushmetrics", frozen, freelist = 64)]
pub(crate) struct Counter {
    h: Handle<pushmetrics::Counter, pushmetrics::CounterVec>,
    meta: Option<Arc<Meta>>,
}

series_class!(Counter, pushmetrics::Counter);

#[pymethods]
impl Counter {
    /// The full metric name (a `labels()` child reports its metric's).
    #[getter]
    fn name(&self) -> &str {
        self.h.name()
    }
    /// The help text.
    #[getter]
    fn documentation(&self) -> PyResult<&str> {
        Ok(&meta(&self.meta)?.documentation)
    }
    /// The label names, in the order `labels()` takes values.
    #[getter]
    fn labelnames(&self) -> PyResult<Vec<String>> {
        Ok(meta(&self.meta)?.labelnames.clone())
    }
    fn __repr__(&self) -> String {
        repr("Counter", &self.meta, self.h.name())
    }

    #[new]
    #[pyo3(signature = (name, documentation, labelnames=Vec::new(), namespace="", subsystem="", unit="", registry=RegistryArg::Default, *, const_labels=None, sampling=None, max_series=None, hashed_labels=None, dropped_labels=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: &str,
        documentation: String,
        labelnames: Vec<String>,
        namespace: &str,
        subsystem: &str,
        unit: &str,
        registry: RegistryArg,
        const_labels: Option<Pairs<String>>,
        sampling: Option<&Bound<'_, PyAny>>,
        max_series: Option<usize>,
        hashed_labels: Option<Pairs<u32>>,
        dropped_labels: Vec<String>,
    ) -> PyResult<Self> {
        let c = Common::new(
            py,
            name,
            documentation,
            labelnames,
            namespace,
            subsystem,
            unit,
            registry,
            const_labels,
            sampling,
            max_series,
            hashed_labels,
            dropped_labels,
        )?;
        let h = build!(c, configure!(c, counter));
        Ok(Counter {
            h,
            meta: Some(c.meta),
        })
    }

    /// Removes the series for these label values (by position); returns whether it
    /// existed. A child held from before keeps working but is no longer reported.
    #[pyo3(signature = (*values))]
    fn remove(&self, py: Python<'_>, values: &Bound<'_, PyTuple>) -> PyResult<bool> {
        let Handle::Many(v) = &self.h else {
            return Err(no_labels(&self.meta, self.h.name(), "remove()"));
        };
        remove_series(py, values, |x| v.remove(x))
    }

    /// Removes every series of the metric.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let Handle::Many(v) = &self.h else {
            return Err(no_labels(&self.meta, self.h.name(), "clear()"));
        };
        py.detach(|| v.clear());
        removed();
        Ok(())
    }

    /// Adds `amount` (default 1), which must be finite and not negative.
    #[pyo3(signature = (amount=None))]
    #[inline]
    fn inc(&self, amount: Option<f64>) -> PyResult<()> {
        let c = self.one()?;
        match amount {
            None => {
                c.inc();
                Ok(())
            }
            Some(v) => c.inc_by(v).or_raise(),
        }
    }

    /// The current value.
    fn get(&self) -> PyResult<f64> {
        Ok(self.one()?.get())
    }

    /// A context manager and decorator that counts exceptions of type `exception` raised
    /// inside it (and lets them through).
    #[pyo3(signature = (exception=None))]
    fn count_exceptions<'py>(
        slf: &Bound<'py, Self>,
        exception: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.get().one()?;
        let py = slf.py();
        let exception = match exception {
            Some(e) => e.clone(),
            None => py.get_type::<pyo3::exceptions::PyException>().into_any(),
        };
        context(py, EXCEPTION_COUNTER)?.call1((slf, exception))
    }
}

/// A gauge: a value that goes up and down.
#[pyclass(module = "pushmetrics", frozen, freelist = 64)]
pub(crate) struct Gauge {
    h: Handle<pushmetrics::Gauge, pushmetrics::GaugeVec>,
    meta: Option<Arc<Meta>>,
}

series_class!(Gauge, pushmetrics::Gauge);

#[pymethods]
impl Gauge {
    /// The full metric name (a `labels()` child reports its metric's).
    #[getter]
    fn name(&self) -> &str {
        self.h.name()
    }
    /// The help text.
    #[getter]
    fn documentation(&self) -> PyResult<&str> {
        Ok(&meta(&self.meta)?.documentation)
    }
    /// The label names, in the order `labels()` takes values.
    #[getter]
    fn labelnames(&self) -> PyResult<Vec<String>> {
        Ok(meta(&self.meta)?.labelnames.clone())
    }
    fn __repr__(&self) -> String {
        repr("Gauge", &self.meta, self.h.name())
    }

    #[new]
    #[pyo3(signature = (name, documentation, labelnames=Vec::new(), namespace="", subsystem="", unit="", registry=RegistryArg::Default, *, const_labels=None, max_series=None, hashed_labels=None, dropped_labels=Vec::new(), multiprocess_mode="all"))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: &str,
        documentation: String,
        labelnames: Vec<String>,
        namespace: &str,
        subsystem: &str,
        unit: &str,
        registry: RegistryArg,
        const_labels: Option<Pairs<String>>,
        max_series: Option<usize>,
        hashed_labels: Option<Pairs<u32>>,
        dropped_labels: Vec<String>,
        multiprocess_mode: &str,
    ) -> PyResult<Self> {
        let mode = pushmetrics::multiprocess::GaugeMode::parse(multiprocess_mode).or_raise()?;
        let c = Common::new(
            py,
            name,
            documentation,
            labelnames,
            namespace,
            subsystem,
            unit,
            registry,
            const_labels,
            None,
            max_series,
            hashed_labels,
            dropped_labels,
        )?;
        let h = build!(c, configure!(c, gauge).multiprocess_mode(mode));
        Ok(Gauge {
            h,
            meta: Some(c.meta),
        })
    }

    /// Removes the series for these label values (by position); returns whether it
    /// existed. A child held from before keeps working but is no longer reported.
    #[pyo3(signature = (*values))]
    fn remove(&self, py: Python<'_>, values: &Bound<'_, PyTuple>) -> PyResult<bool> {
        let Handle::Many(v) = &self.h else {
            return Err(no_labels(&self.meta, self.h.name(), "remove()"));
        };
        remove_series(py, values, |x| v.remove(x))
    }

    /// Removes every series of the metric.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let Handle::Many(v) = &self.h else {
            return Err(no_labels(&self.meta, self.h.name(), "clear()"));
        };
        py.detach(|| v.clear());
        removed();
        Ok(())
    }

    /// Adds `amount` (default 1; may be negative).
    #[pyo3(signature = (amount=1.0))]
    #[inline]
    fn inc(&self, amount: f64) -> PyResult<()> {
        self.one()?.add(amount);
        Ok(())
    }

    /// Subtracts `amount` (default 1).
    #[pyo3(signature = (amount=1.0))]
    #[inline]
    fn dec(&self, amount: f64) -> PyResult<()> {
        self.one()?.sub(amount);
        Ok(())
    }

    /// Sets the value.
    #[inline]
    fn set(&self, value: f64) -> PyResult<()> {
        self.one()?.set(value);
        Ok(())
    }

    /// Sets the value to the current Unix time in seconds.
    fn set_to_current_time(&self) -> PyResult<()> {
        self.one()?.set_to_current_time();
        Ok(())
    }

    /// The current value.
    fn get(&self) -> PyResult<f64> {
        Ok(self.one()?.get())
    }

    /// Computes the value with `f()` at every collection (each push, textfile write and
    /// scrape) instead of storing it; a later call replaces `f`. An `f` that raises is
    /// counted in `pushmetrics_collector_failures_total` and logged; the push still goes out.
    fn set_function(&self, f: Py<PyAny>) -> PyResult<()> {
        let gauge = self.one()?.clone();
        let Some(m) = self.meta.as_deref() else {
            return Err(pyo3::exceptions::PyNotImplementedError::new_err(format!(
                "set_function() on a labels() child of {:?} is not supported; give the \
                 function its own gauge without labels",
                gauge.name()
            )));
        };
        crate::collector::set_function(&m.registry, gauge, f)
    }

    /// A context manager and decorator: +1 on entry, -1 on exit.
    fn track_inprogress<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get().one()?;
        context(slf.py(), IN_PROGRESS)?.call1((slf,))
    }

    /// A context manager and decorator that sets the gauge to the seconds spent inside it.
    fn time<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get().one()?;
        context(slf.py(), TIMER)?.call1((slf.getattr("set")?,))
    }
}

/// A histogram: observations counted in buckets, with their sum.
#[pyclass(module = "pushmetrics", frozen, freelist = 64)]
pub(crate) struct Histogram {
    h: Handle<pushmetrics::Histogram, pushmetrics::HistogramVec>,
    meta: Option<Arc<Meta>>,
}

series_class!(Histogram, pushmetrics::Histogram);

#[pymethods]
impl Histogram {
    /// The full metric name (a `labels()` child reports its metric's).
    #[getter]
    fn name(&self) -> &str {
        self.h.name()
    }
    /// The help text.
    #[getter]
    fn documentation(&self) -> PyResult<&str> {
        Ok(&meta(&self.meta)?.documentation)
    }
    /// The label names, in the order `labels()` takes values.
    #[getter]
    fn labelnames(&self) -> PyResult<Vec<String>> {
        Ok(meta(&self.meta)?.labelnames.clone())
    }
    fn __repr__(&self) -> String {
        repr("Histogram", &self.meta, self.h.name())
    }

    #[new]
    #[pyo3(signature = (name, documentation, labelnames=Vec::new(), namespace="", subsystem="", unit="", registry=RegistryArg::Default, *, buckets=None, const_labels=None, sampling=None, max_series=None, hashed_labels=None, dropped_labels=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: &str,
        documentation: String,
        labelnames: Vec<String>,
        namespace: &str,
        subsystem: &str,
        unit: &str,
        registry: RegistryArg,
        buckets: Option<Vec<f64>>,
        const_labels: Option<Pairs<String>>,
        sampling: Option<&Bound<'_, PyAny>>,
        max_series: Option<usize>,
        hashed_labels: Option<Pairs<u32>>,
        dropped_labels: Vec<String>,
    ) -> PyResult<Self> {
        let c = Common::new(
            py,
            name,
            documentation,
            labelnames,
            namespace,
            subsystem,
            unit,
            registry,
            const_labels,
            sampling,
            max_series,
            hashed_labels,
            dropped_labels,
        )?;
        let mut b = configure!(c, histogram);
        if let Some(buckets) = buckets {
            b = b.buckets(buckets);
        }
        let h = build!(c, b);
        Ok(Histogram {
            h,
            meta: Some(c.meta),
        })
    }

    /// Removes the series for these label values (by position); returns whether it
    /// existed. A child held from before keeps working but is no longer reported.
    #[pyo3(signature = (*values))]
    fn remove(&self, py: Python<'_>, values: &Bound<'_, PyTuple>) -> PyResult<bool> {
        let Handle::Many(v) = &self.h else {
            return Err(no_labels(&self.meta, self.h.name(), "remove()"));
        };
        remove_series(py, values, |x| v.remove(x))
    }

    /// Removes every series of the metric.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let Handle::Many(v) = &self.h else {
            return Err(no_labels(&self.meta, self.h.name(), "clear()"));
        };
        py.detach(|| v.clear());
        removed();
        Ok(())
    }

    /// Records one observation (NaN is refused).
    #[inline]
    fn observe(&self, amount: f64) -> PyResult<()> {
        self.one()?.observe(amount).or_raise()
    }

    /// Number of observations so far.
    fn count(&self) -> PyResult<u64> {
        Ok(self.one()?.count())
    }

    /// Sum of the observations so far.
    fn sum(&self) -> PyResult<f64> {
        Ok(self.one()?.sum())
    }

    /// A context manager and decorator that observes the seconds spent inside it.
    fn time<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get().one()?;
        context(slf.py(), TIMER)?.call1((slf.getattr("observe")?,))
    }
}

/// A summary: quantiles over a sliding window, with the count and sum of observations.
#[pyclass(module = "pushmetrics", frozen, freelist = 64)]
pub(crate) struct Summary {
    h: Handle<pushmetrics::Summary, pushmetrics::SummaryVec>,
    meta: Option<Arc<Meta>>,
}

series_class!(Summary, pushmetrics::Summary);

#[pymethods]
impl Summary {
    /// The full metric name (a `labels()` child reports its metric's).
    #[getter]
    fn name(&self) -> &str {
        self.h.name()
    }
    /// The help text.
    #[getter]
    fn documentation(&self) -> PyResult<&str> {
        Ok(&meta(&self.meta)?.documentation)
    }
    /// The label names, in the order `labels()` takes values.
    #[getter]
    fn labelnames(&self) -> PyResult<Vec<String>> {
        Ok(meta(&self.meta)?.labelnames.clone())
    }
    fn __repr__(&self) -> String {
        repr("Summary", &self.meta, self.h.name())
    }

    #[new]
    #[pyo3(signature = (name, documentation, labelnames=Vec::new(), namespace="", subsystem="", unit="", registry=RegistryArg::Default, *, quantiles=None, max_age=None, age_buckets=None, const_labels=None, sampling=None, max_series=None, hashed_labels=None, dropped_labels=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: &str,
        documentation: String,
        labelnames: Vec<String>,
        namespace: &str,
        subsystem: &str,
        unit: &str,
        registry: RegistryArg,
        quantiles: Option<Vec<f64>>,
        max_age: Option<f64>,
        age_buckets: Option<u32>,
        const_labels: Option<Pairs<String>>,
        sampling: Option<&Bound<'_, PyAny>>,
        max_series: Option<usize>,
        hashed_labels: Option<Pairs<u32>>,
        dropped_labels: Vec<String>,
    ) -> PyResult<Self> {
        let c = Common::new(
            py,
            name,
            documentation,
            labelnames,
            namespace,
            subsystem,
            unit,
            registry,
            const_labels,
            sampling,
            max_series,
            hashed_labels,
            dropped_labels,
        )?;
        let mut b = configure!(c, summary);
        if let Some(q) = quantiles {
            b = b.quantiles(&q);
        }
        if let Some(secs) = max_age {
            b = b.max_age(crate::convert::seconds("max_age", secs)?);
        }
        if let Some(n) = age_buckets {
            b = b.age_buckets(n);
        }
        let h = build!(c, b);
        Ok(Summary {
            h,
            meta: Some(c.meta),
        })
    }

    /// Removes the series for these label values (by position); returns whether it
    /// existed. A child held from before keeps working but is no longer reported.
    #[pyo3(signature = (*values))]
    fn remove(&self, py: Python<'_>, values: &Bound<'_, PyTuple>) -> PyResult<bool> {
        let Handle::Many(v) = &self.h else {
            return Err(no_labels(&self.meta, self.h.name(), "remove()"));
        };
        remove_series(py, values, |x| v.remove(x))
    }

    /// Removes every series of the metric.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let Handle::Many(v) = &self.h else {
            return Err(no_labels(&self.meta, self.h.name(), "clear()"));
        };
        py.detach(|| v.clear());
        removed();
        Ok(())
    }

    /// Records one observation (NaN is refused).
    #[inline]
    fn observe(&self, amount: f64) -> PyResult<()> {
        self.one()?.observe(amount).or_raise()
    }

    /// Number of observations so far.
    fn count(&self) -> PyResult<u64> {
        Ok(self.one()?.count())
    }

    /// Sum of the observations so far.
    fn sum(&self) -> PyResult<f64> {
        Ok(self.one()?.sum())
    }

    /// The current estimate of quantile `q` over the window (NaN when it is empty).
    fn quantile(&self, q: f64) -> PyResult<f64> {
        Ok(self.one()?.quantile(q))
    }

    /// A context manager and decorator that observes the seconds spent inside it.
    fn time<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get().one()?;
        context(slf.py(), TIMER)?.call1((slf.getattr("observe")?,))
    }
}
