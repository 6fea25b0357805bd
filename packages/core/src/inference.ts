/**
 * The light entry point of the library (package export `./inference`): what the Nx plugin's
 * inference loads to make projects — the image model through its caches and what a fingerprint
 * reads — without the registry client, the builders or the parsers, which load only when needed.
 */
export { writeFileAtomic } from './atomic-file';
export { cratesOfStep } from './cargo/closure';
export { compatMode, type Compat } from './config';
export { isUserError } from './errors';
export { FileStats } from './file-stats';
export { imageInputRules, type InputRules } from './input-rules';
export { ModelCache } from './model-cache';
export { isImageManifest, loadImageGraph, type ImageGraph } from './repository';
export { SaidWarnings } from './said-warnings';
