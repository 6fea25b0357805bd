import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCargoWorkspace, type CargoWorkspace } from './cargo';
import { parseMzfrom } from './dockerfile';
import { located, UserError } from './errors';
import { listVisibleFiles } from './git';
import { parseManifest, type Manifest } from './manifest';
import { sortUtf8 } from './paths';

/** A directory with an `mzbuild.yml`, and what its manifest and Dockerfile say. */
export interface Image {
  name: string;
  /** Root-relative directory holding `mzbuild.yml` and `Dockerfile`. */
  dir: string;
  manifest: Manifest;
  /** The Dockerfile as written, MZFROM lines and all. */
  dockerfile: string;
  /** The distinct images named by MZFROM, sorted by name. */
  dependencies: string[];
}

/** The images of a repository and their MZFROM graph, checked: no unknown image, no cycle. */
export interface ImageGraph {
  /** Absolute path of the git top level; every path in the model is relative to it. */
  root: string;
  /** In discovery order: sorted by manifest path, as `mzimage list` prints them. */
  images: Image[];
  byName: Map<string, Image>;
  /** Located warnings, such as unknown manifest keys. */
  warnings: string[];
  /** The Cargo workspace, read on first use: only images with a cargo-build pre-image need it. */
  cargo(): CargoWorkspace;
}

export interface Repository extends ImageGraph {
  /** Every git-visible file, listed once for all the inputs of all images. */
  files: string[];
}

const MANIFEST = 'mzbuild.yml';

/** Discovers every image of the git repository at `root` (its top level), and checks the image graph. */
export async function loadRepository(root: string): Promise<Repository> {
  const listing = listVisibleFiles(root);
  // While git lists the files, read the Cargo workspace, which does not depend on the listing.
  const cargo = readCargoWorkspaceEarly(root);
  const files = await listing;
  return { ...loadImageGraph(root, files.filter(isImageManifest), cargo), files };
}

/** The Cargo workspace if there is one, as a loader that rethrows any error when it is asked for. */
function readCargoWorkspaceEarly(root: string): (() => CargoWorkspace) | undefined {
  if (!existsSync(join(root, 'Cargo.toml'))) return undefined;
  try {
    const workspace = loadCargoWorkspace(root);
    return () => workspace;
  } catch (error) {
    return () => {
      throw error;
    };
  }
}

/**
 * Reads the given manifests (root-relative paths), their Dockerfiles, and checks the graph; every
 * broken manifest is reported in one error.
 */
export function loadImageGraph(root: string, manifestFiles: string[], cargoLoader?: () => CargoWorkspace): ImageGraph {
  const warnings: string[] = [];
  const errors: string[] = [];
  const images: Image[] = [];

  for (const manifestFile of sortUtf8(manifestFiles)) {
    try {
      const { image, warnings: found } = loadImage(root, manifestFile);
      images.push(image);
      warnings.push(...found);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length > 0) throw new UserError(errors.join('\n'));

  const byName = indexByName(images);
  checkDependenciesExist(images, byName);
  dependencyOrder(images, byName); // throws on a cycle anywhere in the graph

  let cargo: CargoWorkspace | undefined;
  const load = cargoLoader ?? (() => loadCargoWorkspace(root));
  return { root, images, byName, warnings, cargo: () => (cargo ??= load()) };
}

/**
 * Whether a root-relative path is an image manifest: a `**\/mzbuild.yml` (not one at the root,
 * which that pathspec cannot match), but none under `misc/python/`, where mzbuild keeps its own
 * virtualenv.
 */
export function isImageManifest(path: string): boolean {
  return path.endsWith(`/${MANIFEST}`) && !path.startsWith('misc/python/');
}

function loadImage(root: string, manifestFile: string): { image: Image; warnings: string[] } {
  const dir = manifestFile.slice(0, -(MANIFEST.length + 1));
  const { manifest, warnings } = parseManifest(readText(root, manifestFile, 'cannot be read'), manifestFile);
  const dockerfileName = `${dir}/Dockerfile`;
  const dockerfile = readText(root, dockerfileName, `is missing: image ${manifest.name} needs a Dockerfile beside ${manifestFile}`);
  const image: Image = {
    name: manifest.name,
    dir,
    manifest,
    dockerfile,
    dependencies: [...new Set(parseMzfrom(dockerfile).map((line) => line.name))].sort(),
  };
  return { image, warnings };
}

function readText(root: string, file: string, problem: string): string {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch {
    throw new UserError(`${file}: ${problem}`);
  }
}

function indexByName(images: Image[]): Map<string, Image> {
  const byName = new Map<string, Image>();
  for (const image of images) {
    const other = byName.get(image.name);
    if (other) {
      throw new UserError(
        `image ${image.name} exists twice: ${other.dir}/${MANIFEST} and ${image.dir}/${MANIFEST}; image names must be unique`,
      );
    }
    byName.set(image.name, image);
  }
  return byName;
}

function checkDependenciesExist(images: Image[], byName: Map<string, Image>): void {
  const errors: string[] = [];
  for (const image of images) {
    for (const { name, line } of parseMzfrom(image.dockerfile)) {
      if (!byName.has(name)) {
        errors.push(located(`${image.dir}/Dockerfile`, line, 1, `image ${image.name} depends on non-existent image ${name}`));
      }
    }
  }
  if (errors.length > 0) throw new UserError([...new Set(errors)].join('\n'));
}

/**
 * The targets and everything they build on, dependencies first: targets sorted by name, then a
 * depth-first walk visiting dependencies in name order, each image after its dependencies, as
 * mzbuild resolves them.
 */
export function dependencyOrder(targets: Iterable<Image>, byName: Map<string, Image>): Image[] {
  const resolved = new Map<string, Image>();
  const visiting = new Set<string>();
  const visit = (image: Image, path: string[]) => {
    if (resolved.has(image.name)) return;
    if (visiting.has(image.name)) {
      throw new UserError(`circular dependency in mzbuild: ${[...path, image.name].join(' -> ')}`);
    }
    visiting.add(image.name);
    for (const dependency of image.dependencies) visit(byName.get(dependency)!, [...path, image.name]);
    resolved.set(image.name, image);
  };
  for (const target of [...targets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) visit(target, []);
  return [...resolved.values()];
}

/** Looks images up by name, with mzimage's `unknown image: X` for a name that is none. */
export function findImages(repository: Repository, names: string[]): Image[] {
  return names.map((name) => {
    const image = repository.byName.get(name);
    if (!image) throw new UserError(`unknown image: ${name}`);
    return image;
  });
}
