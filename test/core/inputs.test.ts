import { FileHasher } from '../../packages/core/src';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';
import { fingerprints, fingerprints as fingerprintsIn, inputsOf, inputsOf as inputsIn } from '../support/resolve';

const MZBUILD = { compat: 'mzbuild' } as const;
import { createHash } from 'node:crypto';

let repo: GitRepo;
afterEach(() => repo.dispose());

describe('git-visible files', () => {
  beforeEach(() => {
    repo = new GitRepo();
    repo.write({ ...image('img', 'img'), 'img/tracked.txt': 'a', 'img/.gitignore': 'ignored.txt\ntracked-but-ignored.txt\n' });
    repo.write({ 'img/tracked-but-ignored.txt': 'x', 'img/deleted.txt': 'gone' });
    repo.git('add', '-f', 'img/tracked-but-ignored.txt');
    repo.commit();
  });

  it('are tracked files, tracked ignored files, untracked non-ignored files and staged files', async () => {
    repo.write({ 'img/untracked.txt': 'u', 'img/ignored.txt': 'i', 'img/staged.txt': 's' });
    repo.git('add', 'img/staged.txt');
    repo.remove('img/deleted.txt');
    expect(await inputsOf(repo.root, 'img')).toEqual([
      'img/.gitignore',
      'img/Dockerfile',
      'img/mzbuild.yml',
      'img/staged.txt',
      'img/tracked-but-ignored.txt',
      'img/tracked.txt',
      'img/untracked.txt',
    ]);
  });

  it('leave out a deleted file even while the index still has it', async () => {
    repo.remove('img/deleted.txt');
    expect(repo.git('ls-files', 'img/deleted.txt').trim()).toBe('img/deleted.txt');
    expect(await inputsOf(repo.root, 'img')).not.toContain('img/deleted.txt');
  });

  it('honour .git/info/exclude', async () => {
    repo.write({ '.git/info/exclude': 'local-only.txt\n', 'img/local-only.txt': 'x' });
    expect(await inputsOf(repo.root, 'img')).not.toContain('img/local-only.txt');
  });
});

describe('nested image directories', () => {
  it('give each file to the innermost image only', async () => {
    repo = new GitRepo();
    repo.write({ ...image('outer', 'outer'), 'outer/a.txt': 'a', ...image('outer/inner', 'inner'), 'outer/inner/b.txt': 'b' });
    repo.commit();
    expect(await inputsOf(repo.root, 'outer')).toEqual(['outer/Dockerfile', 'outer/a.txt', 'outer/mzbuild.yml']);
    expect(await inputsOf(repo.root, 'inner')).toEqual(['outer/inner/Dockerfile', 'outer/inner/b.txt', 'outer/inner/mzbuild.yml']);
  });
});

describe('discovery', () => {
  it('ignores a root-level mzbuild.yml and anything under misc/python/', async () => {
    repo = new GitRepo();
    repo.write({ ...image('a', 'a'), 'mzbuild.yml': 'name: root\n', Dockerfile: 'FROM scratch\n', ...image('misc/python/venv/x', 'venv') });
    repo.commit();
    expect(Object.keys(await fingerprints(repo.root))).toEqual(['a']);
  });
});

describe('file records', () => {
  beforeEach(() => {
    repo = new GitRepo();
    repo.write({ ...image('img', 'img'), 'img/script.sh': 'echo hi\n', 'img/target.txt': 'target content' });
  });
  const sha1 = (text: string) => createHash('sha1').update(text).digest();

  it('take the mode from lstat: 100755 with the user-execute bit, 100644 without', () => {
    const hasher = new FileHasher(repo.root);
    expect(hasher.record('img/script.sh').mode).toBe(0o100644);
    repo.chmod('img/script.sh', 0o744);
    expect(new FileHasher(repo.root).record('img/script.sh').mode).toBe(0o100755);
    repo.chmod('img/script.sh', 0o654); // group and others may execute; the user may not
    expect(new FileHasher(repo.root).record('img/script.sh').mode).toBe(0o100644);
  });

  it('give a symlink mode 120000 and the content of its target', () => {
    repo.symlink('target.txt', 'img/link');
    const record = new FileHasher(repo.root).record('img/link');
    expect(record).toEqual({ mode: 0o120000, sha1: sha1('target content') });
  });

  it('name a dangling symlink in a clear error', async () => {
    repo.symlink('nowhere.txt', 'img/dangling');
    repo.commit();
    await expect(fingerprints(repo.root)).rejects.toThrow(/img\/dangling: is an input file but cannot be read \(it does not exist/);
  });
});

describe('Cargo inputs in mzbuild mode', () => {
  const inputsOf = (root: string, name: string) => inputsIn(root, name, MZBUILD);
  const fingerprints = (root: string) => fingerprintsIn(root, MZBUILD);
  function rustRepo(): GitRepo {
    const r = new GitRepo();
    r.write({
      ...cargoWorkspace(['src/app', 'src/lib-a', 'src/lib-b', 'src/build-helper', 'src/renamed', 'src/cfg-only', 'src/ws-dep', 'src/dev-only', 'src/deep-dev', 'src/nested', 'src/nested/inner']),
      ...crate('src/app', 'app', [
        '[dependencies]',
        'lib-a = { path = "../lib-a" }',
        'alias = { path = "../renamed", package = "renamed" }',
        'registry-dep = "1.0"',
        'ws-dep = { workspace = true }',
        '[build-dependencies]',
        'build-helper = { path = "../build-helper" }',
        '[dev-dependencies]',
        'dev-only = { path = "../dev-only" }',
        "[target.'cfg(unix)'.dependencies]",
        'cfg-only = { path = "../cfg-only" }',
        '',
      ].join('\n'), { 'src/main.rs': 'fn main() {}', 'examples/demo.rs': 'fn main() {}', 'mzcompose.py': '', 'mzcompose/x': '' }),
      ...crate('src/lib-a', 'lib-a', '[dependencies]\nlib-b = { path = "../lib-b" }\n[dev-dependencies]\ndeep-dev = { path = "../deep-dev" }\n'),
      ...crate('src/lib-b', 'lib-b'),
      ...crate('src/build-helper', 'build-helper'),
      ...crate('src/renamed', 'renamed'),
      ...crate('src/cfg-only', 'cfg-only'),
      ...crate('src/ws-dep', 'ws-dep'),
      ...crate('src/dev-only', 'dev-only'),
      ...crate('src/deep-dev', 'deep-dev'),
      ...crate('src/nested', 'nested', '', { 'src/main.rs': 'fn main() {}' }),
      ...crate('src/nested/inner', 'inner', '', { 'src/bin/tool.rs': 'fn main() {}', 'src/bin/multi/main.rs': 'fn main() {}' }),
      'ci/builder/Dockerfile': 'FROM scratch\n',
      'ci/builder/stable.stamp': '1\n',
      '.cargo/config.toml': '[build]\n',
      ...image('images/app', 'app', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: app\n'),
      ...image('images/demo', 'demo', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    example: demo\n'),
      ...image('images/nested', 'nested', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: nested\n'),
      ...image('images/tools', 'tools', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: [tool, multi]\n'),
      ...image('images/plain', 'plain'),
    });
    return r.commit();
  }

  beforeEach(() => {
    repo = rustRepo();
  });

  const crateFiles = (inputs: string[]) => [...new Set(inputs.filter((f) => f.startsWith('src/')).map((f) => f.split('/')[1]))].sort();

  it('follow path dependencies and build-dependencies, by package name, but not cfg tables, workspace deps or dev-dependencies', async () => {
    const inputs = await inputsOf(repo.root, 'app');
    expect(crateFiles(inputs)).toEqual(['app', 'build-helper', 'lib-a', 'lib-b', 'renamed']);
  });

  it("follow the root crate's dev-dependencies for an example, but no deeper ones", async () => {
    expect(crateFiles(await inputsOf(repo.root, 'demo'))).toEqual(['app', 'build-helper', 'dev-only', 'lib-a', 'lib-b', 'renamed']);
  });

  it('include the shared inputs: ci/builder files, Cargo.toml and Cargo.lock, but not .cargo/config.toml', async () => {
    const inputs = await inputsOf(repo.root, 'app');
    expect(inputs.filter((f) => !f.startsWith('src/'))).toEqual([
      'Cargo.lock',
      'Cargo.toml',
      'ci/builder/Dockerfile',
      'ci/builder/stable.stamp',
      'images/app/Dockerfile',
      'images/app/mzbuild.yml',
    ]);
  });

  it('include .cargo/config when that exact file exists', async () => {
    repo.write({ '.cargo/config': '[build]\n' });
    expect(await inputsOf(repo.root, 'app')).toContain('.cargo/config');
  });

  it('add Cargo.toml and Cargo.lock even when git ignores them', async () => {
    repo.git('rm', '-q', '--cached', 'Cargo.lock');
    repo.write({ '.gitignore': 'Cargo.lock\n' });
    expect(await inputsOf(repo.root, 'app')).toContain('Cargo.lock');
  });

  it('leave mzcompose files out of crates', async () => {
    const inputs = await inputsOf(repo.root, 'app');
    expect(inputs.filter((f) => f.startsWith('src/app/'))).toEqual(['src/app/Cargo.toml', 'src/app/examples/demo.rs', 'src/app/src/main.rs']);
  });

  it('keep mzcompose files inside an image directory', async () => {
    repo.write({ 'images/app/mzcompose.py': '' });
    expect(await inputsOf(repo.root, 'app')).toContain('images/app/mzcompose.py');
  });

  it('give the files of a nested crate to that crate only', async () => {
    const nested = await inputsOf(repo.root, 'nested');
    expect(nested.filter((f) => f.startsWith('src/'))).toEqual(['src/nested/Cargo.toml', 'src/nested/src/main.rs']);
    const tools = await inputsOf(repo.root, 'tools');
    expect(tools.filter((f) => f.startsWith('src/'))).toEqual([
      'src/nested/inner/Cargo.toml',
      'src/nested/inner/src/bin/multi/main.rs',
      'src/nested/inner/src/bin/tool.rs',
    ]);
  });

  it('take part in partitioning through exclude globs, without becoming members', async () => {
    repo.write({
      'Cargo.toml': repo.git('show', 'HEAD:Cargo.toml') + 'exclude = ["src/app/wasm/*"]\n',
      ...crate('src/app/wasm/plugin', 'plugin'),
    });
    const inputs = await inputsOf(repo.root, 'app');
    expect(inputs.some((f) => f.startsWith('src/app/wasm/'))).toBe(false);
  });

  it('are not taken by images without a cargo-build pre-image', async () => {
    expect(await inputsOf(repo.root, 'plain')).toEqual(['images/plain/Dockerfile', 'images/plain/mzbuild.yml']);
  });

  it('make every Rust image, and only those, depend on Cargo.lock', async () => {
    const before = await fingerprints(repo.root);
    repo.write({ 'Cargo.lock': '# changed\n' });
    const after = await fingerprints(repo.root);
    expect(Object.keys(before).filter((n) => before[n] !== after[n]).sort()).toEqual(['app', 'demo', 'nested', 'tools']);
  });
});

describe('copy pre-image inputs', () => {
  it('are the files under source that match the pathspec, as root-relative paths', async () => {
    repo = new GitRepo();
    repo.write({
      ...image('img', 'img', 'FROM scratch\n', 'pre-image:\n  - type: copy\n    source: assets\n    destination: static\n    matching: "*.css"\n'),
      'assets/site.css': 'a',
      'assets/deep/more.css': 'b',
      'assets/logo.png': 'c',
      'assets-other/x.css': 'd',
    });
    repo.commit();
    expect(await inputsOf(repo.root, 'img')).toEqual(['assets/deep/more.css', 'assets/site.css', 'img/Dockerfile', 'img/mzbuild.yml']);
  });
});
