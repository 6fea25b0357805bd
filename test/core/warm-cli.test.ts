import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mzimage, mzimageAsync } from '../support/cli';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';

/**
 * The CLI's caches as a user meets them: with the real two-second window (the repository is
 * written, then left alone long enough to be remembered), runs that race on one cache directory,
 * and MZBUILD_TIMINGS.
 */
let repo: GitRepo;
let cacheDir: string;
const NO_CI = { CI_LTO: '', CI_COVERAGE_ENABLED: '', CI_SANITIZER: '', MZBUILD_REGISTRY: '', MZBUILD_PROFILE: '', MZBUILD_ARCH: '' };

beforeAll(async () => {
  repo = new GitRepo();
  repo.write({
    ...cargoWorkspace(['crates/app']),
    ...crate('crates/app', 'app', '', { 'src/main.rs': 'fn main() {}\n' }),
    ...image('images/base', 'base'),
    ...image('images/app', 'app', 'MZFROM base\n', 'pre-image:\n  - type: cargo-build\n    bin: app\n'),
    ...image('images/other', 'other'),
  });
  repo.commit();
  cacheDir = mkdtempSync(join(tmpdir(), 'mzbuild-warm-cli-'));
  // Older than the window in which a changed file is never remembered.
  await new Promise((resolve) => setTimeout(resolve, 2200));
});
afterAll(() => {
  repo.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

const env = (dir = cacheDir, timings = '') => ({ ...NO_CI, MZBUILD_CACHE_DIR: dir, MZBUILD_TIMINGS: timings });
/** The same command with a cache directory of its own, empty: the answer of a first run. */
function cold(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'mzbuild-cold-'));
  try {
    return mzimage(repo.root, args, env(dir)).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('gives runs that race on one empty cache directory the same answers, and leaves a cache the next run uses', async () => {
  const runs = await Promise.all([1, 2, 3, 4].map(() => mzimageAsync(repo.root, ['describe', 'base', 'app', 'other', '--json'], env())));
  for (const run of runs) {
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(runs[0]!.stdout);
  }
  const warm = mzimage(repo.root, ['describe', 'base', 'app', 'other', '--json'], env(cacheDir, '1'));
  expect(warm.stdout).toBe(runs[0]!.stdout);
  expect(warm.stderr).toMatch(/timing: parse .*\(3 manifests cached, 0 parsed\)/);
  expect(warm.stderr).toMatch(/timing: cargo .*\(cached; /);
  expect(warm.stderr).toMatch(/timing: resolve .*3 self digests remembered/);
});

it('answers as a first run would after a manifest, a Dockerfile and a Cargo.toml change, with the caches warm', () => {
  const args = ['describe', 'base', 'app', 'other', '--json'];
  mzimage(repo.root, args, env());
  const before = mzimage(repo.root, args, env()).stdout;
  repo.write({
    'images/other/mzbuild.yml': 'name: other\npublish: false\n',
    'images/other/Dockerfile': 'MZFROM app\n',
    ...crate('crates/app', 'app', '[[bin]]\nname = "app"\npath = "src/main.rs"\n'),
  });
  const after = mzimage(repo.root, args, env());
  expect(after.status).toBe(0);
  expect(after.stdout).not.toBe(before);
  expect(after.stdout).toBe(cold(args));
  expect(JSON.parse(after.stdout).find((d: { name: string }) => d.name === 'other').dependencies).toEqual(['app']);
  expect(mzimage(repo.root, ['list', '--json'], env()).stdout).toBe(cold(['list', '--json']));
});

it('prints the time of each phase to stderr with MZBUILD_TIMINGS=1, and nothing without it', () => {
  const quiet = mzimage(repo.root, ['fingerprint', '--all'], env());
  expect(quiet.stderr).toBe('');
  const timed = mzimage(repo.root, ['fingerprint', '--all'], env(cacheDir, '1'));
  expect(timed.stdout).toBe(quiet.stdout);
  const phases = [...timed.stderr.matchAll(/^mzimage: timing: (\S+(?: \S+)?) +\d+\.\d ms/gm)].map((m) => m[1]);
  expect(phases).toEqual(expect.arrayContaining(['module load', 'caches', 'git listing', 'stat', 'parse', 'cargo', 'hash', 'resolve', 'output', 'total']));
});
