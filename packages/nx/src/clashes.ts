/** The names other projects of the workspace declare, which an image project must not take. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { globWorkspace } from './workspace-files';

/**
 * Names that other projects of the workspace declare, by project root: `project.json` files, and
 * `package.json` files of the package manager's workspaces. An image project with one of these
 * names would make Nx fail with a message that cannot name the plugin's `projectName` option, so
 * the plugin checks first. `files` are the workspace's project.json and package.json files where
 * the caller has them from Nx; otherwise Nx's own file index answers a glob. Nothing walks the disk.
 */
export async function declaredProjectNames(workspaceRoot: string, files?: readonly string[]): Promise<Map<string, string>> {
  const workspaces = packageWorkspaces(workspaceRoot);
  const patterns = workspaces.length > 0 ? ['**/project.json', '**/package.json'] : ['**/project.json'];
  const candidates = files
    ? files.filter((file) => /(^|\/)project\.json$/.test(file) || (workspaces.length > 0 && /(^|\/)package\.json$/.test(file)))
    : await globWorkspace(workspaceRoot, patterns);
  const names = new Map<string, string>();
  const minimatch = workspaces.length > 0 ? (require('minimatch') as typeof import('minimatch')).minimatch : undefined;
  for (const file of candidates) {
    const root = dirname(file);
    if (file.endsWith('package.json') && !workspaces.some((pattern) => minimatch!(root, pattern))) continue;
    const name = readName(join(workspaceRoot, file));
    if (name !== undefined) names.set(name, root);
  }
  return names;
}

function packageWorkspaces(workspaceRoot: string): string[] {
  const workspaces = readJson(join(workspaceRoot, 'package.json'))?.['workspaces'];
  const patterns = Array.isArray(workspaces) ? workspaces : (workspaces as { packages?: unknown } | undefined)?.packages;
  return Array.isArray(patterns) ? patterns.filter((p): p is string => typeof p === 'string').map((p) => p.replace(/^\.\/|\/+$/g, '')) : [];
}

function readName(file: string): string | undefined {
  const name = readJson(file)?.['name'];
  return typeof name === 'string' ? name : undefined;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
