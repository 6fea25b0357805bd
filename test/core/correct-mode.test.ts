// The correct fingerprint mode (docs/fingerprint.md): each omission of mzbuild's it closes moves
// the fingerprint in correct mode and, where mzbuild ignores it, not in mzbuild mode; where both
// modes read the same inputs they give the same fingerprint; the Cargo model agrees with cargo's.
import { execFileSync } from 'node:child_process';
import { loadCargoWorkspace } from '../../packages/core/src';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';
import { fingerprints, inputsOf } from '../support/resolve';

const MZBUILD = { compat: 'mzbuild' } as const;
const CORRECT = { compat: 'correct' } as const;

let repo: GitRepo;
afterEach(() => repo.dispose());

const rust = (dir: string, name: string, bin: string) => image(dir, name, 'FROM scratch\n', `pre-image:\n  - type: cargo-build\n    bin: ${bin}\n`);

/** A workspace written the ways cargo reads and mzbuild does not: globs, workspace = true, cfg tables, renames, patches. */
function modernWorkspace(): GitRepo {
  const r = new GitRepo();
  r.write({
    'Cargo.toml': [
      '[workspace]',
      'members = ["crates/*", "tools/listed"]',
      'exclude = ["crates/excluded"]',
      'resolver = "2"',
      '[workspace.dependencies]',
      'inherited = { path = "libs/inherited" }',
      'renamed-ws = { path = "libs/renamed-ws", package = "real-name" }',
      '[patch.crates-io]',
      'patched = { path = "vendor/patched" }',
      '',
    ].join('\n'),
    'Cargo.lock': '# lock\n',
    ...crate('crates/app', 'app', [
      '[dependencies]',
      'inherited = { workspace = true }',
      'renamed-ws.workspace = true',
      'alias = { path = "../../libs/aliased", package = "aliased" }',
      "[target.'cfg(unix)'.dependencies]",
      'unix-only = { path = "../../libs/unix-only" }',
      '[build-dependencies]',
      'build-helper = { path = "../../libs/build-helper" }',
      '[dev-dependencies]',
      'dev-only = { path = "../../libs/dev-only" }',
      '',
    ].join('\n'), { 'src/main.rs': 'fn main() {}', 'examples/demo.rs': 'fn main() {}' }),
    ...crate('crates/other', 'other', '', { 'src/main.rs': 'fn main() {}' }),
    ...crate('crates/excluded', 'excluded', '', { 'src/main.rs': 'fn main() {}' }),
    ...crate('tools/listed', 'listed', '', { 'src/main.rs': 'fn main() {}' }),
    ...crate('libs/inherited', 'inherited'),
    ...crate('libs/renamed-ws', 'real-name'),
    ...crate('libs/aliased', 'aliased'),
    ...crate('libs/unix-only', 'unix-only', '[dependencies]\ndeep = { path = "../deep" }\n'),
    ...crate('libs/deep', 'deep'),
    ...crate('libs/build-helper', 'build-helper'),
    ...crate('libs/dev-only', 'dev-only'),
    ...crate('vendor/patched', 'patched'),
    'crates/README.md': 'a file a member glob matches: cargo skips it\n',
    ...rust('images/app', 'app', 'app'),
    ...rust('images/other', 'other', 'other'),
    ...image('images/demo', 'demo', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    example: demo\n'),
    ...image('images/plain', 'plain'),
  });
  return r.commit();
}

const crateDirsOf = (inputs: string[]) =>
  [...new Set(inputs.filter((f) => /^(crates|libs|vendor|tools)\//.test(f)).map((f) => f.split('/').slice(0, 2).join('/')))].sort();

describe('the correct mode reads the Cargo workspace as cargo does', () => {
  beforeEach(() => {
    repo = modernWorkspace();
  });

  it('expands member globs, follows workspace = true, cfg tables, renames and build-dependencies, and takes [patch] crates', async () => {
    expect(crateDirsOf(await inputsOf(repo.root, 'app', CORRECT))).toEqual([
      'crates/app',
      'libs/aliased',
      'libs/build-helper',
      'libs/deep',
      'libs/inherited',
      'libs/renamed-ws',
      'libs/unix-only',
      'vendor/patched',
    ]);
    expect(crateDirsOf(await inputsOf(repo.root, 'other', CORRECT))).toEqual(['crates/other', 'vendor/patched']);
  });

  it("follows the root crate's dev-dependencies for an example", async () => {
    expect(crateDirsOf(await inputsOf(repo.root, 'demo', CORRECT))).toContain('libs/dev-only');
    expect(crateDirsOf(await inputsOf(repo.root, 'app', CORRECT))).not.toContain('libs/dev-only');
  });

  it('agrees with cargo metadata on the members and every path dependency', () => {
    const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--offline', '--no-deps', '--format-version', '1'], { cwd: repo.root, encoding: 'utf8' })) as {
      packages: { name: string; manifest_path: string; dependencies: { path?: string; kind: string | null }[] }[];
    };
    const dirOf = (path: string) => path.slice(repo.root.length + 1).replace(/\/?Cargo\.toml$/, '');
    const cargoMembers = metadata.packages.map((p) => dirOf(p.manifest_path)).sort();
    const workspace = loadCargoWorkspace(repo.root, 'correct');
    expect([...workspace.members.values()].map((c) => c.dir).sort()).toEqual(cargoMembers);
    for (const pkg of metadata.packages) {
      const ours = workspace.crates.get(dirOf(pkg.manifest_path))!;
      const cargoPaths = (dev: boolean) =>
        [...new Set(pkg.dependencies.filter((d) => d.path !== undefined && (d.kind === 'dev') === dev).map((d) => d.path!.slice(repo.root.length + 1)))].sort();
      expect({ crate: ours.dir, normal: [...ours.dependencyPaths].sort(), dev: [...ours.devDependencyPaths].sort() }).toEqual({
        crate: ours.dir,
        normal: cargoPaths(false),
        dev: cargoPaths(true),
      });
    }
    // cargo makes the path dependencies inside the workspace members; excluded crates stay out.
    expect(cargoMembers).toContain('libs/deep');
    expect(cargoMembers).not.toContain('crates/excluded');
  });
});

describe('each omission of mzbuild, closed', () => {
  /** Which of app/plain change in each mode when `change` is made to the modern-but-literal workspace. */
  async function moved(change: (r: GitRepo) => void): Promise<{ correct: string[]; mzbuild: string[] }> {
    const before = { correct: await fingerprints(repo.root, CORRECT), mzbuild: await fingerprints(repo.root, MZBUILD) };
    change(repo);
    const after = { correct: await fingerprints(repo.root, CORRECT), mzbuild: await fingerprints(repo.root, MZBUILD) };
    const diff = (a: Record<string, string>, b: Record<string, string>) => Object.keys(a).filter((n) => a[n] !== b[n]).sort();
    return { correct: diff(before.correct, after.correct), mzbuild: diff(before.mzbuild, after.mzbuild) };
  }

  // mzbuild reads literal members only: a workspace both modes can read, with the other omissions.
  beforeEach(() => {
    repo = new GitRepo();
    repo.write({
      ...cargoWorkspace(['app', 'lib'], '[workspace.dependencies]\ninherited = { path = "inherited" }\n[patch.crates-io]\npatched = { path = "patched" }\n'),
      ...crate('app', 'app', '[dependencies]\nlib = { path = "../lib" }\ninherited = { workspace = true }\n[target.\'cfg(unix)\'.dependencies]\nunix-only = { path = "../unix-only" }\n', {
        'src/main.rs': 'fn main() {}',
      }),
      ...crate('lib', 'lib'),
      ...crate('inherited', 'inherited'),
      ...crate('unix-only', 'unix-only'),
      ...crate('patched', 'patched'),
      ...rust('images/app', 'app', 'app'),
      ...image('images/plain', 'plain'),
    });
    repo.commit();
  });

  const cases: [string, (r: GitRepo) => void][] = [
    ['.cargo/config.toml', (r) => r.write({ '.cargo/config.toml': '[target.x86_64-unknown-linux-gnu]\nrustflags = ["-C", "target-feature=-crt-static"]\n' })],
    ['rust-toolchain.toml', (r) => r.write({ 'rust-toolchain.toml': '[toolchain]\nchannel = "1.95.0"\n' })],
    ['rust-toolchain', (r) => r.write({ 'rust-toolchain': '1.95.0\n' })],
    ['a dependency through workspace = true', (r) => r.write({ 'inherited/src/lib.rs': 'pub fn changed() {}' })],
    ["a dependency under [target.'cfg(…)']", (r) => r.write({ 'unix-only/src/lib.rs': 'pub fn changed() {}' })],
    ['a [patch] crate', (r) => r.write({ 'patched/src/lib.rs': 'pub fn changed() {}' })],
  ];
  it.each(cases)('%s moves the Rust image in correct mode only', async (_, change) => {
    expect(await moved(change)).toEqual({ correct: ['app'], mzbuild: [] });
  });

  it('.cargo/config moves the Rust image in both modes', async () => {
    expect(await moved((r) => r.write({ '.cargo/config': '[build]\n' }))).toEqual({ correct: ['app'], mzbuild: ['app'] });
  });

  it('a plain path dependency moves the Rust image in both modes', async () => {
    expect(await moved((r) => r.write({ 'lib/src/lib.rs': 'pub fn changed() {}' }))).toEqual({ correct: ['app'], mzbuild: ['app'] });
  });

  it('gives the same fingerprints in both modes where they read the same inputs (no mode salt)', async () => {
    // Until a file only the correct mode reads exists, app's inputs differ only by crates that
    // mzbuild does not follow: plain has the same inputs in both, so the same fingerprint.
    const [correct, mzbuild] = [await fingerprints(repo.root, CORRECT), await fingerprints(repo.root, MZBUILD)];
    expect(correct['plain']).toBe(mzbuild['plain']);
    expect(correct['app']).not.toBe(mzbuild['app']);
  });
});

describe('a Rust image in both modes', () => {
  it('has the same fingerprint when the workspace is one mzbuild reads fully', async () => {
    repo = new GitRepo();
    repo.write({ ...cargoWorkspace(['app']), ...crate('app', 'app', '', { 'src/main.rs': 'fn main() {}' }), ...rust('images/app', 'app', 'app') });
    repo.commit();
    expect(await fingerprints(repo.root, CORRECT)).toEqual(await fingerprints(repo.root, MZBUILD));
  });

  it('of a workspace with a package at its root takes the root package and its files', async () => {
    repo = new GitRepo();
    repo.write({
      'Cargo.toml': '[package]\nname = "root-app"\nversion = "0.0.0"\n[workspace]\nmembers = ["lib"]\n',
      'Cargo.lock': '# lock\n',
      'src/main.rs': 'fn main() {}',
      ...crate('lib', 'lib'),
      ...rust('images/app', 'app', 'root-app'),
    });
    repo.commit();
    const inputs = await inputsOf(repo.root, 'app', CORRECT);
    expect(inputs).toContain('src/main.rs');
    expect(inputs).not.toContain('lib/src/lib.rs');
  });
});
