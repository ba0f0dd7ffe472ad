//! Opaque handles: every object the library gives to C starts with a tag naming its type,
//! checked at every entry, so a handle of another type or one already freed is refused with
//! PM_ERR_INVALID_ARGUMENT instead of being used. Freed handles wait in a quarantine ring,
//! which is what makes that check on a freed handle well-defined.

use crate::error::Failure;
use crate::ffi::null;
use crate::panic::guard;
use std::mem::ManuallyDrop;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};

/// The type of a handle. The tag of a live handle is `LIVE | kind`, of a freed one
/// `FREED | kind`, so a message can name the type of a freed handle too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Registry = 1,
    RegistryOptions,
    MetricOptions,
    Counter,
    CounterVec,
    Gauge,
    GaugeVec,
    Histogram,
    HistogramVec,
    Summary,
    SummaryVec,
    PusherConfig,
    Pusher,
    HttpServer,
    Collection,
}

const KINDS: [Kind; 15] = [
    Kind::Registry,
    Kind::RegistryOptions,
    Kind::MetricOptions,
    Kind::Counter,
    Kind::CounterVec,
    Kind::Gauge,
    Kind::GaugeVec,
    Kind::Histogram,
    Kind::HistogramVec,
    Kind::Summary,
    Kind::SummaryVec,
    Kind::PusherConfig,
    Kind::Pusher,
    Kind::HttpServer,
    Kind::Collection,
];

// "PM" and "FR" in the high half: values unlikely to be the first word of anything else.
const LIVE: u32 = 0x504d_0000;
const FREED: u32 = 0x4652_0000;

impl Kind {
    const fn live(self) -> u32 {
        LIVE | self as u32
    }

    const fn freed(self) -> u32 {
        FREED | self as u32
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Registry => "pm_registry",
            Kind::RegistryOptions => "pm_registry_options",
            Kind::MetricOptions => "pm_metric_options",
            Kind::Counter => "pm_counter",
            Kind::CounterVec => "pm_counter_vec",
            Kind::Gauge => "pm_gauge",
            Kind::GaugeVec => "pm_gauge_vec",
            Kind::Histogram => "pm_histogram",
            Kind::HistogramVec => "pm_histogram_vec",
            Kind::Summary => "pm_summary",
            Kind::SummaryVec => "pm_summary_vec",
            Kind::PusherConfig => "pm_pusher_config",
            Kind::Pusher => "pm_pusher",
            Kind::HttpServer => "pm_http_server",
            Kind::Collection => "pm_collection",
        }
    }

    fn of(tag: u32) -> Option<Kind> {
        KINDS
            .into_iter()
            .find(|k| k.live() & 0xffff == tag & 0xffff)
    }
}

/// The first bytes of every handle: its tag, and how to release its memory once it leaves
/// the quarantine.
#[repr(C)]
pub(crate) struct Header {
    tag: AtomicU32,
    dealloc: unsafe fn(*mut Header),
}

/// A value as C holds it: the header, then the value. The value is dropped when C frees the
/// handle; the memory of the whole later, when the quarantine lets go of it.
#[repr(C)]
pub(crate) struct Tagged<T> {
    header: Header,
    value: ManuallyDrop<T>,
}

/// An opaque handle type: a one-field struct around a `Tagged` core value.
pub(crate) trait Handle: Sized {
    type Inner;
    const KIND: Kind;
    fn wrap(tagged: Tagged<Self::Inner>) -> Self;
}

/// Implements `Handle` for the C type `$c` holding a `Tagged<$inner>`.
macro_rules! handle {
    ($c:ident, $inner:ty, $kind:ident) => {
        impl $crate::handle::Handle for $c {
            type Inner = $inner;
            const KIND: $crate::handle::Kind = $crate::handle::Kind::$kind;
            #[inline(always)]
            fn wrap(tagged: $crate::handle::Tagged<$inner>) -> Self {
                $c(tagged)
            }
        }
        // The tag is read through a pointer to the handle before its type is known: it
        // must be at offset 0 of every handle type.
        const _: () = assert!(::std::mem::offset_of!($c, 0) == 0);
    };
}
pub(crate) use handle;

/// Moves `value` to the heap as a live handle and gives its address to C.
pub(crate) fn new_handle<H: Handle>(value: H::Inner) -> *mut H {
    Box::into_raw(Box::new(H::wrap(Tagged {
        header: Header {
            tag: AtomicU32::new(H::KIND.live()),
            dealloc: dealloc::<H>,
        },
        value: ManuallyDrop::new(value),
    })))
}

/// # Safety
/// `p` came from `new_handle::<H>`, its value has been dropped, and nothing else refers to it.
unsafe fn dealloc<H>(p: *mut Header) {
    drop(Box::from_raw(p.cast::<H>()));
}

/// The tag at `p`, a non-NULL pointer the caller says is a handle.
#[inline(always)]
fn tag<H>(p: *const H) -> u32 {
    // SAFETY: per the documented contract, `p` is a handle this library gave out, live or
    // freed; a freed handle's memory stays allocated while it is in the quarantine. Every
    // handle starts with a `Header` (the `offset_of` assertion in `handle!`), whatever its
    // type. The load is atomic, so a caller racing a free gets a stale tag, not a torn one.
    unsafe { (*p.cast::<Header>()).tag.load(Ordering::Relaxed) }
}

/// The value of the live handle `p` of type `H`, or an error naming `name` when `p` is NULL,
/// freed, or of another type. The hot path: one load and one compare beyond the NULL check.
#[inline(always)]
pub(crate) fn live<'a, H: Handle>(p: *const H, name: &str) -> Result<&'a H::Inner, Failure> {
    if p.is_null() {
        return Err(null(name));
    }
    let t = tag(p);
    if t != H::KIND.live() {
        return Err(misuse(t, H::KIND, name));
    }
    // SAFETY: the tag says `p` is a live `H`, i.e. a `Tagged<H::Inner>` at offset 0.
    Ok(unsafe { &*(*p.cast::<Tagged<H::Inner>>()).value })
}

/// Like `live`, for the option objects C changes through setters.
pub(crate) fn live_mut<'a, H: Handle>(p: *mut H, name: &str) -> Result<&'a mut H::Inner, Failure> {
    live(p, name)?;
    // SAFETY: a live `H`, checked above; the documented contract gives the caller's thread
    // sole use of an option object while it changes it.
    Ok(unsafe { &mut *(*p.cast::<Tagged<H::Inner>>()).value })
}

/// Like `live` for an optional argument: NULL is `None`.
pub(crate) fn optional<'a, H: Handle>(
    p: *const H,
    name: &str,
) -> Result<Option<&'a H::Inner>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    live(p, name).map(Some)
}

/// Frees the handle `p` of type `H`; NULL is ignored. A freed handle or one of another type
/// is left alone and said so in the thread's last-error message (the free functions return
/// nothing), so a double free or a free through the wrong function does no harm.
pub(crate) fn release<H: Handle>(p: *mut H, name: &str) {
    if p.is_null() {
        return;
    }
    let _ = guard(|| {
        // SAFETY: as in `tag`.
        let header = unsafe { &*p.cast::<Header>() };
        let (alive, dead) = (H::KIND.live(), H::KIND.freed());
        // One compare-exchange: of two racing frees (a caller bug) only one drops the value.
        if let Err(t) =
            header
                .tag
                .compare_exchange(alive, dead, Ordering::AcqRel, Ordering::Relaxed)
        {
            return Err(misuse(t, H::KIND, name));
        }
        // SAFETY: the tag was live and this call turned it to freed, so this is the only
        // drop of the value; the header is another field and stays valid for later checks.
        unsafe { ManuallyDrop::drop(&mut (*p.cast::<Tagged<H::Inner>>()).value) };
        quarantine(p.cast::<Header>());
        Ok(())
    });
}

/// How many freed handles keep their memory. A handle used after its free is reported
/// reliably while it is among the last `QUARANTINE` freed; after that its memory is
/// returned to the allocator and using it is undefined behaviour again (the check may
/// still catch it, but nothing promises so). The ring costs at most this many small
/// allocations, whatever the program frees.
const QUARANTINE: usize = 1024;

static RING: [AtomicPtr<Header>; QUARANTINE] =
    [const { AtomicPtr::new(ptr::null_mut()) }; QUARANTINE];
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Keeps the freed `shell` and releases the memory of the one it displaces. Lock-free, so a
/// free never waits, not even in a child forked while another thread was freeing.
fn quarantine(shell: *mut Header) {
    let slot = NEXT.fetch_add(1, Ordering::Relaxed) % QUARANTINE;
    let old = RING[slot].swap(shell, Ordering::AcqRel);
    if !old.is_null() {
        // SAFETY: `old` was put in the ring by `quarantine` after its value was dropped;
        // the swap took it out, so this thread alone owns it.
        unsafe { ((*old).dealloc)(old) }
    }
}

#[cold]
#[inline(never)]
fn misuse(tag: u32, want: Kind, name: &str) -> Failure {
    let want = want.name();
    let what = match Kind::of(tag) {
        Some(k) if tag == k.live() => format!("is a {}, not a {want}", k.name()),
        Some(k) if tag == k.freed() && k.name() == want => format!("is a {want} that was freed"),
        Some(k) if tag == k.freed() => format!("is a {} that was freed, not a {want}", k.name()),
        _ => format!("is not a handle of this library (a {want} was expected)"),
    };
    Failure::invalid_argument(format!("argument `{name}` {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Probe(Tagged<String>);
    handle!(Probe, String, Counter);

    #[test]
    fn a_freed_handle_is_reported_with_its_type() {
        let p = new_handle::<Probe>("x".into());
        assert_eq!(live(p, "h").unwrap(), "x");
        release(p, "h");
        let e = live(p, "h").unwrap_err();
        assert!(
            e.message.contains("a pm_counter that was freed"),
            "{}",
            e.message
        );
    }

    #[test]
    fn every_kind_has_its_own_tags() {
        for k in KINDS {
            assert_eq!(Kind::of(k.live()), Some(k));
            assert_eq!(Kind::of(k.freed()), Some(k));
            assert_ne!(k.live(), k.freed());
        }
        assert_eq!(Kind::of(0), None);
    }
}
