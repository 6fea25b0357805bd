'use strict';

/**
 * How much time the @mzbuild/nx plugin adds to `nx show projects`, on the Materialize-shaped
 * monorepo of tools/bench/monorepo.js, next to a trivial plugin that only reads each manifest's
 * name, in the same run and on the same tree.
 *
 *   node tools/bench/nx.js [--runs 5] [--scale 1,4,16] [--keep DIR]
 *
 * Each configuration is measured first (no daemon, `.nx` and mzbuild's cache directory removed
 * before every run; with isolation only), cold (no daemon, `.nx` removed before every run), cached (no
 * daemon, `.nx` kept from an untimed run: Nx's and the plugin's caches warm) and with the daemon
 * (up, the graph computed once before the timed runs); with plugin isolation (Nx's default:
 * plugins in worker processes) and without it; at each scale of the monorepo (default 1; the
 * tree of scale N in DIR-<N>x with --keep). The user's mzbuild cache directory is left alone:
 * the benchmark gives mzbuild one of its own, kept across runs as a user's is (a cold run is
 * one after `nx reset`). Figures are printed, not asserted: the target is that the plugin adds
 * at most 0.3 s to the trivial plugin's time.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const { formatShape, parseScales } = require('./monorepo');
const { prepareBenchWorkspace, REPO_ROOT } = require('./workspace');
const { median } = require('./fingerprint');

const NX = path.join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');
const TARGET_ADDED_SECONDS = 0.3;

/** The trivial plugin: one project per manifest, named after its `name:` line, and nothing else. */
const TRIVIAL_PLUGIN = `'use strict';
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
exports.createNodes = ['**/mzbuild.yml', (files, _options, context) =>
  files.filter((file) => file.includes('/')).map((file) => {
    const name = /^name:\\s*(\\S+)/m.exec(readFileSync(join(context.workspaceRoot, file), 'utf8'))[1];
    return [file, { projects: { [dirname(file)]: { name, targets: {} } } }];
  })];
exports.createNodesV2 = exports.createNodes;
`;

const PLUGINS = {
  '@mzbuild/nx': { plugin: '@mzbuild/nx', options: {} },
  trivial: { plugin: './tools/trivial-nx-plugin.js' },
};

function log(line = '') {
  process.stdout.write(`${line}\n`);
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string', default: '5' }, scale: { type: 'string', default: '1' }, keep: { type: 'string' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: a whole number, at least 1`);
  return { runs, scales: parseScales(values.scale), keep: values.keep && path.resolve(values.keep) };
}

function usePlugin(dir, name) {
  fs.writeFileSync(path.join(dir, 'nx.json'), JSON.stringify({ plugins: [PLUGINS[name]] }, null, 2));
}

/** mzbuild's cache directory for the benchmark's runs (set in main). */
let mzbuildCacheDir;

function nx(dir, args, env) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [NX, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NX_NO_CLOUD: 'true', NX_TUI: 'false', MZBUILD_CACHE_DIR: mzbuildCacheDir, ...env },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

/**
 * Without the daemon. `cold`: no .nx (Nx's caches and workspace data) before every run, as after
 * `nx reset`; `first`: no mzbuild cache either, as in a fresh checkout on a new machine.
 */
function timeWithoutDaemon(dir, runs, isolate, mode) {
  const env = { NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: isolate };
  const reset = () => {
    fs.rmSync(path.join(dir, '.nx'), { recursive: true, force: true });
    if (mode === 'first') fs.rmSync(mzbuildCacheDir, { recursive: true, force: true });
  };
  reset();
  nx(dir, ['show', 'projects'], env); // untimed: the page cache, mzbuild's cache for `cold`, everything for `cached`
  const times = [];
  for (let i = 0; i < runs; i++) {
    if (mode !== 'cached') reset();
    times.push(nx(dir, ['show', 'projects'], env).seconds);
  }
  return times;
}

/** With the daemon, which holds the graph; one untimed run computes it. */
function timeWithDaemon(dir, runs, isolate) {
  const env = { NX_DAEMON: 'true', NX_ISOLATE_PLUGINS: isolate };
  fs.rmSync(path.join(dir, '.nx'), { recursive: true, force: true });
  nx(dir, ['daemon', '--stop'], env);
  try {
    nx(dir, ['show', 'projects'], env);
    const times = [];
    for (let i = 0; i < runs; i++) times.push(nx(dir, ['show', 'projects'], env).seconds);
    return times;
  } finally {
    nx(dir, ['daemon', '--stop'], env);
  }
}

/** Every configuration at one scale: rows of medians, and the plugin's added time. */
function benchScale(options, scale) {
  const files = { 'tools/trivial-nx-plugin.js': TRIVIAL_PLUGIN, 'nx.json': '{}' };
  const workspace = prepareBenchWorkspace(options.keep, files, log, scale);
  try {
    log('');
    log(`== scale ${scale} ==`);
    for (const line of formatShape(workspace.summary).split('\n')) log(`  ${line}`);
    const rows = [];
    for (const isolate of ['true', 'false']) {
      for (const mode of isolate === 'true' ? ['first', 'cold', 'cached', 'daemon'] : ['cold', 'cached', 'daemon']) {
        const medians = {};
        for (const plugin of Object.keys(PLUGINS)) {
          usePlugin(workspace.dir, plugin);
          const times =
            mode === 'daemon'
              ? timeWithDaemon(workspace.dir, options.runs, isolate)
              : timeWithoutDaemon(workspace.dir, options.runs, isolate, mode);
          medians[plugin] = median(times);
          log(`  isolation ${isolate === 'true' ? 'on ' : 'off'}, ${mode}, ${plugin.padEnd(11)}: ${times.map((t) => t.toFixed(2)).join(' ')} s; median ${medians[plugin].toFixed(2)} s`);
        }
        rows.push({ scale, images: workspace.summary.images, isolate, mode, ...medians, added: medians['@mzbuild/nx'] - medians.trivial });
      }
    }
    return rows;
  } finally {
    if (workspace.temporary) fs.rmSync(workspace.dir, { recursive: true, force: true });
  }
}

function main(argv) {
  const options = parseOptions(argv);
  log('nx show projects with @mzbuild/nx, next to a plugin that only reads manifest names');
  log(`node ${process.version}, ${os.cpus().length} CPUs, ${options.runs} runs each`);
  mzbuildCacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mzbench-mzbuild-cache-'));
  try {
    const rows = options.scales.flatMap((scale) => benchScale(options, scale));
    log('');
    log(`scale  images  isolation  mode    trivial  @mzbuild/nx  added   (target: added ≤ ${TARGET_ADDED_SECONDS} s)`);
    for (const row of rows) {
      const verdict = row.added <= TARGET_ADDED_SECONDS ? 'PASS' : 'FAIL';
      log(
        `${`${row.scale}×`.padStart(5)}  ${String(row.images).padStart(6)}  ${(row.isolate === 'true' ? 'on' : 'off').padEnd(9)}  ${row.mode.padEnd(6)}  ` +
          `${row.trivial.toFixed(2).padStart(6)} s ${row['@mzbuild/nx'].toFixed(2).padStart(8)} s  ${row.added >= 0 ? '+' : ''}${row.added.toFixed(2)} s  ${verdict}`,
      );
    }
  } finally {
    fs.rmSync(mzbuildCacheDir, { recursive: true, force: true });
  }
}

if (require.main === module) main(process.argv.slice(2));
