/**
 * What an image's fingerprint reads, as data (spec §1): the one description from which core
 * selects the input files and the Nx plugin makes its targets' inputs, so the two cannot differ.
 */
import { cratesOfStep } from './cargo/closure';
import { CONFIG_ENV } from './config';
import { normaliseDir } from './paths';
import type { Image, ImageGraph } from './repository';

/** Inputs of every image with a cargo-build pre-image. */
export const CARGO_SHARED_INPUTS = {
  /** Always inputs, even when git ignores them or they are missing, as mzbuild has it. */
  files: ['Cargo.toml', 'Cargo.lock'],
  /** Inputs when they exist. */
  ifPresent: ['.cargo/config'],
  /** Directories whose git-visible files are inputs. */
  trees: ['ci/builder'],
} as const;

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
 * The rules for one image of `graph`: its directory without nested images' directories; for its
 * Rust binaries, the crates of their Cargo closure (each without its nested crates and mzcompose
 * files) and the shared Cargo inputs; its copy pre-images' selections; the configuration variables.
 */
export function imageInputRules(image: Image, graph: Pick<ImageGraph, 'images' | 'cargo'>): InputRules {
  const nestedImages = graph.images.filter((other) => other.dir.startsWith(`${image.dir}/`)).map((other) => other.dir);
  const rules: InputRules = { trees: [{ dir: image.dir, except: nestedImages }], files: [], selections: [], env: CONFIG_ENV };
  const crates = new Set<string>();
  for (const step of image.manifest.preImages) {
    if (step.type === 'copy') rules.selections.push({ dir: normaliseDir(step.source), pathspec: step.matching });
    else for (const crate of cratesOfStep(graph.cargo(), step, `${image.dir}/mzbuild.yml`)) crates.add(crate.dir);
  }
  if (crates.size === 0) return rules;
  const crateDirs = graph.cargo().crateDirs;
  for (const dir of [...crates].sort()) {
    const nested = crateDirs.filter((other) => other.startsWith(`${dir}/`));
    rules.trees.push({ dir, except: [...nested, ...CRATE_LEFT_OUT.map((path) => `${dir}/${path}`)] });
  }
  for (const dir of CARGO_SHARED_INPUTS.trees) rules.trees.push({ dir, except: [] });
  rules.files.push(...CARGO_SHARED_INPUTS.files, ...CARGO_SHARED_INPUTS.ifPresent);
  return rules;
}
