/** The plugin's entry in nx.json, however it is named there, and the options it gives the CLI (checked, remembered by the model cache). */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { PLUGIN_NAME, type SharedOptions } from './config';
import { UserError } from './errors';
import type { ModelCache } from './model-cache';

/**
 * The plugin's options from the nearest nx.json between `cwd` and the repository root, if the
 * plugin is registered there. With a cache, an nx.json whose lstat is unchanged is not read again.
 */
export function readPluginOptions(cwd: string, root: string, cache?: ModelCache): SharedOptions | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, 'nx.json');
    if (existsSync(file)) return pluginOptionsIn(file, relative(root, file) || 'nx.json', cache);
    if (dir === root || dirname(dir) === dir || relative(root, dir).startsWith('..')) return undefined;
  }
}

function pluginOptionsIn(file: string, shown: string, cache: ModelCache | undefined): SharedOptions | undefined {
  const stat = cache && lstatSync(file, { throwIfNoEntry: false }); // before reading, as the cache needs
  const cached = cache?.pluginOptions(file, stat);
  if (cached !== undefined) return cached ?? undefined;
  let nxJson: { plugins?: unknown[] };
  try {
    nxJson = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${shown}: not valid JSON (${(error as Error).message})`);
  }
  const options = pluginEntryOptions(nxJson.plugins ?? [], shown, dirname(file));
  cache?.rememberPluginOptions(file, stat, options);
  return options;
}

function pluginEntryOptions(plugins: unknown[], shown: string, workspaceRoot: string): SharedOptions | undefined {
  for (const entry of plugins) {
    const spec = typeof entry === 'string' ? entry : (entry as { plugin?: unknown } | null)?.plugin;
    if (typeof spec !== 'string' || !namesThisPlugin(spec, workspaceRoot)) continue;
    if (typeof entry === 'string') return {};
    // The schema loads zod: only for an nx.json that registers the plugin, and is new or changed.
    const { parsePluginOptions } = require('./parsers') as typeof import('./parsers');
    const { trustedKeys, ...rest } = parsePluginOptions((entry as { options?: unknown }).options ?? {}, shown);
    // Key files are named relative to the workspace root, the directory of this nx.json.
    return trustedKeys ? { ...rest, trustedKeys: trustedKeys.map((path) => resolve(workspaceRoot, path)) } : rest;
  }
  return undefined;
}

/**
 * Whether a plugin entry of nx.json names this plugin, however Nx allows it to be named: by its
 * package name, by another name the package is installed under (an npm alias), or by a path
 * (relative to nx.json, or absolute) into the package, such as `./node_modules/@mzbuild/nx` or a
 * local checkout's `./tools/mzbuild-nx`. What is asked is the name of the package that holds it.
 */
export function namesThisPlugin(spec: string, workspaceRoot: string): boolean {
  if (spec === PLUGIN_NAME) return true;
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  let start: string;
  try {
    start = isPath ? resolve(workspaceRoot, spec) : dirname(require.resolve(`${spec}/package.json`, { paths: [workspaceRoot] }));
  } catch {
    return false; // not installed, or a package that does not export its package.json: not this one
  }
  for (let dir = start; ; dir = dirname(dir)) {
    const name = packageName(join(dir, 'package.json'));
    if (name !== undefined) return name === PLUGIN_NAME;
    if (dirname(dir) === dir) return false;
  }
}

function packageName(file: string): string | undefined {
  try {
    const name = (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
