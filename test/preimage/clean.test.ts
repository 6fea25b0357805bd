import { existsSync } from 'node:fs';
import { cleanImageDirectories } from '../../packages/core/src/preimage/clean';
import { GitRepo } from '../support/git-repo';

/** What git ignores in image directories, removed before their pre-images run; with real git. */
let repo: GitRepo;
beforeEach(() => {
  repo = new GitRepo();
  repo.write({
    '.gitignore': '/target\n',
    'target/debug/app': 'cargo output\n',
    'images/one/mzbuild.yml': 'name: one\n',
    'images/one/.gitignore': '/app\n/generated\n*.log\n/forced.txt\n',
    'images/one/forced.txt': 'tracked although ignored\n',
    'images/[x]/mzbuild.yml': 'name: x\n',
    'images/[x]/.gitignore': '/out\n',
    'images/two/.gitignore': '/app\n',
    'mzbuild.yml': 'name: top\n',
  });
  repo.git('add', '.');
  repo.git('add', '-f', 'images/one/forced.txt');
  repo.commit();
  repo.write({
    'images/one/app': 'stale binary\n',
    'images/one/generated/deep/file.txt': 'stale\n',
    'images/one/sub/build.log': 'stale log\n',
    'images/one/sub/keep.txt': 'untracked, not ignored\n',
    'images/one/logs/only.log': 'stale log\n',
    'images/one/untracked.txt': 'the user’s, not ignored\n',
    'images/one/forced.txt': 'tracked, changed\n',
    'images/[x]/out': 'stale\n',
    'images/x/out': 'another directory\n',
    'images/two/app': 'not asked for\n',
  });
});
afterEach(() => repo.dispose());

it('removes what git ignores in the image directories, and only there', async () => {
  const output: string[] = [];
  await cleanImageDirectories(repo.root, ['images/one', 'images/[x]'], (line) => output.push(line));
  for (const gone of ['images/one/app', 'images/one/generated', 'images/one/sub/build.log', 'images/one/logs', 'images/[x]/out']) expect([gone, existsSync(repo.path(gone))]).toEqual([gone, false]);
  // Tracked files (even ignored ones), untracked files git does not ignore, other directories: untouched.
  for (const kept of ['images/one/forced.txt', 'images/one/untracked.txt', 'images/one/sub/keep.txt', 'images/one/mzbuild.yml', 'images/x/out', 'images/two/app', 'target/debug/app']) {
    expect([kept, existsSync(repo.path(kept))]).toEqual([kept, true]);
  }
  expect(repo.git('diff', '--stat')).toContain('forced.txt');
  expect(output.sort()).toEqual(['Removing images/[x]/out', 'Removing images/one/app', 'Removing images/one/generated/',
    'Removing images/one/logs/',
    'Removing images/one/sub/build.log',
  ]);
});

it('leaves an image at the repository root alone: it would remove everything the repository ignores', async () => {
  await cleanImageDirectories(repo.root, ['', '.']);
  expect(existsSync(repo.path('target/debug/app'))).toBe(true);
  expect(existsSync(repo.path('images/one/app'))).toBe(true);
});
