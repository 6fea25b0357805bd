/** The Nx plugin: register it in nx.json as "@mzbuild/nx". */
import { createNodes } from './create-nodes';

export { createDependencies } from './create-dependencies';
// Nx 21+: with `remoteCache` in the options, the run's remote cache in the registry.
export { postTasksExecution, preTasksExecution } from './remote-cache';
export { createNodes };
/** Nx 21 and 22 look for this name. */
export const createNodesV2 = createNodes;
export type { MzbuildPluginOptions } from './options';
