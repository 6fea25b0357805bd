/** Tests of createNodes: the projects inferred from manifests, their names and inputs, and the caches behind them. */
import type { CreateNodesContext, ProjectConfiguration } from '@nx/devkit';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createNodes } from './create-nodes';

let root: string;
const write = (files: Record<string, string>) => {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
};
// The model cache of these repositories stays out of the user's cache directory.
const cacheDir = mkdtempSync(join(tmpdir(), 'mzbuild-nodes-cache-'));
const userCacheDir = process.env['MZBUILD_CACHE_DIR'];
beforeAll(() => (process.env['MZBUILD_CACHE_DIR'] = cacheDir));
afterAll(() => {
  if (userCacheDir === undefined) delete process.env['MZBUILD_CACHE_DIR'];
  else process.env['MZBUILD_CACHE_DIR'] = userCacheDir;
  rmSync(cacheDir, { recursive: true, force: true });
});

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mzbuild-nodes-'));
  execFileSync('git', ['init', '-q'], { cwd: root });
  write({
    'images/base/mzbuild.yml': 'name: base\n',
    'images/base/Dockerfile': 'FROM scratch\n',
    'images/app/mzbuild.yml': 'name: app\npre-image:\n  - type: cargo-build\n    bin: app\n',
    'images/app/Dockerfile': 'MZFROM base\n',
    'Cargo.toml': '[workspace]\nmembers = ["crates/app", "crates/app/plugin"]\n',
    'crates/app/Cargo.toml': '[package]\nname = "app"\n',
    'crates/app/src/main.rs': '',
    'crates/app/plugin/Cargo.toml': '[package]\nname = "plugin"\n',
  });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const context = (): CreateNodesContext => ({ workspaceRoot: root, nxJsonConfiguration: {} });
const MANIFESTS = ['images/app/mzbuild.yml', 'images/base/mzbuild.yml'];

async function projects(options: unknown = {}, files = MANIFESTS): Promise<Record<string, ProjectConfiguration>> {
  const results = await createNodes[1](files, options as never, context());
  return Object.assign({}, ...results.map(([, result]) => result.projects));
}

it('makes one project per image, rooted at its directory, named after it', async () => {
  const found = await projects();
  expect(Object.keys(found).sort()).toEqual(['images/app', 'images/base']);
  expect(found['images/app']!.name).toBe('app');
});

it('names projects after the projectName template', async () => {
  const found = await projects({ projectName: 'image-{name}' });
  expect(found['images/base']!.name).toBe('image-base');
});

it('gives the inputs of the fingerprint: directory, crates without nested crates, shared Cargo files, salts', async () => {
  const inputs = (await projects())['images/app']!.namedInputs!['mzbuildImage'];
  expect(inputs).toEqual(
    expect.arrayContaining([
      '{projectRoot}/**/*',
      '{workspaceRoot}/crates/app/**/*',
      '!{workspaceRoot}/crates/app/plugin/**/*',
      '{workspaceRoot}/Cargo.lock',
      '{workspaceRoot}/Cargo.toml',
      '{workspaceRoot}/ci/builder/**/*',
      { env: 'CI_LTO' },
      { env: 'MZBUILD_ARCH' },
    ]),
  );
  expect((await projects())['images/base']!.namedInputs!['mzbuildImage']).not.toContain('{workspaceRoot}/Cargo.lock');
});

it('uses the configured target names', async () => {
  const found = await projects({ fingerprintTargetName: 'fp', dockerBuildTargetName: 'image', publishTargetName: 'push' });
  expect(Object.keys(found['images/app']!.targets!).sort()).toEqual(['explain', 'fp', 'image', 'nx-release-publish', 'push']);
  expect(found['images/app']!.targets!['image']!.dependsOn).toEqual(['^image']);
  expect(found['images/app']!.targets!['push']!.dependsOn).toEqual(['^push']);
});

it('ignores a root-level mzbuild.yml, which is no image', async () => {
  write({ 'mzbuild.yml': 'name: root\n', Dockerfile: 'FROM scratch\n' });
  expect(Object.keys(await projects({}, [...MANIFESTS, 'mzbuild.yml'])).sort()).toEqual(['images/app', 'images/base']);
});

it('refuses unknown options, naming them', async () => {
  await expect(projects({ regsitry: 'x' })).rejects.toThrow(/unknown option "regsitry"/);
});

it('reports an unknown MZFROM image with its Dockerfile line', async () => {
  write({ 'images/base/Dockerfile': 'FROM scratch\nMZFROM ghost\n' });
  await expect(projects()).rejects.toThrow('images/base/Dockerfile:2:1: image base depends on non-existent image ghost');
});

describe('a project name that another project has', () => {
  beforeEach(() => write({ 'crates/app/project.json': JSON.stringify({ name: 'app' }) }));

  it('is an error naming both projects and the option to use', async () => {
    await expect(projects()).rejects.toThrow(
      'image app (images/app) would be project app, but the project at crates/app has that name; set the plugin option "projectName"',
    );
  });

  it('is no error under a projectName template', async () => {
    expect((await projects({ projectName: 'image-{name}' }))['images/app']!.name).toBe('image-app');
  });

  it("is no error when it is the image directory's own project.json", async () => {
    write({ 'crates/app/project.json': '{}', 'images/app/project.json': JSON.stringify({ name: 'app' }) });
    expect((await projects())['images/app']!.name).toBe('app');
  });

  it('takes the project.json and package.json files that Nx gives with the manifests, and globs where nx.json scopes the plugin', async () => {
    expect(require('minimatch').minimatch('crates/app/project.json', createNodes[0])).toBe(true);
    expect(require('minimatch').minimatch('package.json', createNodes[0])).toBe(true);
    // Ignored, so that Nx's index (what a glob asks) does not list it: only the list given names it.
    write({ 'crates/app/project.json': '{}', 'tools/x/project.json': JSON.stringify({ name: 'base' }), '.gitignore': 'tools/\n' });
    const given = [...MANIFESTS, 'crates/app/project.json', 'tools/x/project.json'];
    await expect(createNodes[1](given, {}, context())).rejects.toThrow('the project at tools/x has that name');
    const scoped = { ...context(), nxJsonConfiguration: { plugins: [{ plugin: '@mzbuild/nx', include: ['images/**'] }] } };
    await expect(createNodes[1](given, {}, scoped)).resolves.toBeDefined();
  });

  it('counts package.json files only inside the package manager workspaces', async () => {
    write({ 'crates/app/project.json': '{}', 'tools/app/package.json': JSON.stringify({ name: 'app' }) });
    await expect(projects()).resolves.toBeDefined();
    write({ 'package.json': JSON.stringify({ workspaces: ['tools/*'] }) });
    await expect(projects()).rejects.toThrow('the project at tools/app has that name');
  });
});

describe('the inference cache', () => {
  it('answers again without parsing, and notices a changed manifest, Dockerfile or Cargo.toml', async () => {
    const first = await projects();
    expect(await projects()).toEqual(first);
    write({ 'images/base/Dockerfile': 'FROM scratch\nMZFROM app\n', 'images/app/Dockerfile': 'FROM scratch\n' });
    expect((await projects())['images/base']!.metadata!['mzbuild'].dependencies).toEqual(['app']);
    write({ 'images/base/mzbuild.yml': 'name: base\ndescription: changed\n' });
    expect((await projects())['images/base']!.metadata!.description).toBe('changed');
    write({ 'crates/app/Cargo.toml': '[package]\nname = "app"\n[dependencies]\nplugin = { path = "plugin" }\n' });
    expect((await projects())['images/app']!.metadata!['mzbuild'].crates).toEqual(['crates/app', 'crates/app/plugin']);
  });

  it('notices a new binary source file, which changes which crate defines a binary', async () => {
    write({ 'images/base/mzbuild.yml': 'name: base\npre-image:\n  - type: cargo-build\n    bin: helper\n' });
    await expect(projects()).rejects.toThrow('bin helper does not exist in cargo workspace');
    write({ 'crates/app/plugin/src/bin/helper.rs': 'fn main() {}\n' });
    expect((await projects())['images/base']!.metadata!['mzbuild'].crates).toEqual(['crates/app/plugin']);
  });

  it('keeps the name-clash check, whose inputs are not in the key', async () => {
    write({ 'crates/app/project.json': JSON.stringify({ name: 'base' }) });
    await expect(projects()).rejects.toThrow('would be project base, but the project at crates/app has that name');
    expect(readdirSync(join(root, '.nx/workspace-data')).some((f) => f.startsWith('mzbuild-nodes-'))).toBe(true);
    await expect(projects()).rejects.toThrow('would be project base, but the project at crates/app has that name');
  });
});

describe("core's model cache, warm (the files older than the two seconds in which nothing is remembered)", () => {
  it('is written, answers a repeated run, and gives way to a changed manifest, Dockerfile, Cargo.toml or binary source', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const first = await projects();
    expect(readdirSync(cacheDir).some((f) => f.startsWith('model-'))).toBe(true);
    rmSync(join(root, '.nx'), { recursive: true, force: true }); // the inference cache: the model alone answers
    expect(await projects()).toEqual(first);
    write({ 'images/base/mzbuild.yml': 'name: base\ndescription: changed\n', 'images/app/Dockerfile': 'FROM scratch\n' });
    const changed = await projects();
    expect(changed['images/base']!.metadata!.description).toBe('changed');
    expect(changed['images/app']!.metadata!['mzbuild'].dependencies).toEqual([]);
    write({ 'crates/app/Cargo.toml': '[package]\nname = "app"\n[dependencies]\nplugin = { path = "plugin" }\n' });
    expect((await projects())['images/app']!.metadata!['mzbuild'].crates).toEqual(['crates/app', 'crates/app/plugin']);
    write({ 'images/base/mzbuild.yml': 'name: base\npre-image:\n  - type: cargo-build\n    bin: helper\n', 'crates/app/plugin/src/bin/helper.rs': '' });
    expect((await projects())['images/base']!.metadata!['mzbuild'].crates).toEqual(['crates/app/plugin']);
  });
});

it('knows the plugin by the name core reads its options under', () => {
  expect(require('./constants').PLUGIN_NAME).toBe(require('@mzbuild/core').PLUGIN_NAME);
  expect(require('../package.json').name).toBe(require('./constants').PLUGIN_NAME);
});
