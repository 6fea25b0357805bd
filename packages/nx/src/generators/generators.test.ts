import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import imageGenerator from './image';
import initGenerator from './init';

let tree: Tree;
beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
});

describe('init', () => {
  it('registers the plugin with its options', async () => {
    await initGenerator(tree, { registry: 'ghcr.io/acme/mono', projectName: 'image-{name}' });
    expect(readNxJson(tree)!.plugins).toContainEqual({
      plugin: '@mzbuild/nx',
      options: { registry: 'ghcr.io/acme/mono', projectName: 'image-{name}' },
    });
  });

  it('merges the given options into an entry that is there already, keeping the others', async () => {
    // As `nx add @mzbuild/nx` leaves it, then `nx g @mzbuild/nx:init --registry=…`.
    await initGenerator(tree, {});
    expect(readNxJson(tree)!.plugins).toEqual([{ plugin: '@mzbuild/nx', options: {} }]);
    await initGenerator(tree, { registry: 'one', imagePrefix: 'mz-' });
    await initGenerator(tree, { registry: 'two' });
    const entries = readNxJson(tree)!.plugins!.filter((p) => typeof p !== 'string' && p.plugin === '@mzbuild/nx');
    expect(entries).toEqual([{ plugin: '@mzbuild/nx', options: { registry: 'two', imagePrefix: 'mz-' } }]);
  });

  it('gives options to a plugin registered by name alone, and leaves other plugins alone', async () => {
    const nxJson = readNxJson(tree)!;
    updateNxJson(tree, { ...nxJson, plugins: ['@nx/js/typescript', '@mzbuild/nx'] });
    await initGenerator(tree, { registry: 'one' });
    expect(readNxJson(tree)!.plugins).toEqual(['@nx/js/typescript', { plugin: '@mzbuild/nx', options: { registry: 'one' } }]);
  });

  it('adds [profile.optimized] to a root Cargo workspace without it, once, and nothing else', async () => {
    tree.write('Cargo.toml', '[workspace]\nmembers = ["crates/a"]\n');
    await initGenerator(tree, {});
    await initGenerator(tree, {});
    expect(tree.read('Cargo.toml', 'utf-8')).toMatch(/^\[workspace\]\nmembers = \["crates\/a"\]\n\n# .*\n\[profile\.optimized\]\ninherits = "release"\n$/);

    const other = createTreeWithEmptyWorkspace();
    other.write('Cargo.toml', '[workspace]\nmembers = []\n[profile.optimized]\nlto = "off"\n');
    await initGenerator(other, {});
    expect(other.read('Cargo.toml', 'utf-8')).toBe('[workspace]\nmembers = []\n[profile.optimized]\nlto = "off"\n');
    const dev = createTreeWithEmptyWorkspace();
    dev.write('Cargo.toml', '[workspace]\nmembers = []\n');
    await initGenerator(dev, { profile: 'dev' });
    expect(dev.read('Cargo.toml', 'utf-8')).toBe('[workspace]\nmembers = []\n');
  });

  it('writes an nx.json where the workspace has none', async () => {
    tree.delete('nx.json');
    await initGenerator(tree, { registry: 'one' });
    expect(readNxJson(tree)!.plugins).toEqual([{ plugin: '@mzbuild/nx', options: { registry: 'one' } }]);
  });

  it('refuses options the plugin would refuse, and writes nothing', async () => {
    const before = tree.read('nx.json', 'utf-8');
    await expect(initGenerator(tree, { projectName: 'no-placeholder' })).rejects.toThrow(/projectName: must contain \{name\}/);
    expect(tree.read('nx.json', 'utf-8')).toBe(before);
  });
});

describe('image', () => {
  it('scaffolds a manifest and a Dockerfile FROM scratch', async () => {
    await imageGenerator(tree, { directory: 'images/web', description: 'The web: front' });
    expect(tree.read('images/web/mzbuild.yml', 'utf-8')).toBe('name: web\ndescription: "The web: front"\n');
    expect(tree.read('images/web/Dockerfile', 'utf-8')).toBe('FROM scratch\n');
  });

  it('scaffolds a cargo-build pre-image on a base image, with the binary git-ignored', async () => {
    tree.write('Cargo.toml', '[workspace]\nmembers = ["src/server"]\n');
    tree.write('src/server/Cargo.toml', '[package]\nname = "server"\n');
    tree.write('src/server/src/main.rs', 'fn main() {}\n');
    await imageGenerator(tree, { directory: 'images/base' });
    await imageGenerator(tree, { directory: 'src/server/ci', name: 'server', bin: 'server', base: 'base' });
    expect(tree.read('src/server/ci/mzbuild.yml', 'utf-8')).toBe('name: server\npre-image:\n  - type: cargo-build\n    bin: server\n');
    expect(tree.read('src/server/ci/Dockerfile', 'utf-8')).toMatch(/^MZFROM base\n[\s\S]*COPY server \/usr\/local\/bin\/server\n/);
    expect(tree.read('src/server/ci/.gitignore', 'utf-8')).toContain('\n/server\n');
  });

  it('refuses a binary no crate defines, saying which there are, and writes nothing', async () => {
    await expect(imageGenerator(tree, { directory: 'images/web', bin: 'web' })).rejects.toThrow(
      /bin: web must be a binary of the Cargo workspace at the root, and that cannot be read: Cargo.toml: not found.*cargo new --bin web/,
    );
    tree.write('Cargo.toml', '[workspace]\nmembers = ["crates/tool"]\n');
    tree.write('crates/tool/Cargo.toml', '[package]\nname = "tool"\n');
    tree.write('crates/tool/src/bin/helper.rs', 'fn main() {}\n');
    await expect(imageGenerator(tree, { directory: 'images/web', bin: 'web' })).rejects.toThrow(
      'bin: no crate of the Cargo workspace defines a binary web (binaries: helper)',
    );
    expect(tree.exists('images/web/mzbuild.yml')).toBe(false);
    await imageGenerator(tree, { directory: 'images/helper', bin: 'helper' });
    expect(tree.read('images/helper/mzbuild.yml', 'utf-8')).toContain('bin: helper');
  });

  it('refuses to overwrite, and writes nothing', async () => {
    tree.write('images/web/Dockerfile', 'FROM mine\n');
    await expect(imageGenerator(tree, { directory: 'images/web' })).rejects.toThrow('images/web/Dockerfile already exists');
    expect(tree.read('images/web/Dockerfile', 'utf-8')).toBe('FROM mine\n');
    expect(tree.exists('images/web/mzbuild.yml')).toBe(false);
  });

  it('refuses an unknown base, a taken name and an invalid name', async () => {
    await imageGenerator(tree, { directory: 'images/base' });
    await expect(imageGenerator(tree, { directory: 'images/a', base: 'nope' })).rejects.toThrow('there is no image named nope in this workspace (images: base)');
    await expect(imageGenerator(tree, { directory: 'other/base' })).rejects.toThrow('an image named base already exists (images/base/mzbuild.yml)');
    await expect(imageGenerator(tree, { directory: 'images/my_image' })).rejects.toThrow('"my_image" is not a valid image name');
  });
});
