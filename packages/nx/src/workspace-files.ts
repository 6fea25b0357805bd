/** Queries of Nx's own file index, for the plugin's cheap paths. */
import { globAsync, type Tree } from '@nx/devkit';

/**
 * Workspace files matching `patterns`, from Nx's own file index (which honours .gitignore and
 * .nxignore): nothing walks the disk. devkit's globAsync takes a generator's tree, of which it
 * needs only the root and the pending changes; outside a generator there are none.
 */
export function globWorkspace(workspaceRoot: string, patterns: string[]): Promise<string[]> {
  const tree = { root: workspaceRoot, listChanges: () => [] } as unknown as Tree;
  return globAsync(tree, patterns);
}
