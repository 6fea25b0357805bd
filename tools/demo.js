'use strict';
// The demo: what mzimage and Nx see in examples/, a small monorepo of three images (a base built
// from scratch, an image that runs a Rust binary, and one built on both), then the images built
// (or reused from the engine or the loopback registry of nx.json) and the Rust one run.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');

/** Runs a step with its output on the terminal; the first step that fails ends the demo with its exit status. */
function show(title, command, args) {
  process.stdout.write(`\n$ ${title} ${args.join(' ')}\n`);
  const run = spawnSync(process.execPath, [command, ...args], { cwd: join(root, 'examples'), stdio: 'inherit' });
  if (run.status !== 0) {
    process.stderr.write(`\ndemo: \`${title} ${args.join(' ')}\` failed (${run.error ? run.error.message : `exit status ${run.status ?? run.signal}`})\n`);
    process.exit(run.status || 1);
  }
}

const mzimage = (...args) => show('mzimage', join(root, 'packages/core/bin/mzimage'), args);
const nx = (...args) => show('nx', join(root, 'node_modules/nx/dist/bin/nx.js'), args);

mzimage('list');
mzimage('fingerprint', '--all');
mzimage('describe', 'demo-app', '--transitive');
nx('show', 'projects', '--projects=tag:mzbuild');
nx('run-many', '-t', 'fingerprint', '--projects=tag:mzbuild', '--output-style=static');
nx('run-many', '-t', 'docker-build', '--projects=tag:mzbuild', '--output-style=static');
mzimage('run', 'demo-hello');
