/** The manifest room: `mzbuild.yml` parsed and checked. */
export { parseManifest, type ParsedManifest } from './parse';
export type { CargoBuild, Copy, Manifest, PreImage } from './types';
