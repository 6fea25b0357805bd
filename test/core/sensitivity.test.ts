import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';
import { changed, fingerprints } from '../support/resolve';

/**
 * Changing any input changes the fingerprint of its image and of every image built on it, and of
 * nothing else. The graph: base ← app ← top; the app and tool images build Rust.
 *   crate `server` (bin server) → `common`; crate `tool` (bin tool) stands alone.
 */
let repo: GitRepo;
let before: Record<string, string>;

beforeEach(async () => {
  repo = new GitRepo();
  repo.write({
    ...cargoWorkspace(['crates/server', 'crates/common', 'crates/tool']),
    ...crate('crates/server', 'server', '[dependencies]\ncommon = { path = "../common" }\n', { 'src/main.rs': 'fn main() {}\n' }),
    ...crate('crates/common', 'common', '', { 'src/lib.rs': 'pub fn f() {}\n' }),
    ...crate('crates/tool', 'tool', '', { 'src/main.rs': 'fn main() {}\n' }),
    ...image('images/base', 'base'),
    'images/base/etc/config': 'x=1\n',
    ...image('images/app', 'app', 'MZFROM base\nCOPY server /\n', 'pre-image:\n  - type: cargo-build\n    bin: server\n'),
    ...image('images/top', 'top', 'MZFROM app AS app\nMZFROM base\n'),
    ...image('images/tool', 'tool', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: tool\n'),
    ...image('images/other', 'other'),
    'README.md': 'outside every input\n',
  });
  repo.commit();
  before = await fingerprints(repo.root);
});
afterEach(() => repo.dispose());

async function changedAfter(change: () => void): Promise<string[]> {
  change();
  return changed(before, await fingerprints(repo.root));
}

it('gives every image a distinct fingerprint, stable across runs', async () => {
  expect(new Set(Object.values(before)).size).toBe(5);
  expect(await fingerprints(repo.root)).toEqual(before);
});

it.each([
  ['the content of a base image file', () => repo.write({ 'images/base/etc/config': 'x=2\n' }), ['app', 'base', 'top']],
  ['the mode of a base image file', () => repo.chmod('images/base/etc/config', 0o755), ['app', 'base', 'top']],
  ['the name of a base image file', () => repo.rename('images/base/etc/config', 'images/base/etc/config2'), ['app', 'base', 'top']],
  ['an untracked, non-ignored base image file', () => repo.write({ 'images/base/new.txt': 'n' }), ['app', 'base', 'top']],
  ['a file of a crate that one binary uses', () => repo.write({ 'crates/common/src/lib.rs': 'pub fn g() {}\n' }), ['app', 'top']],
  ['the crate of the other binary', () => repo.write({ 'crates/tool/src/main.rs': 'fn main() { }\n' }), ['tool']],
  ['Cargo.lock', () => repo.write({ 'Cargo.lock': '# new\n' }), ['app', 'tool', 'top']],
  ['a leaf image file', () => repo.write({ 'images/top/extra': '1' }), ['top']],
  ['a file outside every input', () => repo.write({ 'README.md': 'changed\n' }), []],
  ['an ignored file in an image', () => repo.write({ '.gitignore': 'secret\n', 'images/base/secret': 's' }), []],
])('after changing %s, changes exactly the images that use it', async (_what, change, expected) => {
  // .gitignore at the root is itself outside every image, so adding it changes nothing by itself.
  expect(await changedAfter(change)).toEqual(expected);
});

it('changes every image when the profile or architecture changes, since both salt every fingerprint', async () => {
  expect(changed(before, await fingerprints(repo.root, { profile: 'release' }))).toHaveLength(5);
  expect(changed(before, await fingerprints(repo.root, { arch: 'aarch64' }))).toHaveLength(5);
});

it('gives the same answers from a subdirectory as from the root', async () => {
  expect(await fingerprints(repo.path('crates/server/src'))).toEqual(before);
  expect(await fingerprints(repo.path('images'))).toEqual(before);
});
