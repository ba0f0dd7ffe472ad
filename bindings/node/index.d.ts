// pushmetrics for Node: prom-client's metric API, recorded by a Rust core and pushed to a
// Prometheus Pushgateway, or written to Prometheus remote-write receivers, from a background
// thread that never keeps the process alive.

/** Label values by label name; numbers are accepted and printed. */
export type LabelValues<T extends string = string> = Partial<Record<T, string | number>>;

/** Options of a registry: the cardinality guard's limits. */
export interface RegistryOptions {
  /** Series per metric before new label sets fold into the `__overflow__` series (2000). */
  maxSeriesPerMetric?: number;
  /** Series in the whole registry (100,000). */
  maxSeries?: number;
  /** Longest label value kept as is, in bytes (256); longer ones are cut and get a hash suffix. */
  maxLabelValueLength?: number;
  /** Evict series idle for longer than this at snapshot time, unless a child holds them. */
  seriesTtlMs?: number;
  /**
   * How long a snapshot taken off the event loop (a scheduled push, a scrape of
   * startHttpServer) waits for the metrics' `collect` callbacks, in milliseconds (100); past
   * it the values go out as they are and `pushmetrics_collector_failures_total` counts it.
   */
  collectTimeoutMs?: number;
}

/** One sample in prom-client's JSON shape. */
export interface MetricValue<T extends string = string> {
  value: number;
  labels: LabelValues<T>;
  metricName?: string;
}

/** One metric in prom-client's JSON shape. */
export interface MetricObjectWithValues<T extends string = string> {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  values: MetricValue<T>[];
  aggregator: 'sum';
}

/** What the cardinality guard and the sampler did to one metric. */
export interface GuardStat {
  name: string;
  series: number;
  overflowed: number;
  truncated: number;
  evicted: number;
  sampledSeen: number;
  sampledKept: number;
}

/** A set of metrics. `register` is the process-wide default, shared by worker threads. */
export class Registry {
  constructor(options?: RegistryOptions);
  static readonly PROMETHEUS_CONTENT_TYPE: string;
  readonly contentType: string;
  /** The text exposition format 0.0.4, encoded off the main thread. */
  metrics(): Promise<string>;
  getMetricsAsJSON(): Promise<MetricObjectWithValues[]>;
  /** The metric objects created in this thread. */
  getMetricsAsArray(): Metric[];
  getSingleMetric(name: string): Metric | undefined;
  getSingleMetricAsString(name: string): Promise<string>;
  removeSingleMetric(name: string): void;
  /** Removes the metrics created in this thread. */
  clear(): void;
  /** Counters, histograms and summaries back to zero; gauges keep their values. */
  resetMetrics(): void;
  /**
   * Labels every series of every metric carries in `metrics()`, `getMetricsAsJSON()`, pushes
   * and scrapes, as prom-client's: default and collected metrics included. A series with a
   * label of the same name keeps its own value; `job` and the pusher's grouping labels win
   * over a default label of the same name. Replaces the previous set; `{}` clears it. An
   * invalid or reserved name (`le`, `quantile`) throws an `InvalidNameError` naming it.
   */
  setDefaultLabels(labels: Record<string, string | number>): void;
  /** See `RegistryOptions.collectTimeoutMs`; settable (the default registry's too). */
  collectTimeoutMs: number;
  /**
   * A registry reporting every metric of `registers`; a `ConflictError` when two of them
   * hold a metric of the same name.
   */
  static merge(registers: Registry[]): Registry;
  /** Live series in the registry, all threads. */
  seriesCount(): number;
  guardStats(): GuardStat[];
  /**
   * Turns on multiprocess mode: every process of the job records this registry's metrics
   * into a file of its own in `dir` (made if missing; a new temporary directory when not
   * given), and this process, the owner, pushes the sums over all of them to the job's one
   * group. Call it before starting the workers: processes started afterwards
   * (`child_process.fork`, `cluster.fork`) find the directory in the environment and join
   * `register` as workers, whose pushers send nothing. Every update then reaches the
   * file at once, so a worker killed with SIGKILL loses nothing (counters that other
   * worker threads made before the call reach it within a second). The owner removes a
   * directory the mode made at exit, after the final push. Returns the directory; a
   * second call returns the same one. A directory that cannot be made throws a
   * `PushError` naming it.
   */
  enableMultiprocess(dir?: string): string;
  /** Whether this process is a multiprocess worker: its pushers send nothing. */
  isMultiprocessWorker(): boolean;
  /** The multiprocess directory, or `null` when the mode is off. */
  multiprocessDir(): string | null;
}

/** The default registry. */
export const register: Registry;

/** How a metric samples its recording calls (one of the three); estimates stay unbiased. */
export type Sampling = { probability: number } | { everyNth: number } | { adaptive: number };

/** What every metric type is configured with. */
export interface MetricConfiguration<T extends string = string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  /** The registry to register in (exactly one, or none); `register` when not given. */
  registers?: Registry[];
  /**
   * Called before every snapshot of the registry: `metrics()`, `flush()`, `shutdown()` and
   * every scheduled push or scrape (there, waited for at most `collectTimeoutMs`).
   */
  collect?: (this: any) => void | Promise<void>;
  /** Labels every series carries with the same value. */
  constLabels?: Record<string, string>;
  /** Sampling of recording calls (counters, histograms, summaries). */
  sampling?: Sampling;
  /** Series limit of this metric (overrides the registry's maxSeriesPerMetric). */
  maxSeries?: number;
  /** Label name to bucket count: its values are hashed into that many buckets. */
  hashedLabels?: Partial<Record<T, number>>;
  /** Labels aggregated away: series differing only in them are one series. */
  droppedLabels?: T[];
}

export interface HistogramConfiguration<T extends string = string> extends MetricConfiguration<T> {
  /** Upper bounds, strictly increasing (`+Inf` is implied); prom-client's defaults otherwise. */
  buckets?: number[];
}

export interface SummaryConfiguration<T extends string = string> extends MetricConfiguration<T> {
  /** Quantiles to report, each in 0..1 (0.5, 0.9, 0.99). */
  percentiles?: number[];
  /** Length of the sliding window in seconds (600). */
  maxAgeSeconds?: number;
  /** Sub-windows the window slides by (5). */
  ageBuckets?: number;
}

declare abstract class Metric<T extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: T[];
  /** This metric in prom-client's JSON shape. */
  get(): Promise<MetricObjectWithValues<T>>;
  /**
   * Run before every snapshot of the registry: `metrics()`, `flush()`, `shutdown()` and every
   * scheduled push or scrape (there, waited for at most the registry's `collectTimeoutMs`).
   */
  collect: ((this: any) => void | Promise<void>) | undefined;
  /** Removes the series of one label set (values in declared order, or a labels object). */
  remove(...values: Array<string | number>): void;
  remove(labels: LabelValues<T>): void;
  /** Removes every series; an unlabelled metric starts again from zero. */
  reset(): void;
}

/** Ends a timer: observes (or sets) the seconds elapsed and returns them. */
export type EndTimer<T extends string = string> = (labels?: LabelValues<T>) => number;

export class Counter<T extends string = string> extends Metric<T> {
  constructor(configuration: MetricConfiguration<T>);
  /** Adds `value` (default 1), which must be a finite number >= 0. */
  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  /**
   * The child for one label set: `labels('GET', '200')` or `labels({ method: 'GET', code: '200' })`.
   * The same label values give the same child, found without a native call or an allocation
   * (for a metric's first 1000 label sets, with no series TTL), so calling `labels()` on
   * every request costs a lookup per label.
   */
  labels(...values: Array<string | number>): Counter.Internal;
  labels(labels: LabelValues<T>): Counter.Internal;
}
export namespace Counter {
  /** A held counter series: `inc()` adds in memory shared with the core, no native call. */
  interface Internal {
    inc(value?: number): void;
  }
}

/** How the values of one gauge in the processes of a multiprocess job combine. */
export type MultiprocessMode =
  | 'all'
  | 'liveall'
  | 'sum'
  | 'livesum'
  | 'max'
  | 'livemax'
  | 'min'
  | 'livemin'
  | 'mostrecent'
  | 'livemostrecent';

export interface GaugeConfiguration<T extends string = string> extends MetricConfiguration<T> {
  /**
   * In multiprocess mode, how the values of the job's processes combine: `all` (the
   * default: one series per process, with a `pid` label), `sum`, `max`, `min`,
   * `mostrecent` (the value set last), and their `live` forms, which leave out processes
   * that have ended. Another value throws a `ConfigError` naming it.
   */
  multiprocessMode?: MultiprocessMode;
}

export class Gauge<T extends string = string> extends Metric<T> {
  constructor(configuration: GaugeConfiguration<T>);
  set(value: number): void;
  set(labels: LabelValues<T>, value: number): void;
  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  dec(value?: number): void;
  dec(labels: LabelValues<T>, value?: number): void;
  /** Sets the gauge to the current Unix time in seconds. */
  setToCurrentTime(labels?: LabelValues<T>): void;
  /** The returned function sets the gauge to the seconds elapsed. */
  startTimer(labels?: LabelValues<T>): EndTimer<T>;
  labels(...values: Array<string | number>): Gauge.Internal;
  labels(labels: LabelValues<T>): Gauge.Internal;
}
export namespace Gauge {
  interface Internal {
    set(value: number): void;
    inc(value?: number): void;
    dec(value?: number): void;
    setToCurrentTime(): void;
    startTimer(): () => number;
  }
}

export class Histogram<T extends string = string> extends Metric<T> {
  constructor(configuration: HistogramConfiguration<T>);
  /** Records one observation; NaN is refused. */
  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  /** The returned function observes the seconds elapsed (labels given there are added). */
  startTimer(labels?: LabelValues<T>): EndTimer<T>;
  labels(...values: Array<string | number>): Histogram.Internal;
  labels(labels: LabelValues<T>): Histogram.Internal;
  /** The series of `labels` back to zero observations (made if it does not exist). */
  zero(labels?: LabelValues<T>): void;
}
export namespace Histogram {
  interface Internal {
    observe(value: number): void;
    startTimer(): () => number;
  }
}

export class Summary<T extends string = string> extends Metric<T> {
  constructor(configuration: SummaryConfiguration<T>);
  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  startTimer(labels?: LabelValues<T>): EndTimer<T>;
  labels(...values: Array<string | number>): Summary.Internal;
  labels(labels: LabelValues<T>): Summary.Internal;
}
export namespace Summary {
  interface Internal {
    observe(value: number): void;
    startTimer(): () => number;
  }
}

/** Configuration of `collectDefaultMetrics`, as prom-client's. */
export interface DefaultMetricsCollectorConfiguration {
  /** The registry (`register` when not given). */
  register?: Registry;
  /** Put before the name of every default metric (nodejs_* and process_*). */
  prefix?: string;
  /** Labels added to every series of the default metrics (nodejs_* and process_*). */
  labels?: Record<string, string | number>;
  /** Bucket bounds of nodejs_gc_duration_seconds (0.001, 0.01, 0.1, 1, 2, 5). */
  gcDurationBuckets?: number[];
  /** Sampling rate of the event loop delay histogram in milliseconds (10). */
  eventLoopMonitoringPrecision?: number;
}

/**
 * prom-client's default metrics under its names, types and labels: process CPU, memory, file
 * descriptors and start time (read by the core), and the Node runtime's event loop lag,
 * handles, requests, resources, heap, GC durations and version. A second call for the same
 * registry does nothing.
 */
export function collectDefaultMetrics(config?: DefaultMetricsCollectorConfiguration): void;
export namespace collectDefaultMetrics {
  const metricsList: string[];
}

/** `count` bucket bounds from `start`, `width` apart. */
export function linearBuckets(start: number, width: number, count: number): number[];
/** `count` bucket bounds from `start`, each `factor` times the previous. */
export function exponentialBuckets(start: number, factor: number, count: number): number[];

/** Every option of a pusher; durations in milliseconds. `PUSHMETRICS_*` variables override them. */
export interface PushOptions {
  /** `PUT` (replace the group, default) or `POST` (replace the pushed families). */
  method?: 'PUT' | 'POST' | 'put' | 'post';
  /** `text` (default) or `protobuf`. */
  format?: 'text' | 'protobuf';
  gzip?: boolean;
  /** Time between pushes (10,000). */
  intervalMs?: number;
  /** Random delay of the first push as a fraction of the interval (0.1). */
  jitter?: number;
  /** Time one flush may take, retries included (min(interval, 10 s)). */
  flushDeadlineMs?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Attempts per request, the first included (3). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Retries allowed as a fraction of requests (0.2). */
  retryBudget?: number;
  /** Consecutive failed flushes that open the circuit breaker (5; 0 = never). */
  breakerThreshold?: number;
  breakerOpenMs?: number;
  /** Largest request body (16 MiB); bigger pushes are split between metric families. */
  maxBodyBytes?: number;
  /** Delete the group from the gateway at shutdown (false). */
  deleteOnShutdown?: boolean;
  /** Push the `pushmetrics_*` self-metrics too (true). */
  selfMetrics?: boolean;
  /** Bound of the final flush at shutdown and at process exit (5000); default wait of flush(). */
  shutdownTimeoutMs?: number;
  basicAuth?: { username: string; password: string } | string;
  bearerToken?: string;
  headers?: Record<string, string>;
  /**
   * PEM file of CA certificates to trust in addition to the host's store (the system CAs,
   * as OpenSSL finds them: `SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured).
   */
  caFile?: string;
  /** Trust only the CAs of `caFile`, not the host's store (false). Needs `caFile`. */
  caFileOnly?: boolean;
  /** PEM files of a client certificate and its key (mutual TLS). */
  clientCert?: string;
  clientKey?: string;
  /** Do not read `PUSHMETRICS_*` environment variables. */
  ignoreEnv?: boolean;
}

export interface PusherOptions extends PushOptions {
  /**
   * The gateway, `http://host:port`; for remote write the receiver's full write endpoint
   * (`http://prometheus:9090/api/v1/write`), or several, each written to with its own
   * queue, retries and breaker.
   */
  url: string | string[];
  /**
   * `pushgateway` (default), `remote_write` (protobuf + snappy, remote write 1.0) or
   * `textfile`: `url` is then a file path (or a `file://` URL), rewritten atomically at every
   * interval and at shutdown for node_exporter's textfile collector; no job is needed.
   */
  target?: 'pushgateway' | 'remote_write' | 'textfile';
  /**
   * The job name (required, here or in PUSHMETRICS_JOB, except by `textfile`); in remote
   * write, a label of every series.
   */
  job?: string;
  /** Grouping labels of the group (any UTF-8 values); labels of every series in remote write. */
  groupings?: Record<string, string>;
  /** The registry to push (`register` when not given). */
  registry?: Registry;
  /** Remote write: most samples in one request (2000). */
  maxSamplesPerSend?: number;
  /** Remote write: requests in flight at once per receiver (4, at most 64). */
  maxInFlight?: number;
  /**
   * Remote write: samples held per receiver while it cannot take them (500,000); beyond
   * that the oldest requests are dropped and counted in `samplesDropped`.
   */
  maxPendingSamples?: number;
  /** Remote write: end every written series with a staleness marker at shutdown (true). */
  stalenessMarkers?: boolean;
  /**
   * Receives the core's log records about this pusher (push failed, samples dropped, ...)
   * instead of its 'warning' / 'error' events: `console`, a pino or winston logger, any
   * object with `warn`, `error`, `info` and `debug` methods. Without a logger or a listener,
   * warnings and errors go to `process.emitWarning`. Repeated messages are rate-limited.
   */
  logger?: PushmetricsLogger;
}

/** Where a pusher's log records go: each method is called with the message. */
export interface PushmetricsLogger {
  error?(message: string): void;
  warn?(message: string): void;
  info?(message: string): void;
  debug?(message: string): void;
}

/** A core log record, as a pusher's 'warning' and 'error' events carry it. */
export interface PushmetricsLogRecord extends Error {
  name: 'PushmetricsWarning';
  level: 'error' | 'warn';
  /** The emitting part of the library ("pushmetrics"). */
  target: string;
}

/**
 * Forwards the core's log records at `level` and above (default 'warn'), process-wide.
 */
export function setLogLevel(level: 'debug' | 'info' | 'warn' | 'error' | 'off'): void;

/** What one flush delivered. */
export interface FlushReport {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Body bytes sent (after compression). */
  bytes: number;
  /** Series in the pushed snapshot (self-metrics included). */
  series: number;
  durationMs: number;
}

/** A pusher's health. */
export interface PusherStats {
  pushesOk: number;
  pushesFailed: number;
  requests: number;
  retries: number;
  retriesDenied: number;
  flushesSkipped: number;
  /** Unix time of the last successful flush, in milliseconds. */
  lastSuccessMs?: number;
  /** The last failure, with the server's message when there was one. */
  lastError?: string;
  consecutiveFailures: number;
  breaker: 'closed' | 'open' | 'half_open';
  series: number;
  overflowed: number;
  evicted: number;
  sampledOut: number;
  queueLength: number;
  bytesSent: number;
  lastPushDurationMs?: number;
  /** Remote write: samples the receivers accepted, all receivers together. */
  samplesSent: number;
  /** Remote write: samples dropped unsent because a receiver's pending queue was full. */
  samplesDropped: number;
  /** Remote write: samples a receiver refused for good (a 4xx, or a 5xx no retry can fix). */
  samplesRejected: number;
  /** Remote write: samples waiting to be sent, all receivers together. */
  samplesPending: number;
  /** Remote write: each receiver's own numbers, in the order of the URLs (empty for a Pushgateway). */
  receivers: ReceiverStats[];
}

/** One remote-write receiver's health. */
export interface ReceiverStats {
  /** The write URL, credentials removed. */
  url: string;
  /** HTTP requests sent, retries included. */
  requests: number;
  retries: number;
  /** Retries not made because the retry budget was spent. */
  retriesDenied: number;
  samplesSent: number;
  samplesDropped: number;
  samplesRejected: number;
  samplesPending: number;
  /** Request body bytes sent (snappy-compressed). */
  bytesSent: number;
  /** Unix time of the last successful request, in milliseconds. */
  lastSuccessMs?: number;
  /** The last failure or rejection, with the receiver's message. */
  lastError?: string;
  /** Failed sends since the last success. */
  consecutiveFailures: number;
  breaker: 'closed' | 'open' | 'half_open';
}

/**
 * Pushes a registry from a background thread every `intervalMs`, to a Pushgateway group or
 * (`target: 'remote_write'`) to remote-write receivers. A pusher still running when the
 * process runs out of work makes its final flush first (bounded by `shutdownTimeoutMs`).
 */
export class Pusher {
  constructor(options: PusherOptions);
  /**
   * A Pusher is an EventEmitter: 'warning' and 'error' carry the core's log records about
   * it (when no `logger` option is set). Repeated messages are rate-limited.
   */
  on(event: 'warning' | 'error', listener: (record: PushmetricsLogRecord) => void): this;
  once(event: 'warning' | 'error', listener: (record: PushmetricsLogRecord) => void): this;
  off(event: 'warning' | 'error', listener: (record: PushmetricsLogRecord) => void): this;
  listenerCount(event: 'warning' | 'error'): number;
  /** The group URL (remote write: the first receiver's), credentials removed. */
  readonly url: string;
  /** Pushes now; resolves once everything recorded before the call is delivered. */
  flush(timeoutMs?: number): Promise<FlushReport>;
  /** Final flush (then the DELETE, or remote write's staleness markers, if on), then stops. Idempotent. */
  shutdown(timeoutMs?: number): Promise<void>;
  stats(): PusherStats;
  /** True while the last successful push is recent (within three intervals). */
  healthy(): boolean;
}

export interface PushgatewayOptions extends PushOptions {
  /** prom-client's request timeout in milliseconds (requestTimeoutMs). */
  timeout?: number;
  /** prom-client's `auth`: "user:password" (basicAuth). */
  auth?: string;
}

export interface PushParameters {
  jobName: string;
  groupings?: Record<string, string>;
}

/** prom-client's Pushgateway: one push per call, with the core's retries and deadline. */
export class Pushgateway {
  constructor(url: string, options?: PushgatewayOptions, registry?: Registry);
  /** `POST`: replaces the pushed metric families in the group. */
  pushAdd(params: PushParameters): Promise<FlushReport>;
  /** `PUT`: replaces the whole group. */
  push(params: PushParameters): Promise<FlushReport>;
  delete(params: PushParameters): Promise<void>;
}

export interface HttpServerOptions {
  /** Required: the port to listen on, 0 for a free one (read it from `server.port`). */
  port: number;
  /** The address to listen on (default "0.0.0.0"; "::" for every IPv6 interface). */
  host?: string;
  /** The registry served (default `register`). */
  registry?: Registry;
  /** Connections served at once, one native thread each (default 4); more wait to be accepted. */
  maxConnections?: number;
  /** Time a client has to send its request head (default 5000); then it gets 408. */
  readTimeoutMs?: number;
  /** Time each write of an answer may wait for the client to read (default 10000). */
  writeTimeoutMs?: number;
}

/**
 * A running HTTP server of a registry, from `startHttpServer`. Native threads accept, encode
 * and answer scrapes: a scrape never runs on the event loop; it asks the event loop to run
 * the metrics' `collect()` callbacks and waits for them at most the registry's
 * `collectTimeoutMs`. Like the push thread, it does not keep the process alive.
 */
export class HttpServer {
  /** The port listened on (the one the system chose for port 0). */
  readonly port: number;
  /** The address listened on. */
  readonly host: string;
  /** Whether `close()` has been called. */
  readonly closed: boolean;
  /** Stops serving; resolves once the port is free. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves a registry over HTTP, as prometheus_client's `start_http_server` does: every path
 * answers GET and HEAD with the text format 0.0.4 (gzip when accepted); other methods get
 * 405. Throws `ListenError` naming the address if it cannot be bound.
 */
export function startHttpServer(options: HttpServerOptions): HttpServer;

/**
 * Writes `registry` (default `register`) to the file `path` in the text format 0.0.4, for
 * node_exporter's textfile collector (`--collector.textfile.directory`). Atomic: the text
 * goes to a temporary file in the same directory, flushed to disk and renamed over `path`,
 * so a reader sees the old file or the new one, never a part. Runs on a libuv worker thread.
 * Rejects with a `PushError` (code `ERR_IO`) naming the path and the reason.
 */
export function writeToTextfile(path: string, registry?: Registry): Promise<void>;

/** Every error of pushmetrics; `code` names the kind. */
export class PushmetricsError extends Error {
  readonly code: string;
}
/** ERR_INVALID_METRIC_NAME, ERR_INVALID_LABEL_NAME, ERR_DUPLICATE_LABEL_NAME */
export class InvalidNameError extends PushmetricsError {}
/** ERR_UNKNOWN_LABEL, ERR_LABEL_COUNT */
export class LabelError extends PushmetricsError {}
/** ERR_INVALID_VALUE: a negative or non-finite increment, NaN, a non-number. */
export class InvalidValueError extends PushmetricsError {}
/** ERR_INVALID_CONFIG, ERR_INVALID_ARGUMENT */
export class ConfigError extends PushmetricsError {}
/** ERR_CONFLICT: the same name registered with another definition. */
export class ConflictError extends PushmetricsError {}
/** ERR_PUSH, ERR_SHUTDOWN, ERR_IO */
export class PushError extends PushmetricsError {}
/** ERR_TIMEOUT */
export class TimeoutError extends PushError {}
/** ERR_LISTEN: an HTTP server's address is in use, not local, or not permitted. */
export class ListenError extends PushmetricsError {}
