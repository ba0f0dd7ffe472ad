// The ES module entry: the same objects as the CommonJS entry.
import pm from './index.js';

export const {
  Registry,
  register,
  Counter,
  Gauge,
  Histogram,
  Summary,
  linearBuckets,
  exponentialBuckets,
  collectDefaultMetrics,
  Pusher,
  Pushgateway,
  setLogLevel,
  writeToTextfile,
  HttpServer,
  startHttpServer,
  PushmetricsError,
  InvalidNameError,
  LabelError,
  InvalidValueError,
  ConfigError,
  ConflictError,
  PushError,
  TimeoutError,
  ListenError,
} = pm;
export default pm;
