//! Registries and their options: creating, freeing, the process-wide default, the text
//! encoding into caller memory, and what the cardinality guard and sampler did per metric.

use crate::error::{pm_status, Failure};
use crate::ffi::{arg_str, copy_to_buffer, with_strs, write_versioned, Out};
use crate::handle::{handle, live, live_mut, new_handle, optional, release, Tagged};
use crate::panic::guard;
use pushmetrics_core::{Registry, RegistryBuilder};
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// A set of metric families. Create with `pm_registry_new` or `pm_registry_default`,
/// release with `pm_registry_free`. Thread-safe: any number of threads may define metrics
/// in, encode or reset the same registry at once.
pub struct pm_registry(Tagged<Registry>);

handle!(pm_registry, Registry, Registry);

/// Options of a new registry (the cardinality limits). Create with
/// `pm_registry_options_new`, change with the `pm_registry_options_set_*` functions, pass to
/// `pm_registry_new`, release with `pm_registry_options_free`. Not thread-safe: do not
/// change one options object from two threads at once.
pub struct pm_registry_options(Tagged<RegistryBuilder>);

handle!(pm_registry_options, RegistryBuilder, RegistryOptions);

/// What the cardinality guard and the sampler did to one metric, filled by
/// `pm_registry_guard_counts`. Set `size` to `sizeof(pm_guard_counts)` before the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct pm_guard_counts {
    /// Set by the caller to sizeof(pm_guard_counts); set by the library to the bytes written.
    pub size: usize,
    /// Live series (the overflow series not included).
    pub series: u64,
    /// Calls whose new label set was folded into the overflow series.
    pub overflowed: u64,
    /// Series created with a truncated label value.
    pub truncated: u64,
    /// Series removed for being idle longer than the series TTL.
    pub evicted: u64,
    /// Calls seen by the sampler (0 without sampling).
    pub sampled_seen: u64,
    /// Calls the sampler kept (0 without sampling).
    pub sampled_kept: u64,
}

/// `pm_guard_counts` as first published.
const PM_GUARD_COUNTS_V1_SIZE: usize =
    crate::stats::first_version_end!(pm_guard_counts, sampled_kept);

/// New registry options with the defaults: 2000 series per metric, 100000 series in the
/// registry, label values up to 256 bytes, no series TTL. `*out` receives an object to
/// release with `pm_registry_options_free`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_options_new(out: *mut *mut pm_registry_options) -> pm_status {
    guard(|| {
        Out::new(out, "out")?.write(new_handle::<pm_registry_options>(Registry::builder()));
        Ok(())
    })
}

/// Releases registry options. NULL is ignored.
#[no_mangle]
pub extern "C" fn pm_registry_options_free(options: *mut pm_registry_options) {
    release(options, "options")
}

fn set_option(
    options: *mut pm_registry_options,
    f: impl FnOnce(RegistryBuilder) -> RegistryBuilder,
) -> pm_status {
    guard(|| {
        let o = live_mut(options, "options")?;
        *o = f(o.clone());
        Ok(())
    })
}

/// Series per metric before new label sets fold into the overflow series (default 2000).
/// Checked by `pm_registry_new` (must be at least 1).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_options_set_max_series_per_metric(
    options: *mut pm_registry_options,
    n: usize,
) -> pm_status {
    set_option(options, |b| b.max_series_per_metric(n))
}

/// Series in the whole registry before new label sets fold into overflow series (default
/// 100000). Checked by `pm_registry_new` (must be at least 1).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_options_set_max_series(
    options: *mut pm_registry_options,
    n: usize,
) -> pm_status {
    set_option(options, |b| b.max_series(n))
}

/// Longest label value kept as is, in bytes (default 256); longer values are cut and get a
/// hash suffix so distinct values stay distinct. Checked by `pm_registry_new` (at least 16).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_options_set_max_label_value_length(
    options: *mut pm_registry_options,
    n: usize,
) -> pm_status {
    set_option(options, |b| b.max_label_value_length(n))
}

/// Evict series idle for longer than `ttl_ms` milliseconds when a snapshot is taken (default:
/// never). A series whose handle the application holds is never evicted.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_options_set_series_ttl_ms(
    options: *mut pm_registry_options,
    ttl_ms: u64,
) -> pm_status {
    set_option(options, |b| b.series_ttl(Duration::from_millis(ttl_ms)))
}

/// Creates a registry. `options` may be NULL for the defaults; it is not consumed (free it
/// when you like). `*out` receives a registry to release with `pm_registry_free`.
/// PM_ERR_INVALID_CONFIG if an option is out of range.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_new(
    options: *const pm_registry_options,
    out: *mut *mut pm_registry,
) -> pm_status {
    guard(|| {
        let out = Out::new(out, "out")?;
        let builder = optional(options, "options")?.map_or_else(Registry::builder, Clone::clone);
        out.write(new_handle::<pm_registry>(builder.build()?));
        Ok(())
    })
}

/// A handle to the process-wide default registry (the one every `pm_registry_default`
/// call shares). Release the handle with `pm_registry_free`; the registry itself lives as
/// long as the process.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_default(out: *mut *mut pm_registry) -> pm_status {
    guard(|| {
        Out::new(out, "out")?.write(new_handle::<pm_registry>(
            Registry::default_registry().clone(),
        ));
        Ok(())
    })
}

/// Releases a registry handle. Metric handles taken from it stay valid (they keep their
/// metric alive), and a running pusher keeps pushing it. NULL is ignored. Must not be
/// called while another thread uses the same handle.
#[no_mangle]
pub extern "C" fn pm_registry_free(registry: *mut pm_registry) {
    release(registry, "registry")
}

/// Removes the metric `name` from the registry; `*existed` (may be NULL) tells whether it
/// was there. Handles to it keep working but are no longer reported. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_unregister(
    registry: *const pm_registry,
    name: *const c_char,
    existed: *mut bool,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let name = arg_str(name, "name")?;
        Out::optional(existed).write(r.unregister(name));
        Ok(())
    })
}

/// Sets the labels every series of every family of the registry carries when it is pushed,
/// written or encoded, as prom-client's `setDefaultLabels`: label `names[i]` with value
/// `values[i]` for `i < n` (at most PM_MAX_LABELS). Collected families (process metrics,
/// `pm_registry_register_collector`) carry them too. A series that has a label of the same
/// name keeps its own value; `job` and the pusher's grouping labels win over a default
/// label of the same name. The set replaces the previous one; `n` = 0 clears it (the
/// arrays may then be NULL). An invalid or repeated name, or `le` or `quantile`, is
/// PM_ERR_INVALID_NAME and leaves the previous set. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_set_default_labels(
    registry: *const pm_registry,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        with_strs(names, n, "names", |names| {
            with_strs(values, n, "values", |values| {
                let pairs: Vec<(&str, &str)> =
                    names.iter().copied().zip(values.iter().copied()).collect();
                r.set_default_labels(&pairs)
            })
        })???;
        Ok(())
    })
}

/// Sets every counter, histogram and summary of the registry back to zero; gauges keep
/// their values, series and handles stay. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_reset(registry: *const pm_registry) -> pm_status {
    guard(|| {
        live(registry, "registry")?.reset();
        Ok(())
    })
}

/// The number of live series in the registry, into `*out`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_series_count(
    registry: *const pm_registry,
    out: *mut usize,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        Out::new(out, "out")?.write(r.series_count());
        Ok(())
    })
}

/// The registry in the Prometheus text format 0.0.4, NUL-terminated, into the caller's
/// buffer `buf` of `cap` bytes. `*needed` always receives the size the text needs, NUL
/// included. If `cap` is smaller, nothing is written and PM_ERR_BUFFER_TOO_SMALL is
/// returned: call again with a bigger buffer (the text may have grown meanwhile). `buf` may
/// be NULL when `cap` is 0, to ask for the size. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_encode_text(
    registry: *const pm_registry,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        copy_to_buffer(r.encode_text().as_bytes(), buf, cap, needed)
    })
}

extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn free(p: *mut c_void);
}

/// The registry in the Prometheus text format 0.0.4 as a new NUL-terminated string in
/// `*out`, to release with `pm_string_free`. `*len` (may be NULL) receives its length
/// without the NUL. PM_ERR_IO if memory runs out. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_encode_text_alloc(
    registry: *const pm_registry,
    out: *mut *mut c_char,
    len: *mut usize,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let out = Out::new(out, "out")?;
        let text = r.encode_text();
        // malloc, so the string outlives any Rust allocator state and pm_string_free is a
        // plain free().
        // SAFETY: malloc takes any size; a NULL result is handled below.
        let p = unsafe { malloc(text.len() + 1) }.cast::<u8>();
        if p.is_null() {
            return Err(Failure::new(pm_status::PM_ERR_IO, "out of memory"));
        }
        // SAFETY: `p` holds text.len() + 1 bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), p, text.len());
            *p.add(text.len()) = 0;
        }
        out.write(p.cast());
        Out::optional(len).write(text.len());
        Ok(())
    })
}

/// Releases a string returned by the library (`pm_registry_encode_text_alloc`). NULL is
/// ignored.
#[no_mangle]
pub extern "C" fn pm_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: per the contract, `s` came from malloc in pm_registry_encode_text_alloc.
        unsafe { free(s.cast()) }
    }
}

/// What the cardinality guard and the sampler did to the metric `name`, into `*out` (set
/// `out->size = sizeof(pm_guard_counts)` first). PM_ERR_NOT_FOUND if the registry has no
/// metric of that name. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_guard_counts(
    registry: *const pm_registry,
    name: *const c_char,
    out: *mut pm_guard_counts,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let name = arg_str(name, "name")?;
        let (_, g) = r
            .guard_stats()
            .into_iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| {
                Failure::new(
                    pm_status::PM_ERR_NOT_FOUND,
                    format!("the registry has no metric named {name:?}"),
                )
            })?;
        let counts = pm_guard_counts {
            size: 0,
            series: g.series,
            overflowed: g.overflowed,
            truncated: g.truncated,
            evicted: g.evicted,
            sampled_seen: g.sampled_seen,
            sampled_kept: g.sampled_kept,
        };
        write_versioned(out, counts, "out", PM_GUARD_COUNTS_V1_SIZE)
    })
}
