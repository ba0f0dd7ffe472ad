//! Values computed at collection time: collectors and gauges whose values C functions
//! return at every push, textfile write and scrape, and the process metrics.

use crate::error::pm_status;
use crate::ffi::{arg_str, null, with_strs, Out};
use crate::handle::{handle, live, live_mut, new_handle, release, Tagged};
use crate::panic::guard;
use crate::registry::pm_registry;
use pushmetrics_core::{CollectResult, FamilySnapshot, FamilySnapshotBuilder, MetricType, Value};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Computes a gauge's value from the `user_data` given with it.
pub type pm_gauge_fn = Option<unsafe extern "C" fn(user_data: *mut c_void) -> f64>;

/// Releases the `user_data` of a callback once the library no longer calls it.
pub type pm_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// A callback, its user_data, and who releases the user_data.
struct Callback {
    func: unsafe extern "C" fn(*mut c_void) -> f64,
    user_data: *mut c_void,
    free: pm_free_fn,
    /// Set once the registration succeeded: a failed one leaves the user_data to the caller.
    owned: Arc<AtomicBool>,
}

// SAFETY: the caller of pm_registry_gauge_func promises that the function may be called
// with this user_data from any thread, and concurrently.
unsafe impl Send for Callback {}
unsafe impl Sync for Callback {}

impl Callback {
    fn call(&self) -> f64 {
        // SAFETY: the caller's function with the caller's user_data, as documented.
        unsafe { (self.func)(self.user_data) }
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        if let (Some(free), true) = (self.free, self.owned.load(Ordering::Acquire)) {
            // SAFETY: the caller's function for this user_data, called once, at the end.
            unsafe { free(self.user_data) }
        }
    }
}

/// Defines a gauge without labels named `name` whose value `func(user_data)` returns at
/// every collection (each push, textfile write and scrape of the registry), on the thread
/// doing it: the push thread, an HTTP server thread, or the caller of
/// `pm_registry_encode_text`. It may be called from several threads at once and must not
/// call into this library for the same registry. The name must be valid and free (no
/// metric or collector of the registry has it): PM_ERR_INVALID_NAME, PM_ERR_CONFLICT.
///
/// `free_user_data` (may be NULL) is called with `user_data` once the gauge is removed with
/// `pm_registry_unregister_collector` and no collection is using it any more. When the call
/// fails, `user_data` stays the caller's and `free_user_data` is not called. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_gauge_func(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    func: pm_gauge_fn,
    user_data: *mut c_void,
    free_user_data: pm_free_fn,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let name = arg_str(name, "name")?;
        let help = arg_str(help, "help")?;
        let func = func.ok_or_else(|| null("func"))?;
        let owned = Arc::new(AtomicBool::new(false));
        let cb = Callback {
            func,
            user_data,
            free: free_user_data,
            owned: owned.clone(),
        };
        r.gauge_func(name, help, move || cb.call())?;
        owned.store(true, Ordering::Release);
        Ok(())
    })
}

/// Removes the collector `name` (a `pm_registry_gauge_func` gauge, or the "process"
/// collector); `*existed` (may be NULL) tells whether it was there. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_unregister_collector(
    registry: *const pm_registry,
    name: *const c_char,
    existed: *mut bool,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let name = arg_str(name, "name")?;
        Out::optional(existed).write(r.unregister_collector(name));
        Ok(())
    })
}

/// Adds the process metrics to the registry, as client_golang and prometheus_client name
/// them: process_cpu_seconds_total, process_open_fds, process_max_fds,
/// process_virtual_memory_bytes, process_resident_memory_bytes and
/// process_start_time_seconds, read from /proc/self at every collection (Linux only;
/// elsewhere they are absent). The default registry (`pm_registry_default`) has them from
/// the start. A collector named "process"; PM_ERR_CONFLICT if the registry has it already.
/// Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_register_process_collector(
    registry: *const pm_registry,
) -> pm_status {
    guard(|| {
        live(registry, "registry")?.register_process_collector()?;
        Ok(())
    })
}

/// `pm_registry_register_process_collector` with `prefix` (may be NULL or "") before every
/// name and label `names[i]` with value `values[i]` (`i < n`, at most PM_MAX_LABELS) on
/// every family, as prom-client's `collectDefaultMetrics({ prefix, labels })`. A collector
/// named "process"; PM_ERR_CONFLICT if the registry has it already; PM_ERR_INVALID_NAME
/// when the prefixed names are not valid metric names or for an invalid or repeated label
/// name, `le` or `quantile`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_register_process_collector_with(
    registry: *const pm_registry,
    prefix: *const c_char,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let prefix = if prefix.is_null() {
            ""
        } else {
            arg_str(prefix, "prefix")?
        };
        with_strs(names, n, "names", |names| {
            with_strs(values, n, "values", |values| {
                let pairs: Vec<(&str, &str)> =
                    names.iter().copied().zip(values.iter().copied()).collect();
                r.register_process_collector_with(prefix, &pairs)
            })
        })???;
        Ok(())
    })
}

/// The families a `pm_collect_fn` reports, filled with `pm_collection_add_counter` and
/// `pm_collection_add_gauge`. Valid only during the call of the callback it is given to,
/// and only on that thread.
pub struct pm_collection(Tagged<Collection>);

handle!(pm_collection, Collection, Collection);

/// One family being filled: name, help, type, label names, and its builder.
struct Pending {
    name: String,
    help: String,
    kind: MetricType,
    labelnames: Vec<String>,
    builder: FamilySnapshotBuilder,
}

/// What a collector callback added, family by family.
#[derive(Default)]
pub(crate) struct Collection {
    families: Vec<Pending>,
}

/// Computes families at collection time: adds series to `collection` with
/// `pm_collection_add_counter` / `pm_collection_add_gauge` and returns PM_OK (0). Any other
/// value counts as a failure of the collector (and what it added is left out).
pub type pm_collect_fn =
    Option<unsafe extern "C" fn(collection: *mut pm_collection, user_data: *mut c_void) -> c_int>;

/// A collector callback, its user_data, and who releases the user_data.
struct CollectCallback {
    func: unsafe extern "C" fn(*mut pm_collection, *mut c_void) -> c_int,
    user_data: *mut c_void,
    free: pm_free_fn,
    owned: Arc<AtomicBool>,
}

// SAFETY: the caller of pm_registry_register_collector promises that the function may be
// called with this user_data from any thread, and concurrently.
unsafe impl Send for CollectCallback {}
unsafe impl Sync for CollectCallback {}

impl CollectCallback {
    fn call(&self) -> CollectResult {
        let h = new_handle::<pm_collection>(Collection::default());
        // SAFETY: the caller's function with the caller's user_data and a live collection.
        let status = unsafe { (self.func)(h, self.user_data) };
        let families = live_mut(h, "collection")
            .map(|c| std::mem::take(&mut c.families))
            .unwrap_or_default();
        release(h, "collection");
        if status != pm_status::PM_OK as c_int {
            // SAFETY: pm_status_name returns a static NUL-terminated string for any value.
            let name = unsafe { CStr::from_ptr(crate::error::pm_status_name(status)) };
            return Err(format!(
                "the callback returned {status} ({})",
                name.to_string_lossy()
            ));
        }
        Ok(families.into_iter().map(|f| f.builder.build()).collect())
    }
}

impl Drop for CollectCallback {
    fn drop(&mut self) {
        if let (Some(free), true) = (self.free, self.owned.load(Ordering::Acquire)) {
            // SAFETY: the caller's function for this user_data, called once, at the end.
            unsafe { free(self.user_data) }
        }
    }
}

/// Adds a collector named `name`: `func(collection, user_data)` is called at every
/// collection (each push, textfile write and scrape), on the thread doing it, possibly from
/// several threads at once, and reports the families it adds to `collection`. It must not
/// call into this library for the same registry except through `collection`. A callback
/// that returns another status than PM_OK, or adds a family whose name is taken, is logged
/// and counted in `pushmetrics_collector_failures_total{collector="<name>"}`; the rest of
/// the registry still goes out. PM_ERR_CONFLICT if the registry has a collector `name`.
///
/// `free_user_data` (may be NULL) is called with `user_data` once the collector is removed
/// with `pm_registry_unregister_collector` (or the registry freed) and no collection is
/// using it. When the call fails, `user_data` stays the caller's. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_register_collector(
    registry: *const pm_registry,
    name: *const c_char,
    func: pm_collect_fn,
    user_data: *mut c_void,
    free_user_data: pm_free_fn,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let name = arg_str(name, "name")?;
        let func = func.ok_or_else(|| null("func"))?;
        let owned = Arc::new(AtomicBool::new(false));
        let cb = CollectCallback {
            func,
            user_data,
            free: free_user_data,
            owned: owned.clone(),
        };
        r.register_collector(name, move || cb.call())?;
        owned.store(true, Ordering::Release);
        Ok(())
    })
}

#[allow(clippy::too_many_arguments)]
fn add(
    collection: *mut pm_collection,
    kind: MetricType,
    name: *const c_char,
    help: *const c_char,
    labelnames: *const *const c_char,
    labelvalues: *const *const c_char,
    n: usize,
    value: Value,
) -> pm_status {
    guard(|| {
        let c = live_mut(collection, "collection")?;
        let name = arg_str(name, "name")?;
        let help = arg_str(help, "help")?;
        let names: Vec<String> = with_strs(labelnames, n, "labelnames", |s| {
            s.iter().map(|x| x.to_string()).collect()
        })?;
        let i = match c.families.iter().position(|f| f.name == name) {
            Some(i) => {
                let f = &c.families[i];
                if f.kind != kind || f.help != help || f.labelnames != names {
                    return Err(pushmetrics_core::Error::Conflict {
                        name: name.to_owned(),
                        reason: format!(
                            "in this collection as a {} with help {:?} and label names {:?}",
                            f.kind.as_str(),
                            f.help,
                            f.labelnames
                        ),
                    }
                    .into());
                }
                i
            }
            None => {
                let builder = FamilySnapshot::builder(name, help, kind, &names)?;
                c.families.push(Pending {
                    name: name.to_owned(),
                    help: help.to_owned(),
                    kind,
                    labelnames: names,
                    builder,
                });
                c.families.len() - 1
            }
        };
        let builder = &mut c.families[i].builder;
        with_strs(labelvalues, n, "labelvalues", |v| builder.add(v, value))??;
        Ok(())
    })
}

/// Adds the counter series `name{labelnames[i]=labelvalues[i]...} value` to the collection
/// (`n` labels; the arrays may be NULL when `n` is 0). Series of one family must agree on
/// help and label names (PM_ERR_CONFLICT); a label set given twice, a negative or NaN
/// value, an invalid name are refused. Name the family as it is sent (`jobs_total`).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_collection_add_counter(
    collection: *mut pm_collection,
    name: *const c_char,
    help: *const c_char,
    labelnames: *const *const c_char,
    labelvalues: *const *const c_char,
    n: usize,
    value: f64,
) -> pm_status {
    add(
        collection,
        MetricType::Counter,
        name,
        help,
        labelnames,
        labelvalues,
        n,
        Value::Counter(value),
    )
}

/// Adds the gauge series `name{labelnames[i]=labelvalues[i]...} value` to the collection,
/// as `pm_collection_add_counter` does for counters.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_collection_add_gauge(
    collection: *mut pm_collection,
    name: *const c_char,
    help: *const c_char,
    labelnames: *const *const c_char,
    labelvalues: *const *const c_char,
    n: usize,
    value: f64,
) -> pm_status {
    add(
        collection,
        MetricType::Gauge,
        name,
        help,
        labelnames,
        labelvalues,
        n,
        Value::Gauge(value),
    )
}
