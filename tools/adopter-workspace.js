#!/usr/bin/env node
'use strict';
/**
 * An adopter's Nx workspace: what someone who installs @mzbuild/nx from npm gets, made from this
 * checkout's packages (built by the caller: `npm run build`).
 *
 *   node tools/adopter-workspace.js DIR [--nx 24.0.6] [--node /path/to/node] [--registry R]
 *
 * packs both packages with `npm pack`, creates DIR (outside this repository) as a fresh Nx
 * workspace with that Nx (package.json, npm install, nx.json, git init, .gitignore), and adds the
 * plugin with `nx add`. Used by test/adopter and tools/compat; plain CommonJS, Node >= 20, no
 * dependencies beyond Node.
 *
 * `nx add` works for a package that is not on the npm registry: it splits its argument at the
 * last `@` (`@mzbuild/nx@file:/abs/x.tgz` is the package `@mzbuild/nx` at the version
 * `file:/abs/x.tgz`), runs `<package manager> add -D <name>@<version>` through a shell, then
 * `npx nx g @mzbuild/nx:init` (with no options: `nx add` passes none on). So the tarball's path
 * must hold no `@` and nothing a shell would read (it is a temporary directory of our own), and
 * the registry is given by a second `nx g @mzbuild/nx:init --registry=…`. The workspace lists
 * both tarballs as `file:` dependencies before that: @mzbuild/nx depends on @mzbuild/core, which
 * is not on the registry either, and npm must find it in the workspace.
 *
 * Commands run with a clean environment: none of what an enclosing `npm test` sets for its script, no
 * PATH entry inside this repository (its node_modules/.bin has nx and mzimage), no CI or
 * MZBUILD_* variables unless given, and PATH starting with a directory whose `node` is the chosen
 * Node, so that what nx itself starts (`npm`, `npx nx`) runs on that Node too.
 */
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { delimiter, dirname, isAbsolute, join, relative, resolve } = require('node:path');

const REPO_ROOT = resolve(__dirname, '..');
const DEFAULT_NX = require(join(REPO_ROOT, 'package.json')).devDependencies.nx;
/**
 * What `npm run` (or `npm test`) adds for its script: the package, the lifecycle, and the few
 * settings npm passes down about the project it runs in. The user's own `npm_config_*` (a
 * registry, a cache) stay.
 */
const NPM_SCRIPT_ENV = /^npm_(package_|lifecycle_|execpath$|node_execpath$|command$|config_(local_prefix|user_agent|npm_version|node_gyp|call)$)/i;
/** `.gitignore` of the workspace. */
const GITIGNORE = 'node_modules\n.nx\ntarget\ndist\n';

/** Runs a command to completion; its output, and a thrown error naming it when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeout ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  const out = { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  if (options.check !== false && result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}) in ${options.cwd ?? process.cwd()}:\n${result.stdout}\n${result.stderr}`);
  }
  return out;
}

/**
 * A directory whose only entry is `node`, a link to the given Node binary, to put first on PATH.
 * Made once per binary, in the temporary directory.
 */
function nodeBinDir(node) {
  const real = realpathSync(node);
  const dir = join(tmpdir(), `mzbuild-node-${createHash('sha256').update(real).digest('hex').slice(0, 12)}`);
  const link = join(dir, 'node');
  if (!existsSync(link)) {
    mkdirSync(dir, { recursive: true });
    try {
      symlinkSync(real, link);
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
  return dir;
}

/** True when `path` is `dir` or inside it. */
function inside(path, dir) {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The environment for commands in an adopter workspace: this process's, without what an
 * enclosing npm script, this repository or a CI job would add, then `env` (a value of undefined
 * removes a variable), with `node`'s directory first on PATH.
 */
function cleanEnv(env = {}, node = process.execPath) {
  const out = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (NPM_SCRIPT_ENV.test(key) || key === 'INIT_CWD' || key === 'NODE' || key === 'CI' || key.startsWith('MZBUILD_') || key.startsWith('NX_')) continue;
    if (key === 'CARGO_TARGET_DIR') continue;
    out[key] = value;
  }
  const path = (process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== '' && !inside(resolve(entry), REPO_ROOT));
  out.PATH = [nodeBinDir(node), ...path].join(delimiter);
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * Packs @mzbuild/core and @mzbuild/nx (as built now) with `npm pack` into `destination` (a new
 * temporary directory by default). Returns the directory and the two tarballs' absolute paths.
 */
function packPackages(destination = mkdtempSync(join(tmpdir(), 'mzbuild-packs-'))) {
  for (const pkg of ['core', 'nx']) {
    if (!existsSync(join(REPO_ROOT, 'packages', pkg, 'dist/index.js'))) {
      throw new Error(`packages/${pkg} is not built: run \`npm run build\` first`);
    }
  }
  mkdirSync(destination, { recursive: true });
  const before = new Set(readdirSync(destination));
  run('npm', ['pack', '--pack-destination', destination, '-w', 'packages/core', '-w', 'packages/nx'], { cwd: REPO_ROOT, env: cleanEnv() });
  const made = readdirSync(destination).filter((file) => !before.has(file));
  const find = (name) => {
    const file = made.find((f) => f.startsWith(`mzbuild-${name}-`) && f.endsWith('.tgz'));
    if (!file) throw new Error(`npm pack made no mzbuild-${name}-*.tgz in ${destination} (made: ${made.join(', ') || 'nothing'})`);
    return join(destination, file);
  };
  return { dir: destination, core: find('core'), nx: find('nx') };
}

/** Compares two x.y.z versions. */
function compareVersions(a, b) {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** The newest published `nx` (or another package) of a major version, from `npm view`. */
function latestOfMajor(major, pkg = 'nx') {
  const { stdout } = run('npm', ['view', `${pkg}@${major}`, 'version', '--json'], { env: cleanEnv() });
  const parsed = JSON.parse(stdout);
  const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  if (versions.length === 0) throw new Error(`npm view ${pkg}@${major}: no release versions`);
  return versions.sort(compareVersions).pop();
}

/**
 * An Nx workspace in a directory outside this repository. Commands run with the workspace's own
 * nx on `node`, without the daemon or Nx Cloud, and with the terminal UI off.
 */
class AdopterWorkspace {
  constructor(root, { node = process.execPath, env = {} } = {}) {
    this.root = root;
    this.node = node;
    /** Variables for every command (e.g. DOCKER_CONFIG); a command's own `env` adds to them. */
    this.env = env;
  }

  path(file) {
    return join(this.root, file);
  }

  /** The environment of a command in this workspace. */
  commandEnv(env = {}) {
    return cleanEnv(
      {
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        NX_INTERACTIVE: 'false',
        // The npm that `nx add` starts: no audit or funding requests.
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        MZBUILD_CACHE_DIR: this.path('.nx/mzbuild-cache'),
        ...this.env,
        ...env,
      },
      this.node,
    );
  }

  /** The workspace's nx script, from its package.json's `bin`. */
  nxBin() {
    const dir = this.path('node_modules/nx');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.nx;
    return join(dir, bin);
  }

  /** Runs nx; `{ status, stdout, stderr }`, not checked. */
  nx(args, env = {}, timeout = 900_000) {
    return run(this.node, [this.nxBin(), ...args], { cwd: this.root, env: this.commandEnv(env), check: false, timeout });
  }

  /** Runs nx and throws, with its output, when it fails; its stdout and stderr together. */
  nxOk(args, env = {}, timeout) {
    const result = this.nx(args, env, timeout);
    if (result.status !== 0) {
      throw new Error(`nx ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
    }
    return result.stdout + result.stderr;
  }

  /** Runs any command in the workspace, with its environment. */
  exec(command, args, options = {}) {
    return run(command, args, { cwd: this.root, ...options, env: this.commandEnv(options.env) });
  }

  git(...args) {
    return run('git', args, { cwd: this.root }).stdout;
  }

  /** Writes files (paths relative to the root), creating directories. */
  write(files) {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(this.path(file)), { recursive: true });
      writeFileSync(this.path(file), content);
    }
    return this;
  }

  read(file) {
    return readFileSync(this.path(file), 'utf8');
  }

  /** Stages everything and commits. */
  commit(message = 'commit') {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this;
  }

  /**
   * `nx add @mzbuild/nx@file:<tarball>`: installs the plugin (npm install -D) and runs its init
   * generator. Returns nx's output.
   */
  addPlugin(tarball) {
    if (!isAbsolute(tarball) || /[@\s'"$`\\;&|<>()*?#~]/.test(tarball)) {
      // nx add splits at the last @ and hands the specifier to a shell.
      throw new Error(`nx add cannot take this tarball path (it must be absolute, without @, spaces or shell characters): ${tarball}`);
    }
    return this.nxOk(['add', `@mzbuild/nx@file:${tarball}`]);
  }

  dispose() {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Creates `dir` (which must not exist, or be empty, and lie outside this repository) as a fresh
 * Nx workspace:
 *
 * - package.json with `nx` at `options.nx` (default: the version this repository uses),
 *   `@nx/devkit` at the newest release of that major no newer than it (devkit is not released
 *   with every nx patch), and the two tarballs as `file:` dependencies;
 * - `npm install --no-audit --no-fund --prefer-offline`;
 * - nx.json (a workspace has one: the init generator changes nx.json only when it exists),
 *   .gitignore, `git init` with a local identity;
 * - unless `options.add === false`, `nx add @mzbuild/nx@file:<tarball>`.
 *
 * `options.tarballs` are packPackages()'s answer (packed now when not given); `options.node` is the
 * Node to run nx on (default: this one); `options.env` holds variables for every command.
 * Nothing is committed.
 */
function createAdopterWorkspace(dir, options = {}) {
  const root = resolve(dir);
  if (inside(root, REPO_ROOT)) throw new Error(`an adopter workspace must lie outside this repository: ${root}`);
  if (existsSync(root) && readdirSync(root).length > 0) throw new Error(`${root} exists and is not empty`);
  mkdirSync(root, { recursive: true });
  const nx = options.nx ?? DEFAULT_NX;
  const tarballs = options.tarballs ?? packPackages();
  const major = nx.split('.')[0];
  const ws = new AdopterWorkspace(root, { node: options.node, env: options.env });

  ws.write({
    'package.json': `${JSON.stringify(
      {
        name: 'adopter-workspace',
        version: '0.0.0',
        private: true,
        devDependencies: {
          '@mzbuild/core': `file:${tarballs.core}`,
          '@mzbuild/nx': `file:${tarballs.nx}`,
          '@nx/devkit': `>=${major}.0.0 <=${nx}`,
          nx,
        },
        // npm 11's allowScripts: nx's postinstall only updates an Nx Cloud client; not needed.
        allowScripts: { nx: false },
      },
      null,
      2,
    )}\n`,
    'nx.json': `${JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json' }, null, 2)}\n`,
    '.gitignore': GITIGNORE,
  });
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: root, env: ws.commandEnv() });
  ws.git('init', '-q', '-b', 'main');
  ws.git('config', 'user.email', 'adopter@example.com');
  ws.git('config', 'user.name', 'Adopter');
  ws.git('config', 'commit.gpgsign', 'false');
  if (options.add !== false) ws.addPlugin(tarballs.nx);
  return ws;
}

module.exports = { AdopterWorkspace, cleanEnv, compareVersions, createAdopterWorkspace, latestOfMajor, nodeBinDir, packPackages, REPO_ROOT, run };

if (require.main === module) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    if (value === undefined) throw new Error(`--${name} needs a value`);
    return value;
  };
  const nx = flag('nx');
  const node = flag('node');
  const registry = flag('registry');
  if (args.length !== 1 || args[0].startsWith('-')) {
    process.stderr.write('usage: node tools/adopter-workspace.js DIR [--nx VERSION] [--node NODE] [--registry REGISTRY]\n');
    process.exit(2);
  }
  try {
    const started = Date.now();
    const ws = createAdopterWorkspace(args[0], { nx, node });
    if (registry) ws.nxOk(['g', '@mzbuild/nx:init', `--registry=${registry}`]);
    process.stdout.write(`${ws.root}: an Nx ${nx ?? DEFAULT_NX} workspace with @mzbuild/nx (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
