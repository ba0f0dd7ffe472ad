//! One request with its retries: the client, the backoff, the attempt limit and the retry
//! budget of one receiver, shared by every target. Which failures are worth retrying is
//! the HTTP layer's verdict, refined by the target for the server errors it knows to be
//! permanent.

use crate::config::PusherBuilder;
use crate::error::Result;
use crate::stats::Stats;
use crate::transport::budget::RetryBudget;
use crate::transport::http::{Http, HttpConfig, Outcome};
use crate::transport::retry::{Backoff, Rng};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Why a request failed, after its retries.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) message: String,
    /// The server's `Retry-After`, when it sent one.
    pub(crate) retry_after: Option<Duration>,
    /// False when the receiver refused the request for good (a 4xx, or a server error the
    /// target knows no retry fixes): sending it again would get the same answer.
    pub(crate) retryable: bool,
}

/// A request's client and retry policy.
pub(crate) struct Delivery {
    http: Http,
    backoff: Backoff,
    max_attempts: u32,
    /// Shared by every lane of one receiver: the budget bounds the receiver's retries.
    budget: Arc<Mutex<RetryBudget>>,
    rng: Rng,
    /// Server errors that name a fault of the request itself (matched in the message).
    permanent_5xx: &'static [&'static str],
}

impl Delivery {
    /// The retry budget of `cfg`, to share between the deliveries of one receiver.
    pub(crate) fn shared_budget(cfg: &PusherBuilder) -> Result<Arc<Mutex<RetryBudget>>> {
        Ok(Arc::new(Mutex::new(RetryBudget::with_ratio(
            cfg.retry_budget,
        )?)))
    }

    /// The policy of `cfg`, with its HTTP options replaced by `http` (which may carry extra
    /// headers).
    pub(crate) fn new(
        cfg: &PusherBuilder,
        http: &HttpConfig,
        budget: Arc<Mutex<RetryBudget>>,
        permanent_5xx: &'static [&'static str],
    ) -> Result<Delivery> {
        Ok(Delivery {
            http: Http::new(http)?,
            backoff: Backoff::new(cfg.backoff_base, cfg.backoff_max),
            max_attempts: cfg.max_attempts,
            budget,
            rng: Rng::new(),
            permanent_5xx,
        })
    }

    fn spend(&self) -> std::sync::MutexGuard<'_, RetryBudget> {
        self.budget.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A jittered backoff before retry round `round` (0 = the first), for callers that
    /// keep a request after [`Delivery::send`] gave up on it.
    pub(crate) fn backoff(&mut self, round: u32) -> Duration {
        let rng = &mut self.rng;
        self.backoff.delay(round, &mut || rng.next_f64())
    }

    /// One request with retries: only retryable failures, with backoff and full jitter (or
    /// the server's `Retry-After` if longer), while attempts, budget and deadline allow.
    /// `wait` sleeps between attempts and returns false to give up early.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send(
        &mut self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        encoding: Option<&str>,
        body: &[u8],
        deadline: Instant,
        wait: &mut dyn FnMut(Duration) -> bool,
        stats: &mut Stats,
    ) -> std::result::Result<(), Failure> {
        self.spend().on_request(Instant::now());
        let mut attempt = 0u32;
        loop {
            let now = Instant::now();
            let remaining = deadline.saturating_duration_since(now);
            stats.requests += 1;
            if attempt > 0 {
                stats.retries += 1;
            }
            let outcome = self
                .http
                .send(method, url, content_type, encoding, body, remaining);
            let (reason, retry_after) = match outcome {
                Outcome::Success { .. } => {
                    stats.bytes_sent += body.len() as u64;
                    return Ok(());
                }
                Outcome::Permanent { message, .. } => {
                    return Err(Failure {
                        message,
                        retry_after: None,
                        retryable: false,
                    })
                }
                Outcome::Retryable { reason, .. }
                    if self.permanent_5xx.iter().any(|m| reason.contains(m)) =>
                {
                    return Err(Failure {
                        message: reason,
                        retry_after: None,
                        retryable: false,
                    })
                }
                Outcome::Retryable {
                    reason,
                    retry_after,
                } => (reason, retry_after),
            };
            attempt += 1;
            let fail = |why: &str| Failure {
                message: format!("{reason} ({why})"),
                retry_after,
                retryable: true,
            };
            if attempt >= self.max_attempts {
                return Err(fail(&format!("gave up after {attempt} attempts")));
            }
            let delay = self
                .backoff(attempt - 1)
                .max(retry_after.unwrap_or_default());
            if Instant::now() + delay >= deadline {
                return Err(fail("no time left to retry before the flush deadline"));
            }
            if !self.spend().try_retry(Instant::now()) {
                stats.retries_denied += 1;
                return Err(fail("retry budget spent"));
            }
            if !wait(delay) {
                return Err(fail("interrupted by a command"));
            }
        }
    }
}
