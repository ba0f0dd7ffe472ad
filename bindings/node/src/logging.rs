//! The core's log records, on their way to JavaScript: the `log::Log` installed here hands
//! a record to a thread-safe function in non-blocking mode (a full queue drops and counts
//! it), so the push thread never waits for the event loop; the function is unref'd, so it
//! never keeps the process alive. `lib/log.js` routes the records to pushers' events,
//! loggers, or `process.emitWarning`.

use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsFunction, Status};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Records waiting for the event loop; past this they are dropped and counted.
const QUEUE: usize = 1024;

type Handler = ThreadsafeFunction<[String; 3], ErrorStrategy::Fatal>;

static HANDLER: OnceLock<Handler> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);

struct ToEventLoop;

impl log::Log for ToEventLoop {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level() && metadata.target().starts_with("pushmetrics")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Some(handler) = HANDLER.get() else { return };
        let message = record.args().to_string();
        let Some(suppressed) = pushmetrics::log_limit::allow(record.target(), &message) else {
            return;
        };
        let level = match record.level() {
            log::Level::Error => "error",
            log::Level::Warn => "warn",
            log::Level::Info => "info",
            log::Level::Debug | log::Level::Trace => "debug",
        };
        let args = [
            level.to_owned(),
            record.target().to_owned(),
            pushmetrics::log_limit::with_note(&message, suppressed),
        ];
        if handler.call(args, ThreadsafeFunctionCallMode::NonBlocking) != Status::Ok {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn flush(&self) {}
}

static LOGGER: ToEventLoop = ToEventLoop;

/// Sends the core's records to `handler(level, target, message)` on the event loop. False
/// if a handler or another Rust logger is already installed in this process.
#[napi]
pub fn install_log_handler(env: Env, handler: JsFunction) -> napi::Result<bool> {
    if HANDLER.get().is_some() {
        return Ok(false);
    }
    let mut tsfn: Handler = handler
        .create_threadsafe_function(QUEUE, |ctx: ThreadSafeCallContext<[String; 3]>| {
            Ok(ctx.value.to_vec())
        })?;
    tsfn.unref(&env)?;
    if HANDLER.set(tsfn).is_err() || log::set_logger(&LOGGER).is_err() {
        return Ok(false);
    }
    log::set_max_level(log::LevelFilter::Warn);
    Ok(true)
}

/// Forwards records at `level` ("debug", "info", "warn", "error" or "off") and above.
#[napi]
pub fn set_log_level(level: String) -> napi::Result<()> {
    log::set_max_level(match level.as_str() {
        "debug" => log::LevelFilter::Debug,
        "info" => log::LevelFilter::Info,
        "warn" => log::LevelFilter::Warn,
        "error" => log::LevelFilter::Error,
        "off" => log::LevelFilter::Off,
        other => {
            return Err(napi::Error::new(
                Status::InvalidArg,
                format!("log level {other:?} is not one of debug, info, warn, error, off"),
            ))
        }
    });
    Ok(())
}

/// Records dropped because the event loop's queue was full.
#[napi]
pub fn log_records_dropped() -> f64 {
    DROPPED.load(Ordering::Relaxed) as f64
}
