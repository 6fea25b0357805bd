'use strict';

/**
 * How much time the @mzbuild/nx plugin adds to `nx show projects`, on the Materialize-shaped
 * monorepo of tools/bench/monorepo.js, next to a trivial plugin that only reads each manifest's
 * name, in the same run and on the same tree.
 *
 *   node tools/bench/nx.js [--runs 5] [--keep DIR]
 *
 * Each configuration is measured cold (no daemon, `.nx` removed before every run), cached (no
 * daemon, `.nx` kept from an untimed run: Nx's and the plugin's caches warm) and with the daemon
 * (up, the graph computed once before the timed runs); with plugin isolation (Nx's default:
 * plugins in worker processes) and without it. Figures are printed, not asserted: the
 * target is that the plugin adds at most 0.5 s to the trivial plugin's time.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const { formatShape } = require('./monorepo');
const { prepareBenchWorkspace, REPO_ROOT } = require('./workspace');
const { median } = require('./fingerprint');

const NX = path.join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');
const TARGET_ADDED_SECONDS = 0.5;

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
    options: { runs: { type: 'string', default: '5' }, keep: { type: 'string' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: a whole number, at least 1`);
  return { runs, keep: values.keep && path.resolve(values.keep) };
}

function usePlugin(dir, name) {
  fs.writeFileSync(path.join(dir, 'nx.json'), JSON.stringify({ plugins: [PLUGINS[name]] }, null, 2));
}

function nx(dir, args, env) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [NX, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NX_NO_CLOUD: 'true', NX_TUI: 'false', ...env },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

/** Without the daemon; `cold`: no .nx (Nx's caches and workspace data) before every run. */
function timeWithoutDaemon(dir, runs, isolate, cold) {
  const env = { NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: isolate };
  fs.rmSync(path.join(dir, '.nx'), { recursive: true, force: true });
  if (!cold) nx(dir, ['show', 'projects'], env);
  const times = [];
  for (let i = 0; i < runs; i++) {
    if (cold) fs.rmSync(path.join(dir, '.nx'), { recursive: true, force: true });
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

function main(argv) {
  const options = parseOptions(argv);
  log('nx show projects with @mzbuild/nx, next to a plugin that only reads manifest names');
  log(`node ${process.version}, ${os.cpus().length} CPUs, ${options.runs} runs each`);
  const workspace = prepareBenchWorkspace(options.keep, { 'tools/trivial-nx-plugin.js': TRIVIAL_PLUGIN, 'nx.json': '{}' }, log);
  try {
    for (const line of formatShape(workspace.summary).split('\n')) log(`  ${line}`);
    const rows = [];
    for (const isolate of ['true', 'false']) {
      for (const mode of ['cold', 'cached', 'daemon']) {
        const medians = {};
        for (const plugin of Object.keys(PLUGINS)) {
          usePlugin(workspace.dir, plugin);
          const times =
            mode === 'daemon'
              ? timeWithDaemon(workspace.dir, options.runs, isolate)
              : timeWithoutDaemon(workspace.dir, options.runs, isolate, mode === 'cold');
          medians[plugin] = median(times);
          log(`  isolation ${isolate === 'true' ? 'on ' : 'off'}, ${mode}, ${plugin.padEnd(11)}: ${times.map((t) => t.toFixed(2)).join(' ')} s; median ${medians[plugin].toFixed(2)} s`);
        }
        rows.push({ isolate, mode, ...medians, added: medians['@mzbuild/nx'] - medians.trivial });
      }
    }
    log('');
    log('isolation  mode    trivial  @mzbuild/nx  added   (target: added ≤ 0.5 s)');
    for (const row of rows) {
      const verdict = row.added <= TARGET_ADDED_SECONDS ? 'PASS' : 'FAIL';
      log(
        `${(row.isolate === 'true' ? 'on' : 'off').padEnd(9)}  ${row.mode.padEnd(6)}  ${row.trivial.toFixed(2).padStart(6)} s ${row['@mzbuild/nx'].toFixed(2).padStart(8)} s  ${row.added >= 0 ? '+' : ''}${row.added.toFixed(2)} s  ${verdict}`,
      );
    }
  } finally {
    if (workspace.temporary) fs.rmSync(workspace.dir, { recursive: true, force: true });
  }
}

if (require.main === module) main(process.argv.slice(2));
