export { parseManifest, type ParsedManifest } from './parse';
export type { CargoBuild, Copy, Manifest, PreImage } from './types';
