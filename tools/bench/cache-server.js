'use strict';

/**
 * Nx's remote cache in the registry (`mzimage cache-server`), measured on loopback against the
 * registry on 127.0.0.1:5000 (tools/setup starts it); figures printed, never asserted:
 *
 * - a remote hit of a 1 MB artifact, against Nx's local cache: `nx run app:build` with the
 *   entry in the local cache, and with the local cache's files gone (so Nx asks the server),
 *   median of --runs (20) each; target: at most 50 ms more;
 * - a 100 MB artifact PUT and GET through the server: MB/s; target: 100 MB/s or more;
 * - the server's peak memory (VmHWM) over all of it; target: under 80 MB.
 *
 *   node tools/bench/cache-server.js [--runs 20] [--size-mb 100]
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const REPO_ROOT = path.join(__dirname, '../..');
const NX = path.join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');
const MZIMAGE = path.join(REPO_ROOT, 'packages/core/bin/mzimage');
const TARGETS = { addedMs: 50, mbPerSecond: 100, peakMb: 80 };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function startServer(repository) {
  const child = spawn(process.execPath, [MZIMAGE, 'cache-server', '--cache-repository', repository], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve({ child, url: out.split('\n')[0] });
    });
    child.once('exit', (code) => reject(new Error(`cache-server exited with ${code}`)));
  });
}

/** The server's peak resident memory, from Linux's /proc (VmHWM). */
function peakMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

function workspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mzbench-nx-cache-'));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const command = `node -e "const fs=require('fs');fs.mkdirSync('dist/app',{recursive:true});fs.writeFileSync('dist/app/blob.bin',require('crypto').randomBytes(1<<20))"`;
  const files = {
    '.gitignore': 'node_modules\n.nx\ndist\nnx-cache\n',
    'package.json': JSON.stringify({ name: 'bench', private: true }),
    'nx.json': JSON.stringify({}),
    'apps/app/project.json': JSON.stringify({ name: 'app', root: 'apps/app', targets: { build: { command, cache: true, outputs: ['{workspaceRoot}/dist/app'] } } }),
    'apps/app/src.txt': `bench ${Date.now()}\n`,
  };
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  spawnSync('git', ['init', '-q'], { cwd: dir });
  spawnSync('git', ['add', '-A'], { cwd: dir });
  spawnSync('git', ['-c', 'user.email=b@b', '-c', 'user.name=b', '-c', 'commit.gpgsign=false', 'commit', '-qm', 'bench'], { cwd: dir });
  return dir;
}

function nxRun(dir, env) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [NX, 'run', 'app:build'], {
    cwd: dir,
    encoding: 'utf8',
    // The cache in the workspace itself: node_modules is this repository's, linked.
    env: { ...process.env, NX_CACHE_DIRECTORY: path.join(dir, 'nx-cache'), NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', ...env },
  });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`nx failed: ${result.stdout}${result.stderr}`);
  return { ms, remote: result.stdout.includes('[remote cache]'), local: result.stdout.includes('[local cache]') };
}

/** Removes the local cache's files (not its database), so that Nx asks the remote cache. */
function dropLocalFiles(dir) {
  const cache = path.join(dir, 'nx-cache');
  for (const entry of fs.readdirSync(cache)) if (/^\d+/.test(entry)) fs.rmSync(path.join(cache, entry), { recursive: true, force: true });
}

function transfer(url, method, body) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(url, { method, headers: body ? { 'content-length': String(body.length) } : {} }, (res) => {
      let size = 0;
      res.on('data', (chunk) => (size += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode, size, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'size-mb': { type: 'string', default: '100' } } });
  const runs = Number(values.runs);
  const sizeMb = Number(values['size-mb']);
  const repository = `127.0.0.1:5000/mzbench/nx-cache-${process.pid}-${Date.now()}`;
  const { child, url } = await startServer(repository);
  const env = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url };
  try {
    const dir = workspace();
    nxRun(dir, env); // runs the task and stores it, locally and remotely
    const local = [];
    const remote = [];
    for (let i = 0; i < runs; i++) {
      const l = nxRun(dir, env);
      if (!l.local) throw new Error('expected a local cache hit');
      local.push(l.ms);
      dropLocalFiles(dir);
      const r = nxRun(dir, env);
      if (!r.remote) throw new Error('expected a remote cache hit');
      remote.push(r.ms);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const added = median(remote) - median(local);
    console.log(`1 MB artifact, median of ${runs}: local hit ${median(local).toFixed(0)} ms, remote hit ${median(remote).toFixed(0)} ms: +${added.toFixed(0)} ms (target <= +${TARGETS.addedMs} ms)`);

    const body = randomBytes(sizeMb << 20);
    const last = await transfer(`${url}/v1/cache/bench-${process.pid}`, 'PUT', body);
    if (last.status !== 200) throw new Error(`PUT answered ${last.status}`);
    const get = await transfer(`${url}/v1/cache/bench-${process.pid}`, 'GET');
    if (get.status !== 200 || get.size !== body.length) throw new Error(`GET answered ${get.status} with ${get.size} bytes`);
    const rate = (ms) => (sizeMb / (ms / 1000)).toFixed(0);
    console.log(`${sizeMb} MB artifact on loopback: upload ${rate(last.ms)} MB/s, download ${rate(get.ms)} MB/s (target >= ${TARGETS.mbPerSecond} MB/s)`);
    console.log(`cache-server peak memory: ${peakMb(child.pid).toFixed(0)} MB (target < ${TARGETS.peakMb} MB)`);
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(`tools/bench/cache-server.js: ${error.message}`);
  process.exitCode = 1;
});
