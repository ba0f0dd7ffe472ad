'use strict';
// writeToTextfile: the registry written atomically to a file for node_exporter's textfile
// collector, by the core, on a libuv worker thread.
const native = require('./native.js');
const { translate, invalid } = require('./errors.js');
const { register, Registry } = require('./registry.js');

/**
 * Writes `registry` (default `register`) to the file `path` in the text format 0.0.4,
 * atomically: a reader sees the old file or the new one, never a part.
 * Rejects with a `PushError` (code `ERR_IO`) naming the path and the reason.
 */
async function writeToTextfile(path, registry) {
  if (typeof path !== 'string') invalid(`writeToTextfile needs a path string, got ${String(path)}`);
  const reg = registry === undefined || registry === null ? register : registry;
  if (!(reg instanceof Registry)) invalid(`registry is not a Registry: ${String(registry)}`);
  await reg._collect();
  const result = await native.writeToTextfile(reg._native, path);
  if (result instanceof Error) throw translate(result);
}

module.exports = { writeToTextfile };
