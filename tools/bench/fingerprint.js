'use strict';

/**
 * Benchmarks `mzimage fingerprint --all` on a synthetic Materialize-shaped monorepo (see
 * monorepo.js): wall time of the whole process, as a user or CI job would pay it, and its peak
 * memory.
 *
 *   node tools/bench/fingerprint.js [--runs 5] [--scale 1,4,16] [--keep DIR]
 *
 * --runs N       timed runs after one warm-up run (default 5)
 * --scale LIST   the monorepo at these multiples of Materialize's shape, one row each (default 1)
 * --keep DIR     generate the repository into DIR (DIR-<N>x at scale N) and keep it; reuse it when
 *                it holds one made by this generator version (a tree in the temp directory is
 *                removed at the end)
 *
 * The targets are for scale 1; larger scales show how the figures grow.
 *
 * Exits 0 whether or not the targets are met (they are reported as PASS/FAIL); 1 when mzimage
 * itself fails, 2 for bad usage.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const { generateMonorepo, existingMonorepo, isGeneratedMonorepo, formatShape, parseScales, keepDirFor } = require('./monorepo');

const CLI = path.join(__dirname, '../../packages/core/bin/mzimage');

/** At scale 1: a run in which nothing changed, a first run (every input hashed), peak RSS of any run. */
const TARGETS = { warm: 0.15, cold: 0.35, peakMb: 150 };

/**
 * Settings that salt fingerprints or change the registry; cleared so that every run, and every
 * machine, fingerprints the same configuration (mzimage's defaults).
 */
const CONFIG_ENV = ['CI_LTO', 'CI_COVERAGE_ENABLED', 'CI_SANITIZER', 'MZBUILD_PROFILE', 'MZBUILD_ARCH', 'MZBUILD_REGISTRY'];

/** Where the preload reports maxRSS; a variable name the CLI has no reason to read. */
const RSS_ENV = 'MZBENCH_MAXRSS_FILE';

class UsageError extends Error {}

/** A failed mzimage run: the benchmark stops and exits 1. */
class RunError extends Error {}

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        runs: { type: 'string', default: '5' },
        scale: { type: 'string', default: '1' },
        keep: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (values.help) return { help: true };
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs ${values.runs}: give a whole number of runs, at least 1`);
  let scales;
  try {
    scales = parseScales(values.scale);
  } catch (error) {
    throw new UsageError(error.message);
  }
  return { runs, scales, keep: values.keep === undefined ? undefined : path.resolve(values.keep) };
}

function log(line = '') {
  process.stdout.write(`${line}\n`);
}

function secondsSince(started) {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * The repository to benchmark: `--keep DIR` reused when this generator version made it, else
 * (re)generated there; without --keep, a fresh temp directory.
 */
function prepareRepository(keep, scale) {
  if (keep !== undefined) {
    const summary = existingMonorepo(keep, { scale });
    if (summary) {
      log(`repository: ${keep} (reused)`);
      return { dir: keep, summary, temporary: false };
    }
    if (fs.existsSync(keep) && fs.readdirSync(keep).length > 0) {
      // Only a tree this generator made (an older version of it) may be thrown away.
      if (!isGeneratedMonorepo(keep)) {
        throw new UsageError(`--keep ${keep}: the directory exists, is not empty and was not made by tools/bench/monorepo.js; choose another`);
      }
      log(`repository: ${keep} was made by another generator version; regenerating`);
      fs.rmSync(keep, { recursive: true, force: true });
    }
    return { dir: keep, summary: generate(keep, scale), temporary: false };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mzbench-repo-'));
  try {
    return { dir, summary: generate(dir, scale), temporary: true };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function generate(dir, scale) {
  log(`repository: ${dir} (generating, scale ${scale}…)`);
  const started = process.hrtime.bigint();
  const summary = generateMonorepo(dir, { scale });
  log(`repository: generated and committed in ${secondsSince(started).toFixed(1)} s`);
  return summary;
}

/**
 * A preload that reports the process's peak RSS on exit: mzimage is measured from inside, with
 * no external tool, and the figure covers the whole process (not git, which it spawns).
 */
function writeProbe(dir) {
  const file = path.join(dir, 'maxrss-probe.js');
  fs.writeFileSync(
    file,
    [
      "'use strict';",
      '// Preloaded by tools/bench/fingerprint.js: records peak RSS (kilobytes) for the benchmark.',
      "process.on('exit', () => {",
      `  const file = process.env.${RSS_ENV};`,
      "  if (file) require('node:fs').writeFileSync(file, String(process.resourceUsage().maxRSS));",
      '});',
      '',
    ].join('\n'),
  );
  return file;
}

function childEnv(rssFile, cacheDir) {
  const env = { ...process.env, [RSS_ENV]: rssFile, MZBUILD_CACHE_DIR: cacheDir };
  for (const name of CONFIG_ENV) delete env[name];
  return env;
}

/**
 * Runs mzimage on the same Node as the benchmark, from the repository, and returns its output,
 * wall time and peak RSS. A non-zero exit is a RunError carrying mzimage's stderr.
 */
function runMzimage(repo, probe, scratch, args, cacheDir = path.join(scratch, 'cache')) {
  const rssFile = path.join(scratch, 'maxrss');
  fs.rmSync(rssFile, { force: true });
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--require', probe, CLI, ...args], {
    cwd: repo,
    env: childEnv(rssFile, cacheDir),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const seconds = secondsSince(started);
  if (result.error) throw new RunError(`mzimage ${args.join(' ')} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    const how = result.status === null ? `was killed by ${result.signal}` : `exited with ${result.status}`;
    // The bin script loads the build output; without a build, say how to make one.
    const hint = /Cannot find module .*dist/.test(result.stderr) ? '(is the CLI built? npm run build)\n' : '';
    throw new RunError(`mzimage ${args.join(' ')} ${how}:\n${result.stderr}${hint}`);
  }
  let maxRssKb = NaN;
  try {
    maxRssKb = Number(fs.readFileSync(rssFile, 'utf8'));
  } catch {
    // Reported as n/a: the run itself succeeded.
  }
  return { stdout: result.stdout, seconds, maxRssMb: maxRssKb / 1024 };
}

/**
 * Counts inputs as mzimage sees them, from `describe --json` of every image: a check of the
 * shape the generator meant, and of describe agreeing with fingerprint.
 */
function describeAll(repo, probe, scratch) {
  const names = runMzimage(repo, probe, scratch, ['list']).stdout.split('\n').filter(Boolean);
  const descriptions = JSON.parse(runMzimage(repo, probe, scratch, ['describe', '--json', ...names]).stdout);
  const distinct = new Set();
  let references = 0;
  for (const { inputs } of descriptions) {
    references += inputs.length;
    for (const file of inputs) distinct.add(file);
  }
  const fingerprints = new Map(descriptions.map((d) => [d.name, d.fingerprint]));
  return { images: names.length, distinct: distinct.size, references, fingerprints };
}

/** `fingerprint --all` prints NAME<TAB>FINGERPRINT lines. */
function parseFingerprints(stdout) {
  return new Map(stdout.split('\n').filter(Boolean).map((line) => line.split('\t')));
}

function sameMap(a, b) {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** maxRSS is in kilobytes; MB here is 2^20 bytes, as in the generator's shape figures. */
const formatMb = (mb) => (Number.isNaN(mb) ? 'n/a' : `${mb.toFixed(1)} MB`);
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');

function printShape(summary, described) {
  log('shape (as generated; 1 MB = 2^20 bytes):');
  for (const line of formatShape(summary).split('\n')) log(`  ${line}`);
  const agrees = described.distinct === summary.inputFiles && described.references === summary.inputReferences;
  log(
    `  mzimage describe:  ${described.images} images, ${described.distinct} distinct inputs, ${described.references} references` +
      (agrees ? ' (as the generator expects)' : ` — WARNING: the generator expects ${summary.inputFiles} and ${summary.inputReferences}`),
  );
}

/**
 * One warm-up run (page cache, compile cache) and `runs` timed ones; the outputs must agree.
 * `cold`: every run starts with an empty hash cache (a first run, or one after every input
 * changed); otherwise the runs share one, as a user's repeated runs do.
 */
function timeFingerprintAll(repo, probe, scratch, runs, expected, cold, extra = []) {
  const args = ['fingerprint', '--all', ...extra];
  let n = 0;
  const cacheDir = () => path.join(scratch, cold ? `cold-cache-${n++}` : 'cache');
  const warmUp = runMzimage(repo, probe, scratch, args, cacheDir());
  log(`  warm-up: ${warmUp.seconds.toFixed(3)} s, ${formatMb(warmUp.maxRssMb)}`);
  const fingerprints = parseFingerprints(warmUp.stdout);
  if (!sameMap(fingerprints, expected)) log(`  WARNING: fingerprint --all ${extra.join(' ')} and describe disagree on some fingerprints`);
  const timed = [];
  for (let i = 1; i <= runs; i++) {
    const run = runMzimage(repo, probe, scratch, args, cacheDir());
    log(`  run ${i}:   ${run.seconds.toFixed(3)} s, ${formatMb(run.maxRssMb)}`);
    if (run.stdout !== warmUp.stdout) log(`  WARNING: run ${i} printed different fingerprints than the warm-up run`);
    timed.push(run);
  }
  return { warmUp, timed };
}

/** The median and the peak of a set of runs; `target` (seconds) is shown where it applies (scale 1). */
function report({ warmUp, timed }, target) {
  const seconds = median(timed.map((r) => r.seconds));
  // Peak over every run, the warm-up included: memory does not warm up.
  const peak = Math.max(...[warmUp, ...timed].map((r) => r.maxRssMb).filter((mb) => !Number.isNaN(mb)));
  const against = target === undefined ? '(targets are for scale 1)' : `target ≤ ${target} s   ${verdict(seconds <= target)}`;
  log(`  median:  ${seconds.toFixed(3)} s    ${against}`);
  if (Number.isFinite(peak)) {
    log(`  peak:    ${formatMb(peak)}   target ≤ ${TARGETS.peakMb} MB   ${verdict(peak <= TARGETS.peakMb)}`);
  } else {
    log('  peak:    n/a (the preload wrote no figure)');
  }
  return { seconds, peak };
}

/** Generates (or reuses) the tree of one scale, and times warm and cold runs on it. */
function benchScale(options, scale, probe, scratch) {
  const repo = prepareRepository(keepDirFor(options.keep, scale), scale);
  try {
    const described = describeAll(repo.dir, probe, scratch);
    printShape(repo.summary, described);
    const target = (key) => (scale === 1 ? TARGETS[key] : undefined);
    log(`fingerprint --all, ${options.runs} timed runs after a warm-up (wall time of the whole process; peak RSS)`);
    log('repeated runs, the caches kept between them (what a user sees run after run):');
    const warm = report(timeFingerprintAll(repo.dir, probe, scratch, options.runs, described.fingerprints, false), target('warm'));
    log('cold runs, each with an empty cache directory (a first run: every input read and hashed):');
    const cold = report(timeFingerprintAll(repo.dir, probe, scratch, options.runs, described.fingerprints, true), target('cold'));
    // The generated tree is committed and clean: the commit's fingerprints are the working tree's.
    const diff = (a, b) => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(3)} s`;
    log('--rev HEAD, from git objects alone, repeated (the blob-hash cache kept), against the repeated runs:');
    const revWarm = report(timeFingerprintAll(repo.dir, probe, scratch, options.runs, described.fingerprints, false, ['--rev', 'HEAD']), target('warm'));
    log(`  --rev HEAD vs the working tree, repeated: ${diff(revWarm.seconds, warm.seconds)}`);
    log('--rev HEAD cold (an empty cache directory: every input blob read), against the cold runs:');
    const rev = report(timeFingerprintAll(repo.dir, probe, scratch, options.runs, described.fingerprints, true, ['--rev', 'HEAD']), target('cold'));
    log(`  --rev HEAD vs the working tree, cold: ${diff(rev.seconds, cold.seconds)}`);
    return { scale, images: described.images, files: repo.summary.files, inputs: described.distinct, warm, cold, rev };
  } finally {
    if (repo.temporary) fs.rmSync(repo.dir, { recursive: true, force: true });
  }
}

/** One row per scale: the growth, and the targets beside the figures of scale 1. */
function printTable(rows) {
  log('');
  log(`scale  images   files  inputs   warm      cold      --rev     peak      (targets at scale 1: warm ≤ ${TARGETS.warm} s, cold and --rev ≤ ${TARGETS.cold} s, peak ≤ ${TARGETS.peakMb} MB)`);
  for (const row of rows) {
    const peak = Math.max(row.warm.peak, row.cold.peak, row.rev.peak);
    const verdicts =
      row.scale === 1
        ? [row.warm.seconds <= TARGETS.warm, row.cold.seconds <= TARGETS.cold, row.rev.seconds <= TARGETS.cold, peak <= TARGETS.peakMb].map(verdict).join(' ')
        : '';
    log(
      `${`${row.scale}×`.padStart(5)}  ${String(row.images).padStart(6)}  ${String(row.files).padStart(6)}  ${String(row.inputs).padStart(6)}` +
        `  ${row.warm.seconds.toFixed(3)} s  ${row.cold.seconds.toFixed(3)} s  ${row.rev.seconds.toFixed(3)} s  ${formatMb(peak).padStart(8)}  ${verdicts}`,
    );
  }
}

function main(argv) {
  const options = parseOptions(argv);
  if (options.help) {
    log('usage: node tools/bench/fingerprint.js [--runs 5] [--scale 1,4,16] [--keep DIR]');
    return 0;
  }
  log('mzimage fingerprint --all benchmark');
  log(`node ${process.version} (${process.execPath}), ${os.cpus().length} CPUs`);

  // Everything below is synchronous, so a JavaScript SIGINT handler would only run once it is all
  // over. A Ctrl-C during a run kills mzimage too (same process group), which ends the benchmark
  // through the `finally` below; one during generation leaves the directory named beforehand.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mzbench-probe-'));
  try {
    const probe = writeProbe(scratch);
    const rows = [];
    for (const scale of options.scales) {
      log('');
      log(`== scale ${scale} ==`);
      rows.push(benchScale(options, scale, probe, scratch));
    }
    printTable(rows);
    return 0;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`fingerprint.js: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof RunError) {
      process.stderr.write(`fingerprint.js: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  }
}

module.exports = { main, median };
