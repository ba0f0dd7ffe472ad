//! Metrics' `collect` callbacks before every snapshot, the scheduled pushes' included: per
//! registry and JS thread, a snapshot hook asks the event loop (a non-blocking call of an
//! unref'd thread-safe function) to run them and waits for them at most a bounded time, so
//! a busy event loop delays their values, never the push. It never waits on the thread of
//! its own event loop, which could not run them meanwhile. The callbacks set metrics, so
//! they must run before the core reads the families, which is when hooks run (collectors
//! run after); a core collector of the same name then reports how the hook fared, so the
//! core counts and logs a failure as any collector's.

use crate::errors::{self, Result};
use crate::registry::{millis, NativeRegistry};
use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsFunction, Status};
use pushmetrics::Registry;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

type Runner = ThreadsafeFunction<f64, ErrorStrategy::Fatal>;

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// How each collector's hook fared in the snapshot this thread is taking, by collector id.
    static OUTCOMES: RefCell<HashMap<usize, std::result::Result<(), String>>> =
        RefCell::new(HashMap::new());
}

/// Requests to the event loop and their completion, by generation.
#[derive(Default)]
struct Rounds {
    /// The last generation asked for.
    asked: u64,
    /// The last generation the callbacks finished (or gave up on).
    done: u64,
    /// Why the last finished generation failed.
    error: Option<String>,
}

struct Shared {
    rounds: Mutex<Rounds>,
    finished: Condvar,
    /// Snapshots that may skip the request: JS ran the callbacks just before them.
    fresh: AtomicU32,
    /// Set at exit: the event loop will run nothing more.
    stopped: AtomicBool,
    timeout_ns: AtomicU64,
    /// The thread of the event loop that runs the callbacks.
    owner: ThreadId,
}

impl Shared {
    fn timeout(&self) -> Duration {
        Duration::from_nanos(self.timeout_ns.load(Ordering::Relaxed))
    }

    /// What the core collector returns: nothing of its own, only whether the callbacks ran.
    fn run(&self, runner: &Runner) -> std::result::Result<(), String> {
        if self.stopped.load(Ordering::Acquire) {
            return Ok(());
        }
        // Consumed first, also by a snapshot on the event loop's own thread (which never
        // waits), so no token is left over for a later scheduled push.
        if self
            .fresh
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
            || thread::current().id() == self.owner
        {
            return Ok(());
        }
        let timeout = self.timeout();
        let mut rounds = self.rounds.lock().unwrap_or_else(|e| e.into_inner());
        // A request still waiting for the event loop serves this snapshot too: a blocked loop
        // then finds one request, not one per push.
        if rounds.asked == rounds.done {
            rounds.asked += 1;
            match runner.call(rounds.asked as f64, ThreadsafeFunctionCallMode::NonBlocking) {
                Status::Ok => {}
                // The environment is going away: nobody is left to run the callbacks.
                Status::Closing => {
                    rounds.asked -= 1;
                    return Ok(());
                }
                status => {
                    rounds.asked -= 1;
                    return Err(format!(
                        "the event loop did not take the request ({status})"
                    ));
                }
            }
        }
        let target = rounds.asked;
        let deadline = Instant::now() + timeout;
        while rounds.done < target {
            if self.stopped.load(Ordering::Acquire) {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "collect callbacks did not finish within collectTimeoutMs ({} ms); \
                     pushed the values as they were",
                    timeout.as_millis()
                ));
            }
            rounds = self
                .finished
                .wait_timeout(rounds, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        match &rounds.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

/// The collector of one registry for the callbacks of one JS thread.
#[napi]
pub struct NativeCollector {
    shared: Arc<Shared>,
    registry: Registry,
    name: String,
}

#[napi]
impl NativeCollector {
    /// Registers the core collector `name` on `registry`: it calls `run(generation)` on this
    /// thread's event loop, which answers with `done(generation, error)`.
    #[napi(factory)]
    pub fn install(
        mut env: Env,
        registry: &NativeRegistry,
        name: String,
        run: JsFunction,
        timeout_ms: f64,
    ) -> Result<Self> {
        let timeout = millis("collectTimeoutMs", timeout_ms)?;
        let mut runner: Runner = run
            .create_threadsafe_function(4, |ctx: ThreadSafeCallContext<f64>| Ok(vec![ctx.value]))
            .map_err(|e| errors::config(e.reason))?;
        runner.unref(&env).map_err(|e| errors::config(e.reason))?;
        let shared = Arc::new(Shared {
            rounds: Mutex::new(Rounds::default()),
            finished: Condvar::new(),
            fresh: AtomicU32::new(0),
            stopped: AtomicBool::new(false),
            timeout_ns: AtomicU64::new(timeout.as_nanos() as u64),
            owner: thread::current().id(),
        });
        let inner = registry.inner.clone();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        errors::core(inner.register_collector(&name, move || {
            let outcome = OUTCOMES.with(|o| o.borrow_mut().remove(&id));
            outcome.unwrap_or(Ok(())).map(|()| Vec::new())
        }))?;
        let s = shared.clone();
        // Hooks cannot be removed: once stopped (its worker gone), this one does nothing.
        inner.on_snapshot(move || {
            if s.stopped.load(Ordering::Acquire) {
                return;
            }
            let outcome = s.run(&runner);
            // What the callbacks added into cells reaches the core before it reads them.
            crate::cells::drain();
            OUTCOMES.with(|o| o.borrow_mut().insert(id, outcome));
        });
        // A worker that ends takes its callbacks with it.
        let (r, n, s) = (inner.clone(), name.clone(), shared.clone());
        env.add_env_cleanup_hook((), move |()| {
            s.stopped.store(true, Ordering::Release);
            s.finished.notify_all();
            r.unregister_collector(&n);
        })
        .map_err(|e| errors::config(e.reason))?;
        Ok(NativeCollector {
            shared,
            registry: inner,
            name,
        })
    }

    /// The callbacks of `generation` finished; `error` says why they failed, if they did.
    #[napi]
    pub fn done(&self, generation: f64, error: Option<String>) {
        let mut rounds = self.shared.rounds.lock().unwrap_or_else(|e| e.into_inner());
        let g = generation as u64;
        if g > rounds.done {
            rounds.done = g;
            rounds.error = error;
        }
        self.shared.finished.notify_all();
    }

    /// The next snapshot takes the values as they are: JS has just run the callbacks.
    #[napi]
    pub fn fresh(&self) {
        self.shared.fresh.fetch_add(1, Ordering::AcqRel);
    }

    /// At most this long a snapshot waits for the callbacks.
    #[napi]
    pub fn set_timeout_ms(&self, timeout_ms: f64) -> Result<()> {
        let t = millis("collectTimeoutMs", timeout_ms)?;
        self.shared
            .timeout_ns
            .store(t.as_nanos() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Snapshots stop asking the event loop (the process is exiting).
    #[napi]
    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::Release);
        self.shared.finished.notify_all();
    }

    /// Removes the core collector.
    #[napi]
    pub fn uninstall(&self) -> bool {
        self.stop();
        self.registry.unregister_collector(&self.name)
    }
}
