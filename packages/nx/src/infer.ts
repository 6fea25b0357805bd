/** The image model the plugin infers projects from, read through core's model cache, and the projects made from it. */
import { compatMode, cratesOfStep, FileStats, imageInputRules, isImageManifest, isUserError, loadImageGraph, ModelCache, SaidWarnings, type Compat, type ImageGraph, type InputRules } from '@mzbuild/core/inference';
import type { CreateNodesResultArray } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { PLUGIN_NAME } from './constants';
import type { NormalizedOptions } from './project';
import { imageProject } from './project';

/** What createNodes returns, with the manifests' warnings to show again when it comes from the cache. */
export interface Inference {
  results: CreateNodesResultArray;
  warnings: string[];
}

/** The images, and for each (in the graph's order) the directories of the crates its binaries are built from, and what its fingerprint reads. */
export interface ImageModel {
  graph: ImageGraph;
  crates: string[][];
  rules: InputRules[];
  /** Every crate directory of the Cargo workspace, when an image builds Rust. */
  crateDirs: string[] | undefined;
  /** The workspace root relative to the git top level ('' when they are one). */
  fromGit: string;
  /** The fingerprint mode the inputs mirror. */
  mode: Compat;
  /** Where the model came from: saveModel() writes what was parsed anew. */
  cache: ModelCache;
}

/**
 * The model of the given manifests (workspace-relative paths): manifests, Dockerfiles and the
 * Cargo workspace, from the model cache that mzimage keeps too (in the user's cache directory)
 * while the files they were read from are unchanged, so that YAML and TOML are parsed only for
 * what changed. Problems are errors naming the plugin.
 */
export function loadModel(manifestFiles: readonly string[], workspaceRoot: string, gitRoot: string, options: unknown): ImageModel {
  // Core paths are relative to the git top level; Nx's to the workspace root.
  const fromGit = relative(gitRoot, workspaceRoot);
  const toGit = (path: string) => (fromGit === '' ? path : join(fromGit, path));
  const cache = ModelCache.forRepository(gitRoot, process.env);
  try {
    const mode = compatMode(process.env, (options ?? {}) as { compat?: unknown });
    const graph = loadImageGraph(gitRoot, manifestFiles.map(toGit).filter(isImageManifest), undefined, { cache, stats: new FileStats(gitRoot) });
    const needsCargo = graph.images.some((image) => image.manifest.preImages.some((step) => step.type === 'cargo-build'));
    const crates = graph.images.map((image) => {
      const dirs = new Set<string>();
      for (const step of image.manifest.preImages) {
        if (step.type !== 'cargo-build') continue;
        for (const crate of cratesOfStep(graph.cargo(mode), step, `${image.dir}/mzbuild.yml`)) dirs.add(crate.dir);
      }
      return [...dirs].sort();
    });
    const rules = graph.images.map((image) => imageInputRules(image, graph, mode));
    return { graph, crates, rules, crateDirs: needsCargo ? graph.cargo(mode).crateDirs : undefined, fromGit, mode, cache };
  } catch (error) {
    throw isUserError(error) ? new Error(`${PLUGIN_NAME}: ${error.message}`) : error;
  }
}

/** Remembers what was parsed or checked anew for the next run (the CLI's runs too). */
export function saveModel(model: ImageModel): void {
  model.cache.save();
}

/** A digest of everything in the model that the projects are made from, with the options: the inference cache's key. */
export function modelKey(model: ImageModel, options: unknown, versions: string): string {
  const images = model.graph.images.map((image, i) => [image.dir, image.name, image.manifest, image.dependencies, model.crates[i]]);
  const data = { versions, options: options ?? {}, fromGit: model.fromGit, mode: model.mode, images, crateDirs: model.crateDirs ?? null, warnings: model.graph.warnings };
  return createHash('sha1').update(JSON.stringify(data)).digest('hex');
}

/** The projects of the model's images, under the plugin's options (checked; zod loads only for options not seen before). */
export function infer(model: ImageModel, rawOptions: unknown, versions: string): Inference {
  const options = checkedOptions(model.cache, rawOptions, versions);
  const toWorkspace = (path: string) => (model.fromGit === '' ? path : relative(model.fromGit, path));
  const results: CreateNodesResultArray = model.graph.images.map((image, i) => {
    const project = imageProject(image, model.crates[i]!, model.rules[i]!, options, toWorkspace);
    return [toWorkspace(`${image.dir}/mzbuild.yml`), { projects: { [project.root]: project } }];
  });
  return { results, warnings: model.graph.warnings };
}

/** The options normalised, as remembered for the same options and plugin version; an error for invalid ones. */
function checkedOptions(cache: ModelCache, rawOptions: unknown, versions: string): NormalizedOptions {
  const key = `nx plugin options\0${versions}\0${JSON.stringify(rawOptions ?? {})}`;
  const remembered = cache.memo(key) as NormalizedOptions | undefined;
  if (remembered) return remembered;
  const { normalizeOptions } = require('./options') as typeof import('./options');
  const options = normalizeOptions(rawOptions);
  cache.rememberMemo(key, options);
  return options;
}

/** The warnings not said since their manifests last changed, by this plugin or by mzimage; they count as said now. */
export function freshWarnings(warnings: readonly string[], gitRoot: string): string[] {
  const said = SaidWarnings.forRepository(gitRoot, process.env);
  const fresh = said.fresh(warnings);
  said.save();
  return fresh;
}
