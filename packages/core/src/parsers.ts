/** The parsers that only a cache miss needs (YAML, TOML, zod schemas), loaded on first use: the CLI bundles them apart. */
export { loadCargoModels, loadCargoWorkspace } from './cargo/load';
export { parsePluginOptions } from './config-schema';
export { parseManifest } from './manifest/parse';
