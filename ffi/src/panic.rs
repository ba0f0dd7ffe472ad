//! The panic boundary every exported function goes through: run the body, turn its error
//! into a status plus the thread's last-error message, and stop any panic at the border
//! (unwinding into C is undefined behaviour).

use crate::error::{pm_status, Failure};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body` for an exported function and gives the status to return to C.
///
/// `AssertUnwindSafe` is sound here because the core recovers poisoned locks and holds no
/// invariant that a half-finished call could break: after a panic the same handles keep
/// working.
#[inline(always)]
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> pm_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => pm_status::PM_OK,
        Ok(Err(failure)) => failure.report(),
        Err(payload) => panicked(payload),
    }
}

#[cold]
#[inline(never)]
fn panicked(payload: Box<dyn Any + Send>) -> pm_status {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    // Dropping a payload can itself panic; it must not escape either.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
    Failure::new(
        pm_status::PM_ERR_PANIC,
        format!("internal error (panic): {what}"),
    )
    .report()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn a_panic_becomes_pm_err_panic_with_its_message() {
        let status = guard(|| panic!("boom"));
        assert_eq!(status, pm_status::PM_ERR_PANIC);
        let msg = unsafe { CStr::from_ptr(crate::error::pm_last_error_message()) };
        assert!(msg.to_str().unwrap().contains("boom"));
    }
}
