import { isImageManifest, isUserError, loadImageGraph, PLUGIN_NAME } from '@mzbuild/core';
import type { CreateNodesResultArray } from '@nx/devkit';
import { join, relative } from 'node:path';
import { normalizeOptions } from './options';
import { imageProject } from './project';

/** What createNodes returns, with the manifests' warnings to show again when it comes from the cache. */
export interface Inference {
  results: CreateNodesResultArray;
  warnings: string[];
}

/**
 * The projects of the given manifests (workspace-relative paths): parses manifests, Dockerfiles
 * and the Cargo workspace. This module loads the YAML, TOML and schema libraries, so createNodes
 * requires it only when its cache has no answer.
 */
export function infer(manifestFiles: readonly string[], rawOptions: unknown, workspaceRoot: string, gitRoot: string): Inference {
  const options = normalizeOptions(rawOptions);
  // Core paths are relative to the git top level; Nx's to the workspace root.
  const fromGit = relative(gitRoot, workspaceRoot);
  const toGit = (path: string) => (fromGit === '' ? path : join(fromGit, path));
  const toWorkspace = (path: string) => (fromGit === '' ? path : relative(fromGit, path));
  try {
    const graph = loadImageGraph(gitRoot, manifestFiles.map(toGit).filter(isImageManifest));
    // The Cargo workspace is read only if an image has a cargo-build pre-image.
    const results: CreateNodesResultArray = graph.images.map((image) => {
      const project = imageProject(image, graph, options, toWorkspace);
      return [toWorkspace(`${image.dir}/mzbuild.yml`), { projects: { [project.root]: project } }];
    });
    return { results, warnings: graph.warnings };
  } catch (error) {
    throw isUserError(error) ? new Error(`${PLUGIN_NAME}: ${error.message}`) : error;
  }
}
