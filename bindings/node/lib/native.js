'use strict';
// Loads the native addon: `pushmetrics.node` beside the package when it was built from a
// checkout (`npm run build`), otherwise the prebuilt one of the platform package that npm
// installed as an optional dependency.
const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS } = require('./platforms.js');

const local = path.join(__dirname, '..', 'pushmetrics.node');

function isMusl() {
  try {
    return fs.readFileSync('/usr/bin/ldd', 'latin1').includes('musl');
  } catch {
    return !process.report.getReport().header.glibcVersionRuntime;
  }
}

function load() {
  if (fs.existsSync(local)) return require(local);
  const base = `${process.platform}-${process.arch}`;
  // On Linux npm installs only the package whose `libc` fits, so trying glibc's first and
  // then musl's needs no detection on the way to a working addon.
  const keys = process.platform === 'linux' ? [`${base}-gnu`, `${base}-musl`] : [base];
  for (const key of keys) {
    const name = PLATFORMS[key];
    if (!name) continue;
    let addon;
    try {
      addon = require(name);
    } catch (e) {
      if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${name}'`)) continue;
      e.message = `pushmetrics: cannot load the native addon of ${name} (${e.message})`;
      throw e;
    }
    const own = require('../package.json').version;
    const theirs = require(`${name}/package.json`).version;
    if (own !== theirs) {
      throw new Error(
        `pushmetrics ${own} found ${name} ${theirs}: the two must have the same version ` +
          `(npm install pushmetrics@${own} reinstalls both)`,
      );
    }
    return addon;
  }
  const platform =
    process.platform === 'linux' ? `${base}-${isMusl() ? 'musl' : 'gnu'}` : base;
  const name = PLATFORMS[platform];
  throw new Error(
    name
      ? `pushmetrics: the prebuilt addon for ${platform} is missing: the optional dependency ` +
          `${name} was not installed (was npm run with --omit=optional or --no-optional?); ` +
          'reinstall pushmetrics with optional dependencies'
      : `pushmetrics: no prebuilt addon for ${platform}; prebuilt addons exist for ` +
          `${Object.keys(PLATFORMS).join(', ')}. On another platform build it from a ` +
          'checkout of the repository with Rust installed (npm run build in bindings/node)',
  );
}

module.exports = load();
