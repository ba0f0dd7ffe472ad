//! What the four metric types share at the border: defining a metric (checking name, help,
//! label names and options), resolving a series of a labelled metric, recording through a
//! handle. The per-type files only name the core calls.

use crate::error::{pm_status, Failure};
use crate::ffi::{arg_str, with_strs, Out};
use crate::handle::{live, new_handle, optional, Handle};
use crate::metric_options::{pm_metric_options, MetricOptions};
use crate::panic::guard;
use crate::registry::pm_registry;
use pushmetrics_core::Registry;
use std::ffi::c_char;

/// A labelled metric of the core: how to get one of its series.
pub(crate) trait Labelled {
    type Series;
    fn with(&self, values: &[&str]) -> pushmetrics_core::Result<Self::Series>;
    fn with_labels(&self, pairs: &[(&str, &str)]) -> pushmetrics_core::Result<Self::Series>;
}

macro_rules! labelled {
    ($vec:ty, $one:ty) => {
        impl $crate::family::Labelled for $vec {
            type Series = $one;
            fn with(&self, values: &[&str]) -> pushmetrics_core::Result<$one> {
                <$vec>::with(self, values)
            }
            fn with_labels(&self, pairs: &[(&str, &str)]) -> pushmetrics_core::Result<$one> {
                <$vec>::with_labels(self, pairs)
            }
        }
    };
}
pub(crate) use labelled;

/// What a metric constructor receives once its arguments are checked.
pub(crate) struct Definition<'a> {
    pub(crate) registry: &'a Registry,
    pub(crate) name: &'a str,
    pub(crate) help: &'a str,
    pub(crate) labels: &'a [&'a str],
    pub(crate) options: &'a MetricOptions,
}

/// Checks the arguments of a metric constructor, calls `build`, and hands the new handle
/// to C through `out` (NULL on failure).
pub(crate) fn define<H: Handle>(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    labelnames: Option<(*const *const c_char, usize)>,
    options: *const pm_metric_options,
    out: *mut *mut H,
    build: impl FnOnce(Definition<'_>) -> Result<H::Inner, Failure>,
) -> pm_status {
    guard(|| {
        let out = Out::new(out, "out")?;
        // C callers often test `*out` after a failure: leave NULL there.
        out.write(std::ptr::null_mut());
        let registry = live(registry, "registry")?;
        let name = arg_str(name, "name")?;
        let help = arg_str(help, "help")?;
        let default = MetricOptions::default();
        let options = optional(options, "options")?.unwrap_or(&default);
        let (names, n) = labelnames.unwrap_or((std::ptr::null(), 0));
        let inner = with_strs(names, n, "labelnames", |labels| {
            build(Definition {
                registry,
                name,
                help,
                labels,
                options,
            })
        })??;
        out.write(new_handle::<H>(inner));
        Ok(())
    })
}

/// The series of `vec` for `n` label values, in the order of the label names.
pub(crate) fn series<V: Handle, S: Handle>(
    vec: *const V,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut S,
) -> pm_status
where
    V::Inner: Labelled<Series = S::Inner>,
{
    guard(|| {
        let out = Out::new(out, "out")?;
        out.write(std::ptr::null_mut());
        let vec = live(vec, "vec")?;
        let one = with_strs(values, n, "values", |v| vec.with(v))??;
        out.write(new_handle::<S>(one));
        Ok(())
    })
}

/// The series of `vec` for `n` (name, value) label pairs in any order.
pub(crate) fn series_by_name<V: Handle, S: Handle>(
    vec: *const V,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut S,
) -> pm_status
where
    V::Inner: Labelled<Series = S::Inner>,
{
    guard(|| {
        let out = Out::new(out, "out")?;
        out.write(std::ptr::null_mut());
        let vec = live(vec, "vec")?;
        let one = with_strs(names, n, "names", |names| {
            with_strs(values, n, "values", |values| {
                let pairs: Vec<(&str, &str)> =
                    names.iter().copied().zip(values.iter().copied()).collect();
                vec.with_labels(&pairs)
            })
        })???;
        out.write(new_handle::<S>(one));
        Ok(())
    })
}

/// Runs a one-shot labelled call (`vec.inc(values)`, `vec.observe(values, v)`, ...).
#[inline]
pub(crate) fn labelled_call<V: Handle>(
    vec: *const V,
    values: *const *const c_char,
    n: usize,
    call: impl FnOnce(&V::Inner, &[&str]) -> pushmetrics_core::Result<()>,
) -> pm_status {
    guard(|| {
        let vec = live(vec, "vec")?;
        with_strs(values, n, "values", |v| call(vec, v))??;
        Ok(())
    })
}

/// Runs a call on one series handle.
#[inline(always)]
pub(crate) fn series_call<H: Handle>(
    handle: *const H,
    name: &str,
    call: impl FnOnce(&H::Inner) -> pushmetrics_core::Result<()>,
) -> pm_status {
    guard(|| {
        call(live(handle, name)?)?;
        Ok(())
    })
}

/// Reads a value of one series handle into `out`.
pub(crate) fn series_read<H: Handle, T>(
    handle: *const H,
    name: &str,
    out: *mut T,
    read: impl FnOnce(&H::Inner) -> T,
) -> pm_status {
    guard(|| {
        let h = live(handle, name)?;
        Out::new(out, "out")?.write(read(h));
        Ok(())
    })
}
