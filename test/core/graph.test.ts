import { loadContext } from '../../packages/core/src';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';
import { errorOf } from '../support/resolve';

let repo: GitRepo;
beforeEach(() => {
  repo = new GitRepo();
});
afterEach(() => repo.dispose());

const load = (env: NodeJS.ProcessEnv = {}) => loadContext({ cwd: repo.root, env, pluginOptions: {} });

describe('the image graph', () => {
  it('orders images as mzbuild does: targets by name, dependencies first, depth-first in name order', async () => {
    repo.write({
      ...image('z', 'zeta', 'MZFROM beta\nMZFROM alpha\n'),
      ...image('b', 'beta', 'MZFROM alpha\n'),
      ...image('a', 'alpha'),
      ...image('g', 'gamma'),
      ...image('d', 'delta', 'MZFROM gamma\nMZFROM gamma\n'),
    });
    const { repository, resolver, config } = await load();
    expect(repository.images.map((i) => i.name)).toEqual(['alpha', 'beta', 'delta', 'gamma', 'zeta']); // by path
    expect(repository.byName.get('delta')!.dependencies).toEqual(['gamma']);
    const order = await resolver.resolve([repository.byName.get('zeta')!, repository.byName.get('delta')!], config);
    expect(order.map((r) => r.image.name)).toEqual(['gamma', 'delta', 'alpha', 'beta', 'zeta']);
  });

  it('reports a cycle with its path', async () => {
    repo.write({ ...image('a', 'a', 'MZFROM b\n'), ...image('b', 'b', 'MZFROM c\n'), ...image('c', 'c', 'MZFROM a\n') });
    expect(await errorOf(load())).toBe('circular dependency in mzbuild: a -> b -> c -> a');
  });

  it('reports an image that depends on itself', async () => {
    repo.write(image('a', 'a', 'MZFROM a\n'));
    expect(await errorOf(load())).toBe('circular dependency in mzbuild: a -> a');
  });

  it('reports an unknown dependency at its Dockerfile line', async () => {
    repo.write(image('imgs/a', 'a', 'FROM scratch\nMZFROM nope AS x\n'));
    expect(await errorOf(load())).toBe('imgs/a/Dockerfile:2:1: image a depends on non-existent image nope');
  });

  it('reports a name used twice, with both manifests', async () => {
    repo.write({ ...image('one', 'same'), ...image('two', 'same') });
    expect(await errorOf(load())).toBe('image same exists twice: one/mzbuild.yml and two/mzbuild.yml; image names must be unique');
  });

  it('reports an invalid name at its line', async () => {
    repo.write(image('a', 'has_underscore'));
    expect(await errorOf(load())).toMatch(/^a\/mzbuild.yml:1:7: `name` "has_underscore" contains an invalid character/);
  });

  it('reports an image directory without a Dockerfile', async () => {
    repo.write({ 'a/mzbuild.yml': 'name: a\n' });
    expect(await errorOf(load())).toBe('a/Dockerfile: is missing: image a needs a Dockerfile beside a/mzbuild.yml');
  });

  it('reports the errors of every broken manifest at once', async () => {
    repo.write({ 'a/mzbuild.yml': 'name: [\n', 'a/Dockerfile': '', 'b/mzbuild.yml': 'publish: 1\n', 'b/Dockerfile': '' });
    const message = await errorOf(load());
    expect(message).toMatch(/^a\/mzbuild.yml:\d+:\d+: invalid YAML/m);
    expect(message).toMatch(/^b\/mzbuild.yml:1:1: `name` is required/m);
  });

  it('refuses to run outside a git repository', async () => {
    const message = await errorOf(loadContext({ cwd: '/', env: {}, pluginOptions: {} }));
    expect(message).toMatch(/is not inside a git repository/);
  });
});

const MZBUILD = { MZBUILD_COMPAT: 'mzbuild' };

describe('Cargo errors', () => {
  const rust = (bin: string) => image('img', 'img', 'FROM scratch\n', `pre-image:\n  - type: cargo-build\n    bin: ${bin}\n`);
  const fingerprintAll = async (env: NodeJS.ProcessEnv = {}) => {
    const { repository, resolver, config } = await load(env);
    return resolver.resolve(repository.images, config);
  };

  it('names a bin that no crate defines', async () => {
    repo.write({ ...cargoWorkspace(['a']), ...crate('a', 'a'), ...rust('missing') });
    expect(await errorOf(fingerprintAll())).toBe('img/mzbuild.yml: bin missing does not exist in cargo workspace');
  });

  it('names a bin that two crates define', async () => {
    repo.write({
      ...cargoWorkspace(['a', 'b']),
      ...crate('a', 'a', '[[bin]]\nname = "dup"\npath = "x.rs"\n'),
      ...crate('b', 'b', '', { 'src/bin/dup.rs': '' }),
      ...rust('dup'),
    });
    expect(await errorOf(fingerprintAll())).toBe('img/mzbuild.yml: bin dup appears more than once in cargo workspace (crates a and b)');
  });

  it('names a path dependency that is not a member (mzbuild mode)', async () => {
    repo.write({ ...cargoWorkspace(['a']), ...crate('a', 'a', '[dependencies]\nb = { path = "../b" }\n', { 'src/main.rs': '' }), ...rust('a') });
    expect(await errorOf(fingerprintAll(MZBUILD))).toMatch(/^a\/Cargo.toml: path dependency b is not a member of the Cargo workspace/);
  });

  it('names a path dependency without a Cargo.toml (correct mode)', async () => {
    repo.write({ ...cargoWorkspace(['a']), ...crate('a', 'a', '[dependencies]\nb = { path = "../b" }\n', { 'src/main.rs': '' }), ...rust('a') });
    expect(await errorOf(fingerprintAll())).toBe('a/Cargo.toml: path dependency b: b has no Cargo.toml; cargo cannot load it either');
  });

  it('names a path dependency outside the repository, only for the images that take it (correct mode)', async () => {
    repo.write({
      ...cargoWorkspace(['a', 'b']),
      ...crate('a', 'a', '[dependencies]\nfar = { path = "../../far" }\n', { 'src/main.rs': '' }),
      ...crate('b', 'b', '', { 'src/main.rs': '' }),
      ...rust('a'),
      ...image('other', 'other', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: b\n'),
    });
    const { repository, resolver, config } = await load();
    await expect(resolver.resolve([repository.byName.get('other')!], config)).resolves.toHaveLength(1);
    expect(await errorOf(fingerprintAll())).toMatch(/^a\/Cargo.toml: path dependency \.\.\/far is outside the repository, so its files cannot be fingerprinted/);
  });

  it('reports invalid TOML with its line', async () => {
    repo.write({ 'Cargo.toml': '[workspace]\nmembers = [\n', ...rust('a') });
    expect(await errorOf(fingerprintAll())).toMatch(/^Cargo.toml:\d+:\d+: invalid TOML/);
  });

  it('refuses glob members in mzbuild mode, which mzbuild would not expand', async () => {
    repo.write({ ...cargoWorkspace(['crates/*']), ...rust('a') });
    expect(await errorOf(fingerprintAll(MZBUILD))).toMatch(/workspace member "crates\/\*" is not a plain directory/);
  });

  it('names a directory a member glob matches that holds no Cargo.toml (correct mode), as cargo does', async () => {
    repo.write({ ...cargoWorkspace(['crates/*']), ...crate('crates/a', 'a', '', { 'src/main.rs': '' }), 'crates/notes/x.md': '', 'crates/README.md': '', ...rust('a') });
    expect(await errorOf(fingerprintAll())).toBe('workspace member crates/notes (from "crates/*"): crates/notes has no Cargo.toml; cargo cannot load it either');
  });

  it('reports a missing root Cargo.toml', async () => {
    repo.write(rust('a'));
    expect(await errorOf(fingerprintAll())).toMatch(/^Cargo.toml: not found at the repository root/);
  });

  it('needs no Cargo workspace for images without cargo-build', async () => {
    repo.write(image('plain', 'plain'));
    await expect(fingerprintAll()).resolves.toHaveLength(1);
  });
});
