/** Discovers a repository's images, reads their manifests and Dockerfiles, and checks the MZFROM graph. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCargoCached } from './cargo/cached';
import { cargoView, type CargoFiles, type CargoModels, type CargoWorkspace } from './cargo/workspace';
import type { Compat } from './config';
import { parseMzfrom } from './dockerfile';
import { located, UserError } from './errors';
import { FileStats } from './file-stats';
import { listVisibleFiles } from './git';
import { MANIFEST, readImage, type Image, type TextReader } from './image-reader';
import { ModelCache } from './model-cache';
import { sortUtf8 } from './paths';
import { timings } from './timings';

export type { Image } from './image-reader';

/** The images of a repository and their MZFROM graph, checked: no unknown image, no cycle. */
export interface ImageGraph {
  /** Absolute path of the git top level; every path in the model is relative to it. */
  root: string;
  /** In discovery order: sorted by manifest path, as `mzimage list` prints them. */
  images: Image[];
  byName: Map<string, Image>;
  /** Located warnings, such as unknown manifest keys. */
  warnings: string[];
  /** The Cargo workspace as a fingerprint mode reads it, read on first use: only images with a cargo-build pre-image need it. */
  cargo(mode: Compat): CargoWorkspace;
}

export interface Repository extends ImageGraph {
  /** Every git-visible file, listed once for all the inputs of all images. */
  files: string[];
  /** Whether a file or directory is there, git-visible or not (the Cargo files mzbuild adds without asking git). */
  exists(path: string): boolean;
  /** The commit whose tree this is (`--rev`); undefined for the working tree. */
  commit?: string;
}

/** A tree to read instead of the working tree: a commit's (revision/snapshot.ts). */
export interface TreeSource {
  commit: string;
  files: string[];
  text: TextReader;
  exists(path: string): boolean;
  cargoFiles(): CargoFiles;
}

/** Where parsed manifests and the Cargo model come from, and the lstat answers of the run. */
export interface ModelSources {
  /** Remembers parses between runs; by default nothing is remembered. */
  cache?: ModelCache;
  stats?: FileStats;
  /** The git-visible files, when the caller has started listing them already. */
  listing?: Promise<string[]>;
  /** Work for the time git takes to list the files, given the listing to watch. */
  whileListing?: (listing: Promise<string[]>) => Promise<void>;
  /** A commit's tree to read instead of the working tree. */
  tree?: TreeSource;
  /** Where manifests and Dockerfiles are read from; default the disk. */
  text?: TextReader;
}

/** Discovers every image of the git repository at `root` (its top level), and checks the image graph. */
export async function loadRepository(root: string, sources: ModelSources = {}): Promise<Repository> {
  if (sources.tree) return loadTree(root, sources.tree);
  const cache = sources.cache ?? ModelCache.none();
  const stats = sources.stats ?? new FileStats(root);
  const listing = sources.listing ?? timings.timeAsync('git listing', () => listVisibleFiles(root));
  // While git lists the files, read the Cargo workspace, which does not depend on the listing.
  const cargo = readCargoWorkspaceEarly(root, cache, stats);
  await sources.whileListing?.(listing);
  const files = await listing;
  timings.note('git listing', `${files.length} files`);
  return { ...loadImageGraph(root, files.filter(isImageManifest), cargo, { cache, stats }), files, exists: (path) => existsSync(join(root, path)) };
}

/** The repository as the tree of a commit has it: no cache (nothing there changes), nothing read from the working tree. */
function loadTree(root: string, tree: TreeSource): Repository {
  const cargo = tree.exists('Cargo.toml') ? () => loadCargoModelsOf(root, tree.cargoFiles()) : undefined;
  const graph = loadImageGraph(root, tree.files.filter(isImageManifest), cargo, { text: tree.text });
  return { ...graph, files: tree.files, exists: (path) => tree.exists(path), commit: tree.commit };
}

function loadCargoModelsOf(root: string, files: CargoFiles): CargoModels {
  const { loadCargoModels } = require('./parsers') as typeof import('./parsers');
  return loadCargoModels(root, files);
}

/** The Cargo workspace if there is one, as a loader that rethrows any error when it is asked for. */
function readCargoWorkspaceEarly(root: string, cache: ModelCache, stats: FileStats): (() => CargoModels) | undefined {
  if (!existsSync(join(root, 'Cargo.toml'))) return undefined;
  try {
    const workspace = loadCargoCached(root, cache, stats);
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
export function loadImageGraph(root: string, manifestFiles: string[], cargoLoader?: () => CargoModels, sources: ModelSources = {}): ImageGraph {
  const cache = sources.cache ?? ModelCache.none();
  const stats = sources.stats ?? new FileStats(root);
  const warnings: string[] = [];
  const errors: string[] = [];
  const images: Image[] = [];

  timings.time('parse', () => {
    for (const manifestFile of sortUtf8(manifestFiles)) {
      try {
        const { image, warnings: found } = readImage(root, manifestFile, cache, stats, sources.text);
        images.push(image);
        warnings.push(...found);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        errors.push(error.message);
      }
    }
  });
  const { cached, parsed } = cache.counts.manifests;
  timings.note('parse', `${cached} manifests cached, ${parsed} parsed`);
  if (errors.length > 0) throw new UserError(errors.join('\n'));

  const byName = indexByName(images);
  checkDependenciesExist(images, byName);
  dependencyOrder(images, byName); // throws on a cycle anywhere in the graph

  let cargo: CargoModels | undefined;
  const load = cargoLoader ?? (() => loadCargoCached(root, cache, stats));
  return { root, images, byName, warnings, cargo: (mode) => cargoView((cargo ??= load()), mode) };
}

/**
 * Whether a root-relative path is an image manifest: a `**\/mzbuild.yml` (not one at the root,
 * which that pathspec cannot match), but none under `misc/python/`, where mzbuild keeps its own
 * virtualenv.
 */
export function isImageManifest(path: string): boolean {
  return path.endsWith(`/${MANIFEST}`) && !path.startsWith('misc/python/');
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
