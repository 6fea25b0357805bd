/** The Nx plugin: register it in nx.json as "@mzbuild/nx". */
import { createNodes } from './create-nodes';

export { createDependencies } from './create-dependencies';
export { createNodes };
/** Nx 21 and 22 look for this name. */
export const createNodesV2 = createNodes;
export type { MzbuildPluginOptions } from './options';
