import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';
import { MZIMAGE, mzimage } from '../support/cli';

let repo: GitRepo;
const NO_CI = { CI_LTO: '', CI_COVERAGE_ENABLED: '', MZBUILD_REGISTRY: '' };

beforeAll(() => {
  repo = new GitRepo();
  repo.write({
    ...cargoWorkspace(['crates/hello']),
    ...crate('crates/hello', 'hello', '', { 'src/main.rs': 'fn main() {}\n' }),
    ...image('images/base', 'base', 'FROM scratch\n', 'description: The base.\nunknown-key: 1\n'),
    ...image('images/hello', 'hello', 'MZFROM base\nCOPY hello /\n', 'pre-image:\n  - type: cargo-build\n    bin: hello\n'),
    ...image('images/top', 'top', 'MZFROM hello\n'),
  });
  repo.commit();
});
afterAll(() => repo.dispose());

const run = (args: string[], cwd = repo.root, env = {}) => mzimage(cwd, args, { ...NO_CI, ...env });

it('lists the images in repository order, and as JSON', () => {
  expect(run(['list']).stdout).toBe('base\nhello\ntop\n');
  expect(JSON.parse(run(['list', '--json']).stdout)).toEqual([
    { name: 'base', directory: 'images/base', description: 'The base.', publish: true, mainline: true, dependencies: [] },
    { name: 'hello', directory: 'images/hello', description: null, publish: true, mainline: true, dependencies: ['base'] },
    { name: 'top', directory: 'images/top', description: null, publish: true, mainline: true, dependencies: ['hello'] },
  ]);
});

it('prints one fingerprint alone, several as NAME<TAB>FINGERPRINT lines, the same from any directory', () => {
  const all = run(['fingerprint', '--all']);
  expect(all.status).toBe(0);
  const lines = all.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
  expect(lines.map(([name]) => name)).toEqual(['base', 'hello', 'top']);
  for (const [, fp] of lines) expect(fp).toMatch(/^[A-Z2-7]{32}$/);
  expect(run(['fingerprint', 'hello']).stdout).toBe(`${lines[1]![1]}\n`);
  expect(run(['fingerprint', '--all'], repo.path('crates/hello/src')).stdout).toBe(all.stdout);
  expect(run(['fingerprint', 'top', 'base']).stdout).toBe(`top\t${lines[2]![1]}\nbase\t${lines[0]![1]}\n`);
});

it('changes fingerprints with --release, --dev, --arch, --coverage and --sanitizer', () => {
  const seen = new Set(
    [[], ['--release'], ['--dev'], ['--arch', 'aarch64'], ['--coverage'], ['--sanitizer', 'address']].map(
      (flags) => run(['fingerprint', 'base', ...flags]).stdout,
    ),
  );
  expect(seen.size).toBe(6);
  expect(run(['fingerprint', 'base', '--optimized']).stdout).toBe(run(['fingerprint', 'base']).stdout);
  expect(run(['fingerprint', 'base'], repo.root, { CI_LTO: '1' }).stdout).toBe(run(['fingerprint', 'base', '--release']).stdout);
});

it('prints specs under the registry and prefix, which do not change the fingerprint', () => {
  const fp = run(['fingerprint', 'base']).stdout.trim();
  expect(run(['spec', 'base']).stdout).toBe(`mzbuild/base:mzbuild-${fp}\n`);
  expect(run(['spec', 'base', '--image-registry', 'ghcr.io/acme/mono', '--image-prefix', 'mz-']).stdout).toBe(
    `ghcr.io/acme/mono/mz-base:mzbuild-${fp}\n`,
  );
  expect(run(['spec', 'base'], repo.root, { MZBUILD_REGISTRY: 'localhost:5000/x' }).stdout).toBe(`localhost:5000/x/base:mzbuild-${fp}\n`);
});

it('describes an image as mzbuild does, with the fingerprint mode in force, and transitively', () => {
  const fp = run(['fingerprint', 'hello']).stdout.trim();
  expect(run(['describe', 'hello']).stdout).toBe(
    [
      'Image: hello',
      `Fingerprint: ${fp}`,
      'Fingerprint mode: correct',
      'Input files:',
      '    Cargo.lock',
      '    Cargo.toml',
      '    crates/hello/Cargo.toml',
      '    crates/hello/src/main.rs',
      '    images/hello/Dockerfile',
      '    images/hello/mzbuild.yml',
      'Dependencies:',
      '    base',
      '',
    ].join('\n'),
  );
  const transitive = JSON.parse(run(['describe', 'top', '--transitive', '--json']).stdout);
  expect(transitive[0].dependencies).toEqual(['base', 'hello']);
  expect(transitive[0].inputs).toContain('images/base/Dockerfile');
  expect(transitive[0].inputs).toContain('crates/hello/src/main.rs');
  expect(run(['describe', 'base']).stdout).toMatch(/Dependencies:\n {4}\(none\)\n$/);
  expect(run(['describe', 'hello', '--compat', 'mzbuild']).stdout).toContain('\nFingerprint mode: mzbuild\n');
  expect(JSON.parse(run(['describe', 'hello', '--json'], repo.root, { MZBUILD_COMPAT: 'mzbuild' }).stdout)[0].mode).toBe('mzbuild');
  expect(run(['describe', 'hello', '--compat', 'exact']).stderr).toMatch(/--compat/);
});

it('prints fingerprints and references as JSON', () => {
  const json = JSON.parse(run(['fingerprint', '--all', '--json']).stdout);
  expect(json.map((j: { name: string }) => j.name)).toEqual(['base', 'hello', 'top']);
  expect(json[0].reference).toBe(`mzbuild/base:mzbuild-${json[0].fingerprint}`);
});

it('warns about unknown manifest keys on stderr, with the line, once per change of the manifest; list --check always', () => {
  const warning = 'images/base/mzbuild.yml:3:1: warning: unknown key "unknown-key" is ignored';
  const cache = { MZBUILD_CACHE_DIR: mkdtempSync(join(tmpdir(), 'mzbuild-said-')) };
  expect(run(['list'], repo.root, cache).stderr).toContain(warning);
  expect(run(['fingerprint', '--all'], repo.root, cache).stderr).not.toContain('warning');
  expect(run(['list'], repo.root, cache).stderr).not.toContain('warning');

  const checked = run(['list', '--check'], repo.root, cache);
  expect(checked.stderr).toContain(warning);
  expect(checked.stdout).toContain('base');
  expect(checked.status).toBe(1);

  // The manifest changes (a line added above the key): said again, at its new line.
  const manifest = readFileSync(repo.path('images/base/mzbuild.yml'), 'utf8');
  try {
    writeFileSync(repo.path('images/base/mzbuild.yml'), `# a comment\n${manifest}`);
    expect(run(['list'], repo.root, cache).stderr).toContain('images/base/mzbuild.yml:4:1: warning: unknown key "unknown-key"');
    expect(run(['list'], repo.root, cache).stderr).not.toContain('warning');
  } finally {
    writeFileSync(repo.path('images/base/mzbuild.yml'), manifest);
  }
  expect(run(['list', '--check'], join(repo.root, 'images'), { MZBUILD_CACHE_DIR: mkdtempSync(join(tmpdir(), 'mzbuild-said-')) }).status).toBe(1);
});

it('exits 1 with `unknown image: X` and no stack trace', () => {
  const result = run(['fingerprint', 'nope']);
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('unknown image: nope');
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

it('exits 2 on bad usage, saying what is wrong', () => {
  expect(run(['fingerprint']).stderr).toContain('fingerprint needs image names, or --all');
  expect(run(['fingerprint']).status).toBe(2);
  expect(run(['build']).stderr).toContain('unknown command: build');
  expect(run(['fingerprint', 'base', '--arch', 'mips']).stderr).toContain('--arch mips: use one of x86_64, aarch64');
  expect(run(['fingerprint', 'base', '--dev', '--release']).status).toBe(2);
  expect(run(['--help']).stdout).toContain('usage: mzimage');
});

it('reports a broken manifest with file and line, exit 1, no stack trace', () => {
  const broken = new GitRepo();
  try {
    broken.write({ 'img/mzbuild.yml': 'name: img\npublish: perhaps\n', 'img/Dockerfile': 'FROM scratch\n' });
    const result = run(['list'], broken.root);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('mzimage: img/mzbuild.yml:2:10: `publish` must be true or false\n');
  } finally {
    broken.dispose();
  }
});

it('reads the registry and profile from the plugin options in nx.json', () => {
  const fp = run(['fingerprint', 'base', '--dev']).stdout.trim();
  writeFileSync(
    repo.path('nx.json'),
    JSON.stringify({ plugins: [{ plugin: '@mzbuild/nx', options: { registry: 'registry.example/team', profile: 'dev' } }] }),
  );
  try {
    expect(run(['spec', 'base'], repo.path('images')).stdout).toBe(`registry.example/team/base:mzbuild-${fp}\n`);
  } finally {
    execFileSync('rm', [repo.path('nx.json')]);
  }
});

it('derives the GHCR repository from a GitHub origin remote', () => {
  repo.git('remote', 'add', 'origin', 'https://github.com/Acme/Mono.git');
  try {
    expect(run(['spec', 'base']).stdout).toMatch(/^ghcr\.io\/acme\/mono\/base:mzbuild-/);
  } finally {
    repo.git('remote', 'remove', 'origin');
  }
});

it('asks git the same number of times however many images there are', () => {
  const shim = mkdtempSync(join(tmpdir(), 'git-shim-'));
  const log = join(shim, 'calls.log');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(join(shim, 'git'), `#!/bin/sh\necho "$1" >> "${log}"\nexec "${realGit}" "$@"\n`);
  chmodSync(join(shim, 'git'), 0o755);
  const calls = (cwd: string) => {
    writeFileSync(log, '');
    expect(run(['fingerprint', '--all'], cwd, { PATH: `${shim}:${process.env['PATH']}` }).status).toBe(0);
    return readFileSync(log, 'utf8').trim().split('\n');
  };
  const big = new GitRepo();
  try {
    for (let i = 0; i < 30; i++) big.write(image(`images/i${i}`, `i${i}`, i > 0 ? `MZFROM i${i - 1}\n` : 'FROM scratch\n'));
    big.write({ ...cargoWorkspace(['crates/hello']), ...crate('crates/hello', 'hello', '', { 'src/main.rs': '' }) });
    big.write(image('images/rust', 'rust', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: hello\n'));
    big.commit();
    // git's calls run concurrently, so they are logged in no fixed order: compare them as a multiset.
    const few = calls(repo.root).sort();
    expect(calls(big.root).sort()).toEqual(few);
    expect(few.length).toBeLessThanOrEqual(4);
  } finally {
    big.dispose();
  }
});

it('stops quietly, as SIGPIPE would, when the reader of its output goes away', async () => {
  const child = spawn(MZIMAGE, ['fingerprint', '--all'], { cwd: repo.root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...NO_CI } });
  // As `| head -0` does: the reader is gone before the first line is written.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  expect({ code, signal }).toEqual({ code: 141, signal: null });
  // The repository's manifest warning, and nothing else: no stack trace, no unhandled error.
  expect(stderr.split('\n').filter((line) => line !== '' && !line.includes('warning: unknown key'))).toEqual([]);
});
