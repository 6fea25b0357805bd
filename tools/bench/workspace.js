'use strict';

/**
 * The generated Materialize-shaped monorepo (monorepo.js), made an Nx workspace for the Nx
 * benchmarks: this repository's node_modules linked in, and the benchmark's own files (nx.json,
 * local plugins) written beside it, hidden from git so that the images' inputs stay as generated.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { existingMonorepo, generateMonorepo, isGeneratedMonorepo, keepDirFor } = require('./monorepo');

const REPO_ROOT = path.join(__dirname, '../..');

/**
 * Reuses the monorepo of `scale` kept under `keep` (keepDirFor) when it holds the current
 * generator's tree (else generates one there, or in a temporary directory), then writes `files`
 * (path → content) into it.
 */
function prepareBenchWorkspace(keep, files, log, scale = 1) {
  const kept = keepDirFor(keep, scale);
  const dir = kept ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mzbench-'));
  let summary = existingMonorepo(dir, { scale });
  if (!summary) {
    if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0 && !isGeneratedMonorepo(dir)) {
      throw new Error(`${dir} is not empty and holds no generated monorepo; name another directory`);
    }
    if (isGeneratedMonorepo(dir)) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    log(`generating the monorepo (scale ${scale}) in ${dir}…`);
    summary = generateMonorepo(dir, { scale });
  }
  const ignored = ['/node_modules', '/.nx', ...Object.keys(files).map((file) => `/${file}`)];
  const exclude = path.join(dir, '.git/info/exclude');
  const known = new Set(fs.readFileSync(exclude, 'utf8').split('\n'));
  const missing = ignored.filter((line) => !known.has(line));
  if (missing.length > 0) fs.appendFileSync(exclude, `\n${missing.join('\n')}\n`);
  if (!fs.existsSync(path.join(dir, 'node_modules'))) fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  for (const [file, content] of Object.entries({ 'package.json': JSON.stringify({ name: 'mzbench', private: true }), ...files })) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return { dir, summary, temporary: kept === undefined };
}

module.exports = { prepareBenchWorkspace, REPO_ROOT };
