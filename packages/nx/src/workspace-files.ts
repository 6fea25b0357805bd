/** Globs over Nx's own index of workspace files, without loading all of @nx/devkit where Nx's own module is at hand. */
import type { Tree } from '@nx/devkit';

type Glob = (workspaceRoot: string, patterns: string[]) => Promise<string[]>;
let glob: Glob | undefined;

/**
 * Workspace files matching `patterns`, from Nx's own file index (which honours .gitignore and
 * .nxignore): nothing walks the disk. devkit's globAsync asks Nx's workspace context and adds a
 * generator tree's pending changes, of which there are none here; the workspace context is asked
 * directly where Nx has it (a plugin worker has loaded it already, while devkit costs ~80 ms to
 * load there), else through devkit.
 */
export function globWorkspace(workspaceRoot: string, patterns: string[]): Promise<string[]> {
  glob ??= workspaceContextGlob() ?? devkitGlob;
  return glob(workspaceRoot, patterns);
}

function workspaceContextGlob(): Glob | undefined {
  try {
    const context = require('nx/src/utils/workspace-context') as { globWithWorkspaceContext?: (root: string, globs: string[]) => Promise<string[]> };
    const { globWithWorkspaceContext } = context;
    if (typeof globWithWorkspaceContext !== 'function') return undefined;
    return async (workspaceRoot, patterns) => [...new Set(await globWithWorkspaceContext(workspaceRoot, patterns))];
  } catch {
    return undefined;
  }
}

async function devkitGlob(workspaceRoot: string, patterns: string[]): Promise<string[]> {
  const { globAsync } = require('@nx/devkit') as typeof import('@nx/devkit');
  const tree = { root: workspaceRoot, listChanges: () => [] } as unknown as Tree;
  return globAsync(tree, patterns);
}
