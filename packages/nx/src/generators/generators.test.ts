import { readNxJson, type Tree } from '@nx/devkit';
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

  it('leaves a workspace that has the plugin as it is', async () => {
    await initGenerator(tree, { registry: 'one' });
    await initGenerator(tree, { registry: 'two' });
    const entries = readNxJson(tree)!.plugins!.filter((p) => typeof p !== 'string' && p.plugin === '@mzbuild/nx');
    expect(entries).toEqual([{ plugin: '@mzbuild/nx', options: { registry: 'one' } }]);
  });

  it('refuses options the plugin would refuse', async () => {
    await expect(initGenerator(tree, { projectName: 'no-placeholder' })).rejects.toThrow(/projectName: must contain \{name\}/);
  });
});

describe('image', () => {
  it('scaffolds a manifest and a Dockerfile FROM scratch', async () => {
    await imageGenerator(tree, { directory: 'images/web', description: 'The web: front' });
    expect(tree.read('images/web/mzbuild.yml', 'utf-8')).toBe('name: web\ndescription: "The web: front"\n');
    expect(tree.read('images/web/Dockerfile', 'utf-8')).toBe('FROM scratch\n');
  });

  it('scaffolds a cargo-build pre-image on a base image, with the binary git-ignored', async () => {
    await imageGenerator(tree, { directory: 'images/base' });
    await imageGenerator(tree, { directory: 'src/server/ci', name: 'server', bin: 'server', base: 'base' });
    expect(tree.read('src/server/ci/mzbuild.yml', 'utf-8')).toBe('name: server\npre-image:\n  - type: cargo-build\n    bin: server\n');
    expect(tree.read('src/server/ci/Dockerfile', 'utf-8')).toMatch(/^MZFROM base\n[\s\S]*COPY server \/usr\/local\/bin\/server\n/);
    expect(tree.read('src/server/ci/.gitignore', 'utf-8')).toContain('\n/server\n');
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
