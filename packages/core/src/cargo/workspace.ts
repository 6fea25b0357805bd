/** The Cargo workspace model, as each fingerprint mode reads it, and where its files are read from. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Compat } from '../config';
import { UserError } from '../errors';

/**
 * One crate of the Cargo workspace, read from its Cargo.toml. It holds what either mode of the
 * fingerprint follows (docs/fingerprint.md): mzbuild's path dependencies by name from the
 * top-level tables only, and cargo's own, by directory, from every table that declares one.
 */
export interface Crate {
  name: string;
  /** Root-relative directory ('' for a package at the root). */
  dir: string;
  bins: string[];
  examples: string[];
  /** mzbuild: path dependencies from `[dependencies]` and `[build-dependencies]`, by crate name. */
  pathDependencies: string[];
  /** mzbuild: path dependencies from `[dev-dependencies]`, followed only from the root of an example build. */
  pathDevDependencies: string[];
  /**
   * correct: root-relative directories of every path dependency, build-dependency included: in
   * `[target.*]` tables too, and through `[workspace.dependencies]` for `workspace = true`.
   * One outside the repository starts with `../`.
   */
  dependencyPaths: string[];
  /** correct: likewise for dev-dependencies. */
  devDependencyPaths: string[];
}

/** The workspace as one mode of the fingerprint reads it. */
export interface CargoWorkspace {
  mode: Compat;
  /** Members by crate name; a later member of the same name replaces an earlier one, as in mzbuild. */
  members: Map<string, Crate>;
  /** Directories of members and of other crates (excluded, or only depended on): they partition the files. */
  crateDirs: string[];
  /** correct: every crate read, by directory, members or not: path dependencies are followed by directory. */
  crates: Map<string, Crate>;
  /** correct: directories of the crates `[patch]` and `[replace]` put in place of others, taken by every Rust image. */
  patches: string[];
}

/** One mode's reading of the workspace, by directory, as the model cache keeps it; or why it cannot be read so. */
export type CargoViewData = { members: string[]; crateDirs: string[]; patches: string[] } | { error: string };

/** Both modes' readings of the workspace, each crate parsed once: plain data, so the model cache can keep it. */
export interface CargoModels {
  crates: Crate[];
  mzbuild: CargoViewData;
  correct: CargoViewData;
}

const views = new WeakMap<CargoModels, Partial<Record<Compat, CargoWorkspace>>>();

/** The workspace as `mode` reads it; the error that reading gave, when it gave one. */
export function cargoView(models: CargoModels, mode: Compat): CargoWorkspace {
  let byMode = views.get(models);
  if (!byMode) views.set(models, (byMode = {}));
  const known = byMode[mode];
  if (known) return known;
  const data = models[mode];
  if ('error' in data) throw new UserError(data.error);
  const crates = new Map(models.crates.map((crate) => [crate.dir, crate]));
  const members = new Map<string, Crate>();
  for (const dir of data.members) {
    const crate = crates.get(dir)!;
    members.set(crate.name, crate);
  }
  return (byMode[mode] = { mode, members, crateDirs: data.crateDirs, crates, patches: data.patches });
}

/**
 * Where the Cargo files are read from, by root-relative path: the disk, or (for Nx generators)
 * the tree of files a generator is changing.
 */
export interface CargoFiles {
  /** The file's text, or undefined when it is not a readable file. */
  read(path: string): string | undefined;
  /** The names in a directory; none when it is not one. */
  list(dir: string): string[];
  isDirectory(path: string): boolean;
  /** Whether anything is there (as Python's `Path.exists`, which mzbuild uses). */
  exists(path: string): boolean;
}

/** The Cargo files on disk under `root`. */
export function diskCargoFiles(root: string): CargoFiles {
  return {
    read: (path) => {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch {
        return undefined;
      }
    },
    list: (dir) => {
      // Most directories asked for (src/bin, examples) do not exist: no exception for those.
      if (!existsSync(join(root, dir))) return [];
      try {
        return readdirSync(join(root, dir));
      } catch {
        return [];
      }
    },
    isDirectory: (path) => {
      try {
        return statSync(join(root, path), { throwIfNoEntry: false })?.isDirectory() ?? false;
      } catch {
        return false;
      }
    },
    exists: (path) => existsSync(join(root, path)),
  };
}

