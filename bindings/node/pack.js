'use strict';
// Packs the npm tarballs of a release (run by scripts/dist.sh):
//   node pack.js --addon PATH --version X.Y.Z --out DIR
// writes DIR/pushmetrics-X.Y.Z.tgz, the JavaScript and types, and
// DIR/pushmetrics-linux-x64-gnu-X.Y.Z.tgz, the prebuilt addon PATH, which the first
// names as an optional dependency: npm installs only the platform package that fits the
// machine, and nothing is built or run at install time.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS } = require('./lib/platforms.js');

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error('usage: node pack.js --addon PATH --version X.Y.Z --out DIR');
    process.exit(2);
  }
  return process.argv[i + 1];
}

const here = __dirname;
const addon = path.resolve(arg('--addon'));
const version = arg('--version');
const out = path.resolve(arg('--out'));
// The platform the addon was built for: the only one shipped for now.
const platform = 'linux-x64-gnu';
const stage = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'pushmetrics-pack-'));

function pack(dir) {
  const r = spawnSync('npm', ['pack', '--silent', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    process.stderr.write(r.stderr || '');
    throw new Error(`npm pack failed in ${dir}`);
  }
  return r.stdout.trim();
}

try {
  fs.mkdirSync(out, { recursive: true });

  const main = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
  const mainDir = path.join(stage, 'main');
  for (const file of main.files) {
    fs.cpSync(path.join(here, file), path.join(mainDir, file), { recursive: true });
  }
  // The published manifest: the version of the workspace, the platform packages as
  // optional dependencies, and nothing that would build or run at install time.
  delete main.scripts;
  delete main.devDependencies;
  main.version = version;
  main.optionalDependencies = Object.fromEntries(
    Object.values(PLATFORMS).map((name) => [name, version]),
  );
  fs.writeFileSync(path.join(mainDir, 'package.json'), `${JSON.stringify(main, null, 2)}\n`);

  const name = PLATFORMS[platform];
  const [os, cpu, abi] = platform.split('-');
  const file = `pushmetrics.${platform}.node`;
  const platformDir = path.join(stage, 'platform');
  fs.mkdirSync(platformDir);
  fs.copyFileSync(addon, path.join(platformDir, file));
  const manifest = {
    name,
    version,
    description: `The prebuilt native addon of pushmetrics for ${platform} (glibc 2.17 or later)`,
    license: main.license,
    main: file,
    files: [file],
    os: [os],
    cpu: [cpu],
    libc: [abi === 'musl' ? 'musl' : 'glibc'],
    engines: main.engines,
  };
  fs.writeFileSync(path.join(platformDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(
    path.join(platformDir, 'README.md'),
    `# ${name}\n\nThe native addon of pushmetrics for ${platform}. Install \`pushmetrics\`, ` +
      'not this package: npm picks it as an optional dependency.\n',
  );

  for (const dir of [mainDir, platformDir]) console.log(path.join(out, pack(dir)));
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
