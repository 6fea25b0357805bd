'use strict';

/**
 * What trusted keys cost the no-op run: on the Materialize-shaped monorepo of
 * tools/bench/monorepo.js, with every image published and signed in the loopback registry (and
 * none in the engine, so that the plan asks the registry about every one), the time of
 * `mzimage plan --all` without trusted keys and with them. With them, each run verifies a
 * signature per image: the warm figure is what a user sees run after run (the verified-signature
 * cache knows every digest); the cold one empties that cache before each run (a GET of the
 * attachment per image, at once; its payload, which mzbuild signed, is computed rather than read).
 *
 *   node_modules/.bin/node tools/bench/trust.js [--runs 5] [--keep DIR]
 *
 * Target, at scale 1 (45 images): trusted keys add at most 0.1 s to the no-op plan. Exits 0
 * whether or not it is met (PASS/FAIL is printed); 1 when a command fails.
 *
 * Needs the Docker Engine and the registry on 127.0.0.1:5000 (tools/setup starts both). The
 * images are stand-ins (one tiny image under every image's reference, as docker-build.js pushes),
 * signed by `mzimage ensure --all` with a key `mzimage keygen` made for the run.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const { prepareBenchWorkspace, REPO_ROOT } = require('./workspace');
const { median } = require('./fingerprint');

const MZIMAGE = path.join(REPO_ROOT, 'packages/core/bin/mzimage');
/** A namespace of the run's own: the loopback registry is shared with other runs and tests. */
const REGISTRY = `127.0.0.1:5000/mzbench-trust-${process.pid}-${Date.now().toString(36)}`;
const TARGET_ADDED = 0.1;
/** Only for this run's throwaway key; never printed. */
const PASSWORD = `mzbench-${process.pid}-${Math.random().toString(36).slice(2)}`;

function log(line = '') {
  process.stdout.write(`${line}\n`);
}

function run(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    const shown = [command, ...args].join(' ');
    throw new Error(`${shown} failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
  return { seconds, stdout: result.stdout, stderr: result.stderr };
}

function mzimage(dir, env, args) {
  return run(process.execPath, [MZIMAGE, ...args, '--image-registry', REGISTRY], { cwd: dir, env });
}

/** Every image's stand-in pushed under its reference, then gone from the engine. */
function populate(dir, env) {
  const specs = JSON.parse(mzimage(dir, env, ['spec', '--all', '--json']).stdout);
  const standIn = `mzbench/trust-stand-in:${process.pid}`;
  run('docker', ['build', '--quiet', '--tag', standIn, '-'], { input: 'FROM scratch\nLABEL mzbench=trust\n' });
  const references = specs.map((s) => s.reference).join('\n');
  const started = Date.now();
  run('xargs', ['-P', '8', '-n', '1', 'docker', 'tag', standIn], { input: references });
  run('xargs', ['-P', '8', '-n', '1', 'docker', 'push', '--quiet'], { input: references });
  log(`pushed ${specs.length} stand-in images to ${REGISTRY} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { references: specs.map((s) => s.reference), standIn };
}

function main(argv) {
  const { values } = parseArgs({ args: argv, options: { runs: { type: 'string', default: '5' }, keep: { type: 'string' } } });
  const runs = Number(values.runs);
  log(`trusted keys on the no-op plan: every image signed in ${REGISTRY}; node ${process.version}, ${os.cpus().length} CPUs, ${runs} runs each`);
  const workspace = prepareBenchWorkspace(values.keep && path.resolve(values.keep), {}, log, 1);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mzbench-trust-'));
  const cacheDir = path.join(scratch, 'cache');
  const env = { ...process.env, MZBUILD_CACHE_DIR: cacheDir, MZBUILD_SIGNING_KEY: '', MZBUILD_TRUSTED_KEYS: '', MZBUILD_CACHE_REGISTRY: '' };
  for (const name of ['CI', 'CI_LTO', 'CI_COVERAGE_ENABLED', 'CI_SANITIZER', 'MZBUILD_REGISTRY', 'MZBUILD_MIRRORS', 'MZBUILD_PROFILE', 'MZBUILD_ARCH']) delete env[name];
  let populated;
  try {
    populated = populate(workspace.dir, env);
    const prefix = path.join(scratch, 'bench');
    run(process.execPath, [MZIMAGE, 'keygen', '--output', prefix], { cwd: scratch, env: { ...env, MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD } });
    const signing = { ...env, MZBUILD_SIGNING_KEY: `${prefix}.key`, MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD };
    const signed = mzimage(workspace.dir, signing, ['ensure', '--all']);
    log(`signed: ${signed.stdout.trim().split('\n').pop()} (${signed.seconds.toFixed(1)} s)`);
    // The plan must ask the registry of every image: none may be in the engine.
    spawnSync('docker', ['image', 'rm', '--force', ...populated.references], { encoding: 'utf8' });

    const trusted = ['--trusted-key', `${prefix}.pub`];
    const verifiedCache = () => fs.readdirSync(cacheDir).filter((f) => f.startsWith('verified-signatures-')).map((f) => path.join(cacheDir, f));
    const emptyVerifiedCache = () => verifiedCache().forEach((f) => fs.rmSync(f));
    const variants = [
      { label: 'plan --all, no trusted keys', args: [], before: () => {} },
      { label: 'plan --all, trusted keys (verified cache warm)', args: trusted, before: () => {} },
      { label: 'plan --all, trusted keys (verified cache emptied)', args: trusted, before: emptyVerifiedCache },
    ];
    for (const { label, args } of variants) {
      const warmUp = mzimage(workspace.dir, env, ['plan', '--all', ...args]); // caches, page cache
      const actions = new Set(warmUp.stdout.split('\n').filter(Boolean).map((line) => line.split(/\s+/)[1]));
      if ([...actions].some((a) => a !== 'registry' && a !== 'build')) throw new Error(`${label}: the plan is not a no-op:\n${warmUp.stdout}`);
      if (!actions.has('registry')) throw new Error(`${label}: no image was found in the registry:\n${warmUp.stdout}`);
    }
    // Round by round, one run of each in turn, so that a busy moment of the machine falls on all three alike.
    const times = variants.map(() => []);
    for (let i = 0; i < runs; i++) {
      variants.forEach(({ args, before }, v) => {
        before();
        times[v].push(mzimage(workspace.dir, env, ['plan', '--all', ...args]).seconds);
      });
    }
    const [without, warm, cold] = variants.map(({ label }, v) => {
      log(`  ${label.padEnd(52)} ${times[v].map((t) => t.toFixed(3)).join(' ')} s; median ${median(times[v]).toFixed(3)} s`);
      return median(times[v]);
    });
    const verdict = (added) => (added <= TARGET_ADDED ? 'PASS' : 'FAIL');
    const delta = (seconds) => `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(3)} s`;
    log('');
    log(`no trusted keys:              ${without.toFixed(3)} s`);
    log(`trusted keys, warm:           ${warm.toFixed(3)} s   ${delta(warm - without)}   target ≤ +${TARGET_ADDED} s   ${verdict(warm - without)}`);
    log(`trusted keys, cold verifying: ${cold.toFixed(3)} s   ${delta(cold - without)}   target ≤ +${TARGET_ADDED} s   ${verdict(cold - without)}`);
  } finally {
    if (populated) spawnSync('docker', ['image', 'rm', '--force', ...populated.references, populated.standIn], { encoding: 'utf8' });
    fs.rmSync(scratch, { recursive: true, force: true });
    if (workspace.temporary) fs.rmSync(workspace.dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`trust.js: ${error.message}\n`);
    process.exitCode = 1;
  }
}
