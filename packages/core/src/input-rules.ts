/**
 * What an image's fingerprint reads, as data (spec §1): the one description from which core
 * selects the input files and the Nx plugin makes its targets' inputs, so the two cannot differ.
 */
import { cratesOfStep } from './cargo/closure';
import { CONFIG_ENV, type Compat } from './config';
import { normaliseDir, within } from './paths';
import type { Image, ImageGraph } from './repository';

/** Inputs of every image with a cargo-build pre-image, in each fingerprint mode. */
export interface CargoSharedInputs {
  /** Always inputs, even when git ignores them or they are missing, as mzbuild has it. */
  files: readonly string[];
  /** Inputs when they exist. */
  ifPresent: readonly string[];
  /** Directories whose git-visible files are inputs. */
  trees: readonly string[];
}

const MZBUILD_SHARED: CargoSharedInputs = { files: ['Cargo.toml', 'Cargo.lock'], ifPresent: ['.cargo/config'], trees: ['ci/builder'] };

/**
 * What cargo reads beyond the crates, as the correct mode has it: the configuration under both
 * of its names (`.cargo/config.toml` is the one cargo documents), and the toolchain file that
 * picks the compiler.
 */
const CORRECT_SHARED: CargoSharedInputs = {
  ...MZBUILD_SHARED,
  ifPresent: ['.cargo/config', '.cargo/config.toml', 'rust-toolchain', 'rust-toolchain.toml'],
};

export function cargoSharedInputs(mode: Compat): CargoSharedInputs {
  return mode === 'correct' ? CORRECT_SHARED : MZBUILD_SHARED;
}

/** Paths in a crate's directory that mzbuild leaves out of the crate's inputs. */
export const CRATE_LEFT_OUT = ['mzcompose', 'mzcompose.py'] as const;

export interface InputRules {
  /** Directories whose git-visible files are inputs, without the files under `except` (directories or files). */
  trees: { dir: string; except: string[] }[];
  /** Files that are inputs (some only when they exist). */
  files: string[];
  /** Copy pre-images: the git-visible files under `dir` that match the git pathspec. */
  selections: { dir: string; pathspec: string }[];
  /** Environment variables that change the configuration, and so every fingerprint. */
  env: readonly string[];
}

/**
 * The rules for one image of `graph` in fingerprint mode `mode`: its directory without nested images' directories; for its
 * Rust binaries, the crates of their Cargo closure (each without its nested crates and mzcompose
 * files) and the shared Cargo inputs; its copy pre-images' selections; the configuration variables.
 */
export function imageInputRules(image: Image, graph: Pick<ImageGraph, 'images' | 'cargo'>, mode: Compat): InputRules {
  const nestedImages = graph.images.filter((other) => other.dir.startsWith(`${image.dir}/`)).map((other) => other.dir);
  const rules: InputRules = { trees: [{ dir: image.dir, except: nestedImages }], files: [], selections: [], env: CONFIG_ENV };
  const crates = new Set<string>();
  for (const step of image.manifest.preImages) {
    if (step.type === 'copy') rules.selections.push({ dir: normaliseDir(step.source), pathspec: step.matching });
    else for (const crate of cratesOfStep(graph.cargo(mode), step, `${image.dir}/mzbuild.yml`)) crates.add(crate.dir);
  }
  if (crates.size === 0) return rules;
  const crateDirs = graph.cargo(mode).crateDirs;
  for (const dir of [...crates].sort()) {
    const nested = crateDirs.filter((other) => other !== dir && (dir === '' || other.startsWith(`${dir}/`)));
    rules.trees.push({ dir, except: [...nested, ...CRATE_LEFT_OUT.map((path) => within(dir, path))] });
  }
  const shared = cargoSharedInputs(mode);
  for (const dir of shared.trees) rules.trees.push({ dir, except: [] });
  rules.files.push(...shared.files, ...shared.ifPresent);
  return rules;
}
