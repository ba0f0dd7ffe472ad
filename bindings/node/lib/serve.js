'use strict';
// startHttpServer: the core's HTTP server of a registry. Its threads accept, encode and
// answer scrapes, so a scrape never runs on the event loop; like the push thread, they do
// not keep the process alive.
const native = require('./native.js');
const { translate, invalid } = require('./errors.js');
const { register, Registry } = require('./registry.js');

const OPTIONS = new Set(['port', 'host', 'registry', 'maxConnections', 'readTimeoutMs', 'writeTimeoutMs']);

class HttpServer {
  constructor(nativeServer) {
    this._native = nativeServer;
  }

  /** The port listened on (the one the system chose for port 0). */
  get port() {
    return this._native.port;
  }

  /** The address listened on. */
  get host() {
    return this._native.host;
  }

  /** Whether `close()` has been called. */
  get closed() {
    return this._native.closed;
  }

  /** Stops serving; resolves once the port is free. Calling it again does nothing. */
  async close() {
    await this._native.close();
  }
}

/**
 * Serves a registry over HTTP: every path answers GET and HEAD with the text format 0.0.4
 * (gzip when accepted). `port` is required (0 for a free one); `host` defaults to
 * "0.0.0.0", `registry` to `register`.
 */
function startHttpServer(options) {
  if (options === null || typeof options !== 'object') {
    invalid(`startHttpServer needs an options object, got ${String(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!OPTIONS.has(k)) invalid(`unknown http server option ${JSON.stringify(k)}`);
  }
  const { port, host = '0.0.0.0', registry = register } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    invalid(`port must be a whole number from 0 to 65535, got ${String(port)}`);
  }
  if (typeof host !== 'string') invalid(`host must be a string, got ${String(host)}`);
  if (!(registry instanceof Registry)) invalid(`registry is not a Registry: ${String(registry)}`);
  const limits = {
    maxConnections: options.maxConnections,
    readTimeoutMs: options.readTimeoutMs,
    writeTimeoutMs: options.writeTimeoutMs,
  };
  try {
    return new HttpServer(native.NativeHttpServer.start(registry._native, host, port, limits));
  } catch (e) {
    throw translate(e);
  }
}

module.exports = { HttpServer, startHttpServer };
