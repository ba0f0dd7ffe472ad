//! Conversions at the border: C strings to `&str`, C arrays to slices (their lengths checked
//! against the documented caps first), and results into caller-owned memory. Every check
//! names the argument, so `pm_last_error_message` tells the caller which one was bad.
//! Handles are checked in `handle.rs`.

use crate::error::{pm_status, Failure};
use std::ffi::{c_char, CStr};

#[cold]
pub(crate) fn null(name: &str) -> Failure {
    Failure::invalid_argument(format!("argument `{name}` is NULL"))
}

/// A NUL-terminated C string as UTF-8 text.
#[inline]
pub(crate) fn arg_str<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL and, per the documented contract, NUL-terminated.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| not_utf8(name, e))
}

#[cold]
fn not_utf8(name: &str, e: std::str::Utf8Error) -> Failure {
    Failure::invalid_argument(format!(
        "argument `{name}` is not valid UTF-8 (invalid byte at offset {})",
        e.valid_up_to()
    ))
}

/// The most elements a C array argument may have, and the header constant that says so.
pub(crate) struct Cap {
    pub(crate) max: usize,
    pub(crate) constant: &'static str,
}

pub(crate) const LABELS: Cap = Cap {
    max: crate::PM_MAX_LABELS,
    constant: "PM_MAX_LABELS",
};
pub(crate) const BUCKETS: Cap = Cap {
    max: crate::PM_MAX_BUCKETS,
    constant: "PM_MAX_BUCKETS",
};
pub(crate) const QUANTILES: Cap = Cap {
    max: crate::PM_MAX_QUANTILES,
    constant: "PM_MAX_QUANTILES",
};

/// Refuses a count above its cap, before anything is read, written or allocated for it:
/// a wrong length must not turn into a wild read or a huge allocation.
#[inline(always)]
pub(crate) fn check_count(n: usize, len_name: &str, of: &str, cap: &Cap) -> Result<(), Failure> {
    if n > cap.max {
        return Err(too_many(n, len_name, of, cap));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn too_many(n: usize, len_name: &str, of: &str, cap: &Cap) -> Failure {
    Failure::invalid_argument(format!(
        "argument `{len_name}` is {n} (the length of `{of}`), but at most {} are accepted ({})",
        cap.max, cap.constant
    ))
}

/// `n` elements at `p`, at most `cap.max`; NULL is allowed only when `n` is 0.
pub(crate) fn arg_slice<'a, T>(
    p: *const T,
    n: usize,
    name: &str,
    cap: &Cap,
) -> Result<&'a [T], Failure> {
    check_count(n, "n", name, cap)?;
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL and, per the documented contract, `n` readable elements.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Label values on the stack up to this many; more take one allocation.
const INLINE_STRS: usize = 8;

/// Runs `f` on `n` C strings at `p` as `&str`s, without allocating for up to eight. These are
/// label names or values: `n` may be at most PM_MAX_LABELS.
#[inline]
pub(crate) fn with_strs<R>(
    p: *const *const c_char,
    n: usize,
    name: &str,
    f: impl FnOnce(&[&str]) -> R,
) -> Result<R, Failure> {
    let ptrs = arg_slice(p, n, name, &LABELS)?;
    if n <= INLINE_STRS {
        let mut buf = [""; INLINE_STRS];
        for (i, s) in ptrs.iter().enumerate() {
            buf[i] = element(*s, name, i)?;
        }
        Ok(f(&buf[..n]))
    } else {
        let v = ptrs
            .iter()
            .enumerate()
            .map(|(i, s)| element(*s, name, i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(f(&v))
    }
}

#[inline(always)]
fn element<'a>(p: *const c_char, name: &str, i: usize) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(null(&format!("{name}[{i}]")));
    }
    // SAFETY: non-NULL and, per the documented contract, NUL-terminated.
    let bytes = unsafe { short_c_str(p) };
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => Err(not_utf8(&format!("{name}[{i}]"), e)),
    }
}

/// The bytes of a short C string (a label value), found by one inlined scan instead of a
/// strlen call: label values are a few bytes and this is the labelled hot path.
///
/// # Safety
/// `p` must be non-NULL and NUL-terminated.
#[inline(always)]
unsafe fn short_c_str<'a>(p: *const c_char) -> &'a [u8] {
    let p = p.cast::<u8>();
    let mut len = 0;
    while *p.add(len) != 0 {
        len += 1;
    }
    std::slice::from_raw_parts(p, len)
}

/// An out-parameter: checked for NULL before any work, written once at the end.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    #[inline(always)]
    pub(crate) fn new(p: *mut T, name: &str) -> Result<Out<T>, Failure> {
        if p.is_null() {
            return Err(null(name));
        }
        Ok(Out(p))
    }
    /// NULL means "not wanted": writes are skipped.
    pub(crate) fn optional(p: *mut T) -> Out<T> {
        Out(p)
    }
    #[inline(always)]
    pub(crate) fn write(&self, v: T) {
        if !self.0.is_null() {
            // SAFETY: checked non-NULL; the caller provides writable memory for a `T`.
            unsafe { self.0.write(v) }
        }
    }
}

/// Writes `text` and a NUL into `buf` if `cap` allows, and the size needed (NUL included)
/// into `needed`. A too small buffer is left untouched and gives `PM_ERR_BUFFER_TOO_SMALL`.
pub(crate) fn copy_to_buffer(
    text: &[u8],
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> Result<(), Failure> {
    let needed = Out::new(needed, "needed")?;
    if cap > isize::MAX as usize {
        return Err(Failure::invalid_argument(format!(
            "argument `cap` is {cap}, more than any buffer can hold (PTRDIFF_MAX)"
        )));
    }
    if buf.is_null() && cap > 0 {
        return Err(null("buf"));
    }
    let size = text.len() + 1;
    needed.write(size);
    if cap < size {
        return Err(Failure::new(
            pm_status::PM_ERR_BUFFER_TOO_SMALL,
            format!("the buffer holds {cap} bytes but {size} are needed"),
        ));
    }
    // SAFETY: `buf` is non-NULL and, per the contract, holds `cap >= size` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        *buf.add(text.len()) = 0;
    }
    Ok(())
}

/// Copies `value` into a caller-owned versioned struct whose first field is `size_t size`,
/// set by the caller to `sizeof` the struct it was compiled with. Only the fields that fit
/// are written (a caller built against an older, shorter struct gets the fields it knows),
/// and `size` is set to the number of bytes written.
pub(crate) fn write_versioned<T: Copy>(
    out: *mut T,
    value: T,
    name: &str,
    min_size: usize,
) -> Result<(), Failure> {
    if out.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL; every versioned struct starts with `size_t size`.
    let size = unsafe { out.cast::<usize>().read() };
    if size < min_size {
        return Err(Failure::invalid_argument(format!(
            "argument `{name}` has size {size}, but at least {min_size} is needed: set its \
             `size` field to sizeof the struct before the call"
        )));
    }
    let n = size.min(std::mem::size_of::<T>());
    // SAFETY: the caller's struct holds `size` bytes and we write at most that many.
    unsafe {
        std::ptr::copy_nonoverlapping((&value as *const T).cast::<u8>(), out.cast::<u8>(), n);
        out.cast::<usize>().write(n);
    }
    Ok(())
}
