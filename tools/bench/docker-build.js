'use strict';

/**
 * The no-op run: on the Materialize-shaped monorepo of tools/bench/monorepo.js, with every image
 * already in the loopback registry (and in the engine), how long `mzimage plan --all` takes, and
 * how much slower `nx run-many -t docker-build` is than `nx run-many` of a target that does
 * nothing, on the same projects (45 at scale 1), in the same run.
 *
 *   node tools/bench/docker-build.js [--runs 5] [--scale 1,4,16] [--keep DIR]
 *
 * The targets are for scale 1 (the tree of scale N is kept in DIR-<N>x with --keep).
 *
 * Needs the Docker Engine and the registry on 127.0.0.1:5000 (tools/setup starts both). The
 * images pushed are stand-ins: one tiny image tagged with each image's real reference, which is
 * all a no-op run looks at.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const { prepareBenchWorkspace, REPO_ROOT } = require('./workspace');
const { median } = require('./fingerprint');
const { parseScales } = require('./monorepo');

const NX = path.join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');
const MZIMAGE = path.join(REPO_ROOT, 'packages/core/bin/mzimage');
const REGISTRY = '127.0.0.1:5000/mzbench';
const TARGETS = { plan: 0.3, addedByDockerBuild: 2 };

/** A second local plugin: a `noop` target on every image project, run by Nx's own no-op executor. */
const NOOP_PLUGIN = `'use strict';
const { dirname } = require('node:path');
exports.createNodes = ['**/mzbuild.yml', (files) =>
  files.filter((file) => file.includes('/')).map((file) => [file, { projects: { [dirname(file)]: { targets: { noop: { executor: 'nx:noop' } } } } }])];
`;

function log(line = '') {
  process.stdout.write(`${line}\n`);
}

function run(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

/** One tiny image, tagged with every image's reference and pushed: the registry and the engine have them all. */
function populate(dir, env) {
  const specs = JSON.parse(run(process.execPath, [MZIMAGE, 'spec', '--all', '--json'], { cwd: dir, env }).stdout);
  const standIn = 'mzbench/stand-in:latest';
  run('docker', ['build', '--quiet', '--tag', standIn, '-'], { input: 'FROM scratch\nLABEL mzbench=1\n' });
  const started = Date.now();
  // Eight at a time: at scale 16 there are 720 images to push.
  const references = specs.map((s) => s.reference).join('\n');
  run('xargs', ['-P', '8', '-n', '1', 'docker', 'tag', standIn], { input: references });
  run('xargs', ['-P', '8', '-n', '1', 'docker', 'push', '--quiet'], { input: references });
  log(`pushed ${specs.length} stand-in images to ${REGISTRY} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return specs.map((s) => s.reference);
}

/** Populates the registry for the tree of one scale and times the no-op runs on it. */
function benchScale(values, runs, scale) {
  const nxJson = { plugins: [{ plugin: '@mzbuild/nx', options: { registry: REGISTRY } }, './tools/noop-plugin.js'] };
  const files = { 'tools/noop-plugin.js': NOOP_PLUGIN, 'nx.json': JSON.stringify(nxJson, null, 2) };
  const workspace = prepareBenchWorkspace(values.keep && path.resolve(values.keep), files, log, scale);
  // A cache directory of the benchmark's own; CI-like settings stay out of the way.
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mzbench-cache-'));
  const env = { ...process.env, MZBUILD_CACHE_DIR: cacheDir, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
  for (const name of ['CI', 'CI_LTO', 'CI_COVERAGE_ENABLED', 'CI_SANITIZER', 'MZBUILD_REGISTRY', 'MZBUILD_PROFILE', 'MZBUILD_ARCH']) delete env[name];
  let references = [];
  try {
    log('');
    log(`== scale ${scale}: ${workspace.summary.images} images ==`);
    references = populate(workspace.dir, env);
    const time = (label, command, args) => {
      run(command, args, { cwd: workspace.dir, env }); // warm-up: caches, page cache
      const times = [];
      for (let i = 0; i < runs; i++) times.push(run(command, args, { cwd: workspace.dir, env }).seconds);
      log(`  ${label.padEnd(44)} ${times.map((t) => t.toFixed(2)).join(' ')} s; median ${median(times).toFixed(2)} s`);
      return median(times);
    };
    const plan = time('mzimage plan --all', process.execPath, [MZIMAGE, 'plan', '--all']);
    const noop = time('nx run-many -t noop', process.execPath, [NX, 'run-many', '-t', 'noop', '--output-style=static']);
    const build = time('nx run-many -t docker-build', process.execPath, [NX, 'run-many', '-t', 'docker-build', '--output-style=static']);
    return { scale, images: workspace.summary.images, plan, noop, build, added: build - noop };
  } finally {
    if (references.length > 0) spawnSync('docker', ['image', 'rm', '--force', ...references, 'mzbench/stand-in:latest'], { encoding: 'utf8' });
    fs.rmSync(cacheDir, { recursive: true, force: true });
    if (workspace.temporary) fs.rmSync(workspace.dir, { recursive: true, force: true });
  }
}

function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string', default: '5' }, scale: { type: 'string', default: '1' }, keep: { type: 'string' } },
  });
  const runs = Number(values.runs);
  log(`no-op runs: every image in ${REGISTRY} and in the engine; node ${process.version}, ${os.cpus().length} CPUs, ${runs} runs each`);
  const rows = parseScales(values.scale).map((scale) => benchScale(values, runs, scale));
  log('');
  log(`scale  images  plan --all   docker-build over no-op        (targets at scale 1: plan ≤ ${TARGETS.plan} s, added ≤ ${TARGETS.addedByDockerBuild} s)`);
  for (const row of rows) {
    const verdicts = row.scale === 1 ? `${row.plan <= TARGETS.plan ? 'PASS' : 'FAIL'} ${row.added <= TARGETS.addedByDockerBuild ? 'PASS' : 'FAIL'}` : '';
    log(
      `${`${row.scale}×`.padStart(5)}  ${String(row.images).padStart(6)}  ${row.plan.toFixed(2).padStart(7)} s   ` +
        `+${row.added.toFixed(2)} s (no-op ${row.noop.toFixed(2)} s, docker-build ${row.build.toFixed(2)} s)  ${verdicts}`,
    );
  }
}

if (require.main === module) main(process.argv.slice(2));
