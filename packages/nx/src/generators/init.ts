/** The init generator (also what `nx add @mzbuild/nx` runs): registers the plugin in nx.json. */
import { namesThisPlugin, PLUGIN_NAME } from '@mzbuild/core';
import { logger, readNxJson, updateNxJson, writeJson, type Tree } from '@nx/devkit';
import { normalizeOptions, type MzbuildPluginOptions } from '../options';
import { addOptimizedProfile } from './cargo-profile';

export type InitOptions = Omit<MzbuildPluginOptions, 'fingerprintTargetName' | 'dockerBuildTargetName' | 'publishTargetName'>;

/**
 * Registers the plugin in nx.json with the given options. Where it is registered already, the
 * given options are merged into its entry (they win; the others stay), so that `nx add
 * @mzbuild/nx` followed by `nx g @mzbuild/nx:init --registry=…` sets the registry.
 * A root Cargo.toml without the build profile that images build with by default gets one.
 */
export default async function initGenerator(tree: Tree, options: InitOptions): Promise<void> {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  const index = plugins.findIndex((p) => namesThisPlugin(typeof p === 'string' ? p : p.plugin, tree.root));
  const current = index < 0 ? undefined : plugins[index]!;
  const existing = typeof current === 'object' ? ((current.options ?? {}) as Record<string, unknown>) : {};
  const merged = { ...existing, ...given };
  normalizeOptions(merged); // refuse options the plugin would refuse, before anything is written

  if (index < 0) {
    nxJson.plugins = [...plugins, { plugin: PLUGIN_NAME, options: merged }];
    // updateNxJson changes an nx.json that exists, and silently writes none where there is none.
    if (tree.exists('nx.json')) updateNxJson(tree, nxJson);
    else writeJson(tree, 'nx.json', { $schema: './node_modules/nx/schemas/nx-schema.json', ...nxJson });
  } else if (Object.keys(given).some((key) => JSON.stringify(existing[key]) !== JSON.stringify(given[key]))) {
    nxJson.plugins = plugins.map((p, i) => (i === index ? (typeof p === 'object' ? { ...p, options: merged } : { plugin: p, options: merged }) : p));
    updateNxJson(tree, nxJson);
    logger.info(`${PLUGIN_NAME} was registered in nx.json already; set ${Object.keys(given).join(', ')} in its options`);
  }
  addOptimizedProfile(tree, merged.profile === undefined || merged.profile === 'optimized');
}
