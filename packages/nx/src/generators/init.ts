import { PLUGIN_NAME } from '@mzbuild/core';
import { logger, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { normalizeOptions, type MzbuildPluginOptions } from '../options';

export type InitOptions = Omit<MzbuildPluginOptions, 'fingerprintTargetName' | 'dockerBuildTargetName' | 'publishTargetName'>;

/** Registers the plugin in nx.json with the given options; a workspace that has it is left as it is. */
export default async function initGenerator(tree: Tree, options: InitOptions): Promise<void> {
  normalizeOptions(options); // refuse options the plugin would refuse
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  const registered = plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
  if (registered) {
    logger.info(`${PLUGIN_NAME} is already registered in nx.json; its options were left as they are`);
    return;
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  nxJson.plugins = [...plugins, { plugin: PLUGIN_NAME, options: defined }];
  updateNxJson(tree, nxJson);
}
