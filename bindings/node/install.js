'use strict';
// Builds the addon from a checkout of the repository: `npm run build` (or `node install.js
// --force`) runs `napi build` on the workspace crate and writes `pushmetrics.node` beside
// the package, which lib/native.js prefers to a platform package. Needs Rust (cargo).
// Installed packages never run this: their addon comes prebuilt (see pack.js).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const addon = path.join(here, 'pushmetrics.node');
if (!process.argv.includes('--force') && fs.existsSync(addon)) process.exit(0);

let napi;
try {
  napi = require.resolve('@napi-rs/cli/scripts/index.js', { paths: [here] });
} catch {
  console.error('pushmetrics: @napi-rs/cli is missing; run npm install in bindings/node first');
  process.exit(1);
}
const args = [napi, 'build', '--release', '--dts', 'native.d.ts', '--no-dts-header', '--js', 'false', '.'];
const r = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('pushmetrics: building the native addon failed (is Rust installed? https://rustup.rs)');
  process.exit(r.status || 1);
}
