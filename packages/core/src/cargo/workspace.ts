/** The Cargo workspace model as mzbuild reads it, and where its files are read from. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Cargo workspace as mzbuild's `cargo.py` reads it: from the TOML files alone, not from
 * `cargo metadata`, omissions included (spec §1), so that fingerprints match mzbuild's.
 */
export interface Crate {
  name: string;
  /** Root-relative directory. */
  dir: string;
  bins: string[];
  examples: string[];
  /** Path dependencies from `[dependencies]` and `[build-dependencies]`, by crate name. */
  pathDependencies: string[];
  /** Path dependencies from `[dev-dependencies]`, followed only from the root of an example build. */
  pathDevDependencies: string[];
}

export interface CargoWorkspace {
  /** Members by crate name; a later member of the same name replaces an earlier one, as in mzbuild. */
  members: Map<string, Crate>;
  /** Directories of members and of crates under `exclude` globs: they partition the files. */
  crateDirs: string[];
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

