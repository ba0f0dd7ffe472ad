'use strict';
// The platform packages that carry the prebuilt addon, by `<platform>-<arch>[-<libc>]`
// (napi-rs naming). pack.js publishes them as optional dependencies of the main package
// and native.js loads the one npm installed.
exports.PLATFORMS = {
  'linux-x64-gnu': 'pushmetrics-linux-x64-gnu',
};
