//! Conversions of Python arguments that several classes share: `str` to `&str` without a
//! copy, seconds to `Duration`, and `{name: value}` mappings to ordered pairs.

use crate::errors::Class;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::os::raw::c_char;
use std::time::Duration;

extern "C" {
    // In the stable ABI from 3.10 on, and exported with this signature by every CPython 3:
    // it returns the string's cached UTF-8 without a copy. pyo3 only offers a copying
    // conversion on abi3-py39, which would double the cost of `labels()`.
    fn PyUnicode_AsUTF8AndSize(o: *mut ffi::PyObject, size: *mut ffi::Py_ssize_t) -> *const c_char;
}

/// The UTF-8 of a `str` object without a copy.
///
/// # Safety
/// `obj` must be a live `str` object that outlives `'a`: CPython caches the UTF-8 in the
/// object, so the buffer lives exactly as long as the object does.
pub(crate) unsafe fn utf8_of<'a>(py: Python<'_>, obj: *mut ffi::PyObject) -> PyResult<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    let p = PyUnicode_AsUTF8AndSize(obj, &mut size);
    if p.is_null() {
        return Err(PyErr::fetch(py));
    }
    Ok(std::str::from_utf8_unchecked(std::slice::from_raw_parts(
        p.cast::<u8>(),
        size as usize,
    )))
}

/// The UTF-8 of a `str` object, borrowed for as long as the object is.
pub(crate) fn utf8<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    if !obj.is_instance_of::<pyo3::types::PyString>() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "expected a str, got {}",
            obj.get_type().name()?
        )));
    }
    // SAFETY: a str, kept alive by the borrow for `'a`.
    unsafe { utf8_of(obj.py(), obj.as_ptr()) }
}

/// Seconds from Python as a `Duration`, refusing what a `Duration` cannot hold.
pub(crate) fn seconds(name: &str, secs: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        Class::Config.err(format!(
            "invalid configuration: {name} {secs} must be a number of seconds >= 0"
        ))
    })
}

/// A `{name: value}` mapping (or a sequence of pairs) in its iteration order; names are
/// `str`, values are converted to `T` (`String` values accept anything, through `str()`).
pub(crate) struct Pairs<T>(pub(crate) Vec<(String, T)>);

/// How a pair's value is read.
pub(crate) trait PairValue: Sized {
    fn read(v: &Bound<'_, PyAny>) -> PyResult<Self>;
}

impl PairValue for String {
    fn read(v: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(v.str()?.to_string())
    }
}

impl PairValue for u32 {
    fn read(v: &Bound<'_, PyAny>) -> PyResult<Self> {
        v.extract()
    }
}

impl<'a, 'py, T: PairValue> FromPyObject<'a, 'py> for Pairs<T> {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let items = match obj.cast::<PyDict>() {
            Ok(d) => d.items().into_any(),
            Err(_) => obj.to_owned(),
        };
        let mut out = Vec::new();
        for item in items.try_iter()? {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
            out.push((utf8(&k)?.to_owned(), T::read(&v)?));
        }
        Ok(Pairs(out))
    }
}
