//! Target `c_abi`: sequences of C ABI calls, made from Rust through the exported
//! functions: registries, metrics of every type with arbitrary names and labels, NULL and
//! non-UTF-8 arguments, recording, freeing, encoding. No call may panic (`PM_ERR_PANIC`),
//! a NULL or non-UTF-8 argument is `PM_ERR_INVALID_ARGUMENT`, every failure leaves a
//! message, and the encoded text parses strictly.

use crate::input::Input;
use crate::text_format;
use pushmetrics_ffi::counter::*;
use pushmetrics_ffi::error::{pm_last_error_message, pm_status, pm_status_name};
use pushmetrics_ffi::gauge::*;
use pushmetrics_ffi::histogram::*;
use pushmetrics_ffi::metric_options::*;
use pushmetrics_ffi::registry::*;
use pushmetrics_ffi::summary::*;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

/// A C string argument: NULL, or bytes without NUL (valid UTF-8 or not).
struct Arg {
    c: Option<CString>,
    /// NULL or not UTF-8: the call must refuse it.
    bad: bool,
}

impl Arg {
    fn ptr(&self) -> *const c_char {
        self.c.as_ref().map_or(null(), |c| c.as_ptr())
    }
}

fn arg(input: &mut Input<'_>, max: usize) -> Arg {
    match input.below(24) {
        0 => Arg { c: None, bad: true },
        1 => {
            let raw: Vec<u8> = input.bytes(max).iter().map(|&b| b.max(1)).collect();
            let bad = std::str::from_utf8(&raw).is_err();
            Arg {
                c: Some(CString::new(raw).expect("no NUL")),
                bad,
            }
        }
        _ => {
            let s: String = input.string(max).chars().filter(|&c| c != '\0').collect();
            Arg {
                c: Some(CString::new(s).expect("no NUL")),
                bad: false,
            }
        }
    }
}

/// An array of C strings and the pointers to them.
struct Args {
    items: Vec<Arg>,
    ptrs: Vec<*const c_char>,
}

impl Args {
    fn new(items: Vec<Arg>) -> Args {
        let ptrs = items.iter().map(Arg::ptr).collect();
        Args { items, ptrs }
    }
    fn bad(&self) -> bool {
        self.items.iter().any(|a| a.bad)
    }
}

#[derive(Clone, Copy)]
enum Series {
    Counter(*mut pm_counter),
    Gauge(*mut pm_gauge),
    Histogram(*mut pm_histogram),
    Summary(*mut pm_summary),
}

#[derive(Clone, Copy)]
enum Labelled {
    Counter(*mut pm_counter_vec),
    Gauge(*mut pm_gauge_vec),
    Histogram(*mut pm_histogram_vec),
    Summary(*mut pm_summary_vec),
}

/// Checks the outcome of one call. `bad` says an argument was NULL or not UTF-8.
fn check(what: &str, status: pm_status, bad: bool) {
    let message = || {
        // SAFETY: the library returns NULL or a NUL-terminated string valid until the next
        // call on this thread.
        let p = pm_last_error_message();
        if p.is_null() {
            None
        } else {
            Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
        }
    };
    assert_ne!(status, pm_status::PM_ERR_PANIC, "{what}: {:?}", message());
    if bad {
        assert_eq!(
            status,
            pm_status::PM_ERR_INVALID_ARGUMENT,
            "{what}: {:?}",
            message()
        );
    }
    if status != pm_status::PM_OK && status != pm_status::PM_ERR_BUFFER_TOO_SMALL {
        let m = message().unwrap_or_default();
        assert!(
            !m.is_empty(),
            "{what} failed ({status:?}) without a message"
        );
    }
}

#[derive(Default)]
struct State {
    registries: Vec<*mut pm_registry>,
    series: Vec<Series>,
    labelled: Vec<(Labelled, usize)>,
}

impl State {
    fn registry(&self, input: &mut Input<'_>) -> *mut pm_registry {
        if self.registries.is_empty() || input.below(16) == 0 {
            null_mut()
        } else {
            self.registries[input.below(self.registries.len())]
        }
    }
}

/// The target body.
pub fn c_abi(data: &[u8]) {
    let mut input = Input::new(data);
    let mut st = State::default();
    for _ in 0..48 {
        if input.is_empty() {
            break;
        }
        step(&mut st, &mut input);
    }
    for s in st.series.drain(..) {
        free_series(s);
    }
    for (l, _) in st.labelled.drain(..) {
        free_labelled(l);
    }
    for r in st.registries.drain(..) {
        pm_registry_free(r);
    }
}

fn step(st: &mut State, input: &mut Input<'_>) {
    match input.below(10) {
        0 => new_registry(st, input),
        1 if !st.registries.is_empty() => {
            let r = st.registries.swap_remove(input.below(st.registries.len()));
            pm_registry_free(r);
        }
        2 | 3 => define(st, input),
        4 => record_series(st, input),
        5 => record_labelled(st, input),
        6 => resolve(st, input),
        7 => {
            if !st.series.is_empty() && input.bool() {
                free_series(st.series.swap_remove(input.below(st.series.len())));
            } else if !st.labelled.is_empty() {
                free_labelled(st.labelled.swap_remove(input.below(st.labelled.len())).0);
            }
        }
        8 => encode(st, input),
        _ => {
            let r = st.registry(input);
            match input.below(4) {
                0 => check("pm_registry_reset", pm_registry_reset(r), r.is_null()),
                1 => {
                    let name = arg(input, 24);
                    let mut existed = false;
                    let s = pm_registry_unregister(r, name.ptr(), &mut existed);
                    check("pm_registry_unregister", s, r.is_null() || name.bad);
                }
                2 => {
                    let mut n = 0usize;
                    let s = pm_registry_series_count(r, &mut n);
                    check("pm_registry_series_count", s, r.is_null());
                }
                _ => {
                    // Any status number has a name.
                    let p = pm_status_name(input.u64() as i32);
                    assert!(!p.is_null());
                }
            }
        }
    }
}

fn new_registry(st: &mut State, input: &mut Input<'_>) {
    let mut options: *mut pm_registry_options = null_mut();
    if input.bool() {
        check(
            "pm_registry_options_new",
            pm_registry_options_new(&mut options),
            false,
        );
        let n = input.below(8);
        let s = match input.below(3) {
            0 => pm_registry_options_set_max_series_per_metric(options, n),
            1 => pm_registry_options_set_max_series(options, n * 4),
            _ => pm_registry_options_set_max_label_value_length(options, n * 6),
        };
        check("pm_registry_options_set_*", s, false);
    }
    let mut r: *mut pm_registry = null_mut();
    let s = pm_registry_new(options, &mut r);
    check("pm_registry_new", s, false);
    pm_registry_options_free(options);
    if s == pm_status::PM_OK {
        assert!(!r.is_null());
        st.registries.push(r);
    } else {
        assert!(r.is_null(), "a failed pm_registry_new wrote a registry");
    }
}

fn metric_options(input: &mut Input<'_>) -> *mut pm_metric_options {
    if input.below(3) != 0 {
        return null_mut();
    }
    let mut o: *mut pm_metric_options = null_mut();
    check(
        "pm_metric_options_new",
        pm_metric_options_new(&mut o),
        false,
    );
    for _ in 0..input.below(3) {
        let floats: Vec<f64> = (0..input.below(5)).map(|_| input.float()).collect();
        match input.below(4) {
            0 => {
                let s = pm_metric_options_set_buckets(o, floats.as_ptr(), floats.len());
                check("pm_metric_options_set_buckets", s, false);
            }
            1 => {
                let s = pm_metric_options_set_quantiles(o, floats.as_ptr(), floats.len());
                check("pm_metric_options_set_quantiles", s, false);
            }
            2 => {
                let s = pm_metric_options_set_max_series(o, input.below(4));
                check("pm_metric_options_set_max_series", s, false);
            }
            _ => {
                let (n, v) = (arg(input, 12), arg(input, 16));
                let s = pm_metric_options_add_const_label(o, n.ptr(), v.ptr());
                check("pm_metric_options_add_const_label", s, n.bad || v.bad);
            }
        }
    }
    o
}

fn define(st: &mut State, input: &mut Input<'_>) {
    let r = st.registry(input);
    let name = arg(input, 24);
    let help = arg(input, 24);
    let labelled = input.bool();
    let labels = Args::new((0..input.below(4)).map(|_| arg(input, 12)).collect());
    let options = metric_options(input);
    let no_out = input.below(32) == 0;
    let bad = r.is_null() || name.bad || help.bad || no_out || (labelled && labels.bad());
    let (lp, ln) = (labels.ptrs.as_ptr(), labels.ptrs.len());
    macro_rules! def {
        ($one:ident, $vec:ident, $series:ident, $ty:ty, $vty:ty) => {{
            if labelled {
                let mut out: *mut $vty = null_mut();
                let o = if no_out {
                    null_mut()
                } else {
                    &mut out as *mut _
                };
                let s = $vec(r, name.ptr(), help.ptr(), lp, ln, options, o);
                check(stringify!($vec), s, bad);
                if s == pm_status::PM_OK {
                    st.labelled.push((Labelled::$series(out), ln));
                }
            } else {
                let mut out: *mut $ty = null_mut();
                let o = if no_out {
                    null_mut()
                } else {
                    &mut out as *mut _
                };
                let s = $one(r, name.ptr(), help.ptr(), options, o);
                check(stringify!($one), s, bad);
                if s == pm_status::PM_OK {
                    st.series.push(Series::$series(out));
                }
            }
        }};
    }
    match input.below(4) {
        0 => def!(
            pm_counter_new,
            pm_counter_vec_new,
            Counter,
            pm_counter,
            pm_counter_vec
        ),
        1 => def!(
            pm_gauge_new,
            pm_gauge_vec_new,
            Gauge,
            pm_gauge,
            pm_gauge_vec
        ),
        2 => def!(
            pm_histogram_new,
            pm_histogram_vec_new,
            Histogram,
            pm_histogram,
            pm_histogram_vec
        ),
        _ => def!(
            pm_summary_new,
            pm_summary_vec_new,
            Summary,
            pm_summary,
            pm_summary_vec
        ),
    }
    pm_metric_options_free(options);
}

fn record_series(st: &mut State, input: &mut Input<'_>) {
    let v = input.float();
    let null = st.series.is_empty() || input.below(16) == 0;
    let s = if null {
        match input.below(4) {
            0 => Series::Counter(null_mut()),
            1 => Series::Gauge(null_mut()),
            2 => Series::Histogram(null_mut()),
            _ => Series::Summary(null_mut()),
        }
    } else {
        st.series[input.below(st.series.len())]
    };
    let status = match s {
        Series::Counter(p) => pm_counter_inc(p, v),
        Series::Gauge(p) => match input.below(3) {
            0 => pm_gauge_set(p, v),
            1 => pm_gauge_add(p, v),
            _ => pm_gauge_sub(p, v),
        },
        Series::Histogram(p) => pm_histogram_observe(p, v),
        Series::Summary(p) => pm_summary_observe(p, v),
    };
    check("recording on a series", status, null);
}

fn values(input: &mut Input<'_>, n: usize) -> Args {
    let count = if input.below(8) == 0 {
        input.below(4)
    } else {
        n
    };
    Args::new((0..count).map(|_| arg(input, 20)).collect())
}

fn pick_labelled(st: &State, input: &mut Input<'_>) -> Option<(Labelled, usize)> {
    if st.labelled.is_empty() || input.below(16) == 0 {
        None
    } else {
        Some(st.labelled[input.below(st.labelled.len())])
    }
}

fn record_labelled(st: &mut State, input: &mut Input<'_>) {
    let (l, n) = pick_labelled(st, input).unwrap_or((Labelled::Counter(null_mut()), 0));
    let vals = values(input, n);
    let v = input.float();
    let (vp, vn) = (vals.ptrs.as_ptr(), vals.ptrs.len());
    let (status, null) = match l {
        Labelled::Counter(p) => (pm_counter_vec_inc(p, vp, vn, v), p.is_null()),
        Labelled::Gauge(p) => (
            if input.bool() {
                pm_gauge_vec_set(p, vp, vn, v)
            } else {
                pm_gauge_vec_add(p, vp, vn, v)
            },
            p.is_null(),
        ),
        Labelled::Histogram(p) => (pm_histogram_vec_observe(p, vp, vn, v), p.is_null()),
        Labelled::Summary(p) => (pm_summary_vec_observe(p, vp, vn, v), p.is_null()),
    };
    check("recording on a labelled metric", status, null || vals.bad());
}

fn resolve(st: &mut State, input: &mut Input<'_>) {
    let Some((l, n)) = pick_labelled(st, input) else {
        return;
    };
    let vals = values(input, n);
    let (vp, vn) = (vals.ptrs.as_ptr(), vals.ptrs.len());
    macro_rules! with {
        ($f:ident, $p:expr, $series:ident, $ty:ty) => {{
            let mut out: *mut $ty = null_mut();
            let s = $f($p, vp, vn, &mut out);
            check(stringify!($f), s, vals.bad());
            if s == pm_status::PM_OK {
                st.series.push(Series::$series(out));
            }
        }};
    }
    match l {
        Labelled::Counter(p) => with!(pm_counter_vec_with, p, Counter, pm_counter),
        Labelled::Gauge(p) => with!(pm_gauge_vec_with, p, Gauge, pm_gauge),
        Labelled::Histogram(p) => with!(pm_histogram_vec_with, p, Histogram, pm_histogram),
        Labelled::Summary(p) => with!(pm_summary_vec_with, p, Summary, pm_summary),
    }
}

fn encode(st: &mut State, input: &mut Input<'_>) {
    let r = st.registry(input);
    let mut needed = 0usize;
    let s = pm_registry_encode_text(r, null_mut(), 0, &mut needed);
    if r.is_null() {
        check("pm_registry_encode_text", s, true);
        return;
    }
    assert_eq!(s, pm_status::PM_ERR_BUFFER_TOO_SMALL, "a zero-sized buffer");
    assert!(needed >= 1, "the NUL needs a byte");
    // One buffer too small (unchanged, refused), then one large enough.
    let short = input.below(needed);
    let mut buf = vec![0x55u8; needed + 8];
    let mut again = 0usize;
    let s = pm_registry_encode_text(r, buf.as_mut_ptr().cast(), short, &mut again);
    assert_eq!(s, pm_status::PM_ERR_BUFFER_TOO_SMALL);
    assert_eq!(again, needed);
    assert!(
        buf.iter().all(|&b| b == 0x55),
        "a refused call wrote into the buffer"
    );
    let s = pm_registry_encode_text(r, buf.as_mut_ptr().cast(), needed, &mut again);
    check("pm_registry_encode_text", s, false);
    assert_eq!(s, pm_status::PM_OK);
    assert_eq!(buf[needed - 1], 0, "NUL-terminated");
    assert_eq!(buf[needed], 0x55, "wrote past the size it asked for");
    let text = std::str::from_utf8(&buf[..needed - 1]).expect("UTF-8 text");
    text_format::parse(text).unwrap_or_else(|e| panic!("{e}\n--- text ---\n{text}"));

    let mut p: *mut c_char = null_mut();
    let mut len = 0usize;
    let s = pm_registry_encode_text_alloc(r, &mut p, &mut len);
    check("pm_registry_encode_text_alloc", s, false);
    // SAFETY: a NUL-terminated string of `len` bytes, released just below.
    let alloc = unsafe { CStr::from_ptr(p) }.to_bytes().to_vec();
    pm_string_free(p);
    assert_eq!(alloc.len(), len);
    assert_eq!(alloc, text.as_bytes());
}

fn free_series(s: Series) {
    match s {
        Series::Counter(p) => pm_counter_free(p),
        Series::Gauge(p) => pm_gauge_free(p),
        Series::Histogram(p) => pm_histogram_free(p),
        Series::Summary(p) => pm_summary_free(p),
    }
}

fn free_labelled(l: Labelled) {
    match l {
        Labelled::Counter(p) => pm_counter_vec_free(p),
        Labelled::Gauge(p) => pm_gauge_vec_free(p),
        Labelled::Histogram(p) => pm_histogram_vec_free(p),
        Labelled::Summary(p) => pm_summary_vec_free(p),
    }
}
