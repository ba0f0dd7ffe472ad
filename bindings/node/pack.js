'use strict';
// `prepack`: copies the Rust sources the addon is built from into native/, laid out as
// in the repository (native/core, native/bindings/node) under a workspace of their own,
// so that a packed tarball installed anywhere builds with `npm install` (see install.js).
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const repo = path.join(here, '..', '..');
const out = path.join(here, 'native');

function copy(from, to) {
  fs.cpSync(path.join(repo, from), path.join(out, to || from), { recursive: true });
}

fs.rmSync(out, { recursive: true, force: true });
// `postpack`: the copy is only for the tarball.
if (process.argv.includes('--clean')) process.exit(0);
fs.mkdirSync(out, { recursive: true });
copy('core/Cargo.toml');
copy('core/src');
copy('core/benches');
copy('bindings/node/Cargo.toml');
copy('bindings/node/build.rs');
copy('bindings/node/src');
copy('Cargo.lock');

// The repository's workspace manifest with only the two crates as members.
const root = fs.readFileSync(path.join(repo, 'Cargo.toml'), 'utf8');
const workspace = root
  .replace(/^members\s*=.*$/m, 'members = ["core", "bindings/node"]')
  .replace(/^default-members\s*=.*$/m, '')
  .replace(/^#.*\n/gm, '');
fs.writeFileSync(path.join(out, 'Cargo.toml'), workspace);
