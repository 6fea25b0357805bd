/** The library's public surface (package.json `exports` "."): what the Nx plugin and other tools may use. */
export { base32 } from './base32';
export * from './cargo';
export * from './config';
export * from './plugin-options';
export { parsePluginOptions, sharedOptionsSchema } from './config-schema';
export { FileStats } from './file-stats';
export { ModelCache } from './model-cache';
export { loadContext, type ContextOptions, type MzbuildContext } from './context';
export { explain, reasonLine, type Explanation } from './explain/compare';
export { formatExplanations } from './explain/format';
export { explainSince, whyBuilt } from './explain/run';
export { imageStates, type ImageState } from './explain/state';
export { HashCache } from './hash-cache';
export { configSalt, fullDigest, preImageExtra, selfDigest } from './digest';
export { FileHasher, startHashWorker, type FileRecord, type FileRecordSource } from './file-hasher';
export { parseMzfrom, rewriteMzfrom, type MzfromLine } from './dockerfile';
export { isUserError, located, UserError } from './errors';
export { Resolver, type ResolvedImage, type ResolverOptions } from './fingerprint';
export { listVisibleFiles, nearestRepositoryRoot, repositoryRoot } from './git';
export { InputIndex, type InputGroup } from './inputs';
export { cargoSharedInputs, CRATE_LEFT_OUT, imageInputRules, type CargoSharedInputs, type InputRules } from './input-rules';
export * from './manifest';
export {
  dependencyOrder,
  findImages,
  isImageManifest,
  loadImageGraph,
  loadRepository,
  type ModelSources,
  type Image,
  type ImageGraph,
  type Repository,
} from './repository';
export * from './registry';
export * from './signing';
export {
  acquireImages,
  carryOut,
  formatPlan,
  formatSummary,
  planImages,
  planResolved,
  refusalMessage,
  resolveSharding,
  shardsOf,
  type AcquireOptions,
  type Action,
  type Outcome,
  type PlanEntry,
  type RunOptions,
  type Shard,
  type Sharding,
} from './acquire';
export { runCargoBuilds, runCopy, type CargoBuildRequest, type PreImageOptions } from './preimage/pre-images';
export { spawnLines, type SpawnOptions, type SpawnResult } from './process/spawn';
export { buildImage } from './docker/build';
export { dockerClient, dockerCommand, localImages, pullImage, type DockerClient } from './docker/client';
export { ensurePublished, formatPublishSummary, publish, type PublishOptions, type PublishOutcome } from './publish/ensure';
export { formatPublishPlan, planPublish, planSigning, type PublishAction, type PublishEntry, type PublishPlan } from './publish/plan';
export { isVersionTag, publishMultiArch, type MultiArchResult } from './publish/multiarch';
