'use strict';
// The package's install script: builds the addon with @napi-rs/cli when no prebuilt
// `pushmetrics.node` is present (or with --force). Inside the repository it builds the
// workspace crate; from a packed tarball it builds the copy of the sources in native/
// (written by pack.js). Rust (cargo) is required to build.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const addon = path.join(here, 'pushmetrics.node');
const force = process.argv.includes('--force');

if (!force && fs.existsSync(addon)) process.exit(0);

// In the repository the package is a member of the workspace two levels up.
function inRepository() {
  try {
    const ws = fs.readFileSync(path.join(here, '..', '..', 'Cargo.toml'), 'utf8');
    return ws.includes('"bindings/node"') && fs.existsSync(path.join(here, '..', '..', 'core', 'src'));
  } catch {
    return false;
  }
}
const cargoCwd = inRepository() ? here : path.join(here, 'native', 'bindings', 'node');
let napi;
try {
  napi = require.resolve('@napi-rs/cli/scripts/index.js', { paths: [here] });
} catch {
  console.error('pushmetrics: @napi-rs/cli is missing; run npm install first');
  process.exit(1);
}
const args = [
  napi,
  'build',
  '--release',
  '--cargo-cwd',
  path.relative(here, cargoCwd) || '.',
  '--dts',
  'native.d.ts',
  '--no-dts-header',
  '--js',
  'false',
  '.',
];
const r = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('pushmetrics: building the native addon failed (is Rust installed? https://rustup.rs)');
  process.exit(r.status || 1);
}
