/** The image generator: scaffolds an image's mzbuild.yml and Dockerfile, and never overwrites. */
import { compatMode, isUserError, loadCargoWorkspace, parseManifest, PLUGIN_NAME, type CargoFiles } from '@mzbuild/core';
import { joinPathFragments, normalizePath, readNxJson, visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import { basename } from 'node:path';

export interface ImageOptions {
  directory: string;
  name?: string;
  description?: string;
  bin?: string;
  base?: string;
}

const IMAGE_NAME = /^[A-Za-z0-9-]+$/;

/**
 * Scaffolds `<directory>/mzbuild.yml` and a Dockerfile. It never overwrites: an existing manifest
 * or Dockerfile is an error, and nothing is written. A `bin` must be a binary of the root Cargo
 * workspace: a manifest naming another would make every nx command fail.
 */
export default async function imageGenerator(tree: Tree, options: ImageOptions): Promise<void> {
  const directory = normalizePath(options.directory).replace(/^\.\/|\/+$/g, '');
  const name = options.name ?? basename(directory);
  if (directory === '' || directory === '.') throw new Error('directory: an image needs a directory of its own, not the workspace root');
  if (!IMAGE_NAME.test(name)) {
    throw new Error(`name: "${name}" is not a valid image name; use letters, digits and hyphens (pass --name)`);
  }
  for (const file of ['mzbuild.yml', 'Dockerfile']) {
    const path = joinPathFragments(directory, file);
    if (tree.exists(path)) throw new Error(`${path} already exists; nothing was written. Choose another directory.`);
  }
  const existing = imageNames(tree);
  if (existing.has(name)) throw new Error(`an image named ${name} already exists (${existing.get(name)}); pass another --name`);
  if (options.base !== undefined && !existing.has(options.base)) {
    const known = [...existing.keys()].sort().join(', ') || 'none yet';
    throw new Error(`base: there is no image named ${options.base} in this workspace (images: ${known})`);
  }
  if (options.bin !== undefined) checkBinary(tree, options.bin);

  tree.write(joinPathFragments(directory, 'mzbuild.yml'), manifest(name, options));
  tree.write(joinPathFragments(directory, 'Dockerfile'), dockerfile(options));
  if (options.bin !== undefined) ignoreBuildOutput(tree, joinPathFragments(directory, '.gitignore'), options.bin);
}

/** Image names of the workspace, with their manifests. */
function imageNames(tree: Tree): Map<string, string> {
  const names = new Map<string, string>();
  visitNotIgnoredFiles(tree, '', (path) => {
    if (!path.endsWith('/mzbuild.yml') || path.includes('node_modules/')) return;
    try {
      names.set(parseManifest(tree.read(path, 'utf-8') ?? '', path).manifest.name, path);
    } catch {
      // A broken manifest is reported by the plugin; it names no image here.
    }
  });
  return names;
}

/** Refuses a binary that no crate of the root Cargo workspace defines, saying what there is. */
function checkBinary(tree: Tree, bin: string): void {
  let bins: string[];
  try {
    bins = [...loadCargoWorkspace(tree.root, compatMode(process.env, pluginOptions(tree)), treeCargoFiles(tree)).members.values()].flatMap((crate) => crate.bins);
  } catch (error) {
    if (!isUserError(error)) throw error;
    throw new Error(`bin: ${bin} must be a binary of the Cargo workspace at the root, and that cannot be read: ${error.message}. Create the crate first (cargo new --bin ${bin}, listed in [workspace] members); nothing was written.`);
  }
  if (bins.includes(bin)) return;
  const known = bins.length > 0 ? `binaries: ${[...new Set(bins)].sort().join(', ')}` : 'no binaries yet';
  throw new Error(`bin: no crate of the Cargo workspace defines a binary ${bin} (${known}). Create it first (cargo new --bin ${bin}, listed in [workspace] members); nothing was written.`);
}

/** The plugin's options in the tree's nx.json: the fingerprint mode decides how the Cargo workspace is read. */
function pluginOptions(tree: Tree): { compat?: unknown } {
  const entry = readNxJson(tree)?.plugins?.find((plugin) => typeof plugin === 'object' && plugin.plugin === PLUGIN_NAME);
  return typeof entry === 'object' ? ((entry.options ?? {}) as { compat?: unknown }) : {};
}

/** The Cargo files as the generator's tree has them (the disk, with this run's changes). */
function treeCargoFiles(tree: Tree): CargoFiles {
  return {
    read: (path) => (tree.isFile(path) ? (tree.read(path, 'utf-8') ?? undefined) : undefined),
    list: (dir) => (tree.exists(dir || '.') && !tree.isFile(dir || '.') ? tree.children(dir) : []),
    isDirectory: (path) => tree.exists(path) && !tree.isFile(path),
    exists: (path) => tree.exists(path),
  };
}

function manifest(name: string, { description, bin }: ImageOptions): string {
  const lines = [`name: ${name}`];
  if (description) lines.push(`description: ${JSON.stringify(description)}`);
  if (bin) lines.push('pre-image:', '  - type: cargo-build', `    bin: ${bin}`);
  return `${lines.join('\n')}\n`;
}

function dockerfile({ base, bin }: ImageOptions): string {
  const lines = [base ? `MZFROM ${base}` : 'FROM scratch'];
  if (bin) lines.push('', `# ${bin} is built by the cargo-build pre-image and copied here before docker build.`, `COPY ${bin} /usr/local/bin/${bin}`, `ENTRYPOINT ["/usr/local/bin/${bin}"]`);
  return `${lines.join('\n')}\n`;
}

/** Build outputs copied into the image directory must be git-ignored, or they would change the fingerprint. */
function ignoreBuildOutput(tree: Tree, path: string, bin: string): void {
  const current = tree.read(path, 'utf-8') ?? '';
  if (current.split('\n').includes(`/${bin}`)) return;
  const prefix = current === '' ? '# Built by the cargo-build pre-image.\n' : current.endsWith('\n') ? current : `${current}\n`;
  tree.write(path, `${prefix}/${bin}\n`);
}
