import { readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FileStats,
  HashCache,
  loadContext,
  loadRepository,
  ModelCache,
  resolveConfig,
  Resolver,
  type Repository,
  type ResolvedImage,
} from '../../packages/core/src';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';

/**
 * The caches of a run (hashes, parsed manifests, the Cargo model, self digests) must never give an
 * answer that reading everything afresh would not. Each test warms them, changes the repository,
 * and compares the next run, caches warm, with a run that remembers nothing. The caches here
 * remember files however fresh (racyMs 0): the two-second rule is tested on its own.
 */
let repo: GitRepo;
let cacheDir: string;

beforeEach(() => {
  repo = new GitRepo();
  cacheDir = join(repo.root, '.git', 'test-cache');
  repo.write({
    ...cargoWorkspace(['crates/app', 'crates/lib', 'crates/extra']),
    ...crate('crates/app', 'app', '[dependencies]\nlib = { path = "../lib" }\n', { 'src/main.rs': 'fn main() {}\n' }),
    ...crate('crates/lib', 'lib'),
    ...crate('crates/extra', 'extra', '', { 'src/lib.rs': '// extra\n', 'src/extra.rs': 'pub fn x() {}\n' }),
    ...image('images/base', 'base'),
    ...image('images/app', 'app', 'MZFROM base\nCOPY app /\n', 'pre-image:\n  - type: cargo-build\n    bin: app\n'),
    ...image('images/top', 'top', 'FROM scratch\n'),
    'images/top/data.txt': 'data\n',
  });
  repo.commit();
});
afterEach(() => repo.dispose());

interface Answer {
  name: string;
  dir: string;
  publish: boolean;
  dependencies: string[];
  inputs: string[];
  fingerprint: string;
}

const answer = (resolved: ResolvedImage[]): Answer[] =>
  resolved.map(({ image, inputs, fingerprint }) => ({
    name: image.name,
    dir: image.dir,
    publish: image.manifest.publish,
    dependencies: image.dependencies,
    inputs,
    fingerprint,
  }));

/** A run with the persistent caches, as the CLI makes one; what it answered and what the caches did. */
async function warmRun(racyMs = 0) {
  const env = { MZBUILD_CACHE_DIR: cacheDir };
  const stats = new FileStats(repo.root);
  const modelCache = ModelCache.forRepository(repo.root, env, racyMs);
  const cache = HashCache.forRepository(repo.root, env, racyMs);
  const repository: Repository = await loadRepository(repo.root, { cache: modelCache, stats });
  const resolver = new Resolver(repository, { cache, modelCache, stats });
  const config = await resolveConfig({ env: {}, pluginOptions: {}, hostArch: 'x64' });
  const resolved = await resolver.resolve(repository.images, config);
  resolver.saveCache();
  return { answer: answer(resolved), counts: modelCache.counts, hashed: resolver.hashCounts.hashed };
}

/** A run that remembers nothing. */
async function freshRun(): Promise<Answer[]> {
  const context = await loadContext({ cwd: repo.root, env: {}, pluginOptions: {}, flags: { arch: 'x86_64' } });
  return answer(await context.resolver.resolve(context.repository.images, context.config));
}

/** Warms the caches, makes the change, and checks the next run against a fresh one. */
async function afterChange(change: () => void) {
  await warmRun();
  const before = await warmRun();
  expect(before.counts.manifests).toEqual({ cached: 3, parsed: 0 });
  change();
  const after = await warmRun();
  expect(after.answer).toEqual(await freshRun());
  return { before: before.answer, after: after.answer, counts: after.counts };
}

it('answers a run in which nothing changed from the caches alone, as a fresh run would', async () => {
  const first = await warmRun();
  expect(first.counts).toEqual({ manifests: { cached: 0, parsed: 3 }, cargo: { cached: 0, parsed: 1 }, selfDigests: { cached: 0, computed: 3 } });
  const second = await warmRun();
  expect(second.counts).toEqual({ manifests: { cached: 3, parsed: 0 }, cargo: { cached: 1, parsed: 0 }, selfDigests: { cached: 3, computed: 0 } });
  expect(second.hashed).toBe(0);
  expect(second.answer).toEqual(first.answer);
  expect(second.answer).toEqual(await freshRun());
});

it('sees a changed manifest, and parses only that one again', async () => {
  const { after, counts } = await afterChange(() => repo.write({ 'images/top/mzbuild.yml': 'name: top\npublish: false\n' }));
  expect(after.find((i) => i.name === 'top')!.publish).toBe(false);
  expect(counts.manifests).toEqual({ cached: 2, parsed: 1 });
});

it('sees a changed input file: its image and those that build on it get new fingerprints', async () => {
  const { before, after } = await afterChange(() => repo.write({ 'crates/lib/src/lib.rs': '// changed\n' }));
  const fingerprint = (answers: Answer[], name: string) => answers.find((i) => i.name === name)!.fingerprint;
  expect(fingerprint(after, 'app')).not.toBe(fingerprint(before, 'app'));
  expect(fingerprint(after, 'base')).toBe(fingerprint(before, 'base'));
});

it('sees a changed Dockerfile: MZFROM names another image', async () => {
  const { before, after } = await afterChange(() => repo.write({ 'images/top/Dockerfile': 'MZFROM app\n' }));
  expect(before.find((i) => i.name === 'top')!.dependencies).toEqual([]);
  expect(after.find((i) => i.name === 'top')!.dependencies).toEqual(['app']);
});

it('sees a changed Cargo.toml: a new path dependency brings its crate into the inputs', async () => {
  const { before, after, counts } = await afterChange(() =>
    repo.write(crate('crates/lib', 'lib', '[dependencies]\nextra = { path = "../extra" }\n')),
  );
  const app = (answers: Answer[]) => answers.find((i) => i.name === 'app')!;
  expect(app(before).inputs).not.toContain('crates/extra/src/extra.rs');
  expect(app(after).inputs).toContain('crates/extra/src/extra.rs');
  expect(counts.cargo).toEqual({ cached: 0, parsed: 1 });
});

it('sees a binary added under src/bin, which no TOML file names', async () => {
  await afterChange(() => repo.write({ 'crates/extra/src/bin/tool.rs': 'fn main() {}\n', ...image('images/tool', 'tool', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: tool\n') }));
  const { answer: after } = await warmRun();
  expect(after.find((i) => i.name === 'tool')!.inputs).toContain('crates/extra/src/extra.rs');
});

it('sees src/main.rs removed: the crate no longer defines its binary', async () => {
  await warmRun();
  repo.remove('crates/app/src/main.rs');
  await expect(warmRun()).rejects.toThrow('bin app does not exist in cargo workspace');
});

it('sees an image added and an image removed', async () => {
  const { after } = await afterChange(() => {
    repo.write(image('images/new', 'new', 'MZFROM top\n'));
    rmSync(repo.path('images/top/data.txt'));
    rmSync(repo.path('images/base/mzbuild.yml'));
    repo.write({ 'images/app/Dockerfile': 'FROM scratch\n' });
  });
  expect(after.map((i) => i.name).sort()).toEqual(['app', 'new', 'top']);
});

it('sees a change that keeps the size and puts the mtime back (the ctime still moves)', async () => {
  const file = repo.path('images/top/mzbuild.yml');
  const { atime, mtime } = statSync(file);
  const { after } = await afterChange(() => {
    writeFileSync(file, 'name: pot\n');
    utimesSync(file, atime, mtime);
  });
  expect(after.map((i) => i.name)).toContain('pot');
});

it('gives the same answers after the cache directory is deleted, or its files are corrupt', async () => {
  const { answer: warm } = await warmRun();
  rmSync(cacheDir, { recursive: true, force: true });
  const afterDelete = await warmRun();
  expect(afterDelete.counts.manifests).toEqual({ cached: 0, parsed: 3 });
  expect(afterDelete.answer).toEqual(warm);
  for (const file of readdirSync(cacheDir)) writeFileSync(join(cacheDir, file), '{"version":');
  expect((await warmRun()).answer).toEqual(warm);
  expect((await warmRun()).counts.manifests).toEqual({ cached: 3, parsed: 0 });
});

it('remembers nothing read from a file changed just before the run', async () => {
  await warmRun(60_000);
  const second = await warmRun(60_000);
  expect(second.counts).toMatchObject({ manifests: { cached: 0, parsed: 3 }, cargo: { cached: 0, parsed: 1 } });
  expect(second.hashed).toBeGreaterThan(0);
});

it('remembers nothing read through a symbolic link', async () => {
  repo.rename('images/top/mzbuild.yml', 'top.yml');
  repo.symlink('../../top.yml', 'images/top/mzbuild.yml');
  await warmRun();
  expect((await warmRun()).counts.manifests).toEqual({ cached: 2, parsed: 1 });
  writeFileSync(repo.path('top.yml'), 'name: top\npublish: false\n');
  expect((await warmRun()).answer.find((i) => i.name === 'top')!.publish).toBe(false);
});
