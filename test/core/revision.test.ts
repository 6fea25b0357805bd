// `--rev`: the fingerprints of a commit, from git objects alone, equal those of a clean checkout
// of it, at every commit of a history with edits, deletions, mode changes, symlinks, new images
// and Cargo changes, in both modes; the working tree's uncommitted state never leaks in.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContext, type SharedOptions } from '../../packages/core/src';
import { mzimage } from '../support/cli';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';
import { errorOf } from '../support/resolve';

let repo: GitRepo;
const commits: string[] = [];

async function fingerprintsOf(cwd: string, flags: SharedOptions, rev?: string): Promise<Record<string, string>> {
  const context = await loadContext({ cwd, flags, env: {}, pluginOptions: {}, ...(rev === undefined ? {} : { rev }) });
  const resolved = await context.resolver.resolve(context.repository.images, context.config);
  return Object.fromEntries(resolved.map((r) => [r.image.name, r.fingerprint]));
}

const commit = (message: string) => {
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', message);
  commits.push(repo.git('rev-parse', 'HEAD').trim());
};

beforeAll(() => {
  repo = new GitRepo();
  repo.write({
    ...cargoWorkspace(['crates/app', 'crates/lib']),
    ...crate('crates/app', 'app', '[dependencies]\nlib = { path = "../lib" }\n', { 'src/main.rs': 'fn main() {}\n' }),
    ...crate('crates/lib', 'lib'),
    ...image('images/base', 'base', 'FROM scratch\n'),
    ...image('images/app', 'app', 'MZFROM base\nCOPY app /\n', 'pre-image:\n  - type: cargo-build\n    bin: app\n'),
    'images/base/data.txt': 'one\n',
    'images/base/script.sh': '#!/bin/sh\n',
    'images/base/old.txt': 'to be deleted\n',
  });
  commit('first');
  repo.write({ 'images/base/data.txt': 'two\n', 'crates/lib/src/lib.rs': 'pub fn f() {}\n' });
  commit('edits');
  chmodSync(repo.path('images/base/script.sh'), 0o755);
  symlinkSync('data.txt', repo.path('images/base/link.txt'));
  commit('a mode change and a symlink');
  repo.remove('images/base/old.txt');
  repo.write({ 'images/base/data.txt.new': 'new\n', ...image('images/extra', 'extra', 'MZFROM app\n') });
  symlinkSync('data.txt.new', repo.path('images/base/link2.txt'));
  commit('a deletion, a new image, a link to a new file');
  repo.write({ '.cargo/config.toml': '[build]\n', 'Cargo.lock': '# changed\n', 'rust-toolchain.toml': '[toolchain]\nchannel = "stable"\n' });
  commit('cargo changes');
});
afterAll(() => repo?.dispose());

describe.each([['correct'], ['mzbuild']] as const)('in %s mode', (compat) => {
  it('gives at each commit the fingerprints of a clean checkout of it', async () => {
    const checkout = mkdtempSync(join(tmpdir(), 'mzbuild-checkout-'));
    try {
      execFileSync('git', ['clone', '-q', repo.root, checkout]);
      for (const id of commits) {
        execFileSync('git', ['checkout', '-q', id], { cwd: checkout });
        expect({ id, fingerprints: await fingerprintsOf(repo.root, { compat }, id) }).toEqual({ id, fingerprints: await fingerprintsOf(checkout, { compat }) });
      }
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  });
});

it('does not see uncommitted changes, staged or not, nor untracked files', async () => {
  const before = await fingerprintsOf(repo.root, {}, 'HEAD');
  repo.write({ 'images/base/untracked.txt': 'x\n', 'images/base/script.sh': '#!/bin/sh\necho changed\n', 'crates/lib/src/lib.rs': 'pub fn g() {}\n' });
  repo.git('add', 'crates/lib/src/lib.rs');
  try {
    expect(await fingerprintsOf(repo.root, {}, 'HEAD')).toEqual(before);
    expect(await fingerprintsOf(repo.root, {})).not.toEqual(before);
  } finally {
    repo.git('reset', '-q', '--hard');
    repo.git('clean', '-qfd');
  }
});

it('takes any revision git names, and says which ones it cannot', async () => {
  expect(await fingerprintsOf(repo.root, {}, 'HEAD~4')).toEqual(await fingerprintsOf(repo.root, {}, commits[0]!));
  expect(await errorOf(fingerprintsOf(repo.root, {}, 'no-such-branch'))).toMatch(/^--rev no-such-branch: not a commit of the repository/);
});

it('is what mzimage fingerprint --rev prints, and only for the commands that read a tree', () => {
  const printed = mzimage(repo.root, ['fingerprint', '--all', '--json', '--rev', commits[1]!]);
  expect(printed.status).toBe(0);
  expect(JSON.parse(printed.stdout).map((r: { name: string }) => r.name)).toEqual(['app', 'base']);
  const refused = mzimage(repo.root, ['acquire', '--all', '--rev', 'HEAD']);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toMatch(/--rev works with list, fingerprint, spec, describe/);
});
