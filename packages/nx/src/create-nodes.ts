import { logger, type CreateNodes, type CreateNodesResultArray } from '@nx/devkit';
import { nearestRepositoryRoot } from '@mzbuild/core/git';
import { declaredProjectNames } from './clashes';
import { PLUGIN_NAME } from './constants';
import type { Inference } from './infer';
import { inferenceKey, readCachedInference, writeCachedInference } from './inference-cache';
import type { MzbuildPluginOptions } from './options';
import type { ImageMetadata } from './project';

export const MANIFEST_GLOB = '**/mzbuild.yml';

/**
 * One project per image, rooted at the directory of its `mzbuild.yml`. Reads manifests,
 * Dockerfiles and Cargo.toml files only: no docker, no network, no file hashing. The answer is
 * cached on those files; only a miss loads the parsers.
 */
export const createNodes: CreateNodes<MzbuildPluginOptions> = [
  MANIFEST_GLOB,
  async (manifestFiles, options, context): Promise<CreateNodesResultArray> => {
    const workspaceRoot = context.workspaceRoot;
    const gitRoot = nearestRepositoryRoot(workspaceRoot) ?? workspaceRoot;
    const key = await inferenceKey(workspaceRoot, gitRoot, manifestFiles, options);
    let inference = readCachedInference(workspaceRoot, options, key);
    if (!inference) {
      const { infer } = require('./infer') as typeof import('./infer');
      inference = infer(manifestFiles, options, workspaceRoot, gitRoot);
      writeCachedInference(workspaceRoot, options, key, inference);
    }
    for (const warning of inference.warnings) logger.warn(`${PLUGIN_NAME}: ${warning}`);
    await refuseNameClashes(inference, workspaceRoot);
    return inference.results;
  },
];

/**
 * An image project named like another project of the workspace makes Nx fail with a message that
 * cannot name the option that fixes it; this one does. Checked on every run: other projects'
 * names are not part of the cache key.
 */
async function refuseNameClashes({ results }: Inference, workspaceRoot: string): Promise<void> {
  const others = await declaredProjectNames(workspaceRoot);
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
