// `mzimage explain --since REV`: for each kind of change, the reasons name exactly that change, on
// the images it reaches (directly, or through the dependency whose fingerprint it moved).
import { chmodSync } from 'node:fs';
import { explain, type Explanation } from '../../packages/core/src/explain/compare';
import type { ImageState } from '../../packages/core/src/explain/state';
import { mzimage } from '../support/cli';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';

let repo: GitRepo;

beforeAll(() => {
  repo = new GitRepo();
  repo.write({
    ...cargoWorkspace(['crates/app']),
    ...crate('crates/app', 'app', '', { 'src/main.rs': 'fn main() {}\n' }),
    ...image('images/base', 'base', 'FROM scratch\n'),
    'images/base/data.txt': 'data\n',
    ...image('images/app', 'app', 'MZFROM base\nCOPY app /\n', 'pre-image:\n  - type: cargo-build\n    bin: app\n'),
    ...image('images/other', 'other', 'FROM scratch\n'),
    'images/other/run.sh': '#!/bin/sh\n',
    'images/other/old.txt': 'old\n',
  });
  repo.commit();
});
afterAll(() => repo?.dispose());
afterEach(() => {
  repo.git('reset', '-q', '--hard');
  repo.git('clean', '-qfd');
});

type Explained = Explanation;

function explained(...images: string[]): Record<string, Explained> {
  const run = mzimage(repo.root, ['explain', ...images, '--since', 'HEAD', '--json']);
  if (run.status !== 0) throw new Error(run.stderr);
  return Object.fromEntries((JSON.parse(run.stdout) as Explained[]).map((e) => [e.image, e]));
}

/** An explanation's reasons without the fingerprints, for comparing. */
const reasons = (e: Explanation): unknown => ({
  changed: e.changed,
  added: e.added,
  removed: e.removed,
  modes: e.modes,
  config: e.config,
  dependencies: e.dependencies.map((d) => ({ image: d.image, ...(reasons(d) as object) })),
});
const none = { changed: [], added: [], removed: [], modes: [], config: [], dependencies: [] };

it('says an image is unchanged when nothing changed', () => {
  const all = explained('base', 'app', 'other');
  for (const e of Object.values(all)) {
    expect(e.fingerprint).toBe(e.against.fingerprint);
    expect(reasons(e)).toEqual(none);
  }
  expect(all['base']!.against.source).toMatch(/^HEAD \([0-9a-f]{12}\)$/);
});

it.each([
  ['a content change', () => repo.write({ 'images/other/old.txt': 'new\n' }), { ...none, changed: ['images/other/old.txt'] }],
  ['a mode change', () => chmodSync(repo.path('images/other/run.sh'), 0o755), { ...none, modes: ['images/other/run.sh'] }],
  ['an added file', () => repo.write({ 'images/other/new.txt': 'x\n' }), { ...none, added: ['images/other/new.txt'] }],
  ['a removed file', () => repo.remove('images/other/old.txt'), { ...none, removed: ['images/other/old.txt'] }],
])('names %s, on that image only', (_what, change, expected) => {
  change();
  const all = explained('base', 'app', 'other');
  expect(reasons(all['other']!)).toEqual(expected);
  expect(all['other']!.fingerprint).not.toBe(all['other']!.against.fingerprint);
  expect(reasons(all['base']!)).toEqual(none);
  expect(reasons(all['app']!)).toEqual(none);
});

it('names Cargo.lock and a crate file on the Rust image, not on others', () => {
  repo.write({ 'Cargo.lock': '# changed\n', 'crates/app/src/main.rs': 'fn main() { }\n' });
  const all = explained('base', 'app');
  expect(reasons(all['app']!)).toEqual({ ...none, changed: ['Cargo.lock', 'crates/app/src/main.rs'] });
  expect(reasons(all['base']!)).toEqual(none);
});

it("names a base image's file under the dependency of the images built on it", () => {
  repo.write({ 'images/base/data.txt': 'changed\n' });
  const { app } = explained('app');
  expect(reasons(app!)).toEqual({ ...none, dependencies: [{ image: 'base', ...none, changed: ['images/base/data.txt'] }] });
  expect(app!.dependencies[0]!.fingerprint).not.toBe(app!.dependencies[0]!.against.fingerprint);
});

it('says an image is new since the revision', () => {
  repo.write(image('images/fresh', 'fresh', 'FROM scratch\n'));
  const { fresh } = explained('fresh');
  expect(fresh!.against.fingerprint).toBeNull();
  expect(mzimage(repo.root, ['explain', 'fresh', '--since', 'HEAD']).stdout).toMatch(/^fresh: [A-Z2-7]{32}, new since HEAD/);
});

it('prints the reasons as text, dependencies indented', () => {
  repo.write({ 'images/base/data.txt': 'changed\n' });
  const text = mzimage(repo.root, ['explain', 'app', '--since', 'HEAD']).stdout;
  expect(text).toMatch(/^app: [A-Z2-7]{32}, was [A-Z2-7]{32} at HEAD \([0-9a-f]{12}\)\n {2}base: [A-Z2-7]{32}, was [A-Z2-7]{32} at HEAD \([0-9a-f]{12}\)\n {4}changed images\/base\/data\.txt\n$/);
});

it('defaults to the merge base with origin/HEAD, and says what to do without one', () => {
  const refused = mzimage(repo.root, ['explain', 'app']);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/no origin\/HEAD to compare with; give --since REV/);
  repo.git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  repo.git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
  repo.write({ 'images/other/old.txt': 'new\n' });
  const run = mzimage(repo.root, ['explain', 'other', '--json']);
  expect(JSON.parse(run.stdout)[0].changed).toEqual(['images/other/old.txt']);
});

it('names the configuration that differs (as an inputs record of another configuration gives it)', () => {
  const state = (profile: string, fingerprint: string): ImageState => ({
    image: 'x',
    fingerprint,
    inputs: new Map([['x/Dockerfile', { mode: 0o100644, sha1: 'a'.repeat(40) }]]),
    config: { profile, arch: 'x86_64', coverage: 'false', sanitizer: 'none', mode: 'correct' },
    extras: [],
    dependencies: {},
  });
  const e = explain('x', () => state('release', 'NEW'), () => state('optimized', 'OLD'), 'a record');
  expect(e.config).toEqual(['profile']);
  expect(e.changed).toEqual([]);
});
