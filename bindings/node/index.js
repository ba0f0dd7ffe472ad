'use strict';
// pushmetrics for Node: metrics in prom-client's shape, recorded by the Rust core and pushed
// to a Prometheus Pushgateway from a background thread.
const { Registry, register } = require('./lib/registry.js');
const metrics = require('./lib/metrics.js');
const { Pusher, Pushgateway } = require('./lib/pusher.js');
const { setLogLevel } = require('./lib/log.js');
const { writeToTextfile } = require('./lib/textfile.js');
const { HttpServer, startHttpServer } = require('./lib/serve.js');
const { collectDefaultMetrics } = require('./lib/defaults.js');
const errors = require('./lib/errors.js');

module.exports = {
  Registry,
  register,
  Counter: metrics.Counter,
  Gauge: metrics.Gauge,
  Histogram: metrics.Histogram,
  Summary: metrics.Summary,
  linearBuckets: metrics.linearBuckets,
  exponentialBuckets: metrics.exponentialBuckets,
  collectDefaultMetrics,
  Pusher,
  Pushgateway,
  setLogLevel,
  writeToTextfile,
  HttpServer,
  startHttpServer,
  PushmetricsError: errors.PushmetricsError,
  InvalidNameError: errors.InvalidNameError,
  LabelError: errors.LabelError,
  InvalidValueError: errors.InvalidValueError,
  ConfigError: errors.ConfigError,
  ConflictError: errors.ConflictError,
  PushError: errors.PushError,
  TimeoutError: errors.TimeoutError,
  ListenError: errors.ListenError,
};
