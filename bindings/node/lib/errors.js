'use strict';
// The error classes of pushmetrics. The addon throws plain errors whose `code` names the
// core's error variant; `translate` gives each code its class, keeping the core's message
// (which names the offending value).

class PushmetricsError extends Error {
  constructor(message, code) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}
/** A metric or label name that is malformed, reserved or given twice. */
class InvalidNameError extends PushmetricsError {}
/** Label values that do not fit the metric's label names (unknown name, wrong count). */
class LabelError extends PushmetricsError {}
/** A value that cannot be recorded: a negative or non-finite increment, NaN. */
class InvalidValueError extends PushmetricsError {}
/** An option out of range or of the wrong type. */
class ConfigError extends PushmetricsError {}
/** The same metric name registered again with another definition. */
class ConflictError extends PushmetricsError {}
/** A push or delete that failed for good, or a pusher used after shutdown. */
class PushError extends PushmetricsError {}
/** A flush or shutdown that did not finish within its timeout. */
class TimeoutError extends PushError {}
/** An HTTP server that cannot listen on its address (in use, not local, no permission). */
class ListenError extends PushmetricsError {}

const BY_CODE = {
  ERR_INVALID_METRIC_NAME: InvalidNameError,
  ERR_INVALID_LABEL_NAME: InvalidNameError,
  ERR_DUPLICATE_LABEL_NAME: InvalidNameError,
  ERR_LABEL_COUNT: LabelError,
  ERR_UNKNOWN_LABEL: LabelError,
  ERR_INVALID_VALUE: InvalidValueError,
  ERR_INVALID_CONFIG: ConfigError,
  ERR_INVALID_ARGUMENT: ConfigError,
  ERR_CONFLICT: ConflictError,
  ERR_PUSH: PushError,
  ERR_SHUTDOWN: PushError,
  ERR_IO: PushError,
  ERR_TIMEOUT: TimeoutError,
  ERR_LISTEN: ListenError,
};

// Node-API's own conversion failures (a string where a number belongs, a missing field).
const ARGUMENT_CODES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
]);

/** The error of pushmetrics for an error thrown by the addon. */
function translate(e) {
  if (e instanceof PushmetricsError || e === null || typeof e !== 'object') return e;
  let code = e.code;
  if (code === 'NumberExpected') code = 'ERR_INVALID_VALUE';
  else if (ARGUMENT_CODES.has(code)) code = 'ERR_INVALID_ARGUMENT';
  const Class = BY_CODE[code];
  return Class ? new Class(e.message, code) : e;
}

/** Throws the argument problem `message` as a `ConfigError`. */
function invalid(message) {
  throw new ConfigError(message, 'ERR_INVALID_ARGUMENT');
}

module.exports = {
  PushmetricsError,
  InvalidNameError,
  LabelError,
  InvalidValueError,
  ConfigError,
  ConflictError,
  PushError,
  TimeoutError,
  ListenError,
  translate,
  invalid,
};
