'use strict';
// The demo: what mzimage sees in examples/, a small monorepo of three images (a base built from
// scratch, an image that runs a Rust binary, and one built on both).
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const mzimage = join(root, 'packages/core/bin/mzimage');

function show(args) {
  process.stdout.write(`\n$ mzimage ${args.join(' ')}\n`);
  process.stdout.write(execFileSync(process.execPath, [mzimage, ...args], { cwd: join(root, 'examples'), encoding: 'utf8' }));
}

show(['list']);
show(['fingerprint', '--all']);
show(['spec', '--all']);
show(['describe', 'demo-app', '--transitive']);
