import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mzimage, type Run } from '../support/cli';
import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { crate, GitRepo, image, lockfile } from '../support/git-repo';

/**
 * Real cargo through Debian's real sccache (tools/setup installs it), into real images: after
 * `cargo clean`, the rebuild of a binary with a library dependency takes the library from
 * sccache, and the image holds the same binary. sccache gets a cache directory and a server port
 * of its own, so that no other build shares its counts.
 */
let repo: GitRepo;
let cache: string;
let env: NodeJS.ProcessEnv;
const prefix = `${uniqueName('sccache')}-`;
let reference: string;

beforeAll(() => {
  requireDocker();
  try {
    execFileSync('sccache', ['--version']);
  } catch {
    throw new Error('these tests need sccache on PATH: run tools/setup, which installs Debian’s');
  }
  cache = mkdtempSync(join(tmpdir(), 'mzbuild-sccache-'));
  env = { CI: '', SCCACHE_DIR: cache, SCCACHE_SERVER_PORT: String(20000 + Math.floor(Math.random() * 20000)), RUSTC_WRAPPER: '', MZBUILD_SCCACHE: '' };
  repo = new GitRepo();
  repo.write({
    'Cargo.toml': '[workspace]\nmembers = ["crates/words", "crates/app"]\nresolver = "2"\n\n[profile.optimized]\ninherits = "release"\n',
    '.gitignore': '/target\n',
    ...crate('crates/words', 'words', 'edition = "2021"\n', { 'src/lib.rs': 'pub fn greeting() -> String { format!("hello from {}", "words") }\n' }),
    ...crate('crates/app', 'app', 'edition = "2021"\n\n[dependencies]\nwords = { path = "../words" }\n', { 'src/main.rs': 'fn main() { println!("{}", words::greeting()); }\n' }),
    ...image('images/app', 'app', 'FROM scratch\nCOPY app /app\n', 'pre-image:\n  - type: cargo-build\n    bin: app\n'),
    'images/app/.gitignore': '/app\n',
  });
  lockfile(repo);
  repo.commit();
  reference = mzimage(repo.root, ['spec', 'app', '--image-prefix', prefix]).stdout.trim();
});
afterAll(() => {
  if (env) execFileSync('sccache', ['--stop-server'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  removeImages(reference, `${reference}-first`);
  repo?.dispose();
  rmSync(cache, { recursive: true, force: true });
});

const acquire = (...args: string[]) => mzimage(repo.root, ['acquire', 'app', '--image-prefix', prefix, ...args], env);
const sccacheLine = (run: Run) => run.stdout.split('\n').find((line) => line.startsWith('mzbuild: sccache:'));
const succeeded = (run: Run) => expect({ status: run.status, error: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, error: '' });

/** The sha256 of the image's /app, from an exported container (a scratch image has no shell). */
function binaryDigest(ref: string): string {
  const id = execFileSync('docker', ['create', ref, 'none'], { encoding: 'utf8' }).trim();
  try {
    return createHash('sha256').update(execFileSync('sh', ['-c', `docker export ${id} | tar -xO app`], { maxBuffer: 1 << 28 })).digest('hex');
  } finally {
    execFileSync('docker', ['rm', id]);
  }
}

it('takes the library from sccache after cargo clean, and builds the same image content', () => {
  const first = acquire('--sccache');
  succeeded(first);
  expect(first.stderr).toMatch(/cargo +\| sccache: 0 hits, [1-9]\d* misses/);
  expect(sccacheLine(first)).toMatch(/^mzbuild: sccache: 0 hits, [1-9]\d* misses$/);
  execFileSync('docker', ['tag', reference, `${reference}-first`]);
  removeImages(reference);

  execFileSync('cargo', ['clean'], { cwd: repo.root, stdio: 'ignore' });
  const second = acquire(); // auto: sccache is on PATH
  succeeded(second);
  const [, hits] = /^mzbuild: sccache: (\d+) hits, \d+ misses$/.exec(sccacheLine(second) ?? '') ?? [];
  expect(Number(hits)).toBeGreaterThanOrEqual(1);
  expect(binaryDigest(reference)).toBe(binaryDigest(`${reference}-first`));
}, 300_000);

it('runs cargo without sccache when told not to, and says nothing of it', () => {
  const requests = () => JSON.parse(execFileSync('sccache', ['--show-stats', '--stats-format=json'], { env: { ...process.env, ...env }, encoding: 'utf8' })).stats.compile_requests;
  const before = requests();
  for (const run of [() => acquire('--no-sccache'), () => mzimage(repo.root, ['acquire', 'app', '--image-prefix', prefix], { ...env, MZBUILD_SCCACHE: '0' })]) {
    removeImages(reference);
    execFileSync('cargo', ['clean'], { cwd: repo.root, stdio: 'ignore' });
    const result = run();
    succeeded(result);
    expect(result.stdout).toContain('1 built');
    expect(sccacheLine(result)).toBeUndefined();
    expect(result.stderr).not.toMatch(/cargo +\| sccache:/);
  }
  expect(requests()).toBe(before); // cargo compiled everything twice, never through sccache
}, 300_000);
