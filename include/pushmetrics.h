/*
 * pushmetrics: counters, gauges, histograms and summaries pushed from a background thread
 * to a Prometheus Pushgateway or to Prometheus remote-write receivers. The C ABI.
 *
 * Generated from ffi/src by cbindgen: do not edit by hand.
 *
 * Conventions:
 *  - Every fallible function returns a pm_status (PM_OK is 0) and writes its results
 *    through out-parameters; pm_last_error_message() explains a failure on the same thread.
 *    Every such function is declared PM_MUST_USE: GCC and Clang warn when a caller ignores
 *    the status (define PM_MUST_USE as empty before including this header to turn it off).
 *  - NULL or non-UTF-8 arguments give PM_ERR_INVALID_ARGUMENT with a message naming the
 *    argument. No panic crosses this boundary: an internal bug gives PM_ERR_PANIC.
 *  - Lengths are checked before the memory behind them is touched: more than PM_MAX_LABELS
 *    labels, PM_MAX_BUCKETS buckets or PM_MAX_QUANTILES quantiles, or a buffer capacity
 *    above PTRDIFF_MAX, is PM_ERR_INVALID_ARGUMENT with a message naming the value.
 *  - Handles are opaque. Whatever a pm_*_new, pm_*_with or pm_pusher_start call hands out
 *    is released with the matching pm_*_free (NULL is accepted there). Each handle carries
 *    a tag checked at every call: a handle of another type, or one already freed, gives
 *    PM_ERR_INVALID_ARGUMENT instead of undefined behaviour, and a second free of a handle
 *    does nothing. A freed handle is recognised reliably while it is among the last 1024
 *    handles freed in the process; after that its memory is reused and using it is
 *    undefined behaviour, as in any C library.
 *  - Durations are milliseconds (parameters and fields ending in _ms).
 *  - Every handle is thread-safe unless its comment says otherwise; option objects are
 *    not, and no handle may be freed while another thread uses it.
 */

#ifndef PUSHMETRICS_H
#define PUSHMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks the functions whose pm_status must not be ignored. */
#ifndef PM_MUST_USE
#if defined(__GNUC__) || defined(__clang__)
#define PM_MUST_USE __attribute__((warn_unused_result))
#else
#define PM_MUST_USE
#endif
#endif

/**
 * The version of the C ABI this header describes. It changes only when a function or type
 * changes incompatibly; compare it with `pm_abi_version()` to detect a mismatched library.
 */
#define PM_ABI_VERSION 1

/**
 * Most label names, label values or (name, value) pairs one call takes: a metric has at
 * most this many labels, declared and constant together. A larger count is refused with
 * PM_ERR_INVALID_ARGUMENT before the array is read.
 */
#define PM_MAX_LABELS 64

/**
 * Most bucket bounds of a histogram (`pm_metric_options_set_buckets`) and most bounds
 * `pm_linear_buckets` and `pm_exponential_buckets` write. A larger count is refused with
 * PM_ERR_INVALID_ARGUMENT before anything is read, written or allocated.
 */
#define PM_MAX_BUCKETS 4096

/**
 * Most quantiles of a summary (`pm_metric_options_set_quantiles`). A larger count is
 * refused with PM_ERR_INVALID_ARGUMENT before the array is read.
 */
#define PM_MAX_QUANTILES 256

/**
 * The result of every fallible function. `PM_OK` is 0; every other value is an error whose
 * explanation `pm_last_error_message()` returns on the same thread.
 */
typedef enum {
    /**
     * Success.
     */
    PM_OK = 0,
    /**
     * An argument is NULL, not valid UTF-8, or otherwise unusable (the message names it): a
     * handle of another type or one already freed, or a length above its cap
     * (PM_MAX_LABELS, PM_MAX_BUCKETS, PM_MAX_QUANTILES).
     */
    PM_ERR_INVALID_ARGUMENT = 1,
    /**
     * A metric or label name is malformed, reserved or given twice.
     */
    PM_ERR_INVALID_NAME = 2,
    /**
     * The label values do not fit the metric: wrong count or an unknown label name.
     */
    PM_ERR_INVALID_LABELS = 3,
    /**
     * A value cannot be recorded (negative counter increment, NaN observation).
     */
    PM_ERR_INVALID_VALUE = 4,
    /**
     * An option is out of range (buckets not increasing, interval of 0, bad URL, ...).
     */
    PM_ERR_INVALID_CONFIG = 5,
    /**
     * The metric name is already registered with another type, help, labels or options.
     */
    PM_ERR_CONFLICT = 6,
    /**
     * A push failed for good (a 4xx answer, or the last retry of a retryable failure).
     */
    PM_ERR_PUSH = 7,
    /**
     * A flush or shutdown did not finish within its timeout.
     */
    PM_ERR_TIMEOUT = 8,
    /**
     * The pusher has been shut down.
     */
    PM_ERR_SHUT_DOWN = 9,
    /**
     * An I/O failure outside of pushing (reading a CA file, starting a thread, listening
     * on an address that is in use, ...).
     */
    PM_ERR_IO = 10,
    /**
     * The caller's buffer is too small; the size needed was written to the size out-parameter.
     */
    PM_ERR_BUFFER_TOO_SMALL = 11,
    /**
     * The named thing does not exist (a metric name given to a lookup).
     */
    PM_ERR_NOT_FOUND = 12,
    /**
     * The library panicked; the operation did not complete. Please report it as a bug.
     */
    PM_ERR_PANIC = 13,
    /**
     * An error of a kind this version of the C ABI does not know.
     */
    PM_ERR_OTHER = 14,
} pm_status;

/**
 * Severity of a log record.
 */
typedef enum {
    /**
     * Something failed (a push that failed for good, a pusher that could not restart).
     */
    PM_LOG_ERROR = 1,
    /**
     * Something to look at (a retry, an open breaker, an oversized family).
     */
    PM_LOG_WARN = 2,
    /**
     * Normal operation worth knowing (start, shutdown).
     */
    PM_LOG_INFO = 3,
    /**
     * Details for debugging.
     */
    PM_LOG_DEBUG = 4,
    /**
     * Everything, including the HTTP client's records.
     */
    PM_LOG_TRACE = 5,
} pm_log_level;

/**
 * State of a pusher's circuit breaker.
 */
typedef enum {
    /**
     * Pushing normally.
     */
    PM_BREAKER_CLOSED = 0,
    /**
     * Not pushing until the open period ends.
     */
    PM_BREAKER_OPEN = 1,
    /**
     * One probe push is allowed; its outcome closes or re-opens the breaker.
     */
    PM_BREAKER_HALF_OPEN = 2,
} pm_breaker_state;

/**
 * The families a `pm_collect_fn` reports, filled with `pm_collection_add_counter` and
 * `pm_collection_add_gauge`. Valid only during the call of the callback it is given to,
 * and only on that thread.
 */
typedef struct pm_collection pm_collection;

/**
 * One counter series: a value that only goes up. From `pm_counter_new` (a counter without
 * labels) or `pm_counter_vec_with` (one label set); release with `pm_counter_free`.
 * Thread-safe: any number of threads may record through the same handle; each call is one
 * atomic operation. A handle stays valid after its registry is freed.
 */
typedef struct pm_counter pm_counter;

/**
 * A counter with labels, from `pm_counter_vec_new`; release with `pm_counter_vec_free`.
 * Thread-safe.
 */
typedef struct pm_counter_vec pm_counter_vec;

/**
 * One gauge series: a value that goes up and down. From `pm_gauge_new` or
 * `pm_gauge_vec_with`; release with `pm_gauge_free`. Thread-safe; a handle stays valid
 * after its registry is freed.
 */
typedef struct pm_gauge pm_gauge;

/**
 * A gauge with labels, from `pm_gauge_vec_new`; release with `pm_gauge_vec_free`.
 * Thread-safe.
 */
typedef struct pm_gauge_vec pm_gauge_vec;

/**
 * One histogram series: observations counted in buckets, with their sum. From
 * `pm_histogram_new` or `pm_histogram_vec_with`; release with `pm_histogram_free`.
 * Thread-safe; a handle stays valid after its registry is freed.
 */
typedef struct pm_histogram pm_histogram;

/**
 * A histogram with labels, from `pm_histogram_vec_new`; release with
 * `pm_histogram_vec_free`. Thread-safe.
 */
typedef struct pm_histogram_vec pm_histogram_vec;

/**
 * A running HTTP server of one registry, from `pm_http_server_start`. Stop it with
 * `pm_http_server_stop` and release it with `pm_http_server_free`. Thread-safe.
 */
typedef struct pm_http_server pm_http_server;

/**
 * Options of one metric, for `pm_counter_new`, `pm_histogram_vec_new` and the others.
 * Create with `pm_metric_options_new`, fill with the `pm_metric_options_set_*` and
 * `pm_metric_options_add_*` functions, release with `pm_metric_options_free`. One options
 * object may define any number of metrics; it is not consumed. Not thread-safe: do not
 * change one options object from two threads at once.
 *
 * Options apply to the metric types that have them: buckets to histograms; quantiles,
 * max age and age buckets to summaries; sampling to all but gauges. A metric constructor
 * given an option its type lacks returns PM_ERR_INVALID_ARGUMENT.
 */
typedef struct pm_metric_options pm_metric_options;

/**
 * A background thread that pushes one registry to a Pushgateway or to remote-write
 * receivers. From `pm_pusher_start`; stop with `pm_pusher_shutdown` and release with
 * `pm_pusher_free`. Thread-safe: any thread may flush, read stats or shut down,
 * concurrently with recording threads. After a fork() the child gets a pusher of its own
 * (see `pm_pusher_start`).
 */
typedef struct pm_pusher pm_pusher;

/**
 * Every option of a pusher. Create with `pm_pusher_config_new`, fill with the
 * `pm_pusher_config_set_*` / `_add_*` functions, pass to `pm_pusher_start` (or
 * `pm_pusher_config_push_once`), release with `pm_pusher_config_free`. The config is not
 * consumed: free it whenever you like, even while its pushers run. Setters only record
 * the value; everything is checked when a pusher starts (PM_ERR_INVALID_CONFIG naming the
 * option). `PUSHMETRICS_*` environment variables override the code unless
 * `pm_pusher_config_ignore_env` was called. Not thread-safe: do not change one config from
 * two threads at once.
 */
typedef struct pm_pusher_config pm_pusher_config;

/**
 * A set of metric families. Create with `pm_registry_new` or `pm_registry_default`,
 * release with `pm_registry_free`. Thread-safe: any number of threads may define metrics
 * in, encode or reset the same registry at once.
 */
typedef struct pm_registry pm_registry;

/**
 * Options of a new registry (the cardinality limits). Create with
 * `pm_registry_options_new`, change with the `pm_registry_options_set_*` functions, pass to
 * `pm_registry_new`, release with `pm_registry_options_free`. Not thread-safe: do not
 * change one options object from two threads at once.
 */
typedef struct pm_registry_options pm_registry_options;

/**
 * One summary series: quantiles over a sliding window plus an all-time sum and count.
 * From `pm_summary_new` or `pm_summary_vec_with`; release with `pm_summary_free`.
 * Thread-safe; a handle stays valid after its registry is freed.
 */
typedef struct pm_summary pm_summary;

/**
 * A summary with labels, from `pm_summary_vec_new`; release with `pm_summary_vec_free`.
 * Thread-safe.
 */
typedef struct pm_summary_vec pm_summary_vec;

/**
 * Computes a gauge's value from the `user_data` given with it.
 */
typedef double (*pm_gauge_fn)(void *user_data);

/**
 * Releases the `user_data` of a callback once the library no longer calls it.
 */
typedef void (*pm_free_fn)(void *user_data);

/**
 * Computes families at collection time: adds series to `collection` with
 * `pm_collection_add_counter` / `pm_collection_add_gauge` and returns PM_OK (0). Any other
 * value counts as a failure of the collector (and what it added is left out).
 */
typedef int (*pm_collect_fn)(pm_collection *collection, void *user_data);

/**
 * Limits of an HTTP server, for `pm_http_server_start`. Set `size` to
 * `sizeof(pm_http_server_options)`; a field left 0 takes its default.
 */
typedef struct {
    /**
     * Set by the caller to sizeof(pm_http_server_options).
     */
    size_t size;
    /**
     * Connections served at once, one thread each (default 4, at most 1024). More wait in
     * the listen backlog until a thread is free.
     */
    uint32_t max_connections;
    /**
     * Milliseconds a client has to send its whole request head (default 5000); a client
     * that has not is disconnected with 408.
     */
    uint64_t read_timeout_ms;
    /**
     * Milliseconds each write of an answer may wait for the client to read (default 10000).
     */
    uint64_t write_timeout_ms;
} pm_http_server_options;

/**
 * Receives one log record: its level, its target (the emitting module, e.g.
 * "pushmetrics"), the message, and the `user_data` given to `pm_set_log_callback`. The
 * strings are valid only during the call. Called from any thread, the push thread
 * included, so it must be thread-safe. It is called with no lock of the library held: it
 * may call any pm_* function, `pm_set_log_callback` included. Records the library emits
 * on a thread while that thread is inside the callback are not forwarded (a callback that
 * makes a failing push cannot recurse without end). Repeats are limited: one message of a
 * kind (messages that differ only in their numbers are of one kind) per 10 seconds, the
 * next one let through ending with "(N similar messages suppressed)"; installing a
 * callback starts the count again.
 */
typedef void (*pm_log_callback)(pm_log_level level,
                                const char *target,
                                const char *message,
                                void *user_data);

/**
 * What one flush delivered, filled by `pm_pusher_flush` and `pm_pusher_config_push_once`.
 * Set `size` to `sizeof(pm_flush_report)` before the call.
 */
typedef struct {
    /**
     * Set by the caller to sizeof(pm_flush_report); set by the library to the bytes written.
     */
    size_t size;
    /**
     * HTTP requests sent, retries included.
     */
    uint32_t requests;
    /**
     * Body bytes sent (after compression).
     */
    uint64_t bytes;
    /**
     * Series in the pushed snapshot (self-metrics included).
     */
    uint64_t series;
    /**
     * Wall time of the flush in milliseconds.
     */
    double duration_ms;
} pm_flush_report;

/**
 * A pusher's health, filled by `pm_pusher_stats`. Set `size` to `sizeof(pm_stats)` before
 * the call; the library writes the fields that fit and sets `size` to the bytes it
 * wrote, so a program built against an older, shorter `pm_stats` keeps working. The last
 * error text comes from `pm_pusher_last_error`; each remote-write receiver's numbers from
 * `pm_pusher_receiver_stats`.
 */
typedef struct {
    /**
     * Set by the caller to sizeof(pm_stats); set by the library to the bytes written.
     */
    size_t size;
    /**
     * Flushes that delivered everything.
     */
    uint64_t pushes_ok;
    /**
     * Flushes that failed (after their retries).
     */
    uint64_t pushes_failed;
    /**
     * HTTP requests sent, retries included.
     */
    uint64_t requests;
    /**
     * Requests that were retries.
     */
    uint64_t retries;
    /**
     * Retries not made because the retry budget was spent.
     */
    uint64_t retries_denied;
    /**
     * Scheduled flushes skipped because the circuit breaker was open.
     */
    uint64_t flushes_skipped;
    /**
     * Unix time of the last successful flush in milliseconds, or -1 if none yet.
     */
    int64_t last_success_unix_ms;
    /**
     * Failed flushes since the last success.
     */
    uint32_t consecutive_failures;
    /**
     * State of the circuit breaker.
     */
    pm_breaker_state breaker;
    /**
     * Live series in the registry.
     */
    uint64_t series;
    /**
     * Calls folded into overflow series, all metrics together.
     */
    uint64_t overflowed;
    /**
     * Series evicted for idleness, all metrics together.
     */
    uint64_t evicted;
    /**
     * Calls skipped by sampling, all metrics together.
     */
    uint64_t sampled_out;
    /**
     * Commands waiting for the push thread.
     */
    uint64_t queue_length;
    /**
     * Request body bytes sent (after compression).
     */
    uint64_t bytes_sent;
    /**
     * Duration of the last flush in milliseconds, or -1 if none yet.
     */
    double last_push_duration_ms;
    /**
     * Whether a flush has failed (its message: `pm_pusher_last_error`).
     */
    bool has_last_error;
    /**
     * Remote write: samples the receivers accepted, all receivers together.
     */
    uint64_t samples_sent;
    /**
     * Remote write: samples dropped unsent because a receiver's pending queue was full
     * (`pm_pusher_config_set_max_pending_samples`).
     */
    uint64_t samples_dropped;
    /**
     * Remote write: samples a receiver refused for good (a 4xx, or a 5xx no retry can fix).
     */
    uint64_t samples_rejected;
    /**
     * Remote write: samples waiting to be sent, all receivers together.
     */
    uint64_t samples_pending;
    /**
     * Remote write: the number of receivers, each described by `pm_pusher_receiver_stats`
     * with an index below this count (0 for a Pushgateway).
     */
    size_t receivers;
} pm_stats;

/**
 * One remote-write receiver's health, filled by `pm_pusher_receiver_stats`. Set `size` to
 * `sizeof(pm_receiver_stats)` before the call; the library writes the fields that fit and
 * sets `size` to the bytes it wrote. Its URL and last error text come from
 * `pm_pusher_receiver_url` and `pm_pusher_receiver_last_error`.
 */
typedef struct {
    /**
     * Set by the caller to sizeof(pm_receiver_stats); set by the library to the bytes
     * written.
     */
    size_t size;
    /**
     * HTTP requests sent, retries included.
     */
    uint64_t requests;
    /**
     * Requests that were retries.
     */
    uint64_t retries;
    /**
     * Retries not made because the retry budget was spent.
     */
    uint64_t retries_denied;
    /**
     * Samples the receiver accepted.
     */
    uint64_t samples_sent;
    /**
     * Samples dropped unsent because the pending queue was full.
     */
    uint64_t samples_dropped;
    /**
     * Samples the receiver refused for good.
     */
    uint64_t samples_rejected;
    /**
     * Samples waiting to be sent.
     */
    uint64_t samples_pending;
    /**
     * Request body bytes sent (snappy-compressed).
     */
    uint64_t bytes_sent;
    /**
     * Unix time of the last successful request in milliseconds, or -1 if none yet.
     */
    int64_t last_success_unix_ms;
    /**
     * Failed sends since the last success.
     */
    uint32_t consecutive_failures;
    /**
     * State of this receiver's circuit breaker.
     */
    pm_breaker_state breaker;
    /**
     * Whether a send has failed or been rejected (its message:
     * `pm_pusher_receiver_last_error`).
     */
    bool has_last_error;
} pm_receiver_stats;

/**
 * What the cardinality guard and the sampler did to one metric, filled by
 * `pm_registry_guard_counts`. Set `size` to `sizeof(pm_guard_counts)` before the call.
 */
typedef struct {
    /**
     * Set by the caller to sizeof(pm_guard_counts); set by the library to the bytes written.
     */
    size_t size;
    /**
     * Live series (the overflow series not included).
     */
    uint64_t series;
    /**
     * Calls whose new label set was folded into the overflow series.
     */
    uint64_t overflowed;
    /**
     * Series created with a truncated label value.
     */
    uint64_t truncated;
    /**
     * Series removed for being idle longer than the series TTL.
     */
    uint64_t evicted;
    /**
     * Calls seen by the sampler (0 without sampling).
     */
    uint64_t sampled_seen;
    /**
     * Calls the sampler kept (0 without sampling).
     */
    uint64_t sampled_kept;
} pm_guard_counts;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library version, e.g. "0.1.0". A static string; do not free it.
 */
const char *pm_version(void);

/**
 * The C ABI version of the linked library; equals PM_ABI_VERSION when the header and the
 * library match.
 */
uint32_t pm_abi_version(void);

/**
 * Defines a gauge without labels named `name` whose value `func(user_data)` returns at
 * every collection (each push, textfile write and scrape of the registry), on the thread
 * doing it: the push thread, an HTTP server thread, or the caller of
 * `pm_registry_encode_text`. It may be called from several threads at once and must not
 * call into this library for the same registry. The name must be valid and free (no
 * metric or collector of the registry has it): PM_ERR_INVALID_NAME, PM_ERR_CONFLICT.
 *
 * `free_user_data` (may be NULL) is called with `user_data` once the gauge is removed with
 * `pm_registry_unregister_collector` and no collection is using it any more. When the call
 * fails, `user_data` stays the caller's and `free_user_data` is not called. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_gauge_func(const pm_registry *registry,
                                 const char *name,
                                 const char *help,
                                 pm_gauge_fn func,
                                 void *user_data,
                                 pm_free_fn free_user_data);

/**
 * Removes the collector `name` (a `pm_registry_gauge_func` gauge, or the "process"
 * collector); `*existed` (may be NULL) tells whether it was there. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_unregister_collector(const pm_registry *registry,
                                           const char *name,
                                           bool *existed);

/**
 * Adds the process metrics to the registry, as client_golang and prometheus_client name
 * them: process_cpu_seconds_total, process_open_fds, process_max_fds,
 * process_virtual_memory_bytes, process_resident_memory_bytes and
 * process_start_time_seconds, read from /proc/self at every collection (Linux only;
 * elsewhere they are absent). The default registry (`pm_registry_default`) has them from
 * the start. A collector named "process"; PM_ERR_CONFLICT if the registry has it already.
 * Thread-safe.
 */
PM_MUST_USE pm_status pm_registry_register_process_collector(const pm_registry *registry);

/**
 * `pm_registry_register_process_collector` with `prefix` (may be NULL or "") before every
 * name and label `names[i]` with value `values[i]` (`i < n`, at most PM_MAX_LABELS) on
 * every family, as prom-client's `collectDefaultMetrics({ prefix, labels })`. A collector
 * named "process"; PM_ERR_CONFLICT if the registry has it already; PM_ERR_INVALID_NAME
 * when the prefixed names are not valid metric names or for an invalid or repeated label
 * name, `le` or `quantile`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_register_process_collector_with(const pm_registry *registry,
                                                      const char *prefix,
                                                      const char *const *names,
                                                      const char *const *values,
                                                      size_t n);

/**
 * Adds a collector named `name`: `func(collection, user_data)` is called at every
 * collection (each push, textfile write and scrape), on the thread doing it, possibly from
 * several threads at once, and reports the families it adds to `collection`. It must not
 * call into this library for the same registry except through `collection`. A callback
 * that returns another status than PM_OK, or adds a family whose name is taken, is logged
 * and counted in `pushmetrics_collector_failures_total{collector="<name>"}`; the rest of
 * the registry still goes out. PM_ERR_CONFLICT if the registry has a collector `name`.
 *
 * `free_user_data` (may be NULL) is called with `user_data` once the collector is removed
 * with `pm_registry_unregister_collector` (or the registry freed) and no collection is
 * using it. When the call fails, `user_data` stays the caller's. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_register_collector(const pm_registry *registry,
                                         const char *name,
                                         pm_collect_fn func,
                                         void *user_data,
                                         pm_free_fn free_user_data);

/**
 * Adds the counter series `name{labelnames[i]=labelvalues[i]...} value` to the collection
 * (`n` labels; the arrays may be NULL when `n` is 0). Series of one family must agree on
 * help and label names (PM_ERR_CONFLICT); a label set given twice, a negative or NaN
 * value, an invalid name are refused. Name the family as it is sent (`jobs_total`).
 */
PM_MUST_USE
pm_status pm_collection_add_counter(pm_collection *collection,
                                    const char *name,
                                    const char *help,
                                    const char *const *labelnames,
                                    const char *const *labelvalues,
                                    size_t n,
                                    double value);

/**
 * Adds the gauge series `name{labelnames[i]=labelvalues[i]...} value` to the collection,
 * as `pm_collection_add_counter` does for counters.
 */
PM_MUST_USE
pm_status pm_collection_add_gauge(pm_collection *collection,
                                  const char *name,
                                  const char *help,
                                  const char *const *labelnames,
                                  const char *const *labelvalues,
                                  size_t n,
                                  double value);

/**
 * Defines a counter without labels in `registry` (or returns the existing identical one)
 * and gives its series handle in `*out`, to release with `pm_counter_free`. `options` may
 * be NULL. The name must match [a-zA-Z_:][a-zA-Z0-9_:]* (PM_ERR_INVALID_NAME); the same
 * name with another type, help or options is PM_ERR_CONFLICT. Thread-safe.
 */
PM_MUST_USE
pm_status pm_counter_new(const pm_registry *registry,
                         const char *name,
                         const char *help,
                         const pm_metric_options *options,
                         pm_counter **out);

/**
 * Defines a counter with the `n` label names at `labelnames` (or returns the existing
 * identical one) and gives it in `*out`, to release with `pm_counter_vec_free`. Label
 * names must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__". `options` may be NULL.
 * Thread-safe.
 */
PM_MUST_USE
pm_status pm_counter_vec_new(const pm_registry *registry,
                             const char *name,
                             const char *help,
                             const char *const *labelnames,
                             size_t n,
                             const pm_metric_options *options,
                             pm_counter_vec **out);

/**
 * Adds `v` (finite, >= 0; otherwise PM_ERR_INVALID_VALUE) to the counter series. The hot
 * path: one atomic operation, no allocation, no lock. Thread-safe.
 */
PM_MUST_USE pm_status pm_counter_inc(const pm_counter *counter, double v);

/**
 * The current value of the counter series (the estimate, when the metric samples).
 */
PM_MUST_USE pm_status pm_counter_get(const pm_counter *counter, double *out);

/**
 * Releases a counter series handle; the series keeps its value and stays reported. NULL is
 * ignored. Must not be called while another thread uses the same handle.
 */
void pm_counter_free(pm_counter *counter);

/**
 * The series of `vec` for the `n` label values at `values`, in the order of the label
 * names (any UTF-8), as a handle in `*out` to release with `pm_counter_free`. Resolve
 * once, then record through the handle. PM_ERR_INVALID_LABELS if `n` differs from the
 * number of label names. Thread-safe.
 */
PM_MUST_USE
pm_status pm_counter_vec_with(const pm_counter_vec *vec,
                              const char *const *values,
                              size_t n,
                              pm_counter **out);

/**
 * Like `pm_counter_vec_with`, with `n` label names and `n` values as pairs in any order.
 */
PM_MUST_USE
pm_status pm_counter_vec_with_labels(const pm_counter_vec *vec,
                                     const char *const *names,
                                     const char *const *values,
                                     size_t n,
                                     pm_counter **out);

/**
 * Adds `v` to the series for the `n` label values at `values` without keeping a handle (a
 * lookup per call; hold a `pm_counter` from `pm_counter_vec_with` on hot paths).
 * Thread-safe.
 */
PM_MUST_USE
pm_status pm_counter_vec_inc(const pm_counter_vec *vec,
                             const char *const *values,
                             size_t n,
                             double v);

/**
 * Releases a labelled counter handle; its series stay reported and their handles valid.
 * NULL is ignored.
 */
void pm_counter_vec_free(pm_counter_vec *vec);

/**
 * The message of the last failed call on this thread: what went wrong, naming the
 * offending argument or value. An empty string if no call has failed on this thread.
 *
 * The pointer is owned by the library and stays valid until the next failing call on the
 * same thread (successful calls leave it unchanged). Never NULL. Thread-safe: each thread
 * has its own message.
 */
const char *pm_last_error_message(void);

/**
 * The name of a status code as a static string ("PM_OK", "PM_ERR_TIMEOUT", ...), or
 * "PM_ERR_UNKNOWN" for a value that is not a status. Never NULL; do not free it.
 */
const char *pm_status_name(int status);

/**
 * Defines a gauge without labels (or returns the existing identical one) and gives its
 * series handle in `*out`, to release with `pm_gauge_free`. `options` may be NULL; gauges
 * cannot be sampled (PM_ERR_INVALID_CONFIG). Thread-safe.
 */
PM_MUST_USE
pm_status pm_gauge_new(const pm_registry *registry,
                       const char *name,
                       const char *help,
                       const pm_metric_options *options,
                       pm_gauge **out);

/**
 * Defines a gauge with the `n` label names at `labelnames` (or returns the existing
 * identical one) and gives it in `*out`, to release with `pm_gauge_vec_free`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_gauge_vec_new(const pm_registry *registry,
                           const char *name,
                           const char *help,
                           const char *const *labelnames,
                           size_t n,
                           const pm_metric_options *options,
                           pm_gauge_vec **out);

/**
 * Sets the gauge series to `v`. Thread-safe.
 */
PM_MUST_USE pm_status pm_gauge_set(const pm_gauge *gauge, double v);

/**
 * Adds `v` (which may be negative) to the gauge series. Thread-safe.
 */
PM_MUST_USE pm_status pm_gauge_add(const pm_gauge *gauge, double v);

/**
 * Subtracts `v` from the gauge series. Thread-safe.
 */
PM_MUST_USE pm_status pm_gauge_sub(const pm_gauge *gauge, double v);

/**
 * Adds one to the gauge series. Thread-safe.
 */
PM_MUST_USE pm_status pm_gauge_inc(const pm_gauge *gauge);

/**
 * Subtracts one from the gauge series. Thread-safe.
 */
PM_MUST_USE pm_status pm_gauge_dec(const pm_gauge *gauge);

/**
 * Sets the gauge series to the current Unix time in seconds. Thread-safe.
 */
PM_MUST_USE pm_status pm_gauge_set_to_current_time(const pm_gauge *gauge);

/**
 * The current value of the gauge series.
 */
PM_MUST_USE pm_status pm_gauge_get(const pm_gauge *gauge, double *out);

/**
 * Releases a gauge series handle; the series keeps its value. NULL is ignored. Must not be
 * called while another thread uses the same handle.
 */
void pm_gauge_free(pm_gauge *gauge);

/**
 * The series of `vec` for the `n` label values at `values`, in the order of the label
 * names, as a handle in `*out` to release with `pm_gauge_free`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_gauge_vec_with(const pm_gauge_vec *vec,
                            const char *const *values,
                            size_t n,
                            pm_gauge **out);

/**
 * Like `pm_gauge_vec_with`, with `n` label names and `n` values as pairs in any order.
 */
PM_MUST_USE
pm_status pm_gauge_vec_with_labels(const pm_gauge_vec *vec,
                                   const char *const *names,
                                   const char *const *values,
                                   size_t n,
                                   pm_gauge **out);

/**
 * Sets the series for the `n` label values at `values` to `v`, without keeping a handle.
 * Thread-safe.
 */
PM_MUST_USE
pm_status pm_gauge_vec_set(const pm_gauge_vec *vec,
                           const char *const *values,
                           size_t n,
                           double v);

/**
 * Adds `v` (which may be negative) to the series for the `n` label values at `values`,
 * without keeping a handle. Thread-safe.
 */
PM_MUST_USE
pm_status pm_gauge_vec_add(const pm_gauge_vec *vec,
                           const char *const *values,
                           size_t n,
                           double v);

/**
 * Releases a labelled gauge handle. NULL is ignored.
 */
void pm_gauge_vec_free(pm_gauge_vec *vec);

/**
 * Defines a histogram without labels (or returns the existing identical one) and gives its
 * series handle in `*out`, to release with `pm_histogram_free`. Buckets come from
 * `pm_metric_options_set_buckets` (see `pm_linear_buckets`, `pm_exponential_buckets`);
 * `options` may be NULL for the default buckets. Thread-safe.
 */
PM_MUST_USE
pm_status pm_histogram_new(const pm_registry *registry,
                           const char *name,
                           const char *help,
                           const pm_metric_options *options,
                           pm_histogram **out);

/**
 * Defines a histogram with the `n` label names at `labelnames` ("le" is reserved) and
 * gives it in `*out`, to release with `pm_histogram_vec_free`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_histogram_vec_new(const pm_registry *registry,
                               const char *name,
                               const char *help,
                               const char *const *labelnames,
                               size_t n,
                               const pm_metric_options *options,
                               pm_histogram_vec **out);

/**
 * Records one observation `v` (NaN is PM_ERR_INVALID_VALUE). Thread-safe; lock-free.
 */
PM_MUST_USE pm_status pm_histogram_observe(const pm_histogram *histogram, double v);

/**
 * The number of observations of the histogram series so far.
 */
PM_MUST_USE pm_status pm_histogram_count(const pm_histogram *histogram, uint64_t *out);

/**
 * The sum of the observations of the histogram series so far.
 */
PM_MUST_USE pm_status pm_histogram_sum(const pm_histogram *histogram, double *out);

/**
 * Releases a histogram series handle. NULL is ignored. Must not be called while another
 * thread uses the same handle.
 */
void pm_histogram_free(pm_histogram *histogram);

/**
 * The series of `vec` for the `n` label values at `values`, in the order of the label
 * names, as a handle in `*out` to release with `pm_histogram_free`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_histogram_vec_with(const pm_histogram_vec *vec,
                                const char *const *values,
                                size_t n,
                                pm_histogram **out);

/**
 * Like `pm_histogram_vec_with`, with `n` label names and `n` values as pairs in any order.
 */
PM_MUST_USE
pm_status pm_histogram_vec_with_labels(const pm_histogram_vec *vec,
                                       const char *const *names,
                                       const char *const *values,
                                       size_t n,
                                       pm_histogram **out);

/**
 * Observes `v` into the series for the `n` label values at `values`, without keeping a
 * handle. Thread-safe.
 */
PM_MUST_USE
pm_status pm_histogram_vec_observe(const pm_histogram_vec *vec,
                                   const char *const *values,
                                   size_t n,
                                   double v);

/**
 * Releases a labelled histogram handle. NULL is ignored.
 */
void pm_histogram_vec_free(pm_histogram_vec *vec);

/**
 * Starts serving `registry` over HTTP on `addr` (an IP address or a host name; "0.0.0.0"
 * or "::" for every interface) and `port` (0 for a free one: read it with
 * `pm_http_server_port`), and gives the server in `*out`. Every path answers GET and HEAD
 * with the registry in the Prometheus text format 0.0.4, gzip-compressed when the client
 * accepts it; other methods get 405. The library's threads do all the work, encoding
 * included. `options` may be NULL for the defaults. The registry is not consumed.
 * PM_ERR_IO naming the address if it cannot be bound (in use, not local, no permission);
 * PM_ERR_INVALID_CONFIG if it does not resolve or an option is out of range.
 */
PM_MUST_USE
pm_status pm_http_server_start(const pm_registry *registry,
                               const char *addr,
                               uint16_t port,
                               const pm_http_server_options *options,
                               pm_http_server **out);

/**
 * The port the server listens on (the one the system chose for port 0), into `*out`.
 * Works after `pm_http_server_stop` too. Thread-safe.
 */
PM_MUST_USE pm_status pm_http_server_port(const pm_http_server *server, uint16_t *out);

/**
 * Stops serving: closes the listening socket (the port is free when this returns),
 * disconnects the clients being served and joins the threads, within about two seconds.
 * Calling it again returns PM_OK and does nothing. Thread-safe.
 */
PM_MUST_USE pm_status pm_http_server_stop(const pm_http_server *server);

/**
 * Releases a server, stopping it first if `pm_http_server_stop` was not called. NULL is
 * ignored. Must not be called while another thread uses the server.
 */
void pm_http_server_free(pm_http_server *server);

/**
 * Sends the library's log records up to `max_level` (a pm_log_level value, e.g.
 * PM_LOG_WARN) to `callback`, with `user_data` passed back on each call. A NULL callback
 * turns logging off (the default). Replaces any earlier callback; once this returns, the
 * old callback is not running on any other thread and will not be called again, so its
 * user_data may be freed (called from inside the old callback, the one call still running
 * is the caller's own). PM_ERR_CONFLICT if another Rust library in the process already
 * installed its own logger. Thread-safe, and callable from inside the callback.
 */
PM_MUST_USE pm_status pm_set_log_callback(pm_log_callback callback, void *user_data, int max_level);

/**
 * New, empty metric options. `*out` receives an object to release with
 * `pm_metric_options_free`.
 */
PM_MUST_USE pm_status pm_metric_options_new(pm_metric_options **out);

/**
 * Releases metric options. NULL is ignored.
 */
void pm_metric_options_free(pm_metric_options *options);

/**
 * Adds a constant label: every series of the metric carries `name="value"`.
 */
PM_MUST_USE
pm_status pm_metric_options_add_const_label(pm_metric_options *options,
                                            const char *name,
                                            const char *value);

/**
 * Series limit of the metric, overriding the registry's max_series_per_metric; past it,
 * new label sets fold into one overflow series (label values "__overflow__").
 */
PM_MUST_USE pm_status pm_metric_options_set_max_series(pm_metric_options *options, size_t n);

/**
 * Maps the values of label `name` to `buckets` hash buckets, so it makes at most that
 * many distinct values.
 */
PM_MUST_USE
pm_status pm_metric_options_add_hashed_label(pm_metric_options *options,
                                             const char *name,
                                             uint32_t buckets);

/**
 * Aggregates label `name` away: series that differ only in it are one series. Recording
 * calls still pass a value for it.
 */
PM_MUST_USE
pm_status pm_metric_options_add_dropped_label(pm_metric_options *options,
                                              const char *name);

/**
 * Records every call (the default).
 */
PM_MUST_USE pm_status pm_metric_options_set_sampling_always(pm_metric_options *options);

/**
 * Keeps each recording call with probability `p` (0 < p <= 1) and weights it by 1/p, so
 * counts and sums stay unbiased estimates.
 */
PM_MUST_USE
pm_status pm_metric_options_set_sampling_probability(pm_metric_options *options,
                                                     double p);

/**
 * Keeps every n-th recording call (per thread) and weights it by n.
 */
PM_MUST_USE
pm_status pm_metric_options_set_sampling_every_nth(pm_metric_options *options,
                                                   uint64_t n);

/**
 * Aims at `per_second` kept calls per second per series, re-weighting every second.
 */
PM_MUST_USE
pm_status pm_metric_options_set_sampling_adaptive(pm_metric_options *options,
                                                  double per_second);

/**
 * Histogram bucket upper bounds: `n` strictly increasing finite numbers at `bounds` (a
 * trailing +Inf is implied). Copied; `bounds` may be freed after the call. Without this
 * option histograms use 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10.
 * PM_ERR_INVALID_ARGUMENT if `n` is above PM_MAX_BUCKETS (checked before `bounds` is read).
 */
PM_MUST_USE
pm_status pm_metric_options_set_buckets(pm_metric_options *options,
                                        const double *bounds,
                                        size_t n);

/**
 * Summary quantiles to report: `n` numbers in 0..1 at `quantiles` (default 0.5, 0.9,
 * 0.99). Copied. PM_ERR_INVALID_ARGUMENT if `n` is above PM_MAX_QUANTILES (checked before
 * `quantiles` is read).
 */
PM_MUST_USE
pm_status pm_metric_options_set_quantiles(pm_metric_options *options,
                                          const double *quantiles,
                                          size_t n);

/**
 * Length of a summary's sliding window in milliseconds (default 600000, 10 minutes).
 */
PM_MUST_USE
pm_status pm_metric_options_set_max_age_ms(pm_metric_options *options,
                                           uint64_t max_age_ms);

/**
 * How a gauge's values in several processes combine in multiprocess mode (see
 * `pm_registry_enable_multiprocess`): `"all"` (the default: one series per process, with a
 * `pid` label), `"liveall"`, `"sum"`, `"livesum"`, `"max"`, `"livemax"`, `"min"`,
 * `"livemin"`, `"mostrecent"` or `"livemostrecent"`; the `live` modes leave out processes
 * that have ended. Gauges only. PM_ERR_INVALID_CONFIG names any other value.
 */
PM_MUST_USE
pm_status pm_metric_options_set_multiprocess_mode(pm_metric_options *options,
                                                  const char *mode);

/**
 * Number of sub-windows a summary's window slides by (default 5).
 */
PM_MUST_USE pm_status pm_metric_options_set_age_buckets(pm_metric_options *options, uint32_t n);

/**
 * Writes `count` bucket bounds into `out` (room for `count` doubles): `start`,
 * `start + width`, `start + 2*width`, ... PM_ERR_INVALID_CONFIG unless count >= 1 and width
 * is finite and > 0; PM_ERR_INVALID_ARGUMENT if count is above PM_MAX_BUCKETS (nothing is
 * written). For `pm_metric_options_set_buckets`.
 */
PM_MUST_USE pm_status pm_linear_buckets(double start, double width, size_t count, double *out);

/**
 * Writes `count` bucket bounds into `out` (room for `count` doubles): `start`,
 * `start * factor`, `start * factor^2`, ... PM_ERR_INVALID_CONFIG unless count >= 1,
 * start > 0 and factor > 1; PM_ERR_INVALID_ARGUMENT if count is above PM_MAX_BUCKETS
 * (nothing is written). For `pm_metric_options_set_buckets`.
 */
PM_MUST_USE
pm_status pm_exponential_buckets(double start,
                                 double factor,
                                 size_t count,
                                 double *out);

/**
 * Turns on multiprocess mode for the registry: every process of the job writes its
 * updates of the registry's metrics through to a file of its own in the directory `dir`
 * (made if missing; a new temporary directory if `dir` is NULL), memory mapped, so that
 * nothing is lost when a worker exits with `_exit()` or is killed. The calling process
 * becomes the owner: its pushers push the sums over every process, ended ones included,
 * to its one group. Processes forked afterwards are workers: their pushers send nothing
 * (`pm_pusher_flush` returns PM_OK at once) and leave no group behind. Processes the
 * owner starts with `exec` join as workers through the environment variables
 * `PUSHMETRICS_MULTIPROC_DIR` and `PUSHMETRICS_MULTIPROC_OWNER`, which this sets, when
 * they use the default registry.
 *
 * Counters and histograms add up; summaries report count and sum without quantiles;
 * gauges combine as `pm_metric_options_set_multiprocess_mode` says. Series that already
 * count are copied into the file. Call it before the workers start and before other
 * threads record (the environment is changed). A second call does nothing.
 *
 * PM_ERR_IO names the directory when it cannot be made or is not a directory.
 */
PM_MUST_USE pm_status pm_registry_enable_multiprocess(const pm_registry *registry, const char *dir);

/**
 * The registry's multiprocess directory, NUL-terminated, into `buf` of `cap` bytes;
 * `*needed` receives the size it takes (NUL included). PM_ERR_NOT_FOUND when the mode is
 * off; PM_ERR_BUFFER_TOO_SMALL (buffer untouched) when `cap` is less than `*needed`.
 */
PM_MUST_USE
pm_status pm_registry_multiprocess_dir(const pm_registry *registry,
                                       char *buf,
                                       size_t cap,
                                       size_t *needed);

/**
 * `*out` is true when this process is a worker of the registry's multiprocess mode (its
 * pushers send nothing: the owner reports what it records).
 */
PM_MUST_USE pm_status pm_registry_is_multiprocess_worker(const pm_registry *registry, bool *out);

/**
 * In the owner, after the final push (`pm_pusher_shutdown`): removes the multiprocess
 * directory if `pm_registry_enable_multiprocess` made it (`dir` was NULL). Does nothing
 * in a worker or when the application named the directory.
 */
PM_MUST_USE pm_status pm_registry_remove_multiprocess_dir(const pm_registry *registry);

/**
 * Starts a pusher for `registry` with the options of `config` and gives it in `*out`.
 * The first push happens after a random fraction (`jitter`) of the interval, then every
 * interval. Neither argument is consumed. PM_ERR_INVALID_CONFIG names a bad or missing
 * option (a job and a URL are required); PM_ERR_IO if a CA or certificate file cannot be
 * read.
 *
 * The first start registers fork handlers (pthread_atfork): in a child created with
 * fork(), every pusher restarts with a thread of its own, pushes to its group with the
 * extra grouping label pid=<child pid>, and its counters, histograms and summaries start
 * again from zero, so the parent's numbers are never counted twice.
 */
PM_MUST_USE
pm_status pm_pusher_start(const pm_pusher_config *config,
                          const pm_registry *registry,
                          pm_pusher **out);

/**
 * Pushes now and waits up to `timeout_ms` milliseconds until everything recorded before
 * the call is delivered. `report` may be NULL; otherwise set `report->size` first.
 * PM_ERR_TIMEOUT if the time passed (the push goes on in the background), PM_ERR_PUSH if
 * it failed, PM_ERR_SHUT_DOWN after `pm_pusher_shutdown`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_pusher_flush(const pm_pusher *pusher,
                          uint64_t timeout_ms,
                          pm_flush_report *report);

/**
 * Stops the schedule, makes a final push (and the DELETE, if configured) within
 * `timeout_ms` milliseconds, and joins the push thread. Calling it again returns PM_OK and
 * does nothing. PM_ERR_TIMEOUT or PM_ERR_PUSH if the final push did not get through (the
 * thread is stopped either way once the timeout passes). Thread-safe.
 */
PM_MUST_USE pm_status pm_pusher_shutdown(const pm_pusher *pusher, uint64_t timeout_ms);

/**
 * Whether `pm_pusher_shutdown` has been called, into `*out`. Thread-safe.
 */
PM_MUST_USE pm_status pm_pusher_is_shut_down(const pm_pusher *pusher, bool *out);

/**
 * The pusher's health counters into the caller's `*out` (set `out->size =
 * sizeof(pm_stats)` first). Works before and after shutdown. Thread-safe.
 */
PM_MUST_USE pm_status pm_pusher_stats(const pm_pusher *pusher, pm_stats *out);

/**
 * Whether the last successful push is recent (within three intervals; before the first
 * success, within three intervals of the start), into `*out`. Thread-safe.
 */
PM_MUST_USE pm_status pm_pusher_healthy(const pm_pusher *pusher, bool *out);

/**
 * The message of the pusher's last failed flush (never credentials), NUL-terminated, into
 * `buf` of `cap` bytes; an empty string if no flush has failed. `*needed` receives the
 * size needed, NUL included; PM_ERR_BUFFER_TOO_SMALL (nothing written) if `cap` is
 * smaller. Thread-safe.
 */
PM_MUST_USE
pm_status pm_pusher_last_error(const pm_pusher *pusher,
                               char *buf,
                               size_t cap,
                               size_t *needed);

/**
 * The group URL the pusher pushes to, credentials removed, into `buf` as
 * `pm_pusher_last_error` does. Thread-safe.
 */
PM_MUST_USE pm_status pm_pusher_url(const pm_pusher *pusher, char *buf, size_t cap, size_t *needed);

/**
 * One remote-write receiver's health counters into the caller's `*out` (set `out->size =
 * sizeof(pm_receiver_stats)` first). `index` counts from 0 in the order of the URLs: the
 * one of `pm_pusher_config_set_url`, then those of `pm_pusher_config_add_url`; there are
 * `pm_stats.receivers` of them. PM_ERR_INVALID_ARGUMENT naming the index and the count if
 * it is out of range (a Pushgateway pusher has none). Works before and after shutdown.
 * Thread-safe.
 */
PM_MUST_USE
pm_status pm_pusher_receiver_stats(const pm_pusher *pusher,
                                   size_t index,
                                   pm_receiver_stats *out);

/**
 * The write URL of the remote-write receiver at `index`, credentials removed, into `buf`
 * as `pm_pusher_last_error` does. PM_ERR_INVALID_ARGUMENT if `index` is out of range, as
 * for `pm_pusher_receiver_stats`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_pusher_receiver_url(const pm_pusher *pusher,
                                 size_t index,
                                 char *buf,
                                 size_t cap,
                                 size_t *needed);

/**
 * The last failure or rejection of the remote-write receiver at `index`, with the
 * receiver's message (never credentials), into `buf` as `pm_pusher_last_error` does; an
 * empty string if none. PM_ERR_INVALID_ARGUMENT if `index` is out of range, as for
 * `pm_pusher_receiver_stats`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_pusher_receiver_last_error(const pm_pusher *pusher,
                                        size_t index,
                                        char *buf,
                                        size_t cap,
                                        size_t *needed);

/**
 * Releases a pusher. If it was not shut down, this shuts it down first, blocking up to
 * its shutdown timeout (`pm_pusher_config_set_shutdown_timeout_ms`, default 5 s) for the
 * final push. NULL is ignored. Must not be called while another thread uses the pusher.
 */
void pm_pusher_free(pm_pusher *pusher);

/**
 * New pusher options with the defaults (PUT, text, 10 s interval, ...). A URL and a job
 * are required before start. `*out` receives an object to release with
 * `pm_pusher_config_free`.
 */
PM_MUST_USE pm_status pm_pusher_config_new(pm_pusher_config **out);

/**
 * Releases pusher options; pushers started from them keep running. NULL is ignored.
 */
void pm_pusher_config_free(pm_pusher_config *config);

/**
 * Where to push (required). For the Pushgateway its base URL, `http://host:port` or
 * `https://host:port[/prefix]`; for remote write the first receiver's full write endpoint,
 * e.g. `http://prometheus:9090/api/v1/write`. Replaces the URL set before, but keeps the
 * receivers added with `pm_pusher_config_add_url`.
 */
PM_MUST_USE pm_status pm_pusher_config_set_url(pm_pusher_config *config, const char *url);

/**
 * "pushgateway" (the default), "remote_write" (Prometheus remote write 1.0 to the URL
 * and to every URL added with `pm_pusher_config_add_url`) or "textfile" (the URL is a file
 * path, plain or `file:///...`, rewritten atomically at every interval and at shutdown for
 * node_exporter's textfile collector; no job needed), any case.
 * PM_ERR_INVALID_CONFIG naming the value otherwise.
 */
PM_MUST_USE pm_status pm_pusher_config_set_target(pm_pusher_config *config, const char *target);

/**
 * Remote write only: one more receiver's full write endpoint, written to at the same time
 * as the URL and the others (replication, migration). Each receiver has its own queue,
 * retries, circuit breaker and stats (`pm_pusher_receiver_stats`), so a dead one never
 * delays the others. With target "pushgateway", `pm_pusher_start` refuses added URLs
 * (PM_ERR_INVALID_CONFIG).
 */
PM_MUST_USE pm_status pm_pusher_config_add_url(pm_pusher_config *config, const char *url);

/**
 * The job name (required): the first part of the Pushgateway group; for remote write, the
 * `job` label of every series.
 */
PM_MUST_USE pm_status pm_pusher_config_set_job(pm_pusher_config *config, const char *job);

/**
 * Adds the grouping label `name="value"` to the group (any UTF-8 value; sent
 * base64url-encoded); for remote write, a label of every series.
 */
PM_MUST_USE
pm_status pm_pusher_config_add_grouping(pm_pusher_config *config,
                                        const char *name,
                                        const char *value);

/**
 * "PUT" (replace the whole group, the default) or "POST" (replace only the pushed
 * families), any case. PM_ERR_INVALID_CONFIG otherwise.
 */
PM_MUST_USE pm_status pm_pusher_config_set_method(pm_pusher_config *config, const char *method);

/**
 * "text" (the default) or "protobuf", any case. PM_ERR_INVALID_CONFIG otherwise.
 */
PM_MUST_USE pm_status pm_pusher_config_set_format(pm_pusher_config *config, const char *format);

/**
 * Compress request bodies with gzip (default false).
 */
PM_MUST_USE pm_status pm_pusher_config_set_gzip(pm_pusher_config *config, bool on);

/**
 * Time between pushes in milliseconds (default 10000).
 */
PM_MUST_USE pm_status pm_pusher_config_set_interval_ms(pm_pusher_config *config, uint64_t ms);

/**
 * Random delay of the first push as a fraction of the interval, 0..1 (default 0.1), so a
 * fleet started together does not push in lock-step.
 */
PM_MUST_USE pm_status pm_pusher_config_set_jitter(pm_pusher_config *config, double fraction);

/**
 * Time one flush may take, retries included, in milliseconds (default min(interval, 10 s)).
 */
PM_MUST_USE pm_status pm_pusher_config_set_flush_deadline_ms(pm_pusher_config *config, uint64_t ms);

/**
 * Time to establish a connection in milliseconds (default 2000).
 */
PM_MUST_USE
pm_status pm_pusher_config_set_connect_timeout_ms(pm_pusher_config *config,
                                                  uint64_t ms);

/**
 * Time one request may take in milliseconds (default 5000).
 */
PM_MUST_USE
pm_status pm_pusher_config_set_request_timeout_ms(pm_pusher_config *config,
                                                  uint64_t ms);

/**
 * Attempts per request, the first included (default 3; at least 1).
 */
PM_MUST_USE pm_status pm_pusher_config_set_max_attempts(pm_pusher_config *config, uint32_t n);

/**
 * Backoff before the first retry in milliseconds (default 100); doubles per retry, with
 * full jitter.
 */
PM_MUST_USE pm_status pm_pusher_config_set_backoff_base_ms(pm_pusher_config *config, uint64_t ms);

/**
 * Longest backoff between retries in milliseconds (default 5000).
 */
PM_MUST_USE pm_status pm_pusher_config_set_backoff_max_ms(pm_pusher_config *config, uint64_t ms);

/**
 * Retries allowed as a fraction of requests (default 0.2), so a fleet cannot storm a
 * struggling gateway.
 */
PM_MUST_USE pm_status pm_pusher_config_set_retry_budget(pm_pusher_config *config, double fraction);

/**
 * Consecutive failed flushes that open the circuit breaker (default 5; 0 = never).
 */
PM_MUST_USE pm_status pm_pusher_config_set_breaker_threshold(pm_pusher_config *config, uint32_t n);

/**
 * How long the open breaker waits before one probe, in milliseconds (default 30000;
 * doubles per failed probe, up to 8x).
 */
PM_MUST_USE pm_status pm_pusher_config_set_breaker_open_ms(pm_pusher_config *config, uint64_t ms);

/**
 * Largest request body in bytes (default 16 MiB, at least 1024); bigger pushes are split
 * between metric families.
 */
PM_MUST_USE pm_status pm_pusher_config_set_max_body_bytes(pm_pusher_config *config, size_t n);

/**
 * Remote write only: most samples in one request (default 2000, 1 to 1000000).
 */
PM_MUST_USE pm_status pm_pusher_config_set_max_samples_per_send(pm_pusher_config *config, size_t n);

/**
 * Remote write only: requests in flight at once per receiver (default 4, 1 to 64). The
 * samples of one series always travel in the same lane, so they arrive in time order.
 */
PM_MUST_USE pm_status pm_pusher_config_set_max_in_flight(pm_pusher_config *config, size_t n);

/**
 * Remote write only: samples held per receiver while it cannot take them (default
 * 500000, at least 1), so an outage cannot grow memory without bound. Past it the oldest
 * requests are dropped and counted in `pm_stats.samples_dropped`.
 */
PM_MUST_USE pm_status pm_pusher_config_set_max_pending_samples(pm_pusher_config *config, size_t n);

/**
 * Remote write only: at shutdown, after the final write, end every written series with a
 * Prometheus staleness marker (default true), so a finished job's series stop at once
 * instead of lingering in queries for the 5-minute lookback.
 */
PM_MUST_USE pm_status pm_pusher_config_set_staleness_markers(pm_pusher_config *config, bool on);

/**
 * Delete the group from the gateway at shutdown (default false).
 */
PM_MUST_USE pm_status pm_pusher_config_set_delete_on_shutdown(pm_pusher_config *config, bool on);

/**
 * Push the pushmetrics_* self-metrics too (default true).
 */
PM_MUST_USE pm_status pm_pusher_config_set_self_metrics(pm_pusher_config *config, bool on);

/**
 * Bound of the final flush when a pusher is freed without `pm_pusher_shutdown`, in
 * milliseconds (default 5000).
 */
PM_MUST_USE
pm_status pm_pusher_config_set_shutdown_timeout_ms(pm_pusher_config *config,
                                                   uint64_t ms);

/**
 * HTTP basic authentication with `user` and `password` (never logged).
 */
PM_MUST_USE
pm_status pm_pusher_config_set_basic_auth(pm_pusher_config *config,
                                          const char *user,
                                          const char *password);

/**
 * Sends `Authorization: Bearer <token>` (never logged).
 */
PM_MUST_USE
pm_status pm_pusher_config_set_bearer_token(pm_pusher_config *config,
                                            const char *token);

/**
 * Adds the header `name: value` to every request.
 */
PM_MUST_USE
pm_status pm_pusher_config_add_header(pm_pusher_config *config,
                                      const char *name,
                                      const char *value);

/**
 * PEM file of CA certificates to trust in addition to the host's store (the system CAs,
 * as OpenSSL finds them: SSL_CERT_FILE and SSL_CERT_DIR are honoured). Read at start.
 */
PM_MUST_USE pm_status pm_pusher_config_set_ca_file(pm_pusher_config *config, const char *path);

/**
 * Trust only the CAs of the ca_file, not the host's store (default false). Needs
 * pm_pusher_config_set_ca_file; without it pm_pusher_start fails with PM_ERR_INVALID_CONFIG.
 */
PM_MUST_USE pm_status pm_pusher_config_set_ca_file_only(pm_pusher_config *config, bool on);

/**
 * PEM files of a client certificate and its key, for mutual TLS (read at start).
 */
PM_MUST_USE
pm_status pm_pusher_config_set_client_cert(pm_pusher_config *config,
                                           const char *cert_path,
                                           const char *key_path);

/**
 * Do not read the PUSHMETRICS_* environment variables (by default they override the
 * options set in code, so an operator can redirect or tune a binary without rebuilding).
 */
PM_MUST_USE pm_status pm_pusher_config_ignore_env(pm_pusher_config *config);

/**
 * Pushes `registry` once, now, on the calling thread, with the same retries and deadline
 * as a background flush, for programs that push once at the end. `report` may be NULL;
 * otherwise set `report->size = sizeof(pm_flush_report)` first. Blocks up to the flush
 * deadline. PM_ERR_PUSH if the push failed. Thread-safe with respect to the registry.
 */
PM_MUST_USE
pm_status pm_pusher_config_push_once(const pm_pusher_config *config,
                                     const pm_registry *registry,
                                     pm_flush_report *report);

/**
 * Deletes the group (job plus grouping labels) from the gateway, now, on the calling
 * thread. Blocks up to the flush deadline.
 */
PM_MUST_USE pm_status pm_pusher_config_delete_once(const pm_pusher_config *config);

/**
 * New registry options with the defaults: 2000 series per metric, 100000 series in the
 * registry, label values up to 256 bytes, no series TTL. `*out` receives an object to
 * release with `pm_registry_options_free`.
 */
PM_MUST_USE pm_status pm_registry_options_new(pm_registry_options **out);

/**
 * Releases registry options. NULL is ignored.
 */
void pm_registry_options_free(pm_registry_options *options);

/**
 * Series per metric before new label sets fold into the overflow series (default 2000).
 * Checked by `pm_registry_new` (must be at least 1).
 */
PM_MUST_USE
pm_status pm_registry_options_set_max_series_per_metric(pm_registry_options *options,
                                                        size_t n);

/**
 * Series in the whole registry before new label sets fold into overflow series (default
 * 100000). Checked by `pm_registry_new` (must be at least 1).
 */
PM_MUST_USE pm_status pm_registry_options_set_max_series(pm_registry_options *options, size_t n);

/**
 * Longest label value kept as is, in bytes (default 256); longer values are cut and get a
 * hash suffix so distinct values stay distinct. Checked by `pm_registry_new` (at least 16).
 */
PM_MUST_USE
pm_status pm_registry_options_set_max_label_value_length(pm_registry_options *options,
                                                         size_t n);

/**
 * Evict series idle for longer than `ttl_ms` milliseconds when a snapshot is taken (default:
 * never). A series whose handle the application holds is never evicted.
 */
PM_MUST_USE
pm_status pm_registry_options_set_series_ttl_ms(pm_registry_options *options,
                                                uint64_t ttl_ms);

/**
 * Creates a registry. `options` may be NULL for the defaults; it is not consumed (free it
 * when you like). `*out` receives a registry to release with `pm_registry_free`.
 * PM_ERR_INVALID_CONFIG if an option is out of range.
 */
PM_MUST_USE pm_status pm_registry_new(const pm_registry_options *options, pm_registry **out);

/**
 * A handle to the process-wide default registry (the one every `pm_registry_default`
 * call shares). Release the handle with `pm_registry_free`; the registry itself lives as
 * long as the process.
 */
PM_MUST_USE pm_status pm_registry_default(pm_registry **out);

/**
 * Releases a registry handle. Metric handles taken from it stay valid (they keep their
 * metric alive), and a running pusher keeps pushing it. NULL is ignored. Must not be
 * called while another thread uses the same handle.
 */
void pm_registry_free(pm_registry *registry);

/**
 * Removes the metric `name` from the registry; `*existed` (may be NULL) tells whether it
 * was there. Handles to it keep working but are no longer reported. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_unregister(const pm_registry *registry,
                                 const char *name,
                                 bool *existed);

/**
 * Sets the labels every series of every family of the registry carries when it is pushed,
 * written or encoded, as prom-client's `setDefaultLabels`: label `names[i]` with value
 * `values[i]` for `i < n` (at most PM_MAX_LABELS). Collected families (process metrics,
 * `pm_registry_register_collector`) carry them too. A series that has a label of the same
 * name keeps its own value; `job` and the pusher's grouping labels win over a default
 * label of the same name. The set replaces the previous one; `n` = 0 clears it (the
 * arrays may then be NULL). An invalid or repeated name, or `le` or `quantile`, is
 * PM_ERR_INVALID_NAME and leaves the previous set. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_set_default_labels(const pm_registry *registry,
                                         const char *const *names,
                                         const char *const *values,
                                         size_t n);

/**
 * Sets every counter, histogram and summary of the registry back to zero; gauges keep
 * their values, series and handles stay. Thread-safe.
 */
PM_MUST_USE pm_status pm_registry_reset(const pm_registry *registry);

/**
 * The number of live series in the registry, into `*out`. Thread-safe.
 */
PM_MUST_USE pm_status pm_registry_series_count(const pm_registry *registry, size_t *out);

/**
 * The registry in the Prometheus text format 0.0.4, NUL-terminated, into the caller's
 * buffer `buf` of `cap` bytes. `*needed` always receives the size the text needs, NUL
 * included. If `cap` is smaller, nothing is written and PM_ERR_BUFFER_TOO_SMALL is
 * returned: call again with a bigger buffer (the text may have grown meanwhile). `buf` may
 * be NULL when `cap` is 0, to ask for the size. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_encode_text(const pm_registry *registry,
                                  char *buf,
                                  size_t cap,
                                  size_t *needed);

/**
 * The registry in the Prometheus text format 0.0.4 as a new NUL-terminated string in
 * `*out`, to release with `pm_string_free`. `*len` (may be NULL) receives its length
 * without the NUL. PM_ERR_IO if memory runs out. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_encode_text_alloc(const pm_registry *registry,
                                        char **out,
                                        size_t *len);

/**
 * Releases a string returned by the library (`pm_registry_encode_text_alloc`). NULL is
 * ignored.
 */
void pm_string_free(char *s);

/**
 * What the cardinality guard and the sampler did to the metric `name`, into `*out` (set
 * `out->size = sizeof(pm_guard_counts)` first). PM_ERR_NOT_FOUND if the registry has no
 * metric of that name. Thread-safe.
 */
PM_MUST_USE
pm_status pm_registry_guard_counts(const pm_registry *registry,
                                   const char *name,
                                   pm_guard_counts *out);

/**
 * Defines a summary without labels (or returns the existing identical one) and gives its
 * series handle in `*out`, to release with `pm_summary_free`. Quantiles, window length
 * and age buckets come from `options` (may be NULL for 0.5, 0.9, 0.99 over 10 minutes).
 * Thread-safe.
 */
PM_MUST_USE
pm_status pm_summary_new(const pm_registry *registry,
                         const char *name,
                         const char *help,
                         const pm_metric_options *options,
                         pm_summary **out);

/**
 * Defines a summary with the `n` label names at `labelnames` ("quantile" is reserved) and
 * gives it in `*out`, to release with `pm_summary_vec_free`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_summary_vec_new(const pm_registry *registry,
                             const char *name,
                             const char *help,
                             const char *const *labelnames,
                             size_t n,
                             const pm_metric_options *options,
                             pm_summary_vec **out);

/**
 * Records one observation `v` (NaN is PM_ERR_INVALID_VALUE). Thread-safe (a short
 * per-series lock).
 */
PM_MUST_USE pm_status pm_summary_observe(const pm_summary *summary, double v);

/**
 * The number of observations of the summary series so far.
 */
PM_MUST_USE pm_status pm_summary_count(const pm_summary *summary, uint64_t *out);

/**
 * The sum of the observations of the summary series so far.
 */
PM_MUST_USE pm_status pm_summary_sum(const pm_summary *summary, double *out);

/**
 * The current estimate of quantile `q` (0..1) over the window into `*out` (NaN when the
 * window is empty).
 */
PM_MUST_USE pm_status pm_summary_quantile(const pm_summary *summary, double q, double *out);

/**
 * Releases a summary series handle. NULL is ignored. Must not be called while another
 * thread uses the same handle.
 */
void pm_summary_free(pm_summary *summary);

/**
 * The series of `vec` for the `n` label values at `values`, in the order of the label
 * names, as a handle in `*out` to release with `pm_summary_free`. Thread-safe.
 */
PM_MUST_USE
pm_status pm_summary_vec_with(const pm_summary_vec *vec,
                              const char *const *values,
                              size_t n,
                              pm_summary **out);

/**
 * Like `pm_summary_vec_with`, with `n` label names and `n` values as pairs in any order.
 */
PM_MUST_USE
pm_status pm_summary_vec_with_labels(const pm_summary_vec *vec,
                                     const char *const *names,
                                     const char *const *values,
                                     size_t n,
                                     pm_summary **out);

/**
 * Observes `v` into the series for the `n` label values at `values`, without keeping a
 * handle. Thread-safe.
 */
PM_MUST_USE
pm_status pm_summary_vec_observe(const pm_summary_vec *vec,
                                 const char *const *values,
                                 size_t n,
                                 double v);

/**
 * Releases a labelled summary handle. NULL is ignored.
 */
void pm_summary_vec_free(pm_summary_vec *vec);

/**
 * Writes the registry to the file `path` in the Prometheus text format 0.0.4, for
 * node_exporter's textfile collector (`--collector.textfile.directory`): the usual way for a
 * cron job on a host that runs node_exporter. Name the file `<something>.prom`.
 *
 * The write is atomic: the text goes to a temporary file in the same directory
 * (`.<name>.<pid>.<random>.tmp`), is flushed to disk and renamed over `path`, and the
 * directory is flushed; a reader sees the old file or the new one, never a part. On
 * failure the temporary file is removed and `path` is left as it was. The file gets mode
 * 0644 less the umask. Blocks the calling thread for the write. Thread-safe.
 *
 * PM_ERR_IO when the file cannot be written (a missing directory, a path under a regular
 * file, a path that is a directory, no permission, a full disk): `pm_last_error_message()`
 * names the path and the system's reason. PM_ERR_INVALID_ARGUMENT for NULL or non-UTF-8.
 */
PM_MUST_USE pm_status pm_write_to_textfile(const pm_registry *registry, const char *path);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* PUSHMETRICS_H */
