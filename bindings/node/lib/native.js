'use strict';
// Loads the addon built by `napi build` (see install.js): `pushmetrics.node` beside the
// package root.
const path = require('node:path');

const file = path.join(__dirname, '..', 'pushmetrics.node');
try {
  module.exports = require(file);
} catch (e) {
  e.message =
    `pushmetrics: cannot load the native addon ${file} (${e.message}); ` +
    'build it with `npm rebuild pushmetrics --allow-scripts=pushmetrics` (npm may skip the ' +
    'install scripts of dependencies until they are approved) or `npm run build` in the ' +
    'package directory; Rust (cargo) is required';
  throw e;
}
