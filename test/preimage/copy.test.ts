import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { runCopy } from '../../packages/core/src/preimage/pre-images';
import { listVisibleFiles } from '../../packages/core/src/git';
import type { Copy } from '../../packages/core/src/manifest';
import { copyStep } from '../support/build-tools';
import { GitRepo, image } from '../support/git-repo';
import { errorOf } from '../support/resolve';

let repo: GitRepo;
let output: string[];

beforeEach(() => {
  repo = new GitRepo();
  output = [];
  repo.write({
    ...image('img', 'img'),
    'img/.gitignore': '/assets\n/top.txt\n',
    'src/assets/a.txt': 'a\n',
    'src/assets/deep/b.txt': 'b\n',
    'src/assets/deep/c.json': '{}\n',
    'src/assets/run.sh': '#!/bin/sh\n',
    'src/assets/.gitignore': 'ignored.txt\n',
    'src/assets/ignored.txt': 'not visible\n',
    'src/other/top.txt': 'top\n',
  });
  repo.chmod('src/assets/run.sh', 0o755);
  repo.commit();
  repo.write({ 'src/assets/untracked.txt': 'untracked but visible\n' });
});
afterEach(() => repo.dispose());

async function copy(step: Copy, imageDir = 'img') {
  const files = await listVisibleFiles(repo.root);
  return runCopy(imageDir, step, {
    root: repo.root,
    config: { profile: 'dev', arch: 'x86_64', coverage: false, sanitizer: 'none', compat: 'mzbuild' },
    files,
    onOutput: (line) => output.push(line),
  });
}

function tree(dir: string): string[] {
  if (!existsSync(repo.path(dir))) return [];
  return (readdirSync(repo.path(dir), { recursive: true }) as string[])
    .filter((entry) => statSync(repo.path(`${dir}/${entry}`)).isFile())
    .sort();
}

describe('runCopy', () => {
  it('copies the git-visible files under source into destination, keeping their relative paths and modes', async () => {
    await copy(copyStep({ source: 'src/assets', destination: 'assets' }));
    expect(tree('img/assets')).toEqual(['.gitignore', 'a.txt', 'deep/b.txt', 'deep/c.json', 'run.sh', 'untracked.txt']);
    expect(readFileSync(repo.path('img/assets/deep/b.txt'), 'utf8')).toBe('b\n');
    expect(statSync(repo.path('img/assets/run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(repo.path('img/assets/a.txt')).mode & 0o777).toBe(0o644);
    expect(output).toEqual(['copied 6 files from src/assets into img']);
    expect(repo.git('status', '--porcelain', '--', 'img')).toBe('');
  });

  it('selects with a git pathspec relative to source, in which * crosses directories', async () => {
    await copy(copyStep({ source: 'src/assets', destination: 'assets', matching: '*.txt' }));
    expect(tree('img/assets')).toEqual(['a.txt', 'deep/b.txt', 'untracked.txt']);
  });

  it('takes a pathspec without wildcards as a directory', async () => {
    await copy(copyStep({ source: 'src/assets/', destination: './assets/', matching: 'deep' }));
    expect(tree('img/assets')).toEqual(['deep/b.txt', 'deep/c.json']);
  });

  it('copies into the image directory itself, each file needing its own ignore line', async () => {
    await copy(copyStep({ source: 'src/other', destination: '.' }));
    expect(readFileSync(repo.path('img/top.txt'), 'utf8')).toBe('top\n');
    expect(await errorOf(copy(copyStep({ source: 'src/assets', destination: '.', matching: 'a.txt' })))).toBe(
      'img/mzbuild.yml: the build writes img/a.txt, which git does not ignore: it would show in `git status` ' +
        "and change the image's fingerprint; add `/a.txt` to img/.gitignore",
    );
  });

  it('rejects destinations that git does not ignore, before copying anything', async () => {
    expect(await errorOf(copy(copyStep({ source: 'src/assets', destination: 'files/here', matching: 'deep' })))).toBe(
      'img/mzbuild.yml: the build writes img/files/here/deep/b.txt (and 1 more), which git does not ignore: it would show in `git status` ' +
        "and change the image's fingerprint; add `/files/here` to img/.gitignore",
    );
    expect(existsSync(repo.path('img/files'))).toBe(false);
  });

  it('rejects overwriting a tracked file', async () => {
    repo.write({ 'img/assets/a.txt': 'tracked\n' });
    repo.git('add', '-f', 'img/assets/a.txt');
    expect(await errorOf(copy(copyStep({ source: 'src/assets', destination: 'assets' })))).toMatch(
      /^img\/mzbuild.yml: the build would overwrite img\/assets\/a.txt, which git tracks/,
    );
    expect(readFileSync(repo.path('img/assets/a.txt'), 'utf8')).toBe('tracked\n');
  });

  it('rejects a destination outside the image directory', async () => {
    expect(await errorOf(copy(copyStep({ source: 'src/assets', destination: '../elsewhere' })))).toBe(
      'img/mzbuild.yml: copy destination ../elsewhere is outside the image directory img; it must be a directory relative to it',
    );
    expect(await errorOf(copy(copyStep({ source: 'src/assets', destination: '/tmp/x' })))).toMatch(/copy destination \/tmp\/x is outside/);
    expect(existsSync(repo.path('elsewhere'))).toBe(false);
  });

  it('rejects a source outside the repository', async () => {
    expect(await errorOf(copy(copyStep({ source: '../', destination: 'assets' })))).toBe(
      'img/mzbuild.yml: copy source ../ is outside the repository; it must be a directory relative to the repository root',
    );
    expect(await errorOf(copy(copyStep({ source: '/etc', destination: 'assets' })))).toMatch(/copy source \/etc is outside the repository/);
  });

  it('rejects a symbolic link that leads out of the repository, and copies the target of one that does not', async () => {
    repo.symlink('../a.txt', 'src/assets/deep/inside.txt');
    await copy(copyStep({ source: 'src/assets', destination: 'assets', matching: 'deep/inside.txt' }));
    expect(readFileSync(repo.path('img/assets/deep/inside.txt'), 'utf8')).toBe('a\n');

    repo.symlink('/etc/hostname', 'src/assets/outside');
    expect(await errorOf(copy(copyStep({ source: 'src/assets', destination: 'assets', matching: 'outside' })))).toBe(
      'img/mzbuild.yml: copy: src/assets/outside is a symbolic link to /etc/hostname, outside the repository',
    );
  });

  it('copies nothing when nothing matches', async () => {
    await copy(copyStep({ source: 'src/assets', destination: 'assets', matching: '*.none' }));
    expect(existsSync(repo.path('img/assets'))).toBe(false);
    expect(output).toEqual(['copied 0 files from src/assets into img']);
  });
});
