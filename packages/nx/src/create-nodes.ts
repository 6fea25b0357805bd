import { isImageManifest, isUserError, loadImageGraph, nearestRepositoryRoot, PLUGIN_NAME } from '@mzbuild/core';
import { logger, type CreateNodes, type CreateNodesResultArray } from '@nx/devkit';
import { join, relative } from 'node:path';
import { declaredProjectNames } from './clashes';
import { normalizeOptions, type MzbuildPluginOptions } from './options';
import { imageProject } from './project';

export const MANIFEST_GLOB = '**/mzbuild.yml';

/**
 * One project per image, rooted at the directory of its `mzbuild.yml`. Reads manifests,
 * Dockerfiles and Cargo.toml files only: no docker, no network, no file hashing.
 */
export const createNodes: CreateNodes<MzbuildPluginOptions> = [
  MANIFEST_GLOB,
  async (manifestFiles, rawOptions, context): Promise<CreateNodesResultArray> => {
    const options = normalizeOptions(rawOptions);
    const workspaceRoot = context.workspaceRoot;
    const gitRoot = nearestRepositoryRoot(workspaceRoot) ?? workspaceRoot;
    // Core paths are relative to the git top level; Nx's to the workspace root.
    const fromGit = relative(gitRoot, workspaceRoot);
    const toGit = (path: string) => (fromGit === '' ? path : join(fromGit, path));
    const toWorkspace = (path: string) => (fromGit === '' ? path : relative(fromGit, path));

    const manifests = manifestFiles.map(toGit).filter(isImageManifest);
    let graph;
    try {
      graph = loadImageGraph(gitRoot, manifests);
    } catch (error) {
      throw isUserError(error) ? new Error(`${PLUGIN_NAME}: ${error.message}`) : error;
    }
    for (const warning of graph.warnings) logger.warn(`${PLUGIN_NAME}: ${warning}`);

    const needsCargo = graph.images.some((image) => image.manifest.preImages.some((step) => step.type === 'cargo-build'));
    const results: CreateNodesResultArray = [];
    const owners = await declaredProjectNames(workspaceRoot);
    for (const image of graph.images) {
      let project;
      try {
        project = imageProject(image, needsCargo ? graph.cargo : undefined, options, toWorkspace);
      } catch (error) {
        throw isUserError(error) ? new Error(`${PLUGIN_NAME}: ${error.message}`) : error;
      }
      const clash = owners.get(project.name!);
      if (clash !== undefined && clash !== project.root) {
        throw new Error(
          `${PLUGIN_NAME}: image ${image.name} (${project.root}) would be project ${project.name}, ` +
            `but the project at ${clash} has that name; set the plugin option "projectName" in nx.json, ` +
            `e.g. "image-{name}", to name image projects apart`,
        );
      }
      results.push([toWorkspace(`${image.dir}/mzbuild.yml`), { projects: { [project.root]: project } }]);
    }
    return results;
  },
];
