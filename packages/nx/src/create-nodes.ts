/** createNodes: one Nx project per image, inferred from the image model and remembered in Nx's workspace data. */
import type { CreateNodes, CreateNodesResultArray } from '@nx/devkit';
import { nearestRepositoryRoot } from '@mzbuild/core/git';
import { declaredProjectNames } from './clashes';
import { PLUGIN_NAME } from './constants';
import type { Inference } from './infer';
import { readCachedInference, VERSIONS, writeCachedInference } from './inference-cache';
import type { MzbuildPluginOptions } from './options';
import type { ImageMetadata } from './project';

export const MANIFEST_GLOB = '**/mzbuild.yml';

/**
 * What Nx gives createNodes: the manifests, and the files other projects are declared in (see
 * refuseNameClashes), which Nx's own index lists for the plugin far more cheaply than a glob in
 * the plugin's worker process (which has to index the whole workspace first: ~0.4 s at 143,000
 * files).
 */
const NODES_GLOB = '**/{mzbuild.yml,project.json,package.json}';

/**
 * One project per image, rooted at the directory of its `mzbuild.yml`. Reads manifests,
 * Dockerfiles and Cargo.toml files only: no docker, no network, no file hashing. The model comes
 * from core's model cache while those files are unchanged (only what changed is parsed, and the
 * parsers load only then); the projects made from it come from the inference cache while the
 * model and the options are the same. Nothing of @nx/devkit loads on this path but for warnings.
 */
export const createNodes: CreateNodes<MzbuildPluginOptions> = [
  NODES_GLOB,
  async (files, options, context): Promise<CreateNodesResultArray> => {
    const workspaceRoot = context.workspaceRoot;
    const manifestFiles = files.filter((file) => file === 'mzbuild.yml' || file.endsWith('/mzbuild.yml'));
    const gitRoot = nearestRepositoryRoot(workspaceRoot) ?? workspaceRoot;
    const { freshWarnings, infer, loadModel, modelKey, saveModel } = require('./infer') as typeof import('./infer');
    const model = loadModel(manifestFiles, workspaceRoot, gitRoot, options);
    let inference: Inference | undefined;
    try {
      const key = modelKey(model, options, VERSIONS);
      inference = readCachedInference(workspaceRoot, options, key);
      if (!inference) {
        inference = infer(model, options, VERSIONS);
        writeCachedInference(workspaceRoot, options, key, inference);
      }
    } finally {
      saveModel(model);
    }
    // Said once per change of the manifest they are about (mzimage remembers the same), not on
    // every Nx command: `mzimage list --check` says them all.
    const warnings = inference.warnings.length > 0 ? freshWarnings(inference.warnings, gitRoot) : [];
    if (warnings.length > 0) {
      const { logger } = require('@nx/devkit') as typeof import('@nx/devkit');
      for (const warning of warnings) logger.warn(`${PLUGIN_NAME}: ${warning}`);
    }
    await refuseNameClashes(inference, workspaceRoot, declarationFiles(files, context.nxJsonConfiguration));
    return inference.results;
  },
];

/**
 * An image project named like another project of the workspace makes Nx fail with a message that
 * cannot name the option that fixes it; this one does. Checked on every run: other projects'
 * names are not part of the cache key.
 */
async function refuseNameClashes({ results }: Inference, workspaceRoot: string, declarations: string[] | undefined): Promise<void> {
  const others = await declaredProjectNames(workspaceRoot, declarations);
  for (const [, { projects }] of results) {
    for (const [root, project] of Object.entries(projects ?? {})) {
      const clash = others.get(project.name!);
      if (clash === undefined || clash === root) continue;
      const image = (project.metadata as { mzbuild?: ImageMetadata } | undefined)?.mzbuild?.image;
      throw new Error(
        `${PLUGIN_NAME}: image ${image} (${root}) would be project ${project.name}, ` +
          `but the project at ${clash} has that name; set the plugin option "projectName" in nx.json, ` +
          `e.g. "image-{name}", to name image projects apart`,
      );
    }
  }
}

/**
 * The project.json and package.json files among what Nx gave createNodes, when that is all of
 * the workspace's: not where nx.json scopes the plugin with `include` or `exclude` (Nx then gives
 * only the files in scope), nor where none came (a caller that gave manifests alone). undefined
 * means: glob for them.
 */
function declarationFiles(files: readonly string[], nxJson: { plugins?: unknown[] } | undefined): string[] | undefined {
  const scoped = (nxJson?.plugins ?? []).some(
    (entry) =>
      typeof entry === 'object' &&
      entry !== null &&
      (entry as { plugin?: unknown }).plugin === PLUGIN_NAME &&
      ((entry as { include?: unknown }).include !== undefined || (entry as { exclude?: unknown }).exclude !== undefined),
  );
  const declarations = files.filter((file) => /(^|\/)(project|package)\.json$/.test(file));
  return scoped || declarations.length === 0 ? undefined : declarations;
}
